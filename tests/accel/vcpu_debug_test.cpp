// The debug hooks the gdbstub uses (Vcpu::insert_breakpoint, set_single_step,
// stopped_by_watchpoint, debug_translate), run the same way under TCG and
// KVM on a bare bus in 64-bit mode (kvm_test_bus.h), with the same results.
// KVM is skipped, with the reason, where it cannot run.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "accel/kvm_accel.h"
#include "accel/tcg_vcpu.h"
#include "core/device_lock.h"
#include "target-x86/cpu_state.h"
#include "target-x86/cpuid.h"
#include "tcg/jit_runtime.h"
#include "tests/accel/kvm_test_bus.h"

namespace vx86 {
namespace {

using namespace test;

class VcpuDebug : public ::testing::TestWithParam<const char*> {
 protected:
  // A vCPU of the accelerator under test at kCode in 64-bit mode, or null
  // after GTEST_SKIP.
  std::unique_ptr<Vcpu> make_vcpu(BareBus& bus) {
    std::unique_ptr<Vcpu> vcpu;
    const std::string accel = GetParam();
    if (accel.rfind("kvm", 0) == 0) {
      std::string why;
      kvm_ = open_kvm(&why, accel == "kvm_split" ? "split" : "off");
      if (!kvm_) return nullptr;
      vcpu = kvm_->create_vcpu(0, bus_override_ ? *bus_override_ : bus.bus());
    } else {
      auto tcg = std::make_unique<TcgVcpu>(0, bus_override_ ? *bus_override_ : bus.bus(),
                                           *x86::find_cpu_model("qemu64"), nullptr);
      if (accel == "tcg_jit") {
        if (!tcg::jit_available()) return nullptr;
        tcg->cpu().tcg_backend = tcg::Backend::kJit;
      }
      vcpu = std::move(tcg);
    }
    enter_long_mode(vcpu->state());
    vcpu->sync_to_accel();
    return vcpu;
  }
  // Runs until HLT (under KVM's LAPIC, HLT waits inside KVM: kicks end it).
  VcpuExit run_to_halt(Vcpu& vcpu) { return kvm_ ? run_until_halt(vcpu, *kvm_) : vcpu.run(); }
  std::unique_ptr<KvmAccelerator> kvm_;
  std::optional<CpuBus> bus_override_;  // a bus with more than BareBus gives
};

INSTANTIATE_TEST_SUITE_P(Accel, VcpuDebug, ::testing::Values("tcg", "tcg_jit", "kvm", "kvm_split"),
                         [](const auto& info) { return std::string(info.param); });

#define MAKE_VCPU_OR_SKIP(vcpu, bus)           \
  std::unique_ptr<Vcpu> vcpu = make_vcpu(bus); \
  if (!vcpu) GTEST_SKIP() << GetParam() << " cannot run here"

// inc rax; inc rbx; inc rcx; hlt
const Bytes kThreeIncrements = {0x48, 0xff, 0xc0, 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc1, 0xf4};

TEST_P(VcpuDebug, SingleStepRunsOneInstructionPerRun) {
  BareBus bus;
  bus.load(kCode, kThreeIncrements);
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  const CpuState& c = vcpu->state();
  vcpu->set_single_step(true);
  for (uint64_t step = 1; step <= 3; ++step) {
    ASSERT_EQ(vcpu->run(), VcpuExit::kDebug) << "step " << step;
    EXPECT_EQ(c.rip, kCode + 3 * step);
    EXPECT_EQ(c.regs[kRAX] + c.regs[kRBX] + c.regs[kRCX], step);
  }
  uint64_t addr = 0;
  EXPECT_FALSE(vcpu->stopped_by_watchpoint(&addr));
  vcpu->set_single_step(false);
  EXPECT_EQ(run_to_halt(*vcpu), VcpuExit::kHalted);
  EXPECT_EQ(c.rip, kCode + 10);
}

// With an interrupt pending and IF set, a debugger's steps still run the
// next instructions, not the handler (as QEMU's gdbstub, by default); the
// interrupt is taken once the debugger lets the CPU run.
TEST_P(VcpuDebug, SingleStepHoldsOffInterrupts) {
  BareBus bus;
  OneVectorSource source;
  bus.load(kCode, {0xfb, 0x90, 0x48, 0xff, 0xc0, 0xf4});  // sti; nop; inc rax; hlt
  // mov r11, [rsp] (the interrupted RIP); hlt
  bus.load(kHandlers + 16 * OneVectorSource::kVector, {0x4c, 0x8b, 0x1c, 0x24, 0xf4});
  CpuBus cpu_bus = bus.bus();
  cpu_bus.interrupts = &source;
  bus_override_ = cpu_bus;
  if (std::string(GetParam()) == "kvm_split")
    GTEST_SKIP() << "this test's interrupt controller is vx86's, not KVM's LAPIC";
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  const CpuState& c = vcpu->state();
  {
    DeviceLockGuard lock;
    source.pending = true;
    vcpu->interrupt_changed();
  }
  vcpu->set_single_step(true);
  for (uint64_t expected_rip : {kCode + 1, kCode + 2, kCode + 5}) {
    ASSERT_EQ(vcpu->run(), VcpuExit::kDebug);
    EXPECT_EQ(c.rip, expected_rip);
  }
  EXPECT_EQ(source.acknowledged, 0);
  EXPECT_EQ(c.regs[kRAX], 1u);
  vcpu->set_single_step(false);
  EXPECT_EQ(run_to_halt(*vcpu), VcpuExit::kHalted);
  EXPECT_EQ(source.acknowledged, 1);
  EXPECT_EQ(c.regs[11], kCode + 5);  // taken before the HLT
}

TEST_P(VcpuDebug, HardwareBreakpointStopsBeforeItsInstruction) {
  BareBus bus;
  bus.load(kCode, kThreeIncrements);
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  const CpuState& c = vcpu->state();
  ASSERT_TRUE(vcpu->insert_breakpoint(BreakpointKind::kHardware, kCode + 6, 1));
  ASSERT_EQ(vcpu->run(), VcpuExit::kDebug);
  EXPECT_EQ(c.rip, kCode + 6);
  EXPECT_EQ(c.regs[kRBX], 1u);
  EXPECT_EQ(c.regs[kRCX], 0u);
  ASSERT_TRUE(vcpu->remove_breakpoint(BreakpointKind::kHardware, kCode + 6, 1));
  EXPECT_FALSE(vcpu->remove_breakpoint(BreakpointKind::kHardware, kCode + 6, 1));
  EXPECT_EQ(run_to_halt(*vcpu), VcpuExit::kHalted);
  EXPECT_EQ(c.regs[kRCX], 1u);
}

// A breakpoint put into a loop that has already run, three pages after the
// code that enters it: under TCG both blocks are cached by then, the loop
// chained to itself and the entry chained to the loop, and neither may run
// past the new breakpoint.
TEST_P(VcpuDebug, BreakpointInACachedLoopIsHit) {
  constexpr uint64_t kLoop = kCode + 0x3000;
  BareBus bus;
  bus.load(kCode, {
                      0xb9, 0xe8, 0x03, 0x00, 0x00,  // mov ecx, 1000
                      0xe9, 0xf6, 0x2f, 0x00, 0x00,  // jmp kLoop
                  });
  bus.load(kLoop, {
                      0x48, 0xff, 0xc0,  // 0: inc rax      <- loop
                      0x48, 0xff, 0xc9,  // 3: dec rcx
                      0x75, 0xf8,        // 6: jnz loop
                      0xf4,              // 8: hlt
                  });
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  CpuState& c = vcpu->state();
  for (int pass = 0; pass < 2; ++pass) {  // twice: the second run goes through the chains
    ASSERT_EQ(run_to_halt(*vcpu), VcpuExit::kHalted);
    ASSERT_EQ(c.regs[kRAX], 1000u * (pass + 1));
    vcpu->sync_from_accel();
    c.rip = kCode;
    c.halted = 0;
    vcpu->sync_to_accel();
  }
  ASSERT_TRUE(vcpu->insert_breakpoint(BreakpointKind::kHardware, kLoop + 3, 1));
  for (uint64_t round = 1; round <= 3; ++round) {
    ASSERT_EQ(vcpu->run(), VcpuExit::kDebug) << "round " << round;
    EXPECT_EQ(c.rip, kLoop + 3);
    EXPECT_EQ(c.regs[kRAX], 2000 + round);
  }
}

TEST_P(VcpuDebug, SoftwareBreakpointStopsBeforeItsInstruction) {
  BareBus bus;
  bus.load(kCode, kThreeIncrements);
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  if (kvm_ && !host_has_hardware_virtualization()) {
    GTEST_SKIP() << "no vmx/svm in /proc/cpuinfo: a nested PVM host ends an intercepted INT3 "
                    "with a KVM internal error";
  }
  const CpuState& c = vcpu->state();
  ASSERT_TRUE(vcpu->insert_breakpoint(BreakpointKind::kSoftware, kCode + 9, 1));
  ASSERT_EQ(vcpu->run(), VcpuExit::kDebug);
  EXPECT_EQ(c.rip, kCode + 9);
  EXPECT_EQ(c.regs[kRCX], 1u);
  ASSERT_TRUE(vcpu->remove_breakpoint(BreakpointKind::kSoftware, kCode + 9, 1));
  EXPECT_EQ(bus.ram()[kCode + 9], 0xf4);  // KVM's INT3 is gone again
  EXPECT_EQ(run_to_halt(*vcpu), VcpuExit::kHalted);
  EXPECT_EQ(c.rip, kCode + 10);
}

TEST_P(VcpuDebug, WriteWatchpointStopsAfterTheStore) {
  constexpr uint64_t kData = 0x200000;
  BareBus bus;
  bus.load(kCode, {
                      0x48, 0xc7, 0xc0, 0x2a, 0x00, 0x00, 0x00,        // mov rax, 42
                      0x48, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x20, 0x00,  // mov rcx, [kData] (a read)
                      0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,  // mov [kData], rax
                      0x48, 0xff, 0xc3,                                // inc rbx
                      0xf4,                                            // hlt
                  });
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  if (kvm_ && !host_has_hardware_virtualization()) {
    // Measured here: the guest's own DR7 data breakpoint does not fire
    // either on such a host, whose KVM emulates guest kernel code.
    GTEST_SKIP() << "no vmx/svm in /proc/cpuinfo: a nested PVM host does not check data "
                    "breakpoints in guest kernel code";
  }
  const CpuState& c = vcpu->state();
  ASSERT_TRUE(vcpu->insert_breakpoint(BreakpointKind::kWatchWrite, kData, 8));
  ASSERT_EQ(vcpu->run(), VcpuExit::kDebug);
  EXPECT_EQ(c.rip, kCode + 23);  // after the store, not after the read
  EXPECT_EQ(bus.ram()[kData], 42);
  EXPECT_EQ(c.regs[kRBX], 0u);
  uint64_t addr = 0;
  ASSERT_TRUE(vcpu->stopped_by_watchpoint(&addr));
  EXPECT_EQ(addr, kData);
  ASSERT_TRUE(vcpu->remove_breakpoint(BreakpointKind::kWatchWrite, kData, 8));
  EXPECT_EQ(run_to_halt(*vcpu), VcpuExit::kHalted);
  EXPECT_EQ(c.regs[kRBX], 1u);
}

TEST_P(VcpuDebug, DebugTranslateFollowsThePageTables) {
  BareBus bus;
  bus.load(kCode, kThreeIncrements);
  MAKE_VCPU_OR_SKIP(vcpu, bus);
  uint64_t paddr = 0;
  ASSERT_TRUE(vcpu->debug_translate(kCode + 0x123, &paddr));
  EXPECT_EQ(paddr, kCode + 0x123);
  ASSERT_TRUE(vcpu->debug_translate(0xfee00010, &paddr));  // the 3-4 GiB map
  EXPECT_EQ(paddr, 0xfee00010u);
  EXPECT_FALSE(vcpu->debug_translate(0x40000000, &paddr));  // 1-3 GiB: not mapped
  EXPECT_EQ(vcpu->state().exception_vector, -1) << "a debugger's walk raised a fault";
}

}  // namespace
}  // namespace vx86
