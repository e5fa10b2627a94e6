// The keyed block table against std::map: random inserts, erases and
// lookups (enough to grow the table several times and to wrap probe runs
// around its end) must agree at every step.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <tuple>

#include "tcg/tb_cache.h"
#include "tcg/tb_table.h"

namespace vx86::tcg {
namespace {

using MapKey = std::tuple<uint64_t, uint64_t, uint64_t, uint32_t>;

TEST(TbTable, AgreesWithAnOrderedMapUnderRandomInsertsAndErases) {
  TbTable table;
  std::map<MapKey, TranslationBlock*> reference;
  std::mt19937_64 rng(7);
  // Few distinct PCs and flags, so that the same keys come back after being erased.
  auto random_key = [&] {
    const uint64_t page = rng() % 64;
    const uint64_t offset = rng() % 256;
    return TbKey{page * 4096 + offset, 0xffffffff81000000ull + page * 4096 + offset,
                 rng() % 4 == 0 ? 0x10000u : 0u, static_cast<uint32_t>(rng() % 3)};
  };
  for (int step = 0; step < 200000; ++step) {
    const TbKey k = random_key();
    const MapKey mk{k.phys_pc, k.pc, k.cs_base, k.flags};
    auto it = reference.find(mk);
    ASSERT_EQ(table.find(k), it == reference.end() ? nullptr : it->second) << "step " << step;
    if (it == reference.end()) {
      if (rng() % 4 != 0) {
        auto tb = std::make_unique<TranslationBlock>();
        tb->phys_pc = k.phys_pc;
        tb->pc = k.pc;
        tb->cs_base = k.cs_base;
        tb->flags = k.flags;
        reference[mk] = table.insert(std::move(tb));
      }
    } else if (rng() % 2 == 0) {
      table.erase(it->second);
      reference.erase(it);
    }
    ASSERT_EQ(table.size(), reference.size());
  }
  for (const auto& [mk, tb] : reference) {
    const auto& [phys_pc, pc, cs_base, flags] = mk;
    EXPECT_EQ(table.find(TbKey{phys_pc, pc, cs_base, flags}), tb);
  }
  table.clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.find(TbKey{0, 0xffffffff81000000ull, 0, 0}), nullptr);
}

}  // namespace
}  // namespace vx86::tcg
