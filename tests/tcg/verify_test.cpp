#include <gtest/gtest.h>

#include <string>

#include "tcg/helper.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_verify.h"

namespace vx86::tcg {
namespace {

bool has_error(const Block& block, const std::string& needle) {
  for (const std::string& e : verify_block(block)) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

uint64_t helper_add(void*, uint64_t a, uint32_t b) {
  return a + b;
}

TEST(TcgVerify, AcceptsWellFormedBlock) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i32();
  Label skip = b.new_label();
  b.insn_start(0x1000);
  b.ld_i64(x, 0);
  b.ld_i32(y, 8);
  b.brcond_i64(x, b.const_i64(0), Cond::kEq, skip);
  b.qemu_ld_i64(x, x, kMo64, 0);
  b.set_label(skip);
  static const HelperInfo kAdd = make_helper<&helper_add>("add", kHelperNoSideEffects);
  b.call_helper(kAdd, x, {x, y});
  b.st_i64(x, 16);
  b.exit_tb(0);
  EXPECT_TRUE(verify_block(block).empty());
}

TEST(TcgVerify, RejectsWrongTypes) {
  Block block;
  Temp a = block.new_temp(Type::kI32), d = block.new_temp(Type::kI64);
  block.ops.push_back(make_op(Opcode::ld_i32, {a.id, 0}));
  block.ops.push_back(make_op(Opcode::add_i64, {d.id, a.id, a.id}));
  block.ops.push_back(make_op(Opcode::exit_tb, {0}));
  EXPECT_TRUE(has_error(block, "add_i64: input t0 is i32, expected i64"));
}

TEST(TcgVerify, RejectsWriteToConstantAndMissingTemp) {
  Block block;
  Temp c = block.const_temp(Type::kI32, 5);
  block.ops.push_back(make_op(Opcode::mov_i32, {c.id, c.id}));
  block.ops.push_back(make_op(Opcode::mov_i32, {42, c.id}));
  block.ops.push_back(make_op(Opcode::exit_tb, {0}));
  EXPECT_TRUE(has_error(block, "is a constant"));
  EXPECT_TRUE(has_error(block, "does not exist"));
}

TEST(TcgVerify, RejectsBadLabels) {
  Block block;
  IrBuilder b(block);
  Label twice = b.new_label(), never = b.new_label();
  b.set_label(twice);
  b.set_label(twice);
  b.br(never);
  EXPECT_TRUE(has_error(block, "L0 defined more than once"));
  EXPECT_TRUE(has_error(block, "L1 used but never defined"));

  Block other;
  other.ops.push_back(make_op(Opcode::br, {7}));  // label 7 was never created
  EXPECT_TRUE(has_error(other, "label L7 does not exist"));
}

TEST(TcgVerify, RejectsUseBeforeDefinition) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64();
  b.add_i64(y, x, x);
  b.exit_tb(0);
  EXPECT_TRUE(has_error(block, "reads t0 before it is written"));
}

TEST(TcgVerify, RejectsTempDefinedOnOnlyOnePath) {
  Block block;
  IrBuilder b(block);
  Temp c = b.new_i64(), x = b.new_i64();
  Label join = b.new_label();
  b.ld_i64(c, 0);
  b.brcond_i64(c, b.const_i64(0), Cond::kNe, join);
  b.movi_i64(x, 1);
  b.set_label(join);
  b.st_i64(x, 8);
  b.exit_tb(0);
  EXPECT_TRUE(has_error(block, "reads t1 before it is written on some path"));

  // Defining it on both paths makes the block valid.
  Block fixed;
  IrBuilder f(fixed);
  c = f.new_i64();
  x = f.new_i64();
  join = f.new_label();
  f.ld_i64(c, 0);
  f.movi_i64(x, 2);
  f.brcond_i64(c, f.const_i64(0), Cond::kNe, join);
  f.movi_i64(x, 1);
  f.set_label(join);
  f.st_i64(x, 8);
  f.exit_tb(0);
  EXPECT_TRUE(verify_block(fixed).empty());
}

TEST(TcgVerify, RejectsFallingOffTheEnd) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64();
  b.ld_i64(x, 0);
  EXPECT_TRUE(has_error(block, "does not end with an exit"));
  Block empty;
  EXPECT_TRUE(has_error(empty, "does not end with an exit"));
}

