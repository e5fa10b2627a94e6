// kernel-irqchip=split (KVM's in-kernel local APIC with vx86's 8259 and
// IOAPIC) and kernel-irqchip=on (KVM's 8259s and IOAPIC too), on the bare bus
// of kvm_test_bus.h (64-bit code, a few instructions). A guest ends by
// writing 'S' to the port device, which kicks the vCPU: with KVM's LAPIC a
// halted vCPU sleeps inside KVM_RUN. Each test skips, with the reason, where
// KVM or the capability is missing.
#include <gtest/gtest.h>

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "accel/kvm_accel.h"
#include "accel/kvm_irqchip.h"
#include "accel/kvm_vcpu.h"
#include "core/device_lock.h"
#include "core/options.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/intc/lapic_dump.h"
#include "hw/intc/msi_window.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"
#include "tests/accel/kvm_test_bus.h"

namespace vx86 {
namespace {

using namespace test;
using namespace std::chrono_literals;

constexpr uint64_t kStopValue = 'S';

#define SKIP_WITHOUT_SPLIT(accel) SKIP_WITHOUT_KVM(accel, "split")
#define SKIP_WITHOUT_KERNEL_IRQCHIP(accel) SKIP_WITHOUT_KVM(accel, "on")

// The bare bus with one vCPU whose program ends by writing 'S' to port
// 0x3f8 (which kicks it out of run()).
struct KernelApicRig {
  KernelApicRig() {
    bus.port_device.on_write = [this](uint64_t offset, uint64_t value) {
      if (offset == 0 && value == kStopValue) vcpu->kick();
      if (on_port) on_port(offset, value);
    };
  }
  void start(const Bytes& code, const std::vector<std::pair<int, Bytes>>& handlers,
             KvmAccelerator& accel) {
    bus.load(kCode, code);
    for (const auto& [vector, bytes] : handlers) bus.load(kHandlers + 16 * vector, bytes);
    vcpu.reset(static_cast<KvmVcpu*>(accel.create_vcpu(0, cpu_bus()).release()));
    CpuState& c = vcpu->state();
    enter_long_mode(c);
    c.regs[kRBX] = kApicBase;
    c.regs[kRSI] = kIoapicBase;
    vcpu->sync_to_accel();
  }
  CpuBus cpu_bus() {
    CpuBus b = bus.bus();
    b.interrupts = interrupts;
    return b;
  }
  // Runs on another thread (so the test can raise lines meanwhile); a
  // watchdog kick ends a guest that never stops.
  void run_async() {
    runner = std::thread([this] {
      exit = vcpu->run();
      finished = true;
    });
    watchdog = std::thread([this] {
      for (int i = 0; i < 500 && !finished; ++i) std::this_thread::sleep_for(10ms);
      if (!finished) vcpu->kick();
    });
  }
  void join() {
    runner.join();
    watchdog.join();
  }
  bool stopped_by_guest() const {
    for (const Access& a : bus.port_device.accesses) {
      if (a.write && a.offset == 0 && a.value == kStopValue) return true;
    }
    return false;
  }

