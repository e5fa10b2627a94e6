#include "hw/intc/lapic.h"

#include <gtest/gtest.h>

#include <string>

#include "hw/intc/lapic_dump.h"

#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

using R = LocalApic::Reg;

// A stand-in 8259: INTR level on demand, fixed vector on INTA.
class FakePic : public CpuInterruptSource {
 public:
  bool interrupt_pending() override { return true; }
  int acknowledge_interrupt() override {
    acks += 1;
    return 0x08;
  }
  int acks = 0;
};

class LapicTest : public ::testing::Test {
 protected:
  LapicTest() {
    clocks.set_manual_virtual(true);
    cpu0.map(*mem_root);
    cpu0.set_output_changed([this] { wakeups += 1; });
  }
  // cpu0 is accessed through guest physical memory, cpu1 through its IoOps.
  uint32_t rd0(uint32_t off) {
    return static_cast<uint32_t>(mem.read(LocalApic::kDefaultBase + off, 4));
  }
  void wr0(uint32_t off, uint32_t v) { mem.write(LocalApic::kDefaultBase + off, v, 4); }
  static uint32_t rd(LocalApic& a, uint32_t off) { return static_cast<uint32_t>(a.read(off, 4)); }
  static void wr(LocalApic& a, uint32_t off, uint32_t v) { a.write(off, v, 4); }
  static void enable(LocalApic& a) { wr(a, R::kRegSvr, 0x1FF); }
  void advance(int64_t ns) { clocks.advance_virtual(ns); }
  // Sends an IPI from cpu0: ICR high (xAPIC destination) then low.
  void ipi0(uint32_t low, uint8_t dest) {
    wr0(R::kRegIcrHigh, uint32_t{dest} << 24);
    wr0(R::kRegIcrLow, low);
  }

  Clocks clocks;
  ApicBus bus;
  std::unique_ptr<MemoryRegion> mem_root = MemoryRegion::container("mem", uint64_t{1} << 32);
  AddressSpace mem{"mem", mem_root.get()};
  LocalApic cpu0{clocks, bus, 0, true};
  LocalApic cpu1{clocks, bus, 1, false};
  int wakeups = 0;
};

TEST_F(LapicTest, ResetState) {
  EXPECT_EQ(rd0(R::kRegId), 0u);
  EXPECT_EQ(rd(cpu1, R::kRegId), 1u << 24);
  EXPECT_EQ(rd0(R::kRegVersion), 0x50014u);
  EXPECT_EQ(rd0(R::kRegSvr), 0xFFu);
  EXPECT_EQ(rd0(R::kRegDfr), 0xFFFFFFFFu);
  EXPECT_EQ(rd0(R::kRegLdr), 0u);
  EXPECT_EQ(rd0(R::kRegTpr), 0u);
  for (uint32_t off = R::kRegLvtTimer; off <= R::kRegLvtError; off += 0x10) {
    EXPECT_EQ(rd(cpu1, off), 0x10000u) << std::hex << off;
    // The BSP alone starts in virtual-wire mode: LINT0 = ExtINT, as firmware leaves it.
    EXPECT_EQ(rd0(off), off == R::kRegLvtLint0 ? 0x700u : 0x10000u) << std::hex << off;
  }
  EXPECT_EQ(cpu0.apic_base_msr(), 0xFEE00900u);
  EXPECT_EQ(cpu1.apic_base_msr(), 0xFEE00800u);
  EXPECT_FALSE(cpu0.interrupt_pending());
  EXPECT_EQ(bus.apics().size(), 2u);
  EXPECT_EQ(bus.find(1), &cpu1);
}

TEST_F(LapicTest, IdLdrDfrWritableBits) {
  wr0(R::kRegId, 0x05123456);
  EXPECT_EQ(rd0(R::kRegId), 0x05000000u);
  EXPECT_EQ(cpu0.apic_id(), 5u);
  wr0(R::kRegLdr, 0x12345678);
  EXPECT_EQ(rd0(R::kRegLdr), 0x12000000u);
  wr0(R::kRegDfr, 0x00000000);
  EXPECT_EQ(rd0(R::kRegDfr), 0x0FFFFFFFu);
  wr0(R::kRegVersion, 0);  // read-only
  EXPECT_EQ(rd0(R::kRegVersion), 0x50014u);
}

