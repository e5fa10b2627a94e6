// Guest memory barriers reach the host: LOCK-prefixed instructions, XCHG
// with memory and MFENCE translate to an `mb` op (a host fence) so that
// device models on other host threads see the guest's stores in order;
// plain instructions do not pay for one. The code still computes the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "target-x86/translate.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86 {
namespace {

using testing::CpuHarness;

// The number of mb ops in the block translated from `code` (then HLT).
int barriers_in(std::vector<uint8_t> code) {
  CpuHarness harness;
  code.push_back(0xf4);
  harness.load_code(code);
  TranslatedBlock block;
  EXPECT_TRUE(translate_block(harness.cpu(), TranslateOptions{}, &block));
  return static_cast<int>(
      std::count_if(block.ir.ops.begin(), block.ir.ops.end(),
                    [](const tcg::Op& op) { return op.opc == tcg::Opcode::mb; }));
}

TEST(MemoryBarrier, LockedInstructionsXchgAndMfenceFenceTheHost) {
  EXPECT_EQ(barriers_in({0xf0, 0x83, 0x04, 0x24, 0x00}), 1);  // lock addl $0, (%rsp)
  EXPECT_EQ(barriers_in({0xf0, 0x0f, 0xb1, 0x0b}), 1);        // lock cmpxchg %ecx, (%rbx)
  EXPECT_EQ(barriers_in({0x87, 0x03}), 1);                    // xchg %eax, (%rbx)
  EXPECT_EQ(barriers_in({0x0f, 0xae, 0xf0}), 1);              // mfence
  EXPECT_EQ(barriers_in({0x87, 0xc3}), 0);                    // xchg %eax, %ebx
  EXPECT_EQ(barriers_in({0x83, 0x04, 0x24, 0x00}), 0);        // addl $0, (%rsp)
  EXPECT_EQ(barriers_in({0x0f, 0xae, 0xf8}), 0);              // sfence: stores stay in order
}

TEST(MemoryBarrier, LockedAddStillAdds) {
  CpuHarness harness;
  harness.reg(3) = CpuHarness::kData;  // rbx
  uint32_t value = 41;
  harness.write_memory(CpuHarness::kData, &value, sizeof(value));
  harness.load_code(
      {0xf0, 0x83, 0x03, 0x01, 0x0f, 0xae, 0xf0, 0xf4});  // lock addl $1,(%rbx); mfence
  ASSERT_TRUE(harness.run().halted);
  harness.read_memory(CpuHarness::kData, &value, sizeof(value));
  EXPECT_EQ(value, 42u);
}

}  // namespace
}  // namespace vx86::x86