  BareBus bus;
  CpuInterruptSource* interrupts = nullptr;
  std::unique_ptr<KvmVcpu> vcpu;
  std::function<void(uint64_t offset, uint64_t value)> on_port;
  std::thread runner, watchdog;
  std::atomic<bool> finished{false};
  VcpuExit exit = VcpuExit::kHalted;
};

uint32_t apic_register(const kvm_lapic_state& s, uint32_t offset) {
  uint32_t value = 0;
  std::memcpy(&value, s.regs + offset, sizeof(value));
  return value;
}

bool apic_vector_bit(const kvm_lapic_state& s, uint32_t base, int vector) {
  return (apic_register(s, base + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

// The handler: R12 = the interrupted RIP, EOI, IRETQ (16 bytes).
const Bytes kEoiHandler = {0x4c, 0x8b, 0x24, 0x24,                          // mov r12, [rsp]
                           0xc7, 0x83, 0xb0, 0x00, 0x00, 0x00, 0, 0, 0, 0,  // EOI
                           0x48, 0xcf};                                     // iretq
// mov al, 'S'; mov dx, 0x3f8; out dx, al; hlt
const Bytes kStop = {0xb0, 0x53, 0x66, 0xba, 0xf8, 0x03, 0xee, 0xf4};

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Sleeps in HLT (interrupts on) until the handler has counted two
// interrupts in R13, then falls through.
const Bytes kHaltUntilTwoInterrupts = {
    0xfa,                    // 1: cli
    0x49, 0x83, 0xfd, 0x02,  //    cmp r13, 2
    0x73, 0x04,              //    jae 2f
    0xfb,                    //    sti
    0xf4,                    //    hlt
    0xeb, 0xf5,              //    jmp 1b
};                           // 2:

// Enables the LAPIC (RBX: its page) and programs IOAPIC pin 5 (RSI: the
// IOAPIC) level-triggered, vector 0x50, to APIC 0.
const Bytes kIoapicPin5Level = {
    0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00,  // SVR = 0x1ff
    0xc7, 0x06, 0x1b, 0x00, 0x00, 0x00,                          // IOREGSEL = entry 5 high
    0xc7, 0x46, 0x10, 0x00, 0x00, 0x00, 0x00,                    // destination APIC 0
    0xc7, 0x06, 0x1a, 0x00, 0x00, 0x00,                          // IOREGSEL = entry 5 low
    0xc7, 0x46, 0x10, 0x50, 0x80, 0x00, 0x00,                    // vector 0x50, level, unmasked
};

TEST(KvmIrqchip, OptionValues) {
  std::string why;
  EXPECT_EQ(open_kvm(&why, "maybe"), nullptr);
  EXPECT_NE(why.find("parameter 'kernel-irqchip' expects on, split or off, not 'maybe'"),
            std::string::npos)
      << why;

  std::unique_ptr<KvmAccelerator> off = open_kvm(&why, "off");
  if (!off) GTEST_SKIP() << "KVM cannot run here: " << why;
  EXPECT_EQ(off->irqchip(), KernelIrqchip::kOff);
  EXPECT_EQ(off->split_irqchip(), nullptr);
  std::unique_ptr<KvmAccelerator> by_default = open_kvm(&why);
  ASSERT_NE(by_default, nullptr) << why;
  if (!by_default->check_extension(KVM_CAP_SPLIT_IRQCHIP)) {
    EXPECT_EQ(by_default->irqchip(), KernelIrqchip::kOff);  // the fallback
    GTEST_SKIP() << "this KVM has no KVM_CAP_SPLIT_IRQCHIP";
  }
  EXPECT_EQ(by_default->irqchip(), KernelIrqchip::kSplit);  // the default where KVM has it
  EXPECT_NE(by_default->split_irqchip(), nullptr);
  std::unique_ptr<KvmAccelerator> split = open_kvm(&why, "split");
  ASSERT_NE(split, nullptr) << why;
  EXPECT_EQ(split->irqchip(), KernelIrqchip::kSplit);
  std::unique_ptr<KvmAccelerator> on = open_kvm(&why, "on");
  if (!on) {
    EXPECT_NE(why.find("kernel-irqchip=on needs KVM_CAP_IRQCHIP"), std::string::npos) << why;
    return;
  }
  EXPECT_EQ(on->irqchip(), KernelIrqchip::kOn);
  EXPECT_NE(on->in_kernel_irqchip(), nullptr);
  EXPECT_EQ(on->split_irqchip(), nullptr);
}

// After reset: the in-kernel LAPIC's ID is the vCPU index, the BSP's LINT0
// is in virtual-wire (ExtINT) mode, and an AP waits in KVM for INIT/SIPI.
TEST(KvmIrqchip, ResetStateOfTheKernelLapic) {
  SKIP_WITHOUT_SPLIT(accel);
  BareBus bus;
  CpuBus cpu_bus = bus.bus();
  cpu_bus.topology.cores = 2;
  auto bsp =
      std::unique_ptr<KvmVcpu>(static_cast<KvmVcpu*>(accel->create_vcpu(0, cpu_bus).release()));
  auto ap =
      std::unique_ptr<KvmVcpu>(static_cast<KvmVcpu*>(accel->create_vcpu(1, cpu_bus).release()));
  kvm_lapic_state s = bsp->get_lapic();
  EXPECT_EQ(apic_register(s, LocalApic::kRegId) >> 24, 0u);
  EXPECT_EQ(apic_register(s, LocalApic::kRegLvtLint0), 0x700u);
  EXPECT_EQ(apic_register(s, LocalApic::kRegSvr), 0xffu);
  EXPECT_EQ(bsp->mp_state(), uint32_t{KVM_MP_STATE_RUNNABLE});
  s = ap->get_lapic();
  EXPECT_EQ(apic_register(s, LocalApic::kRegId) >> 24, 1u);
  EXPECT_EQ(apic_register(s, LocalApic::kRegLvtLint0), LocalApic::kLvtMasked);
  EXPECT_EQ(ap->mp_state(), uint32_t{KVM_MP_STATE_UNINITIALIZED});
  ap->sync_from_accel();
  EXPECT_EQ(ap->state().halted, 1);
  EXPECT_EQ(bsp->state().apic_base, 0xfee00900u);  // enabled, BSP
}

// A self-IPI through the ICR in the APIC page: KVM's LAPIC takes the MMIO
// (vx86 never sees it) and delivers the vector that wakes HLT.
TEST(KvmIrqchip, SelfIpiThroughTheApicPage) {
  SKIP_WITHOUT_SPLIT(accel);
  const Bytes code = concat(
      {
          0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00,  // SVR = 0x1ff (enabled)
          0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x44, 0x00, 0x04, 0x00,  // ICR = self, vector 0x44
          0xfb,                                                        // sti
          0xf4,                                                        // hlt
      },
      kStop);
  KernelApicRig rig;
  rig.start(code, {{0x44, kEoiHandler}}, *accel);
  rig.run_async();
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the interrupt never came";
  EXPECT_EQ(rig.exit, VcpuExit::kKicked);
  EXPECT_EQ(rig.vcpu->state().regs[kR12], kCode + 22);  // after the HLT
  kvm_lapic_state s = rig.vcpu->get_lapic();
  EXPECT_FALSE(apic_vector_bit(s, LocalApic::kRegIsr, 0x44));  // EOI'd
  EXPECT_FALSE(apic_vector_bit(s, LocalApic::kRegIrr, 0x44));
  EXPECT_TRUE(rig.bus.mmio_device.accesses.empty());
}

// The monitor's view of KVM's in-kernel LAPIC (`info lapic`): its registers
// as of the vCPU's last exit, decoded like vx86's own LAPIC. With IF clear a
// self-IPI stays in IRR.
TEST(KvmIrqchip, MonitorSeesTheKernelLapicAtTheLastExit) {
  SKIP_WITHOUT_SPLIT(accel);
  const Bytes code = concat(
      {
          0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00,  // SVR = 0x1ff (enabled)
          0xc7, 0x83, 0x20, 0x03, 0x00, 0x00, 0xec, 0x00, 0x03, 0x00,  // LVTT: periodic, masked
          0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x44, 0x00, 0x04, 0x00,  // ICR = self, vector 0x44
      },
      kStop);
  KernelApicRig rig;
  rig.start(code, {}, *accel);
  rig.run_async();
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest());
  std::array<uint32_t, 64> regs{};
  ASSERT_TRUE(rig.vcpu->kernel_local_apic(&regs));
  EXPECT_EQ(regs[LocalApic::kRegSvr >> 4], 0x1ffu);
  const std::string out =
      describe_local_apic_registers(0, [&](uint32_t offset) { return regs[offset >> 4]; });
  EXPECT_NE(out.find("APIC enabled"), std::string::npos) << out;
  EXPECT_NE(out.find("masked periodic"), std::string::npos) << out;
  EXPECT_NE(out.find("IRR      68\n"), std::string::npos) << out;
}

// The LAPIC timer (one-shot, 1 ms) wakes the vCPU sleeping in KVM's HLT.
TEST(KvmIrqchip, LapicTimerWakesHalt) {
  SKIP_WITHOUT_SPLIT(accel);
  const Bytes code = concat(
      {
          0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00,  // SVR = 0x1ff
          0xc7, 0x83, 0xe0, 0x03, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00,  // divide by 1
          0xc7, 0x83, 0x20, 0x03, 0x00, 0x00, 0x45, 0x00, 0x00, 0x00,  // LVT timer: 0x45
          0xc7, 0x83, 0x80, 0x03, 0x00, 0x00, 0x40, 0x42, 0x0f, 0x00,  // initial count 1000000
          0xfb,                                                        // sti
          0xf4,                                                        // hlt
      },
      kStop);
  KernelApicRig rig;
  rig.start(code, {{0x45, kEoiHandler}}, *accel);
  auto begin = std::chrono::steady_clock::now();
  rig.run_async();
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the timer never fired";
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 1ms);
  EXPECT_EQ(rig.vcpu->state().regs[kR12], kCode + 42);  // after the HLT
}

// The 8259's ExtINT: the vCPU sleeps in KVM's HLT; the PIC raises INTR, the
// machine tells the vCPU, which injects the PIC's vector with KVM_INTERRUPT
// once KVM's LAPIC (LINT0 in ExtINT mode) takes it.
TEST(KvmIrqchip, ExtIntFromThe8259WakesHalt) {
  SKIP_WITHOUT_SPLIT(accel);
  I8259 pic;
  KernelApicRig rig;
  pic.map(rig.bus.io_root());
  rig.interrupts = &pic;
  pic.set_intr_listener([&](bool level) {
    if (level && rig.vcpu) rig.vcpu->interrupt_changed();
  });
  {
    DeviceLockGuard lock;
    AddressSpace& io = *rig.bus.bus().io;
    // ICW1-4 for both chips: vectors 0x30 (master) and 0x38 (slave); only IRQ 3 unmasked.
    for (auto [port, value] : std::vector<std::pair<uint64_t, uint64_t>>{{0x20, 0x11},
                                                                         {0x21, 0x30},
                                                                         {0x21, 0x04},
                                                                         {0x21, 0x01},
                                                                         {0xa0, 0x11},
                                                                         {0xa1, 0x38},
                                                                         {0xa1, 0x02},
                                                                         {0xa1, 0x01},
                                                                         {0x21, 0xf7},
                                                                         {0xa1, 0xff}}) {
      io.write(port, value, 1);
    }
  }
  // mov r12, [rsp]; mov al, 0x20; out 0x20, al (EOI to the PIC); iretq
  const Bytes handler = {0x4c, 0x8b, 0x24, 0x24, 0xb0, 0x20, 0xe6, 0x20, 0x48, 0xcf};
  rig.start(concat({0xfb, 0xf4}, kStop), {{0x33, handler}}, *accel);  // sti; hlt
  rig.run_async();
  std::this_thread::sleep_for(100ms);  // asleep in KVM's HLT by now
  {
    DeviceLockGuard lock;
    pic.input(3).set(true);
  }
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the 8259's interrupt never came";
  EXPECT_EQ(rig.vcpu->state().regs[kR12], kCode + 2);  // after the HLT
}

// A level-triggered IOAPIC interrupt: vx86's IOAPIC sends it as an MSI to
// KVM's LAPIC; the guest's EOI comes back as KVM_EXIT_IOAPIC_EOI and clears
// Remote IRR. The line is still asserted after the first EOI, so the IOAPIC
// sends again; the second handler's port write deasserts it.
struct LevelRun {
  bool stopped = false;
  uint64_t handled = 0;  // r13: handler runs
  std::vector<bool> remote_irr_in_handler;
  uint64_t entry = 0;  // the redirection entry at the end
  uint64_t route_updates = 0;
  bool isr = false, irr = false;  // the vector in KVM's LAPIC at the end
};

LevelRun run_level_triggered(KvmAccelerator& accel) {
  LevelRun out;
  constexpr int kPin = 5;
  constexpr uint8_t kVector = 0x50;
  ApicBus apic_bus;  // no vx86 local APICs on it
  IoApic ioapic(apic_bus);
  KernelApicRig rig;
  ioapic.map(rig.bus.memory_root(), kIoapicBase);
  kvm::SplitIrqchip& irqchip = *accel.split_irqchip();
  ioapic.set_msi_output([&](int pin, uint64_t address, uint32_t data) {
    irqchip.send_ioapic_message(pin, kvm::MsiMessage{address, data});
  });
  irqchip.set_eoi_listener([&](uint8_t vector) { ioapic.end_of_interrupt(vector); });
  rig.on_port = [&](uint64_t offset, uint64_t) {
    if (offset != 1) return;
    DeviceLockGuard lock;
    out.remote_irr_in_handler.push_back((ioapic.redirection_entry(kPin) & IoApic::kRemoteIrr) != 0);
    if (out.remote_irr_in_handler.size() == 2) ioapic.input(kPin).set(false);
  };
  {
    DeviceLockGuard lock;
    ioapic.input(kPin).set(true);  // asserted while the entry is still masked
  }
  const Bytes code = concat(concat(kIoapicPin5Level, kHaltUntilTwoInterrupts), kStop);
  // inc r13; mov dx, 0x3f9; out dx, al; EOI (mov [rbx + 0xb0], eax); iretq
  const Bytes handler = {0x49, 0xff, 0xc5, 0x66, 0xba, 0xf9, 0x03, 0xee,
                         0x89, 0x83, 0xb0, 0x00, 0x00, 0x00, 0x48, 0xcf};
  rig.start(code, {{kVector, handler}}, accel);
  rig.run_async();
  rig.join();
  out.stopped = rig.stopped_by_guest();
  out.handled = rig.vcpu->state().regs[kR13];
  DeviceLockGuard lock;
  out.entry = ioapic.redirection_entry(kPin);
  out.route_updates = irqchip.route_updates();
  kvm_lapic_state s = rig.vcpu->get_lapic();
  out.isr = apic_vector_bit(s, LocalApic::kRegIsr, kVector);
  out.irr = apic_vector_bit(s, LocalApic::kRegIrr, kVector);
  return out;
}

TEST(KvmIrqchip, LevelTriggeredIoapicInterruptAsMsiAndEoi) {
  constexpr uint8_t kVector = 0x50;
  LevelRun run;
  for (int attempt = 0; attempt < 3; ++attempt) {
    SKIP_WITHOUT_SPLIT(accel);
    run = run_level_triggered(*accel);
    // Nested PVM hosts sometimes let the LAPIC's EOI overtake the handler's
    // port write that drops the line: the IOAPIC then rightly sends a third
    // time, left pending at the end or already handled (the guest's loop
    // takes it between IRET and CLI). That is the host, not vx86; try again
    // (on a real host the port write exits to vx86 before the EOI runs).
    const bool third_pending = (run.entry & IoApic::kRemoteIrr) && run.irr;
    if (!third_pending && run.handled <= 2) break;
    std::printf("a third delivery after an early EOI (a nested-KVM host quirk): trying again\n");
  }
  ASSERT_TRUE(run.stopped) << "the IOAPIC's interrupts did not both arrive";
  EXPECT_EQ(run.handled, 2u);
  EXPECT_EQ(run.remote_irr_in_handler, (std::vector<bool>{true, true}));
  EXPECT_EQ(run.entry & IoApic::kRemoteIrr, 0u) << "the last EOI did not reach the IOAPIC";
  EXPECT_EQ(run.entry & 0xff, kVector);
  EXPECT_EQ(run.route_updates, 1u);  // one route for the pin, unchanged since
  EXPECT_FALSE(run.isr);
  EXPECT_FALSE(run.irr);
}

TEST(KvmIrqchip, IoapicEntryBecomesMsi) {
  uint64_t address = 0;
  uint32_t data = 0;
  // Vector 0x61, lowest priority, logical destination 0x0c, level-triggered, masked.
  IoApic::msi_for_entry(0x0c00000000018961ull | IoApic::kLevelTrigger, &address, &data);
  EXPECT_EQ(address, 0xfee0c004u);
  EXPECT_EQ(data, 0x8161u);
  IoApic::msi_for_entry(0x0300000000000030ull, &address, &data);  // fixed, physical 3, edge
  EXPECT_EQ(address, 0xfee03000u);
  EXPECT_EQ(data, 0x30u);
}

// INIT and start-up IPIs between KVM's LAPICs: the AP, asleep in KVM since
// reset, starts in real mode at the SIPI vector. The BSP runs real-mode code
// too and reaches its LAPIC through the x2APIC MSRs (-cpu host has x2APIC):
// a nested PVM host does not enter 64-bit code set up by register sync once
// a VM has a second vCPU.
TEST(KvmIrqchip, InitAndStartupIpiStartTheAp) {
  SKIP_WITHOUT_SPLIT(accel);
  bool x2apic = false;
  for (const kvm_cpuid_entry2& e : accel->supported_cpuid()) {
    if (e.function == 1) x2apic = (e.ecx >> 21) & 1;
  }
  if (!x2apic) GTEST_SKIP() << "this KVM offers no x2APIC, which the real-mode BSP needs";
  accel->set_cpu_model("host");
  const Bytes bsp_code = {
      0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00,  // mov ecx, IA32_APIC_BASE
      0x0f, 0x32,                          // rdmsr
      0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00,  // or eax, enable | x2APIC
      0x0f, 0x30,                          // wrmsr
      0x66, 0xb9, 0x0f, 0x08, 0x00, 0x00,  // mov ecx, SVR
      0x66, 0xb8, 0xff, 0x01, 0x00, 0x00,  // mov eax, 0x1ff
      0x66, 0x31, 0xd2,                    // xor edx, edx
      0x0f, 0x30,                          // wrmsr
      0x66, 0xb9, 0x30, 0x08, 0x00, 0x00,  // mov ecx, ICR
      0x66, 0xba, 0x01, 0x00, 0x00, 0x00,  // mov edx, 1 (APIC 1)
      0x66, 0xb8, 0x00, 0x45, 0x00, 0x00,  // mov eax, INIT
      0x0f, 0x30,                          // wrmsr
      0x66, 0xb8, 0x10, 0x46, 0x00, 0x00,  // mov eax, start-up, vector 0x10
      0x0f, 0x30,                          // wrmsr
      0xb0, 0x53, 0xba, 0xf8, 0x03, 0xee,  // mov al, 'S'; mov dx, 0x3f8; out dx, al
      0xf4,                                // hlt
  };
  constexpr uint64_t kBspCode = 0x20000;
  KernelApicRig rig;
  rig.bus.load(kBspCode, bsp_code);
  // At 0x10000, real mode: mov ax, 0x1234; mov dx, 0x3fa; out dx, al; hlt
  rig.bus.load(0x10000, {0xb8, 0x34, 0x12, 0xba, 0xfa, 0x03, 0xee, 0xf4});
  CpuBus cpu_bus = rig.cpu_bus();
  cpu_bus.topology.cores = 2;
  rig.vcpu.reset(static_cast<KvmVcpu*>(accel->create_vcpu(0, cpu_bus).release()));
  auto ap =
      std::unique_ptr<KvmVcpu>(static_cast<KvmVcpu*>(accel->create_vcpu(1, cpu_bus).release()));
  EXPECT_EQ(ap->mp_state(), uint32_t{KVM_MP_STATE_UNINITIALIZED});
  CpuState& c = rig.vcpu->state();  // real mode from reset, at kBspCode
  c.segs[kSegCS].selector = kBspCode >> 4;
  c.segs[kSegCS].base = kBspCode;
  c.rip = 0;
  rig.vcpu->sync_to_accel();
  rig.on_port = [&](uint64_t offset, uint64_t) {
    if (offset == 2) ap->kick();
  };
  std::atomic<bool> ap_done{false};
  VcpuExit ap_exit = VcpuExit::kHalted;
  std::thread ap_thread([&] {
    ap_exit = ap->run();  // asleep in KVM until INIT and SIPI
    ap_done = true;
  });
  rig.run_async();
  rig.join();
  for (int i = 0; i < 300 && !ap_done; ++i) std::this_thread::sleep_for(10ms);
  if (!ap_done) ap->kick();
  ap_thread.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the BSP stopped at " << std::hex << c.rip;
  EXPECT_EQ(ap_exit, VcpuExit::kKicked);
  EXPECT_EQ(ap->state().segs[kSegCS].selector, 0x1000);
  EXPECT_EQ(ap->state().regs[kRAX] & 0xffff, 0x1234u);
  EXPECT_EQ(ap->state().rip, 7u);  // at the HLT
  EXPECT_EQ(ap->mp_state(), uint32_t{KVM_MP_STATE_RUNNABLE});
}

// ICW1-4 for both 8259s (vectors 0x30 and 0x38), only IRQ 3 unmasked, as
// OUT instructions: mov al, v; out port, al.
Bytes program_8259s() {
  Bytes code;
  for (auto [port, value] : std::vector<std::pair<uint8_t, uint8_t>>{{0x20, 0x11},
                                                                     {0x21, 0x30},
                                                                     {0x21, 0x04},
                                                                     {0x21, 0x01},
                                                                     {0xa0, 0x11},
                                                                     {0xa1, 0x38},
                                                                     {0xa1, 0x02},
                                                                     {0xa1, 0x01},
                                                                     {0x21, 0xf7},
                                                                     {0xa1, 0xff}}) {
    code.insert(code.end(), {0xb0, value, 0xe6, port});
  }
  return code;
}

// kernel-irqchip=on: the guest programs KVM's 8259s through their ports; a
// line raised at vx86's IOAPIC input 3 (ISA IRQ 3) reaches KVM's master 8259
// as GSI 3 and wakes the vCPU sleeping in HLT through ExtINT.
TEST(KvmIrqchip, KernelIrqchipOnDeliversIsaIrqThroughKvms8259) {
  SKIP_WITHOUT_KERNEL_IRQCHIP(accel);
  KernelApicRig rig;
  // mov r12, [rsp]; mov al, 0x20; out 0x20, al (EOI to the 8259); iretq
  const Bytes handler = {0x4c, 0x8b, 0x24, 0x24, 0xb0, 0x20, 0xe6, 0x20, 0x48, 0xcf};
  const Bytes code = concat(concat(program_8259s(), {0xfb, 0xf4}), kStop);  // ...; sti; hlt
  rig.start(code, {{0x33, handler}}, *accel);
  rig.run_async();
  std::this_thread::sleep_for(100ms);  // asleep in KVM's HLT by now
  accel->in_kernel_irqchip()->set_ioapic_input(3, true);
  rig.join();
  accel->in_kernel_irqchip()->set_ioapic_input(3, false);
  ASSERT_TRUE(rig.stopped_by_guest()) << "the interrupt never came";
  EXPECT_EQ(rig.vcpu->state().regs[kR12], kCode + code.size() - kStop.size());  // after the HLT
  EXPECT_EQ(rig.bus.port_device.accesses.size(), 1u);  // the 8259 ports stayed in KVM
}

// kernel-irqchip=on: the ELCR that vx86's 8259 model holds (the machine
// sets it up as firmware would) makes the IRQ level-triggered in KVM's 8259:
// a line still high after the EOI is delivered again; the second handler's
// port write lowers it. (Edge-triggered, the second interrupt never comes.)
TEST(KvmIrqchip, KernelIrqchipOnTakesTheElcr) {
  SKIP_WITHOUT_KERNEL_IRQCHIP(accel);
  constexpr int kIrq = 3;
  KernelApicRig rig;
  kvm::InKernelIrqchip& irqchip = *accel->in_kernel_irqchip();
  irqchip.set_elcr(1u << kIrq, 0);
  int acks = 0;
  rig.on_port = [&](uint64_t offset, uint64_t) {
    if (offset == 1 && ++acks == 2) irqchip.set_ioapic_input(kIrq, false);
  };
  const Bytes code = concat(concat(program_8259s(), kHaltUntilTwoInterrupts), kStop);
  // inc r13; mov dx, 0x3f9; out dx, al; mov al, 0x20; out 0x20, al (EOI); iretq
  const Bytes handler = {0x49, 0xff, 0xc5, 0x66, 0xba, 0xf9, 0x03,
                         0xee, 0xb0, 0x20, 0xe6, 0x20, 0x48, 0xcf};
  rig.start(code, {{0x30 + kIrq, handler}}, *accel);
  rig.run_async();
  std::this_thread::sleep_for(100ms);  // asleep in KVM's HLT by now
  irqchip.set_ioapic_input(kIrq, true);
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the level-triggered IRQ came " << acks << " time(s)";
  EXPECT_EQ(rig.vcpu->state().regs[kR13], 2u);
  EXPECT_EQ(acks, 2);
}

// kernel-irqchip=on: a level-triggered line through KVM's IOAPIC, which the
// guest programs at 0xFEC00000; still asserted after the first EOI, it is
// delivered again; the second handler's port write deasserts it.
TEST(KvmIrqchip, KernelIrqchipOnLevelTriggeredIoapicInput) {
  SKIP_WITHOUT_KERNEL_IRQCHIP(accel);
  constexpr int kPin = 5;
  KernelApicRig rig;
  kvm::InKernelIrqchip& irqchip = *accel->in_kernel_irqchip();
  int acks = 0;
  rig.on_port = [&](uint64_t offset, uint64_t) {
    if (offset == 1 && ++acks == 2) irqchip.set_ioapic_input(kPin, false);
  };
  irqchip.set_ioapic_input(kPin, true);  // asserted while the entry is still masked
  const Bytes code = concat(concat(kIoapicPin5Level, kHaltUntilTwoInterrupts), kStop);
  // inc r13; mov dx, 0x3f9; out dx, al; EOI (mov [rbx + 0xb0], eax); iretq
  const Bytes handler = {0x49, 0xff, 0xc5, 0x66, 0xba, 0xf9, 0x03, 0xee,
                         0x89, 0x83, 0xb0, 0x00, 0x00, 0x00, 0x48, 0xcf};
  rig.start(code, {{0x50, handler}}, *accel);
  rig.run_async();
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the IOAPIC's interrupts did not both arrive";
  EXPECT_EQ(rig.vcpu->state().regs[kR13], 2u);
  EXPECT_EQ(acks, 2);
  EXPECT_TRUE(rig.bus.mmio_device.accesses.empty());  // the IOAPIC page stayed in KVM
}

// A machine reset puts KVM's IOAPIC back in its power-on state (every entry
// masked) with vx86's IOAPIC ID; the input levels stay what devices drive.
TEST(KvmIrqchip, KernelIrqchipOnResetsWithTheBsp) {
  SKIP_WITHOUT_KERNEL_IRQCHIP(accel);
  accel->in_kernel_irqchip()->set_ioapic_id(4);
  BareBus bus;
  auto bsp = accel->create_vcpu(0, bus.bus());
  kvm_irqchip state{};
  state.chip_id = KVM_IRQCHIP_IOAPIC;
  ASSERT_EQ(ioctl(accel->vm_fd(), KVM_GET_IRQCHIP, &state), 0);
  EXPECT_EQ(state.chip.ioapic.id, 4u);
  state.chip.ioapic.redirtbl[7].bits = 0x41;  // unmasked, vector 0x41
  ASSERT_EQ(ioctl(accel->vm_fd(), KVM_SET_IRQCHIP, &state), 0);
  accel->in_kernel_irqchip()->set_ioapic_input(9, true);
  bsp->reset();
  ASSERT_EQ(ioctl(accel->vm_fd(), KVM_GET_IRQCHIP, &state), 0);
  EXPECT_EQ(state.chip.ioapic.redirtbl[7].bits, 1u << 16);
  EXPECT_EQ(state.chip.ioapic.irr, 1u << 9);
  EXPECT_EQ(state.chip.ioapic.base_address, kIoapicBase);
}

// A PCI function with one MSI-X vector (BAR 0), on a bus whose bus-master
// view is the bare bus's memory with the MSI window at 0xFEE00000 over it,
// as on the pc machine.
class MsixFunction : public PciDevice {
 public:
  MsixFunction() : PciDevice("msix-test", PciIds{.vendor = 0x1234, .device = 0x11}) {
    init_msix(1, 0);
  }
};

struct MsixRig {
  static constexpr uint64_t kBar = 0x20000000;  // inside the identity map
  explicit MsixRig(BareBus& bus, MsiWindow::Sink sink)
      : window(std::move(sink)),
        system(MemoryRegion::alias("pci-dma-system", &bus.memory_root(), 0, 1ull << 32)),
        pci(*pci_memory, *pci_io, dma) {
    bus.memory_root().add_subregion(0, pci_memory.get(), -1);
    dma_root->add_subregion(0, system.get());
    dma_root->add_subregion(MsiWindow::kBase, window.region(), 1);
    pci.plug(function, pci::devfn(3, 0));
    // What firmware and the driver's PCI core do: place the BAR, enable
    // memory decoding, bus mastering and MSI-X.
    function.config_write(pci::kBar0, static_cast<uint32_t>(kBar), 4);
    function.config_write(pci::kCommand, pci::kCommandMemory | pci::kCommandMaster, 2);
    function.config_write(function.msix()->capability() + 2u, PciMsix::kControlEnable, 2);
  }
  std::unique_ptr<MemoryRegion> pci_memory = MemoryRegion::container("pci-memory", 1ull << 32);
  std::unique_ptr<MemoryRegion> pci_io = MemoryRegion::container("pci-io", 0x10000);
  MsiWindow window;
  std::unique_ptr<MemoryRegion> dma_root = MemoryRegion::container("pci-dma", 1ull << 32);
  std::unique_ptr<MemoryRegion> system;
  AddressSpace dma{"pci-dma", dma_root.get()};
  PciBus pci;
  MsixFunction function;
};

// The guest programs the function's MSI-X table entry (address 0xFEE00000,
// vector 0x61, unmasked) through MMIO, enables its LAPIC and sleeps in HLT;
// the function's interrupt reaches the in-kernel LAPIC through the MSI
// window and KVM_SIGNAL_MSI and wakes it.
void expect_msix_wakes_halt(KvmAccelerator& accel, MsiWindow::Sink sink) {
  KernelApicRig rig;
  MsixRig msix(rig.bus, std::move(sink));
  const Bytes code = concat(
      {
          0xbf, 0x00, 0x00, 0x00, 0x20,                                // mov edi, kBar
          0xc7, 0x07, 0x00, 0x00, 0xe0, 0xfe,                          // address 0xfee00000
          0xc7, 0x47, 0x04, 0x00, 0x00, 0x00, 0x00,                    // upper address 0
          0xc7, 0x47, 0x08, 0x61, 0x00, 0x00, 0x00,                    // data: vector 0x61
          0xc7, 0x47, 0x0c, 0x00, 0x00, 0x00, 0x00,                    // unmasked
          0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00,  // SVR = 0x1ff
          0xfb,                                                        // sti
          0xf4,                                                        // hlt
      },
      kStop);
  rig.start(code, {{0x61, kEoiHandler}}, accel);
  rig.run_async();
  std::this_thread::sleep_for(100ms);  // asleep in KVM's HLT by now
  {
    DeviceLockGuard lock;
    EXPECT_FALSE(msix.function.msix()->vector_masked(0)) << "the guest's table writes got lost";
    msix.function.msix()->notify(0);
  }
  rig.join();
  ASSERT_TRUE(rig.stopped_by_guest()) << "the MSI never came";
  EXPECT_EQ(rig.vcpu->state().regs[kR12], kCode + code.size() - kStop.size());  // after the HLT
}

TEST(KvmIrqchip, PciMsixReachesTheKernelLapic) {
  SKIP_WITHOUT_SPLIT(accel);
  kvm::SplitIrqchip* lapics = accel->split_irqchip();
  expect_msix_wakes_halt(*accel, [lapics](uint64_t address, uint32_t data) {
    lapics->send_msi(kvm::MsiMessage{address, data});
  });
}

TEST(KvmIrqchip, KernelIrqchipOnPciMsixReachesTheLapic) {
  SKIP_WITHOUT_KERNEL_IRQCHIP(accel);
  kvm::InKernelIrqchip* irqchip = accel->in_kernel_irqchip();
  expect_msix_wakes_halt(*accel, [irqchip](uint64_t address, uint32_t data) {
    irqchip->send_msi(kvm::MsiMessage{address, data});
  });
}

}  // namespace
}  // namespace vx86