// The monitor's `info lapic` reads the model's registers and decodes them.
TEST_F(LapicTest, MonitorDumpDecodesTheRegisters) {
  enable(cpu0);
  wr0(R::kRegLvtLint0, 0x700);           // ExtINT, unmasked
  wr0(R::kRegLvtTimer, 0x20000 | 0xec);  // periodic, vector 0xec
  wr0(R::kRegTimerDivide, 0xb);          // divide by 1
  wr0(R::kRegTimerInitial, 1000);
  wr0(R::kRegIcrLow, 0x40000 | 0x41);  // self IPI 0x41: IRR
  wr0(R::kRegIcrLow, 0x40000 | 0x51);  // and 0x51, acknowledged: ISR
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x51);
  const std::string out = describe_local_apic_registers(
      0, [this](uint32_t offset) { return cpu0.peek_register(offset); });
  auto has = [&](const std::string& text) {
    EXPECT_NE(out.find(text), std::string::npos) << "no '" << text << "' in:\n" << out;
  };
  has("dumping local APIC state for CPU 0");
  has("ExtINT (vec 0)");
  has("periodic");
  has("(vec 236)");
  has("DCR=0xb (divide by 1) initial_count = 1000");
  has("SPIV     0x000001ff APIC enabled");
  has("ISR      81\n");
  has("IRR      65\n");
  has("TMR      (none)\n");
  has("PPR 0x50");
}

TEST_F(LapicTest, SelfIpiFixedDeliveryAckAndEoi) {
  enable(cpu0);
  wakeups = 0;
  wr0(R::kRegIcrLow, 0x40000 | 0x41);  // self, fixed, vector 0x41
  EXPECT_TRUE(cpu0.irr_bit(0x41));
  EXPECT_EQ(rd0(R::kRegIrr + 0x20), 1u << 1);  // IRR bits 64-95
  EXPECT_GT(wakeups, 0);
  EXPECT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x41);
  EXPECT_FALSE(cpu0.irr_bit(0x41));
  EXPECT_TRUE(cpu0.isr_bit(0x41));
  EXPECT_EQ(rd0(R::kRegIsr + 0x20), 1u << 1);
  EXPECT_EQ(rd0(R::kRegPpr), 0x40u);
  EXPECT_FALSE(cpu0.interrupt_pending());
  wr0(R::kRegEoi, 0);
  EXPECT_FALSE(cpu0.isr_bit(0x41));
  EXPECT_EQ(rd0(R::kRegPpr), 0u);
}

TEST_F(LapicTest, PriorityTprPprAndNesting) {
  enable(cpu0);
  wr0(R::kRegTpr, 0x55);
  EXPECT_EQ(rd0(R::kRegPpr), 0x55u);
  wr0(R::kRegIcrLow, 0x40000 | 0x52);  // same class as TPR: blocked
  EXPECT_FALSE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0xFF);  // spurious vector
  EXPECT_TRUE(cpu0.irr_bit(0x52));
  wr0(R::kRegTpr, 0x20);
  ASSERT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x52);
  // In service 0x52: PPR = 0x50 (ISR class above TPR class).
  EXPECT_EQ(rd0(R::kRegPpr), 0x50u);
  wr0(R::kRegIcrLow, 0x40000 | 0x45);  // lower class waits
  EXPECT_FALSE(cpu0.interrupt_pending());
  wr0(R::kRegIcrLow, 0x40000 | 0x91);  // higher class nests
  ASSERT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x91);
  wr0(R::kRegEoi, 0);  // ends 0x91 (highest in service)
  EXPECT_FALSE(cpu0.isr_bit(0x91));
  EXPECT_TRUE(cpu0.isr_bit(0x52));
  wr0(R::kRegEoi, 0);
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x45);
  // APR with nothing else: max of classes.
  wr0(R::kRegTpr, 0x10);
  EXPECT_EQ(rd0(R::kRegApr), 0x40u);
}

TEST_F(LapicTest, Cr8IsTprHighNibble) {
  cpu0.write_cr8(0xA);
  EXPECT_EQ(rd0(R::kRegTpr), 0xA0u);
  wr0(R::kRegTpr, 0x3F);
  EXPECT_EQ(cpu0.read_cr8(), 3u);
}

