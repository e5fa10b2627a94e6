// The translation-block cache: keyed lookups, page invalidation, and the
// jump cache's flushes (all, all but global pages, one page), including the
// flush through the list of entries set since the last one and its fallback
// to a full scan when that list overflowed.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

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
