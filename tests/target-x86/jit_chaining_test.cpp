// Direct chaining under the JIT: a loop's back edge is patched to jump into
// its own block once it has run, even though the block is already in the
// jump cache (the goto_tb lookup stub links it the first time); a jump to
// another page is linked too, until a TLB flush reaches the target's page.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/tb_cache.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

tcg::TranslationBlock* block_at(CpuHarness& h, uint64_t pc) {
  // The harness maps memory 1:1 and uses a zero code segment base.
  return h.cpu().tb_cache.lookup(pc, pc, 0, h.cpu().hflags);
}

TEST(JitChaining, LoopBackEdgeIsChainedToItsOwnBlock) {
  CpuHarness h(CpuMode::kLong64);
  h.cpu().tcg_backend = tcg::Backend::kJit;
  // mov ecx, 1000 / L: dec ecx / jnz L / hlt
  h.load_code({0xB9, 0xE8, 0x03, 0x00, 0x00, 0xFF, 0xC9, 0x75, 0xFC, 0xF4});
  const RunResult r = h.run();
  ASSERT_TRUE(r.halted);
  ASSERT_EQ(r.exception, -1);
  EXPECT_EQ(h.reg(kRCX), 0u);
  tcg::TranslationBlock* loop = block_at(h, h.code_address() + 5);
  ASSERT_NE(loop, nullptr);
  EXPECT_TRUE(loop->jmp_dest[0] == loop || loop->jmp_dest[1] == loop)
      << "the back edge still goes through the lookup stub";
}

TEST(JitChaining, JumpToAnotherPageIsChainedUntilAFlushReachesIt) {
  CpuHarness h(CpuMode::kLong64);
  h.cpu().tcg_backend = tcg::Backend::kJit;
  const uint64_t start = h.code_address();
  const uint64_t far = start + 0x2000;
  // start: mov ecx, 100 / L: jmp far      far: dec ecx / jnz L(start + 5) / hlt
  std::vector<uint8_t> code(0x2010, 0x90);
  const uint8_t head[] = {0xB9, 0x64, 0x00, 0x00, 0x00, 0xE9};
  std::copy(std::begin(head), std::end(head), code.begin());
  const int32_t to_far = static_cast<int32_t>(far - (start + 10));
  std::memcpy(&code[6], &to_far, 4);
  const int32_t back = static_cast<int32_t>((start + 5) - (far + 8));
  const uint8_t tail[] = {0xFF, 0xC9, 0x0F, 0x85};
  std::copy(std::begin(tail), std::end(tail), code.begin() + 0x2000);
  std::memcpy(&code[0x2004], &back, 4);
  code[0x2008] = 0xF4;
  h.load_code(code);
  const RunResult r = h.run();
  ASSERT_TRUE(r.halted);
  ASSERT_EQ(r.exception, -1);
  EXPECT_EQ(h.reg(kRCX), 0u);
  tcg::TranslationBlock* near_block = block_at(h, start + 5);
  tcg::TranslationBlock* far_block = block_at(h, far);
  ASSERT_NE(near_block, nullptr);
  ASSERT_NE(far_block, nullptr);
  auto links = [](const tcg::TranslationBlock* from, const tcg::TranslationBlock* to) {
    return from->jmp_dest[0] == to || from->jmp_dest[1] == to;
  };
  EXPECT_TRUE(links(near_block, far_block));
  EXPECT_TRUE(links(far_block, near_block));
  // INVLPG of the far page: the link into it may be stale now, the other not.
  h.cpu().mmu.flush_page(far);
  EXPECT_FALSE(links(near_block, far_block));
  EXPECT_TRUE(links(far_block, near_block));
  // A flush of every page undoes the rest.
  h.cpu().mmu.flush_all();
  EXPECT_FALSE(links(far_block, near_block));
}

}  // namespace
}  // namespace vx86::x86::testing