TEST_F(LapicTest, SoftwareDisableDropsFixedAndForcesMasks) {
  // SVR enable clear: fixed interrupts are not accepted, LVT masks stick.
  wr0(R::kRegIcrLow, 0x40000 | 0x41);
  EXPECT_FALSE(cpu0.irr_bit(0x41));
  wr0(R::kRegLvtTimer, 0x30);
  EXPECT_EQ(rd0(R::kRegLvtTimer), 0x10030u);
  enable(cpu0);
  EXPECT_EQ(rd0(R::kRegSvr), 0x1FFu);
  wr0(R::kRegLvtTimer, 0x30);
  EXPECT_EQ(rd0(R::kRegLvtTimer), 0x30u);
  wr0(R::kRegSvr, 0xEF);  // disable again: every LVT masked
  EXPECT_EQ(rd0(R::kRegLvtTimer), 0x10030u);
  EXPECT_EQ(rd0(R::kRegSvr), 0xEFu);
}

TEST_F(LapicTest, SpuriousVectorFromSvr) {
  wr0(R::kRegSvr, 0x1EF);
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0xEF);
}

TEST_F(LapicTest, ErrorStatusWriteToLatch) {
  enable(cpu0);
  wr0(R::kRegLvtError, 0xFE);
  wr0(R::kRegIcrLow, 0x40000 | 0x05);  // illegal vector: send error
  EXPECT_EQ(rd0(R::kRegEsr), 0u);      // not visible until ESR is written
  EXPECT_TRUE(cpu0.irr_bit(0xFE));     // error LVT delivered
  wr0(R::kRegEsr, 0);
  EXPECT_EQ(rd0(R::kRegEsr), LocalApic::kEsrSendIllegalVector);
  wr0(R::kRegEsr, 0);
  EXPECT_EQ(rd0(R::kRegEsr), 0u);
  // Receive illegal vector (LVT with vector < 16) and illegal register address.
  wr0(R::kRegLvtThermal, 0x03);
  rd0(0x2F0);  // no CMCI LVT on this APIC
  wr0(R::kRegEsr, 0);
  EXPECT_EQ(rd0(R::kRegEsr), LocalApic::kEsrIllegalRegister);
}

TEST_F(LapicTest, ReceiveIllegalVectorFromMessage) {
  enable(cpu1);
  ApicMessage msg;
  msg.vector = 7;
  msg.destination = 1;
  bus.deliver(msg);
  EXPECT_FALSE(cpu1.irr_bit(7));
  wr(cpu1, R::kRegEsr, 0);
  EXPECT_EQ(rd(cpu1, R::kRegEsr), LocalApic::kEsrReceiveIllegalVector);
}

TEST_F(LapicTest, PhysicalAndBroadcastIpis) {
  enable(cpu0);
  enable(cpu1);
  ipi0(0x61, 1);  // fixed, physical, to APIC 1
  EXPECT_TRUE(cpu1.irr_bit(0x61));
  EXPECT_FALSE(cpu0.irr_bit(0x61));
  ipi0(0x62, 0xFF);  // physical broadcast
  EXPECT_TRUE(cpu0.irr_bit(0x62));
  EXPECT_TRUE(cpu1.irr_bit(0x62));
  ipi0(0xC0000 | 0x63, 0);  // all excluding self
  EXPECT_FALSE(cpu0.irr_bit(0x63));
  EXPECT_TRUE(cpu1.irr_bit(0x63));
  ipi0(0x80000 | 0x64, 0);  // all including self
  EXPECT_TRUE(cpu0.irr_bit(0x64));
  EXPECT_TRUE(cpu1.irr_bit(0x64));
  ipi0(0x65, 7);  // nobody
  EXPECT_FALSE(cpu0.irr_bit(0x65));
  EXPECT_FALSE(cpu1.irr_bit(0x65));
  EXPECT_EQ(rd0(R::kRegIcrLow), 0x65u);  // delivery status always idle
  EXPECT_EQ(rd0(R::kRegIcrHigh), 7u << 24);
}

TEST_F(LapicTest, LogicalFlatAndClusterDestinations) {
  enable(cpu0);
  enable(cpu1);
  wr0(R::kRegLdr, 0x01000000);
  wr(cpu1, R::kRegLdr, 0x02000000);
  ipi0(0x800 | 0x70, 0x02);  // logical flat: bit 1 -> cpu1
  EXPECT_TRUE(cpu1.irr_bit(0x70));
  EXPECT_FALSE(cpu0.irr_bit(0x70));
  ipi0(0x800 | 0x71, 0x03);
  EXPECT_TRUE(cpu0.irr_bit(0x71));
  EXPECT_TRUE(cpu1.irr_bit(0x71));
  // Cluster model: cluster 1 member 1 (cpu0), cluster 2 member 1 (cpu1).
  wr0(R::kRegDfr, 0x0FFFFFFF);
  wr(cpu1, R::kRegDfr, 0x0FFFFFFF);
  wr0(R::kRegLdr, 0x11000000);
  wr(cpu1, R::kRegLdr, 0x21000000);
  ipi0(0x800 | 0x72, 0x21);
  EXPECT_TRUE(cpu1.irr_bit(0x72));
  EXPECT_FALSE(cpu0.irr_bit(0x72));
  ipi0(0x800 | 0x73, 0x12);  // cluster 1, member 2: nobody
  EXPECT_FALSE(cpu0.irr_bit(0x73));
  ipi0(0x800 | 0x74, 0xF1);  // all clusters, member 1
  EXPECT_TRUE(cpu0.irr_bit(0x74));
  EXPECT_TRUE(cpu1.irr_bit(0x74));
}

