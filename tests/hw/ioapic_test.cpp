#include "hw/intc/ioapic.h"

#include <gtest/gtest.h>

#include "hw/timer/hpet.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

using R = LocalApic::Reg;

class IoApicTest : public ::testing::Test {
 protected:
  IoApicTest() {
    clocks.set_manual_virtual(true);
    ioapic.map(*mem_root);
    cpu0.write(R::kRegSvr, 0x1FF, 4);
    cpu1.write(R::kRegSvr, 0x1FF, 4);
  }
  static constexpr uint64_t kBase = IoApic::kDefaultBase;
  uint32_t reg(uint32_t index) {
    mem.write(kBase, index, 4);
    return static_cast<uint32_t>(mem.read(kBase + 0x10, 4));
  }
  void set_reg(uint32_t index, uint32_t value) {
    mem.write(kBase, index, 4);
    mem.write(kBase + 0x10, value, 4);
  }
  void set_entry(int pin, uint64_t entry) {
    set_reg(0x10 + 2 * pin + 1, static_cast<uint32_t>(entry >> 32));
    set_reg(0x10 + 2 * pin, static_cast<uint32_t>(entry));
  }
  uint64_t entry(int pin) { return reg(0x10 + 2 * pin) | uint64_t{reg(0x10 + 2 * pin + 1)} << 32; }
  void eoi(LocalApic& apic) { apic.write(R::kRegEoi, 0, 4); }

  Clocks clocks;
  ApicBus bus;
  std::unique_ptr<MemoryRegion> mem_root = MemoryRegion::container("mem", uint64_t{1} << 32);
  AddressSpace mem{"mem", mem_root.get()};
  LocalApic cpu0{clocks, bus, 0, true};
  LocalApic cpu1{clocks, bus, 1, false};
  IoApic ioapic{bus, 2};
};

TEST_F(IoApicTest, IdVersionArbitrationAndReset) {
  EXPECT_EQ(reg(0), 2u << 24);
  EXPECT_EQ(reg(1), 0x00170011u);
  EXPECT_EQ(reg(2), 2u << 24);
  set_reg(0, 0x0F000000);
  EXPECT_EQ(reg(0), 0x0Fu << 24);
  EXPECT_EQ(mem.read(kBase, 4), 0u);  // IOREGSEL reads back
  set_reg(1, 0);                      // version is read-only
  EXPECT_EQ(reg(1), 0x00170011u);
  for (int pin = 0; pin < IoApic::kPins; ++pin) EXPECT_EQ(entry(pin), 0x10000u) << pin;
  ioapic.reset();
  EXPECT_EQ(reg(0), 2u << 24);
}

TEST_F(IoApicTest, RedirectionEntryReadOnlyBits) {
  set_entry(5, 0xAB00000000000000ull | 0x1FFFF);  // all low bits set
  // Delivery status (12) and remote IRR (14) are read-only.
  EXPECT_EQ(entry(5), 0xAB00000000000000ull | 0x1AFFF);
  EXPECT_EQ(ioapic.redirection_entry(5), entry(5));
}

TEST_F(IoApicTest, EdgeTriggeredDelivery) {
  set_entry(4, 0x30);  // fixed, physical dest 0, edge, unmasked
  ioapic.input(4).pulse();
  EXPECT_TRUE(cpu0.irr_bit(0x30));
  EXPECT_FALSE(cpu0.tmr_bit(0x30));
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x30);
  eoi(cpu0);
  ioapic.input(4).raise();
  ioapic.input(4).raise();  // no new edge
  EXPECT_TRUE(cpu0.irr_bit(0x30));
  cpu0.acknowledge_interrupt();
  eoi(cpu0);
  EXPECT_FALSE(cpu0.irr_bit(0x30));
  ioapic.input(4).lower();
  set_entry(4, 0x10030);  // masked
  ioapic.input(4).pulse();
  EXPECT_FALSE(cpu0.irr_bit(0x30));
  EXPECT_EQ(entry(4) & IoApic::kRemoteIrr, 0u);
}

TEST_F(IoApicTest, LevelTriggeredRemoteIrrAndEoiRedelivery) {
  set_entry(10, 0x8000 | 0x41);  // level, fixed
  ioapic.input(10).raise();
  EXPECT_TRUE(cpu0.irr_bit(0x41));
  EXPECT_TRUE(cpu0.tmr_bit(0x41));
  EXPECT_TRUE(entry(10) & IoApic::kRemoteIrr);
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x41);
  ioapic.input(10).raise();  // remote IRR blocks a second message
  EXPECT_FALSE(cpu0.irr_bit(0x41));
  eoi(cpu0);  // broadcast EOI; line still asserted: delivered again
  EXPECT_TRUE(cpu0.irr_bit(0x41));
  EXPECT_TRUE(entry(10) & IoApic::kRemoteIrr);
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x41);
  ioapic.input(10).lower();
  eoi(cpu0);
  EXPECT_FALSE(cpu0.irr_bit(0x41));
  EXPECT_FALSE(entry(10) & IoApic::kRemoteIrr);
}

