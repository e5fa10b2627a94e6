// The packed per-instruction records of compiled blocks give back exactly what
// was stored: guest addresses that go down as well as up, wide values, the
// second insn_start word and host offsets.
#include "tcg/insn_table.h"

#include <gtest/gtest.h>

#include <random>

namespace vx86::tcg {
namespace {

TEST(InsnTable, RecordsRoundTrip) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const size_t n = rng() % 40;
    std::vector<std::array<uint64_t, 2>> data;
    std::vector<uint32_t> offsets;
    uint64_t pc = rng();
    uint32_t offset = static_cast<uint32_t>(rng() % 64);
    for (size_t i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0:
          pc = rng();
          break;  // anywhere (a wide jump)
        case 1:
          pc -= rng() % 300;
          break;  // backwards
        default:
          pc += 1 + rng() % 15;
          break;  // the next instruction
      }
      data.push_back({pc, rng() % 3 == 0 ? rng() : 0});
      offsets.push_back(offset);
      offset += static_cast<uint32_t>(rng() % 200);
    }
    offsets.push_back(offset);  // the end of the main body
    const InsnTable table(data, offsets);
    ASSERT_EQ(table.size(), n);
    EXPECT_EQ(table.end_offset(), offset);
    const std::vector<InsnTable::Record> all = table.all();
    ASSERT_EQ(all.size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(all[i].data, data[i]) << "round " << round << " insn " << i;
      EXPECT_EQ(all[i].offset, offsets[i]);
      const InsnTable::Record one = table.at(i);
      EXPECT_EQ(one.data, data[i]);
      EXPECT_EQ(one.offset, offsets[i]);
    }
  }
}

TEST(InsnTable, EmptyBlock) {
  const InsnTable table({}, {12});
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.all().empty());
  EXPECT_EQ(table.end_offset(), 12u);
}

}  // namespace
}  // namespace vx86::tcg