TEST_F(LapicTest, LowestPriorityPicksLowestArbitrationPriority) {
  enable(cpu0);
  enable(cpu1);
  wr0(R::kRegTpr, 0x40);
  wr(cpu1, R::kRegTpr, 0x10);
  ipi0(0x100 | 0x80, 0xFF);  // lowest priority, broadcast
  EXPECT_TRUE(cpu1.irr_bit(0x80));
  EXPECT_FALSE(cpu0.irr_bit(0x80));
  wr(cpu1, R::kRegTpr, 0x90);
  ipi0(0x100 | 0x81, 0xFF);
  EXPECT_TRUE(cpu0.irr_bit(0x81));
  EXPECT_FALSE(cpu1.irr_bit(0x81));
}

TEST_F(LapicTest, NmiSmiInitAndStartupIpis) {
  enable(cpu0);
  enable(cpu1);
  wr(cpu1, R::kRegTpr, 0x20);
  ipi0(0x400, 1);  // NMI
  EXPECT_TRUE(cpu1.nmi_pending());
  cpu1.acknowledge_nmi();
  EXPECT_FALSE(cpu1.nmi_pending());
  ipi0(0x200, 1);  // SMI
  EXPECT_TRUE(cpu1.smi_pending());
  cpu1.acknowledge_smi();
  // SDM 8.4.3: an AP leaves RESET in the wait-for-SIPI state, so the first SIPI starts it...
  ipi0(0x600 | 0x98, 1);
  ASSERT_TRUE(cpu1.sipi_pending());
  EXPECT_EQ(cpu1.acknowledge_sipi(), 0x98);
  ipi0(0x600 | 0x99, 1);  // ...and a running AP ignores SIPIs until the next INIT
  EXPECT_FALSE(cpu1.sipi_pending());
  ipi0(0xC500, 1);  // INIT, level assert
  EXPECT_TRUE(cpu1.init_pending());
  EXPECT_EQ(rd(cpu1, R::kRegTpr), 0u);  // INIT reset
  EXPECT_EQ(rd(cpu1, R::kRegSvr), 0xFFu);
  EXPECT_EQ(cpu1.apic_id(), 1u);  // ID kept
  cpu1.acknowledge_init();
  ipi0(0x8500, 1);  // INIT level de-assert: no effect
  EXPECT_FALSE(cpu1.init_pending());
  ipi0(0x600 | 0x9A, 1);  // SIPI, vector 0x9A
  ASSERT_TRUE(cpu1.sipi_pending());
  ipi0(0x600 | 0x9B, 1);  // a second SIPI is not latched over the first
  EXPECT_EQ(cpu1.acknowledge_sipi(), 0x9A);
  EXPECT_FALSE(cpu1.sipi_pending());
  ipi0(0x600 | 0x9C, 1);  // no longer waiting
  EXPECT_FALSE(cpu1.sipi_pending());
}

TEST_F(LapicTest, ExtIntOnLint0VirtualWire) {
  FakePic pic;
  cpu0.set_extint_source(&pic);
  enable(cpu0);
  wr0(R::kRegLvtLint0, 0x700);  // ExtINT, unmasked
  EXPECT_FALSE(cpu0.interrupt_pending());
  wakeups = 0;
  cpu0.lint(0).raise();
  EXPECT_GT(wakeups, 0);
  ASSERT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x08);
  EXPECT_EQ(pic.acks, 1);
  EXPECT_FALSE(cpu0.isr_bit(0x08));  // ExtINT bypasses IRR/ISR
  wr0(R::kRegLvtLint0, 0x10700);     // masked
  EXPECT_FALSE(cpu0.interrupt_pending());
  cpu0.lint(0).lower();
  wr0(R::kRegLvtLint0, 0x700);
  EXPECT_FALSE(cpu0.interrupt_pending());
}

