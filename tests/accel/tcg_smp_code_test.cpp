// Self-modifying code across vCPUs under TCG: each vCPU has its own
// translation cache, so a store by one into code another has translated must
// drop the other's translation too (Linux patches jump labels on one CPU
// while the others run that code; a stale block on the other CPU hung the
// 2-CPU Debian boot once). Both backends, two vCPUs of one accelerator on a
// bare bus in 64-bit mode.
#include <gtest/gtest.h>

#include <memory>

#include "accel/tcg_accel.h"
#include "accel/tcg_vcpu.h"
#include "core/options.h"
#include "tcg/jit_runtime.h"
#include "tests/accel/kvm_test_bus.h"

namespace vx86 {
namespace {

using namespace test;

class TcgSmpCode : public ::testing::TestWithParam<const char*> {};

INSTANTIATE_TEST_SUITE_P(Backends, TcgSmpCode, ::testing::Values("interp", "jit"),
                         [](const auto& info) { return std::string(info.param); });

TEST_P(TcgSmpCode, AStoreByOneVcpuDropsAnothersTranslation) {
  const std::string backend = GetParam();
  if (backend == "jit" && !tcg::jit_available()) GTEST_SKIP() << "no JIT on this host";
  BareBus bus;
  // vCPU 1 runs mov eax, 1; hlt. vCPU 0, from the next page, stores BL into
  // that instruction's immediate: mov [kCode + 1], bl; hlt.
  static_assert(kCode == 0x100000, "the patcher's address operand");
  bus.load(kCode, {0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4});
  constexpr uint64_t kPatcher = kCode + 0x1000;
  bus.load(kPatcher, {0x88, 0x1c, 0x25, 0x01, 0x00, 0x10, 0x00, 0xf4});
  TcgAccelerator accel;
  const KeyValues opts = KeyValues::parse("-accel", "backend=" + backend, "", {});
  accel.init(&opts);
  std::unique_ptr<Vcpu> patcher = accel.create_vcpu(0, bus.bus());
  std::unique_ptr<Vcpu> runner = accel.create_vcpu(1, bus.bus());
  for (Vcpu* vcpu : {patcher.get(), runner.get()}) enter_long_mode(vcpu->state());
  auto run_from = [](Vcpu& vcpu, uint64_t rip) {
    vcpu.state().rip = rip;
    vcpu.state().halted = 0;
    vcpu.sync_to_accel();
    return vcpu.run();
  };
  auto patch = [&](uint8_t value) {
    patcher->state().regs[kRBX] = value;
    ASSERT_EQ(run_from(*patcher, kPatcher), VcpuExit::kHalted);
    ASSERT_EQ(bus.ram()[kCode + 1], value);
  };
  patch(1);  // a store while no vCPU has code on the page
  ASSERT_EQ(run_from(*runner, kCode), VcpuExit::kHalted);
  EXPECT_EQ(runner->state().regs[kRAX], 1u);
  patch(2);
  ASSERT_EQ(run_from(*runner, kCode), VcpuExit::kHalted);
  EXPECT_EQ(runner->state().regs[kRAX], 2u) << "vCPU 1 ran its stale translation";
  patch(3);
  ASSERT_EQ(run_from(*runner, kCode), VcpuExit::kHalted);
  EXPECT_EQ(runner->state().regs[kRAX], 3u) << "vCPU 1 ran its stale translation";
}

}  // namespace
}  // namespace vx86