TEST_F(IoApicTest, UnmaskingAnAssertedLevelLineDelivers) {
  set_entry(11, 0x18000 | 0x42);  // level, masked
  ioapic.input(11).raise();
  EXPECT_FALSE(cpu0.irr_bit(0x42));
  set_entry(11, 0x8000 | 0x42);
  EXPECT_TRUE(cpu0.irr_bit(0x42));
}

TEST_F(IoApicTest, DestinationsAndDeliveryModes) {
  set_entry(1, uint64_t{1} << 56 | 0x51);  // physical -> APIC 1
  ioapic.input(1).pulse();
  EXPECT_TRUE(cpu1.irr_bit(0x51));
  EXPECT_FALSE(cpu0.irr_bit(0x51));
  cpu0.write(R::kRegLdr, 0x01000000, 4);
  cpu1.write(R::kRegLdr, 0x02000000, 4);
  set_entry(2, uint64_t{3} << 56 | 0x800 | 0x52);  // logical flat -> both
  ioapic.input(2).pulse();
  EXPECT_TRUE(cpu0.irr_bit(0x52));
  EXPECT_TRUE(cpu1.irr_bit(0x52));
  cpu0.write(R::kRegTpr, 0x80, 4);
  set_entry(3, uint64_t{3} << 56 | 0x900 | 0x53);  // logical, lowest priority
  ioapic.input(3).pulse();
  EXPECT_TRUE(cpu1.irr_bit(0x53));
  EXPECT_FALSE(cpu0.irr_bit(0x53));
  set_entry(23, uint64_t{1} << 56 | 0x400);  // NMI on the last pin
  ioapic.input(23).pulse();
  EXPECT_TRUE(cpu1.nmi_pending());
  set_entry(0, 0x700);  // ExtINT (virtual wire through the IOAPIC)
  ioapic.input(0).pulse();
  EXPECT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0xFF);  // no PIC attached: spurious
  set_entry(6, uint64_t{1} << 56 | 0x500);        // INIT
  ioapic.input(6).pulse();
  EXPECT_TRUE(cpu1.init_pending());
}

// Wiring as on the PC: an HPET timer in level mode on pin 20, through the
// IOAPIC and the local APIC, acknowledged and ended by the "CPU".
TEST_F(IoApicTest, HpetLevelInterruptThroughIoApicToLocalApic) {
  Hpet hpet{clocks};
  hpet.map(*mem_root);
  hpet.connect_gsi(20, &ioapic.input(20));
  set_entry(20, 0xA000 | 0x44);  // level, active low (polarity not applied), fixed
  const uint64_t hpet_base = Hpet::kDefaultBase;
  mem.write(hpet_base + Hpet::kRegTimerConfig(1),
            Hpet::kTimerLevel | Hpet::kTimerIntEnable | 20u << Hpet::kTimerRouteShift, 8);
  mem.write(hpet_base + Hpet::kRegTimerComparator(1), 5, 8);
  mem.write(hpet_base + Hpet::kRegConfig, Hpet::kConfigEnable, 8);
  clocks.advance_virtual(500);
  ASSERT_TRUE(cpu0.interrupt_pending());
  EXPECT_EQ(cpu0.acknowledge_interrupt(), 0x44);
  // The handler clears the HPET status, then EOIs: no second interrupt.
  mem.write(hpet_base + Hpet::kRegInterruptStatus, 2, 8);
  eoi(cpu0);
  EXPECT_FALSE(entry(20) & IoApic::kRemoteIrr);
  EXPECT_FALSE(cpu0.interrupt_pending());
}

TEST_F(IoApicTest, SaveLoadRoundTrip) {
  set_reg(0, 0x05000000);
  set_entry(9, 0xFF00000000000000ull | 0x8000 | 0x61);
  ioapic.input(9).raise();
  EXPECT_TRUE(entry(9) & IoApic::kRemoteIrr);
  mem.write(kBase, 0x12, 4);

  ApicBus other_bus;
  IoApic copy{other_bus};
  test::copy_state(ioapic, copy);
  EXPECT_EQ(copy.id(), 5u);
  EXPECT_EQ(copy.redirection_entry(9), ioapic.redirection_entry(9));
  EXPECT_EQ(copy.read(0, 4), 0x12u);
  LocalApic apic{clocks, other_bus, 0, true};
  apic.write(R::kRegSvr, 0x1FF, 4);
  copy.end_of_interrupt(0x61);  // pin 9 is still asserted in the copy
  EXPECT_TRUE(apic.irr_bit(0x61));
}

}  // namespace
}  // namespace vx86