TEST_F(LapicTest, GloballyDisabledApicPassesIntrAndNmiThrough) {
  FakePic pic;
  cpu0.set_extint_source(&pic);
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFEE00000));  // EN = 0
  EXPECT_FALSE(cpu0.hw_enabled());
  EXPECT_EQ(rd0(R::kRegVersion), 0u);  // the page no longer responds
  cpu0.lint(0).raise();
  EXPECT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x08);
  cpu0.lint(1).raise();
  EXPECT_TRUE(cpu0.nmi_pending());
  // Messages are not accepted while disabled.
  ApicMessage msg;
  msg.mode = ApicDeliveryMode::kNmi;
  cpu0.acknowledge_nmi();
  bus.deliver(msg);
  EXPECT_FALSE(cpu0.nmi_pending());
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFEE00800));
  EXPECT_EQ(rd0(R::kRegVersion), 0x50014u);
}

TEST_F(LapicTest, Lint1NmiAndLint0FixedLevelWithRemoteIrr) {
  enable(cpu0);
  wr0(R::kRegLvtLint1, 0x400);  // NMI
  cpu0.lint(1).pulse();
  EXPECT_TRUE(cpu0.nmi_pending());
  wr0(R::kRegLvtLint0, 0x8000 | 0x66);  // fixed, level triggered
  cpu0.lint(0).raise();
  EXPECT_TRUE(cpu0.irr_bit(0x66));
  EXPECT_TRUE(cpu0.tmr_bit(0x66));
  EXPECT_TRUE(rd0(R::kRegLvtLint0) & (1u << 14));  // remote IRR
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x66);
  wr0(R::kRegEoi, 0);  // still asserted: delivered again
  EXPECT_TRUE(cpu0.irr_bit(0x66));
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x66);
  cpu0.lint(0).lower();
  wr0(R::kRegEoi, 0);
  EXPECT_FALSE(cpu0.irr_bit(0x66));
  EXPECT_FALSE(rd0(R::kRegLvtLint0) & (1u << 14));
  // Edge-triggered fixed LINT: one interrupt per rising edge.
  wr0(R::kRegLvtLint0, 0x67);
  cpu0.lint(0).raise();
  EXPECT_TRUE(cpu0.irr_bit(0x67));
  EXPECT_FALSE(cpu0.tmr_bit(0x67));
}

TEST_F(LapicTest, ThermalAndPerfLvtDeliveryModes) {
  enable(cpu0);
  cpu0.signal_local(LocalApic::kLvtPerf);  // masked at reset
  EXPECT_FALSE(cpu0.nmi_pending());
  wr0(R::kRegLvtPerf, 0x400);  // NMI (the perf NMI watchdog)
  EXPECT_EQ(rd0(R::kRegLvtPerf), 0x400u);
  cpu0.signal_local(LocalApic::kLvtPerf);
  EXPECT_TRUE(cpu0.nmi_pending());
  wr0(R::kRegLvtThermal, 0xFA);  // fixed
  cpu0.signal_local(LocalApic::kLvtThermal);
  EXPECT_TRUE(cpu0.irr_bit(0xFA));
  wr0(R::kRegLvtThermal, 0x200);  // SMI
  cpu0.signal_local(LocalApic::kLvtThermal);
  EXPECT_TRUE(cpu0.smi_pending());
  // Reserved bits of LVT entries are not writable.
  wr0(R::kRegLvtError, 0xFFFFFFFF);
  EXPECT_EQ(rd0(R::kRegLvtError), 0x100FFu);
  wr0(R::kRegLvtTimer, 0xFFFFFFFF);
  EXPECT_EQ(rd0(R::kRegLvtTimer), 0x700FFu);
  wr0(R::kRegLvtLint0, 0xFFFFFFFF);
  EXPECT_EQ(rd0(R::kRegLvtLint0), 0x1A7FFu);
}

TEST_F(LapicTest, LevelTriggeredEoiIsBroadcast) {
  std::vector<int> eois;
  bus.add_eoi_listener([&](uint8_t v) { eois.push_back(v); });
  enable(cpu0);
  ApicMessage msg;
  msg.vector = 0x31;
  msg.level_triggered = true;
  bus.deliver(msg);  // physical destination 0
  EXPECT_TRUE(cpu0.tmr_bit(0x31));
  EXPECT_EQ(rd0(R::kRegTmr + 0x10), 1u << 17);
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x31);
  wr0(R::kRegEoi, 0);
  EXPECT_EQ(eois, std::vector<int>{0x31});
  wr0(R::kRegIcrLow, 0x40000 | 0x32);  // edge: no broadcast
  cpu0.acknowledge_interrupt();
  wr0(R::kRegEoi, 0);
  EXPECT_EQ(eois.size(), 1u);
}