TEST(TcgVerify, RejectsFaultBeforeInsnStart) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64();
  b.ld_i64(x, 0);
  b.qemu_ld_i64(x, x, kMo64, 0);
  b.exit_tb(0);
  EXPECT_TRUE(has_error(block, "may fault before any insn_start"));
}

TEST(TcgVerify, RejectsBadConstants) {
  Block block;
  IrBuilder b(block);
  b.set_checking(false);
  Temp x = b.new_i32(), y = b.new_i32(), l = b.new_i64();
  b.ld_i32(x, 0);
  b.ld_i64(l, 0);
  b.insn_start(0);
  b.deposit_i32(y, x, x, 30, 4);  // field past bit 31
  b.extract_i32(y, x, 0, 0);      // empty field
  b.setcond_i32(y, x, x, static_cast<Cond>(12));
  b.qemu_ld_i32(y, l, kMo64, 0);            // 8 bytes into an i32
  b.qemu_st_i32(x, l, kMo32 | kMoSign, 0);  // signed store
  b.mulu2_i32(x, x, y, y);
  b.goto_tb(2);
  EXPECT_TRUE(has_error(block, "deposit_i32: bit field [30, +4) outside 32 bits"));
  EXPECT_TRUE(has_error(block, "extract_i32: bit field [0, +0)"));
  EXPECT_TRUE(has_error(block, "bad condition 12"));
  EXPECT_TRUE(has_error(block, "access size 8 too wide"));
  EXPECT_TRUE(has_error(block, "a store cannot sign-extend"));
  EXPECT_TRUE(has_error(block, "slot must be 0 or 1"));
  EXPECT_TRUE(has_error(block, "mulu2_i32: both outputs are one temp"));
}

TEST(TcgVerify, ChecksHelperSignature) {
  static const HelperInfo kAdd = make_helper<&helper_add>("add", 0);
  EXPECT_EQ(kAdd.nargs, 2);
  EXPECT_EQ(kAdd.args[0], Type::kI64);
  EXPECT_EQ(kAdd.args[1], Type::kI32);
  EXPECT_TRUE(kAdd.has_result);
  Block block;
  IrBuilder b(block);
  b.set_checking(false);
  Temp x = b.new_i64();
  b.ld_i64(x, 0);
  b.call_helper(kAdd, x, {x, x});  // second argument must be i32
  b.call_helper(kAdd, {x});
  b.exit_tb(0);
  EXPECT_TRUE(has_error(block, "input t0 is i64, expected i32"));
  EXPECT_TRUE(has_error(block, "add takes 2 arguments, got 1"));
}

TEST(TcgVerify, BuilderChecksOpsWhenAsked) {
  Block block;
  IrBuilder b(block);
  b.set_checking(true);
  Temp x = b.new_i32();
  EXPECT_DEATH(b.add_i64(x, x, x), "add_i64: output t0 is i32, expected i64");
}

TEST(TcgVerify, OpTableIsConsistent) {
  EXPECT_STREQ(op_name(Opcode::add_i64), "add_i64");
  const OpDef& movcond = op_def(Opcode::movcond_i32);
  EXPECT_EQ(movcond.nout, 1);
  EXPECT_EQ(movcond.nin, 4);
  EXPECT_EQ(movcond.nconst, 1);
  EXPECT_EQ(movcond.cst[0], ConstKind::kCond);
  EXPECT_TRUE(op_def(Opcode::qemu_ld_i64).flags & kOpMayFault);
  EXPECT_TRUE(op_def(Opcode::call).flags & kOpVariadic);
  for (unsigned i = 0; i < kNumOpcodes; ++i) {
    const OpDef& d = kOpDefs[i];
    EXPECT_LE(d.nargs(), kMaxOpArgs) << d.name;
    if (d.flags & kOpBranch) {
      EXPECT_EQ(d.cst[d.nconst - 1], ConstKind::kLabel) << d.name;  // label is the last operand
    }
  }
}

}  // namespace
}  // namespace vx86::tcg
