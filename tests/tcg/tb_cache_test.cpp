// The translation-block cache: keyed lookups, page invalidation, and the
// jump cache's flushes (all, all but global pages, one page), including the
// flush through the list of entries set since the last one and its fallback
// to a full scan when that list overflowed.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/ir_builder.h"
#include "tcg/jit_x86_64.h"
#include "tcg/tb_cache.h"

namespace vx86::tcg {
namespace {

std::unique_ptr<TranslationBlock> make_block(uint64_t vaddr, uint64_t phys) {
  auto tb = std::make_unique<TranslationBlock>();
  tb->phys_pc = phys;
  tb->vaddr = vaddr;
  tb->pc = vaddr;
  tb->pages[0] = phys & ~0xfffull;
  return tb;
}

bool cached(const TbCache& cache, const TranslationBlock* tb) {
  return cache.jump_cache_find(tb->vaddr, tb->pc, tb->cs_base, tb->flags) != nullptr;
}

TEST(TbCache, LookupFindsInsertedBlocksUntilTheirPageIsInvalidated) {
  TbCache cache;
  TranslationBlock* a = cache.insert(make_block(0x401000, 0x7000));
  TranslationBlock* b = cache.insert(make_block(0x402000, 0x9000));
  EXPECT_EQ(cache.lookup(0x7000, 0x401000, 0, 0), a);
  EXPECT_EQ(cache.lookup(0x9000, 0x402000, 0, 0), b);
  EXPECT_EQ(cache.lookup(0x7000, 0x401000, 0, 1), nullptr);  // other flags
  EXPECT_EQ(cache.keyed_lookups(), 3u);
  cache.jump_cache_set(a, false);
  EXPECT_TRUE(cached(cache, a));
  cache.invalidate_page(0x7000);
  EXPECT_EQ(cache.lookup(0x7000, 0x401000, 0, 0), nullptr);
  EXPECT_FALSE(cached(cache, a));  // a dropped block leaves the jump cache too
  EXPECT_EQ(cache.lookup(0x9000, 0x402000, 0, 0), b);
  EXPECT_EQ(cache.invalidations(), 1u);
}

// A store into a page with code drops only the blocks whose bytes it
// writes, including a block that starts on the page before and ends in it.
TEST(TbCache, RangeInvalidationDropsOnlyTheBlocksItWrites) {
  TbCache cache;
  auto sized = [](uint64_t vaddr, uint64_t phys, uint32_t bytes) {
    auto tb = make_block(vaddr, phys);
    tb->guest_bytes = bytes;
    if ((phys & 0xfff) + bytes > 0x1000) tb->pages[1] = (phys & ~0xfffull) + 0x1000;
    return tb;
  };
  TranslationBlock* head = cache.insert(sized(0x401000, 0x7000, 0x10));  // [0x7000, 0x7010)
  TranslationBlock* mid = cache.insert(sized(0x401100, 0x7100, 0x20));   // [0x7100, 0x7120)
  TranslationBlock* crossing =
      cache.insert(sized(0x401ff8, 0x7ff8, 0x10));   // [0x7ff8, 0x8000) and [0x8000, 0x8008)
  EXPECT_FALSE(cache.range_has_code(0x7010, 0xf0));  // data between the blocks
  EXPECT_FALSE(cache.range_has_code(0x8008, 8));     // past the crossing block's tail
  EXPECT_TRUE(cache.range_has_code(0x700f, 1));
  EXPECT_TRUE(cache.range_has_code(0x70fc, 8));  // reaches mid's first bytes
  EXPECT_TRUE(cache.range_has_code(0x8004, 2));  // the crossing block's tail
  cache.invalidate_range(0x7118, 4);
  EXPECT_EQ(cache.lookup(0x7100, 0x401100, 0, 0), nullptr);
  EXPECT_EQ(cache.lookup(0x7000, 0x401000, 0, 0), head);
  EXPECT_TRUE(cache.page_has_code(0x7000));
  EXPECT_TRUE(cache.range_has_code(0x7ffe, 1));
  cache.invalidate_range(0x8000, 1);
  EXPECT_EQ(cache.lookup(0x7ff8, 0x401ff8, 0, 0), nullptr);
  EXPECT_FALSE(cache.page_has_code(0x8000));
  EXPECT_FALSE(cache.range_has_code(0x7ffe, 1));
  EXPECT_EQ(cache.lookup(0x7000, 0x401000, 0, 0), head);
  EXPECT_EQ(cache.invalidations(), 2u);
  (void)mid;
  (void)crossing;
}

// A store from generated code into translated code: blocks other than the
// running one (whose host code holds the store's call site) are dropped and
// the store goes on; the running block's own code, or an unknown site over
// any code, leaves everything in place for the caller to end the block.
TEST(TbCache, StoreIntoCodeKeepsTheRunningBlockForTheCaller) {
#if defined(__x86_64__)
  TbCache cache;
  auto sized = [](uint64_t vaddr, uint64_t phys, uint32_t bytes) {
    auto tb = make_block(vaddr, phys);
    tb->guest_bytes = bytes;
    Block ir;
    IrBuilder(ir).exit_tb(0);
    tb->program = std::make_unique<JitBlock>(ir);
    return tb;
  };
  TranslationBlock* running = cache.insert(sized(0x401000, 0x7000, 0x20));
  TranslationBlock* other = cache.insert(sized(0x401100, 0x7100, 0x20));
  const auto* jit = static_cast<const JitBlock*>(running->program.get());
  const void* site = jit->code() + jit->code_size() / 2;
  EXPECT_TRUE(cache.invalidate_range_for_store(0x7080, 8, site));  // no code there
  EXPECT_FALSE(cache.invalidate_range_for_store(0x7010, 4, site));
  EXPECT_FALSE(cache.invalidate_range_for_store(0x7110, 4, nullptr));
  EXPECT_EQ(cache.invalidations(), 0u);
  EXPECT_TRUE(cache.invalidate_range_for_store(0x7110, 4, site));
  EXPECT_EQ(cache.lookup(0x7100, 0x401100, 0, 0), nullptr);
  EXPECT_EQ(cache.lookup(0x7000, 0x401000, 0, 0), running);
  EXPECT_EQ(cache.invalidations(), 1u);
  (void)other;
#else
  GTEST_SKIP() << "the JIT needs an x86-64 host";
#endif
}

// A program that records its chains, for the link bookkeeping alone.
class ChainRecorder final : public CompiledBlock {
 public:
  ExitRecord run(uint8_t*, MemoryInterface&) const override { return ExitRecord{}; }
  bool chain(unsigned slot, const CompiledBlock&) override { return chained[slot] = true; }
  void unchain(unsigned slot) override { chained[slot] = false; }
  bool chained[2] = {false, false};
};

// Links across pages follow the TLB as the jump cache does: a flush of
// non-global pages undoes those to non-global targets, a page flush those
// into that page (or from the page before, whose blocks may reach into it),
// a full flush all; links within one page stay.
TEST(TbCache, LinksAcrossPagesAreUndoneByTheFlushesThatReachTheirTarget) {
  TbCache cache;
  auto block = [&](uint64_t vaddr) {
    auto tb = make_block(vaddr, vaddr - 0x400000);
    tb->program = std::make_unique<ChainRecorder>();
    return cache.insert(std::move(tb));
  };
  auto chained = [](TranslationBlock* tb, unsigned slot) {
    return static_cast<ChainRecorder*>(tb->program.get())->chained[slot];
  };
  TranslationBlock* user_a = block(0x401000);
  TranslationBlock* user_b = block(0x405000);
  TranslationBlock* user_b2 = block(0x405100);
  TranslationBlock* kernel_a = block(0xffffffff81000000);
  TranslationBlock* kernel_b = block(0xffffffff81003000);
  ASSERT_TRUE(cache.link_across_pages(user_a, 0, user_b, false));
  ASSERT_TRUE(cache.link(user_b, 0, user_b2));  // same page: a plain link
  ASSERT_TRUE(cache.link_across_pages(kernel_a, 0, kernel_b, true));
  ASSERT_TRUE(cache.link_across_pages(kernel_b, 1, kernel_a, true));
  cache.jump_cache_flush(/*keep_global=*/true);  // MOV CR3
  EXPECT_FALSE(chained(user_a, 0));
  EXPECT_TRUE(chained(user_b, 0));
  EXPECT_TRUE(chained(kernel_a, 0));
  EXPECT_TRUE(chained(kernel_b, 1));
  cache.jump_cache_flush_page(0xffffffff81004000);  // the page after kernel_b's
  EXPECT_FALSE(chained(kernel_a, 0));
  EXPECT_TRUE(chained(kernel_b, 1));
  ASSERT_TRUE(cache.link_across_pages(user_a, 0, user_b, false));
  cache.invalidate_page(0x5000);  // drops user_b: a dropped target takes its links along
  EXPECT_FALSE(chained(user_a, 0));
  cache.jump_cache_flush();
  EXPECT_FALSE(chained(kernel_b, 1));
}

// The links into a block are a list threaded through their sources: a
// source that goes away leaves the list, so when the target goes later it
// unchains exactly the sources still there (a dangling entry would touch a
// freed block). A block chained to itself is in its own list.
TEST(TbCache, IncomingLinksFollowTheirSourcesAndTargets) {
  TbCache cache;
  auto block = [&](uint64_t page, uint64_t offset) {
    auto tb = make_block(0x400000 + page * 0x1000 + offset, page * 0x1000 + offset);
    tb->program = std::make_unique<ChainRecorder>();
    return cache.insert(std::move(tb));
  };
  auto chained = [](TranslationBlock* tb, unsigned slot) {
    return static_cast<ChainRecorder*>(tb->program.get())->chained[slot];
  };
  struct Source {
    TranslationBlock* tb;
    uint64_t page;
    unsigned slot;
    bool dropped() const { return page == 1 || page == 3 || page == 6; }
  };
  TranslationBlock* target = block(9, 0);
  std::vector<Source> sources;
  for (uint64_t page = 1; page <= 6; ++page) {
    for (unsigned slot = 0; slot < 2; ++slot) {
      TranslationBlock* src = block(page, 0x100 * slot);
      ASSERT_TRUE(cache.link_across_pages(src, slot, target, false));
      sources.push_back({src, page, slot});
    }
  }
  ASSERT_TRUE(cache.link(target, 1, target));  // a loop
  // Sources from the middle, the end and the start of the list go away.
  cache.invalidate_page(0x3000);
  cache.invalidate_page(0x1000);
  cache.invalidate_page(0x6000);
  for (const Source& s : sources) {
    if (!s.dropped()) {
      EXPECT_TRUE(chained(s.tb, s.slot)) << s.page << "/" << s.slot;
    }
  }
  EXPECT_TRUE(chained(target, 1));
  cache.invalidate_page(0x9000);  // the target: its remaining sources unchain
  for (const Source& s : sources) {
    if (s.dropped()) continue;
    EXPECT_FALSE(chained(s.tb, s.slot)) << s.page << "/" << s.slot;
    EXPECT_EQ(s.tb->jmp_dest[s.slot], nullptr);
  }
  // They can be chained again, to a new target.
  TranslationBlock* again = block(9, 0x40);
  ASSERT_TRUE(cache.link_across_pages(sources[2].tb, sources[2].slot, again, false));
  EXPECT_TRUE(chained(sources[2].tb, sources[2].slot));
  EXPECT_EQ(again->jmp_incoming_first,
            reinterpret_cast<uintptr_t>(sources[2].tb) | sources[2].slot);
}

TEST(TbCache, FlushKeepingGlobalPagesDropsOnlyTheOthers) {
  TbCache cache;
  TranslationBlock* user = cache.insert(make_block(0x401000, 0x7000));
  TranslationBlock* kernel = cache.insert(make_block(0xffffffff81000000, 0x1000000));
  cache.jump_cache_set(user, false);
  cache.jump_cache_set(kernel, true);
  cache.jump_cache_flush(true);  // MOV CR3
  EXPECT_FALSE(cached(cache, user));
  EXPECT_TRUE(cached(cache, kernel));
  cache.jump_cache_set(user, false);
  cache.jump_cache_flush(true);  // the kept entry is still known to the next flush
  EXPECT_FALSE(cached(cache, user));
  EXPECT_TRUE(cached(cache, kernel));
  cache.jump_cache_flush(false);  // CR4.PGE toggled: everything
  EXPECT_FALSE(cached(cache, kernel));
  EXPECT_EQ(cache.jump_cache_flushes(), 3u);
}

TEST(TbCache, FlushAfterTheListOfSetEntriesOverflowedScansEverything) {
  TbCache cache;
  TranslationBlock* tb = cache.insert(make_block(0x401000, 0x7000));
  // Clearing one page and setting the entry again lists it again each time,
  // until the list stops growing.
  for (unsigned i = 0; i < (1u << TbCache::kJumpCacheBits) + 10; ++i) {
    cache.jump_cache_set(tb, false);
    cache.jump_cache_flush_page(tb->vaddr);
  }
  std::vector<TranslationBlock*> others;
  for (uint64_t page = 0; page < 64; ++page) {
    others.push_back(
        cache.insert(make_block(0x10000000 + page * 0x1000 + 0x40, 0x100000 + page * 0x1000)));
    cache.jump_cache_set(others.back(), false);  // not listed any more
  }
  for (TranslationBlock* other : others) ASSERT_TRUE(cached(cache, other));
  cache.jump_cache_flush(true);
  for (TranslationBlock* other : others) EXPECT_FALSE(cached(cache, other));
  // Back to list-driven flushes.
  cache.jump_cache_set(tb, false);
  cache.jump_cache_flush(true);
  EXPECT_FALSE(cached(cache, tb));
}

}  // namespace
}  // namespace vx86::tcg