TEST_F(LapicTest, TimerDivideConfiguration) {
  enable(cpu0);
  const std::pair<uint32_t, int64_t> cases[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
                                                {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};
  for (auto [dcr, div] : cases) {
    wr0(R::kRegTimerDivide, dcr);
    EXPECT_EQ(rd0(R::kRegTimerDivide), dcr);
    wr0(R::kRegTimerInitial, 1000);
    advance(div * 10);
    EXPECT_EQ(rd0(R::kRegTimerCurrent), 990u) << "dcr " << dcr;
  }
}

TEST_F(LapicTest, TimerOneShot) {
  enable(cpu0);
  wr0(R::kRegLvtTimer, 0x40);
  wr0(R::kRegTimerDivide, 0x0);  // divide by 2
  wr0(R::kRegTimerInitial, 1000);
  EXPECT_EQ(rd0(R::kRegTimerInitial), 1000u);
  EXPECT_EQ(rd0(R::kRegTimerCurrent), 1000u);
  advance(500);
  EXPECT_EQ(rd0(R::kRegTimerCurrent), 750u);
  advance(1499);
  EXPECT_FALSE(cpu0.irr_bit(0x40));
  advance(1);
  EXPECT_TRUE(cpu0.irr_bit(0x40));
  EXPECT_EQ(rd0(R::kRegTimerCurrent), 0u);
  cpu0.acknowledge_interrupt();
  wr0(R::kRegEoi, 0);
  advance(10000);
  EXPECT_FALSE(cpu0.irr_bit(0x40));  // one shot only
  // Writing 0 stops a running timer.
  wr0(R::kRegTimerInitial, 100);
  wr0(R::kRegTimerInitial, 0);
  advance(10000);
  EXPECT_FALSE(cpu0.irr_bit(0x40));
}

TEST_F(LapicTest, TimerPeriodicAndMasked) {
  enable(cpu0);
  int count = 0;
  wr0(R::kRegLvtTimer, 0x20000 | 0x40);  // periodic
  wr0(R::kRegTimerDivide, 0xB);          // divide by 1
  wr0(R::kRegTimerInitial, 100);
  for (int i = 0; i < 5; ++i) {
    advance(100);
    if (cpu0.irr_bit(0x40)) {
      count += 1;
      cpu0.acknowledge_interrupt();
      wr0(R::kRegEoi, 0);
    }
  }
  EXPECT_EQ(count, 5);
  advance(30);
  EXPECT_EQ(rd0(R::kRegTimerCurrent), 70u);
  // Masked: counts but does not interrupt.
  wr0(R::kRegLvtTimer, 0x30000 | 0x40);
  advance(1000);
  EXPECT_FALSE(cpu0.irr_bit(0x40));
  EXPECT_EQ(rd0(R::kRegTimerCurrent), 70u);
  EXPECT_EQ(rd0(R::kRegLvtTimer), 0x30040u);
}

TEST_F(LapicTest, TscDeadlineTimer) {
  LocalApic fast{clocks, bus, 7, false, 2'000'000'000};  // 2 GHz TSC
  enable(fast);
  wr(fast, R::kRegLvtTimer, 0x40000 | 0x50);  // TSC-deadline mode
  EXPECT_EQ(rd(fast, R::kRegLvtTimer), 0x40050u);
  wr(fast, R::kRegTimerInitial, 100);  // ignored in this mode
  EXPECT_EQ(rd(fast, R::kRegTimerInitial), 0u);
  fast.write_tsc_deadline(4000);  // 2000 ns
  EXPECT_EQ(fast.tsc_deadline(), 4000u);
  advance(1999);
  EXPECT_FALSE(fast.irr_bit(0x50));
  advance(1);
  EXPECT_TRUE(fast.irr_bit(0x50));
  EXPECT_EQ(fast.tsc_deadline(), 0u);
  EXPECT_EQ(rd(fast, R::kRegTimerCurrent), 0u);
  fast.acknowledge_interrupt();
  wr(fast, R::kRegEoi, 0);
  // A deadline already passed fires at once; a TSC offset shifts the deadline.
  fast.write_tsc_deadline(10);
  EXPECT_TRUE(fast.irr_bit(0x50));
  fast.acknowledge_interrupt();
  wr(fast, R::kRegEoi, 0);
  fast.write_tsc_deadline(1'000'000 + 4000 + 200, 1'000'000);  // now is 2000 ns = tsc 4000 + offset
  advance(99);
  EXPECT_FALSE(fast.irr_bit(0x50));
  advance(1);
  EXPECT_TRUE(fast.irr_bit(0x50));
  fast.acknowledge_interrupt();
  wr(fast, R::kRegEoi, 0);
  // Leaving TSC-deadline mode disarms the timer; writes in other modes are ignored.
  fast.write_tsc_deadline(1'000'000 + 10'000, 1'000'000);
  wr(fast, R::kRegLvtTimer, 0x50);
  EXPECT_EQ(fast.tsc_deadline(), 0u);
  advance(100'000);
  EXPECT_FALSE(fast.irr_bit(0x50));
  fast.write_tsc_deadline(1'000'000'000);
  EXPECT_EQ(fast.tsc_deadline(), 0u);
}

TEST_F(LapicTest, ApicBaseMsrTransitions) {
  EXPECT_FALSE(cpu0.write_apic_base_msr(0xFEE00900 | 0x1));    // reserved bit
  EXPECT_FALSE(cpu0.write_apic_base_msr(0xFEE00000 | 0x400));  // EXTD without EN
  // xAPIC -> x2APIC -> disabled -> xAPIC; x2APIC -> xAPIC and disabled -> x2APIC fault.
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFEE00C00));
  EXPECT_TRUE(cpu0.x2apic_mode());
  EXPECT_EQ(cpu0.apic_base_msr(), 0xFEE00D00u);  // BSP bit kept
  EXPECT_FALSE(cpu0.write_apic_base_msr(0xFEE00800));
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFEE00000));
  EXPECT_FALSE(cpu0.write_apic_base_msr(0xFEE00C00));
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFEE00800));
  EXPECT_FALSE(cpu0.x2apic_mode());
  // Relocating the page moves the mapped region.
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFED00800));
  EXPECT_EQ(mem.read(0xFED00030, 4), 0x50014u);
  cpu0.reset();
  EXPECT_EQ(rd0(R::kRegVersion), 0x50014u);
}

