// tcg::Block's constant temps (one per type and value) and its reuse from
// translation to translation (clear()).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tcg/ir.h"

namespace vx86::tcg {
namespace {

TEST(TcgBlock, ConstantTempsAreSharedPerTypeAndValue) {
  Block block;
  std::vector<uint32_t> ids;
  // Enough values to grow the constant table several times.
  for (uint64_t v = 0; v < 1000; ++v) ids.push_back(block.const_temp(Type::kI64, v * 4099).id);
  for (uint64_t v = 0; v < 1000; ++v) EXPECT_EQ(block.const_temp(Type::kI64, v * 4099).id, ids[v]);
  EXPECT_EQ(block.temps.size(), 1000u);
  // Another type is another temp; an i32 constant is its low 32 bits.
  const uint32_t i32 = block.const_temp(Type::kI32, 4099).id;
  EXPECT_NE(i32, ids[1]);
  EXPECT_EQ(block.const_temp(Type::kI32, (uint64_t{7} << 32) | 4099).id, i32);
  EXPECT_EQ(block.const_value(i32), 4099u);
}

TEST(TcgBlock, ClearForgetsEverythingButItsMemory) {
  Block block;
  for (uint64_t v = 0; v < 300; ++v) block.const_temp(Type::kI64, v);
  block.new_temp(Type::kI32);
  block.new_label();
  block.ops.push_back(make_op(Opcode::mov_i64, {0, 1}));
  block.clear();
  EXPECT_TRUE(block.ops.empty());
  EXPECT_TRUE(block.temps.empty());
  EXPECT_EQ(block.num_labels, 0u);
  // Constants are made again from temp 0, not found in the old table.
  const Temp t = block.new_temp(Type::kI64);
  const Temp c = block.const_temp(Type::kI64, 5);
  EXPECT_EQ(t.id, 0u);
  EXPECT_EQ(c.id, 1u);
  EXPECT_TRUE(block.is_const(c.id));
  EXPECT_EQ(block.const_value(c.id), 5u);
  EXPECT_EQ(block.const_temp(Type::kI64, 5).id, c.id);
}

// Temps replaced from outside (as a pass that rebuilds them may) leave stale
// entries behind; a constant is still found or made correctly.
TEST(TcgBlock, StaleConstantEntriesAreSkipped) {
  Block block;
  const Temp a = block.const_temp(Type::kI64, 42);
  block.temps[a.id] = TempInfo{Type::kI64, false, 0};  // no longer a constant
  const Temp b = block.const_temp(Type::kI64, 42);
  EXPECT_NE(b.id, a.id);
  EXPECT_TRUE(block.is_const(b.id));
  EXPECT_EQ(block.const_value(b.id), 42u);
}

}  // namespace
}  // namespace vx86::tcg