TEST_F(LapicTest, X2apicMsrInterface) {
  uint64_t value = 0;
  EXPECT_FALSE(cpu1.read_msr(0x802, &value));  // xAPIC mode: no MSRs
  ASSERT_TRUE(cpu0.write_apic_base_msr(0xFEE00C00));
  ASSERT_TRUE(cpu1.write_apic_base_msr(0xFEE00C00));
  EXPECT_EQ(rd0(R::kRegVersion), 0u);  // MMIO off in x2APIC mode
  ASSERT_TRUE(cpu1.read_msr(0x802, &value));
  EXPECT_EQ(value, 1u);  // 32-bit ID
  ASSERT_TRUE(cpu1.read_msr(0x803, &value));
  EXPECT_EQ(value, 0x50014u);
  ASSERT_TRUE(cpu1.read_msr(0x80D, &value));
  EXPECT_EQ(value, 0x2u);                                  // cluster 0, bit 1
  EXPECT_FALSE(cpu1.write_msr(0x802, 5));                  // ID read-only
  EXPECT_FALSE(cpu1.write_msr(0x80D, 5));                  // LDR read-only
  EXPECT_FALSE(cpu1.read_msr(0x80B, &value));              // EOI write-only
  EXPECT_FALSE(cpu1.read_msr(0x80E, &value));              // no DFR
  EXPECT_FALSE(cpu1.read_msr(0x831, &value));              // no ICR high
  EXPECT_FALSE(cpu1.read_msr(0x809, &value));              // no APR
  EXPECT_FALSE(cpu1.write_msr(0x808, uint64_t{1} << 32));  // reserved bits
  ASSERT_TRUE(cpu0.write_msr(0x80F, 0x1FF));
  ASSERT_TRUE(cpu1.write_msr(0x80F, 0x1FF));
  ASSERT_TRUE(cpu1.write_msr(0x808, 0x20));
  ASSERT_TRUE(cpu1.read_msr(0x808, &value));
  EXPECT_EQ(value, 0x20u);
  // 64-bit ICR: destination in the high half.
  ASSERT_TRUE(cpu0.write_msr(0x830, uint64_t{1} << 32 | 0x77));
  EXPECT_TRUE(cpu1.irr_bit(0x77));
  ASSERT_TRUE(cpu0.read_msr(0x830, &value));
  EXPECT_EQ(value, uint64_t{1} << 32 | 0x77);
  // Logical x2APIC destination: cluster 0, bit 1.
  ASSERT_TRUE(cpu0.write_msr(0x830, uint64_t{2} << 32 | 0x800 | 0x78));
  EXPECT_TRUE(cpu1.irr_bit(0x78));
  // SELF IPI and EOI.
  ASSERT_TRUE(cpu1.write_msr(0x83F, 0x79));
  EXPECT_TRUE(cpu1.irr_bit(0x79));
  EXPECT_EQ(cpu1.acknowledge_interrupt(), 0x79);
  EXPECT_FALSE(cpu1.write_msr(0x80B, 1));
  ASSERT_TRUE(cpu1.write_msr(0x80B, 0));
  EXPECT_FALSE(cpu1.isr_bit(0x79));
  ASSERT_TRUE(cpu1.read_msr(0x820 + (0x77 >> 5), &value));
  EXPECT_EQ(value, 1u << (0x77 & 31) | 1u << (0x78 & 31));
  EXPECT_FALSE(cpu1.write_msr(0x828, 1));  // ESR: only 0
  EXPECT_TRUE(cpu1.write_msr(0x828, 0));
  EXPECT_FALSE(cpu1.write_msr(0x82F, 0));  // no CMCI
  // Timer through MSRs.
  ASSERT_TRUE(cpu1.write_msr(0x83E, 0xB));
  ASSERT_TRUE(cpu1.write_msr(0x832, 0x90));
  ASSERT_TRUE(cpu1.write_msr(0x838, 50));
  advance(20);
  ASSERT_TRUE(cpu1.read_msr(0x839, &value));
  EXPECT_EQ(value, 30u);
  EXPECT_FALSE(cpu1.write_msr(0x839, 1));
  advance(30);
  EXPECT_TRUE(cpu1.irr_bit(0x90));
}

TEST_F(LapicTest, SharedMmioDispatchesToCurrentCpu) {
  LocalApic* current = &cpu1;
  bus.set_current_apic_resolver([&] { return current; });
  EXPECT_EQ(bus.mmio_region()->ops()->read(R::kRegId, 4), 1u << 24);
  current = &cpu0;
  EXPECT_EQ(bus.mmio_region()->ops()->read(R::kRegId, 4), 0u);
}

TEST_F(LapicTest, MsiDelivery) {
  enable(cpu1);
  bus.deliver_msi(0xFEE01000, 0x4055);  // dest 1, fixed, vector 0x55
  EXPECT_TRUE(cpu1.irr_bit(0x55));
  bus.deliver_msi(0xFEE01000, 0x0400);  // NMI
  EXPECT_TRUE(cpu1.nmi_pending());
}

TEST_F(LapicTest, SaveLoadRoundTrip) {
  enable(cpu0);
  wr0(R::kRegTpr, 0x20);
  wr0(R::kRegLdr, 0x04000000);
  wr0(R::kRegIcrLow, 0x40000 | 0x61);
  wr0(R::kRegIcrLow, 0x40000 | 0x71);
  cpu0.acknowledge_interrupt();
  wr0(R::kRegLvtTimer, 0x20000 | 0x40);
  wr0(R::kRegTimerDivide, 0xB);
  wr0(R::kRegTimerInitial, 100);
  advance(30);

  ApicBus other_bus;
  LocalApic copy{clocks, other_bus, 0, true};
  test::copy_state(cpu0, copy);
  EXPECT_EQ(rd(copy, R::kRegTpr), 0x20u);
  EXPECT_EQ(rd(copy, R::kRegLdr), 0x04000000u);
  EXPECT_EQ(rd(copy, R::kRegSvr), 0x1FFu);
  EXPECT_TRUE(copy.isr_bit(0x71));
  EXPECT_TRUE(copy.irr_bit(0x61));
  EXPECT_EQ(rd(copy, R::kRegTimerCurrent), 70u);
  cpu0.acknowledge_interrupt();
  copy.acknowledge_interrupt();
  advance(70);  // both timers fire
  EXPECT_TRUE(cpu0.irr_bit(0x40));
  EXPECT_TRUE(copy.irr_bit(0x40));
}

}  // namespace
}  // namespace vx86
