#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "tcg/helper.h"
#include "tcg/interp.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_print.h"
#include "tcg/ir_verify.h"
#include "tcg/optimizer.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

std::string optimized(Block& block) {
  EXPECT_TRUE(verify_block(block).empty()) << print_block(block);
  optimize(block);
  EXPECT_TRUE(verify_block(block).empty()) << print_block(block);
  return print_block(block);
}

// Interprets block with a 16-byte env whose first word is `value`.
ExitRecord run_with_first_word(const Block& block, uint64_t value, std::vector<uint8_t>* env) {
  env->assign(16, 0);
  std::memcpy(env->data(), &value, 8);
  test::FakeMemory mem;
  return interpret(block, env->data(), mem);
}

// Interprets block with an env of env_bytes whose first 8-byte words are
// `words`; returns the env afterwards.
std::vector<uint8_t> run_env(const Block& block, size_t env_bytes,
                             std::initializer_list<uint64_t> words) {
  std::vector<uint8_t> env(env_bytes);
  size_t at = 0;
  for (uint64_t w : words) {
    std::memcpy(env.data() + at, &w, 8);
    at += 8;
  }
  test::FakeMemory mem;
  interpret(block, env.data(), mem);
  return env;
}

unsigned count_ops(const Block& block, Opcode opc) {
  unsigned n = 0;
  for (const Op& op : block.ops) n += op.opc == opc;
  return n;
}

TEST(TcgOptimize, FoldsConstantExpressions) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64(), z = b.new_i32();
  b.movi_i64(x, 2);
  b.add_i64(y, x, b.const_i64(3));
  b.shl_i64(y, y, b.const_i64(4));
  b.st_i64(y, 0);
  b.extrl_i64_i32(z, y);
  b.ctpop_i32(z, z);
  b.st_i32(z, 8);
  b.exit_tb(0);
  EXPECT_EQ(optimized(block),
            " st_i64 $0x50, env, $0x0\n"
            " st_i32 $0x2, env, $0x8\n"
            " exit_tb $0x0\n");
}

TEST(TcgOptimize, AlgebraicIdentities) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64();
  b.ld_i64(x, 0);
  b.add_i64(y, x, b.const_i64(0));
  b.st_i64(y, 8);
  b.mul_i64(y, x, b.const_i64(1));
  b.st_i64(y, 16);
  b.and_i64(y, x, b.const_i64(0));
  b.st_i64(y, 24);
  b.xor_i64(y, x, x);
  b.st_i64(y, 32);
  b.or_i64(y, x, b.const_i64(~0ull));
  b.st_i64(y, 40);
  b.shl_i64(y, x, b.const_i64(64));  // count modulo 64 is 0
  b.st_i64(y, 48);
  b.and_i64(y, b.const_i64(~0ull), x);
  b.st_i64(y, 56);
  b.exit_tb(0);
  EXPECT_EQ(optimized(block),
            " ld_i64 t0, env, $0x0\n"
            " st_i64 t0, env, $0x8\n"
            " st_i64 t0, env, $0x10\n"
            " st_i64 $0x0, env, $0x18\n"
            " st_i64 $0x0, env, $0x20\n"
            " st_i64 $0xffffffffffffffff, env, $0x28\n"
            " st_i64 t0, env, $0x30\n"
            " st_i64 t0, env, $0x38\n"
            " exit_tb $0x0\n");
}

TEST(TcgOptimize, I32IdentitiesUseThe32BitMask) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i32(), y = b.new_i32();
  b.ld_i32(x, 0);
  b.and_i32(y, x, b.const_i32(0xffffffff));
  b.st_i32(y, 8);
  b.and_i32(y, x, b.const_i32(0xffff));  // not an identity
  b.st_i32(y, 16);
  b.exit_tb(0);
  optimized(block);
  EXPECT_EQ(count_ops(block, Opcode::and_i32), 1u);
}

TEST(TcgOptimize, ResolvesConstantBranchesAndRemovesDeadCode) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), unused = b.new_i64();
  Label skip = b.new_label();
  b.movi_i64(x, 5);
  b.ld_i64(unused, 8);  // pure, result never read
  b.brcond_i64(x, b.const_i64(5), Cond::kEq, skip);
  b.st_i64(x, 0);  // unreachable
  b.exit_tb(1);
  b.set_label(skip);
  b.st_i64(x, 16);
  b.exit_tb(2);
  EXPECT_EQ(optimized(block),
            " st_i64 $0x5, env, $0x10\n"
            " exit_tb $0x2\n");
}

TEST(TcgOptimize, KnowledgeIsForgottenAtLabels) {
  Block block;
  IrBuilder b(block);
  Temp c = b.new_i64(), x = b.new_i64();
  Label join = b.new_label();
  b.ld_i64(c, 0);
  b.movi_i64(x, 1);
  b.brcond_i64(c, b.const_i64(0), Cond::kEq, join);
  b.movi_i64(x, 2);
  b.set_label(join);
  b.st_i64(x, 8);  // x is 1 or 2 here: must not be folded
  b.exit_tb(0);
  optimized(block);
  EXPECT_EQ(count_ops(block, Opcode::mov_i64), 2u);
  EXPECT_EQ(block.ops[block.ops.size() - 2].in(0), x.id);
}

TEST(TcgOptimize, ZeroExtensionsOfZeroExtendedValuesDisappear) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64(), z = b.new_i64(), v = b.new_i64(), w = b.new_i64();
  b.ld32u_i64(x, 0);
  b.ext32u_i64(y, x);                        // x has no bits above 31
  b.and_i64(z, y, b.const_i64(0xffffffff));  // nor has y
  b.xor_i64(v, z, x);
  b.ext32u_i64(v, v);  // nor the xor of two such values
  b.st_i64(v, 8);
  b.shr_i64(w, v, b.const_i64(24));
  b.ext8u_i64(w, w);  // a 32-bit value shifted right by 24 fits a byte
  b.st_i64(w, 16);
  b.exit_tb(0);
  optimized(block);
  EXPECT_EQ(count_ops(block, Opcode::ext32u_i64), 0u) << print_block(block);
  EXPECT_EQ(count_ops(block, Opcode::ext8u_i64), 0u) << print_block(block);
  EXPECT_EQ(count_ops(block, Opcode::and_i64), 0u) << print_block(block);
  EXPECT_EQ(count_ops(block, Opcode::mov_i64), 0u) << print_block(block);
}

TEST(TcgOptimize, ZeroExtensionsThatClearBitsStay) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64(), z = b.new_i64(), c = b.new_i64();
  b.ld32u_i64(x, 0);
  b.shl_i64(y, x, b.const_i64(1));  // bit 32 may now be set
  b.ext32u_i64(y, y);
  b.st_i64(y, 8);
  b.ld_i64(c, 16);
  Label join = b.new_label();
  b.brcond_i64(c, b.const_i64(0), Cond::kEq, join);
  b.ld_i64(x, 32);  // x may have high bits on this path
  b.set_label(join);
  b.ext32u_i64(z, x);
  b.st_i64(z, 24);
  b.exit_tb(0);
  optimized(block);
  EXPECT_EQ(count_ops(block, Opcode::ext32u_i64), 2u) << print_block(block);
}

TEST(TcgOptimize, CopyPropagationStopsWhenSourceChanges) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64();
  b.ld_i64(x, 0);
  b.mov_i64(y, x);
  b.st_i64(y, 8);                   // reads x
  b.add_i64(x, x, b.const_i64(1));  // x changes; y still holds the old x
  b.st_i64(y, 16);
  b.st_i64(x, 24);
  b.exit_tb(0);
  EXPECT_EQ(optimized(block),
            " ld_i64 t0, env, $0x0\n"
            " mov_i64 t1, t0\n"
            " st_i64 t0, env, $0x8\n"
            " add_i64 t0, t0, $0x1\n"
            " st_i64 t1, env, $0x10\n"
            " st_i64 t0, env, $0x18\n"
            " exit_tb $0x0\n");
}

TEST(TcgOptimize, KeepsSideEffectsAndFaultingOps) {
  Block block;
  IrBuilder b(block);
  Temp a = b.new_i64(), v = b.new_i64();
  b.insn_start(0x10);
  b.ld_i64(a, 0);
  b.qemu_ld_i64(v, a, kMo64, 0);  // result unused, but may fault or touch MMIO
  b.exit_tb(0);
  optimized(block);
  EXPECT_EQ(count_ops(block, Opcode::qemu_ld_i64), 1u);
  EXPECT_EQ(count_ops(block, Opcode::insn_start), 1u);
}

uint64_t pure_twice(void*, uint64_t v) {
  return v * 2;
}
uint64_t reads_state(uint8_t* env, uint64_t) {
  return env[0];
}
const HelperInfo kPureTwice = make_helper<&pure_twice>("twice", kHelperNoSideEffects);
const HelperInfo kReadsState = make_helper<&reads_state>("reads_state", kHelperReadsState);

TEST(TcgOptimize, RemovesUnusedPureHelperCalls) {
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64(), unused = b.new_i64();
  b.ld_i64(v, 0);
  b.call_helper(kPureTwice, unused, {v});
  b.call_helper(kReadsState, v, {v});  // not pure: kept
  b.exit_tb(0);
  optimized(block);
  ASSERT_EQ(count_ops(block, Opcode::call), 1u);
  EXPECT_EQ(block.ops[1].helper(), &kReadsState);
}

// IMUL r, r/m sets CF/OF from the high half; when the flags are dead the
// widening multiply becomes a plain one.
TEST(TcgOptimize, WideningMultiplyWithDeadHighHalfIsAPlainMultiply) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64(), lo = b.new_i64(), hi = b.new_i64();
  Temp lo2 = b.new_i64(), hi2 = b.new_i64();
  b.ld_i64(x, 0);
  b.ld_i64(y, 8);
  b.muls2_i64(lo, hi, x, y);  // hi unused
  b.st_i64(lo, 16);
  b.mulu2_i64(lo2, hi2, x, y);  // both used: stays
  b.st_i64(lo2, 24);
  b.st_i64(hi2, 32);
  b.exit_tb(0);
  Block opt = block;
  optimized(opt);
  EXPECT_EQ(count_ops(opt, Opcode::muls2_i64), 0u) << print_block(opt);
  EXPECT_EQ(count_ops(opt, Opcode::mul_i64), 1u);
  EXPECT_EQ(count_ops(opt, Opcode::mulu2_i64), 1u);
  for (const Block* blk : {&block, &opt}) {
    const uint64_t a = 0xfedcba9876543210ull, c = 0x123456789ull;
    const std::vector<uint8_t> env = run_env(*blk, 40, {a, c});
    EXPECT_EQ(test::env_u64(env, 16), a * c);
    EXPECT_EQ(test::env_u64(env, 24), a * c);
    EXPECT_EQ(test::env_u64(env, 32),
              static_cast<uint64_t>((static_cast<unsigned __int128>(a) * c) >> 64));
  }
}

TEST(TcgOptimize, LoopsSurviveOptimization) {
  // A backward branch: values change around the loop, so nothing learnt before
  // the loop label may be used inside it.
  Block block;
  IrBuilder b(block);
  Temp i = b.new_i64(), sum = b.new_i64(), step = b.new_i64();
  Label loop = b.new_label();
  b.movi_i64(i, 10);
  b.movi_i64(sum, 0);
  b.movi_i64(step, 1);
  b.set_label(loop);
  b.st_i64(sum, 8);  // overwritten each iteration but observed at the branch
  b.add_i64(sum, sum, i);
  b.sub_i64(i, i, step);
  b.brcond_i64(i, b.const_i64(0), Cond::kNe, loop);
  b.st_i64(sum, 0);
  b.exit_tb(0);
  Block opt = block;
  optimized(opt);
  for (const Block* blk : {&block, &opt}) {
    std::vector<uint8_t> env(16);
    test::FakeMemory mem;
    interpret(*blk, env.data(), mem);
    EXPECT_EQ(test::env_u64(env, 0), 55u) << print_block(*blk);
    EXPECT_EQ(test::env_u64(env, 8), 54u);
  }
}

// ---- compare and branch fusion ----

// The x86 translator's "jne" after a flag-setting op: setcond, an inverting
// xor, then a branch on the 0/1 value. It must become one compare-and-branch
// of the original operands and behave the same for values on both sides.
TEST(TcgConditionFuse, SetcondXorBrcondBecomesOneBranch) {
  for (uint64_t value : {0ull, 1ull, 0x8000000000000000ull}) {
    Block block;
    IrBuilder b(block);
    Temp x = b.new_i64(), flag = b.new_i64(), notflag = b.new_i64();
    Label taken = b.new_label();
    b.ld_i64(x, 0);
    b.setcond_i64(flag, x, b.const_i64(0), Cond::kEq);
    b.xor_i64(notflag, flag, b.const_i64(1));
    b.brcond_i64(notflag, b.const_i64(0), Cond::kNe, taken);
    b.movi_i64(x, 111);
    b.st_i64(x, 8);
    b.exit_tb(0);
    b.set_label(taken);
    b.movi_i64(x, 222);
    b.st_i64(x, 8);
    b.exit_tb(0);
    Block opt = block;
    optimized(opt);
    EXPECT_EQ(count_ops(opt, Opcode::setcond_i64), 0u) << print_block(opt);
    EXPECT_EQ(count_ops(opt, Opcode::xor_i64), 0u) << print_block(opt);
    ASSERT_EQ(count_ops(opt, Opcode::brcond_i64), 1u);
    for (const Block* blk : {&block, &opt}) {
      std::vector<uint8_t> env(16);
      std::memcpy(env.data(), &value, 8);
      test::FakeMemory mem;
      interpret(*blk, env.data(), mem);
      EXPECT_EQ(test::env_u64(env, 8), value != 0 ? 222u : 111u) << print_block(*blk);
    }
  }
}

TEST(TcgConditionFuse, KeepsTheSetcondWhenItsInputChanged) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), flag = b.new_i64();
  Label taken = b.new_label();
  b.ld_i64(x, 0);
  b.setcond_i64(flag, x, b.const_i64(5), Cond::kLtu);
  b.movi_i64(x, 100);  // the comparison was of the old x
  b.st_i64(x, 8);
  b.brcond_i64(flag, b.const_i64(0), Cond::kEq, taken);
  b.exit_tb(1);
  b.set_label(taken);
  b.exit_tb(2);
  opt_condition_fuse(block);
  EXPECT_EQ(count_ops(block, Opcode::setcond_i64), 1u) << print_block(block);
  for (uint64_t value : {3ull, 7ull}) {
    std::vector<uint8_t> env;
    EXPECT_EQ(run_with_first_word(block, value, &env).value, value < 5 ? 1u : 2u);
  }
}

TEST(TcgConditionFuse, MovcondOnASetcondSelectsOnTheComparison) {
  for (Cond outer : {Cond::kNe, Cond::kEq}) {
    Block block;
    IrBuilder b(block);
    Temp x = b.new_i64(), flag = b.new_i64(), out = b.new_i64();
    b.ld_i64(x, 0);
    b.setcond_i64(flag, x, b.const_i64(5), Cond::kLtu);
    b.movcond_i64(out, flag, b.const_i64(0), b.const_i64(111), b.const_i64(222), outer);
    b.st_i64(out, 8);
    b.exit_tb(0);
    optimize(block);
    EXPECT_EQ(count_ops(block, Opcode::setcond_i64), 0u) << print_block(block);
    for (uint64_t value : {3ull, 7ull}) {
      std::vector<uint8_t> env;
      run_with_first_word(block, value, &env);
      uint64_t result;
      std::memcpy(&result, env.data() + 8, 8);
      const bool below = value < 5;
      EXPECT_EQ(result, (outer == Cond::kNe) == below ? 111u : 222u) << print_block(block);
    }
  }
}

TEST(TcgOptimize, ConstantsMoveToTheSecondOperandOfCommutativeOps) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64();
  b.ld_i64(x, 0);
  b.add_i64(y, b.const_i64(0x38), x);
  b.st_i64(y, 8);
  b.exit_tb(0);
  optimize(block);
  ASSERT_EQ(count_ops(block, Opcode::add_i64), 1u);
  for (const Op& op : block.ops) {
    if (op.opc != Opcode::add_i64) continue;
    EXPECT_FALSE(block.is_const(op.in(0)));
    EXPECT_TRUE(block.is_const(op.in(1)));
  }
}

// ---- env load forwarding ----

// A guest register written by one instruction and read by the next: the read
// becomes a use of the written temp, with the width conversions of the loads.
TEST(TcgEnvForward, LoadsAfterStoresUseTheStoredTemp) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64(), lo = b.new_i32(), z = b.new_i64();
  b.ld_i64(x, 0);
  b.add_i64(x, x, b.const_i64(0x100000001ull));
  b.st_i64(x, 8);
  b.ld_i64(y, 8);     // -> mov from x
  b.ld_i32(lo, 8);    // -> low half of x
  b.ld32u_i64(z, 8);  // -> x zero-extended from 32 bits
  b.st_i64(y, 16);
  b.st_i32(lo, 24);
  b.st_i64(z, 32);
  b.exit_tb(0);
  Block opt = block;
  opt_env_forward(opt);
  EXPECT_EQ(count_ops(opt, Opcode::ld_i64), 1u) << print_block(opt);
  EXPECT_EQ(count_ops(opt, Opcode::ld_i32) + count_ops(opt, Opcode::ld32u_i64), 0u);
  for (const Block* blk : {&block, &opt}) {
    const uint64_t start = 0xfffffffffull;
    const std::vector<uint8_t> env = run_env(*blk, 40, {start});
    EXPECT_EQ(test::env_u64(env, 16), start + 0x100000001ull) << print_block(*blk);
    EXPECT_EQ(test::env_u64(env, 24) & 0xffffffffu, (start + 0x100000001ull) & 0xffffffffu);
    EXPECT_EQ(test::env_u64(env, 32), (start + 0x100000001ull) & 0xffffffffu);
  }
}

// A byte, word or signed-dword load of a known value extends it; a load
// whose type differs from the value's, or of a higher byte, still loads.
TEST(TcgEnvForward, NarrowLoadsOfAStoredValueExtendIt) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), w32 = b.new_i32();
  Temp u8 = b.new_i64(), s16 = b.new_i64(), s32 = b.new_i64(), byte32 = b.new_i32();
  Temp hi8 = b.new_i64(), mixed = b.new_i32(), s8_32 = b.new_i32();
  b.ld_i64(x, 0);
  b.add_i64(x, x, b.const_i64(0x80ff));
  b.st_i64(x, 8);
  b.ld_i32(w32, 0);
  b.add_i32(w32, w32, b.const_i32(0x85));
  b.st_i32(w32, 16);
  b.ld8u_i64(u8, 8);       // -> ext8u_i64 x
  b.ld16s_i64(s16, 8);     // -> ext16s_i64 x
  b.ld32s_i64(s32, 8);     // -> ext32s_i64 x
  b.ld8u_i32(byte32, 16);  // -> ext8u_i32 w32
  b.ld8s_i32(s8_32, 16);   // -> ext8s_i32 w32
  b.ld8u_i64(hi8, 9);      // another offset: loads
  b.ld8u_i32(mixed, 8);    // an i32 load of an i64 value: loads
  b.st_i64(u8, 24);
  b.st_i64(s16, 32);
  b.st_i64(s32, 40);
  b.st_i32(byte32, 48);
  b.st_i32(s8_32, 52);
  b.st_i64(hi8, 56);
  b.st_i32(mixed, 64);
  b.exit_tb(0);
  Block opt = block;
  opt_env_forward(opt);
  EXPECT_TRUE(verify_block(opt).empty()) << print_block(opt);
  EXPECT_EQ(count_ops(opt, Opcode::ld8u_i64), 1u) << print_block(opt);
  EXPECT_EQ(count_ops(opt, Opcode::ld8u_i32), 1u);
  EXPECT_EQ(count_ops(opt, Opcode::ld16s_i64) + count_ops(opt, Opcode::ld32s_i64) +
                count_ops(opt, Opcode::ld8s_i32),
            0u);
  std::vector<uint8_t> want;
  for (const Block* blk : {&block, &opt}) {
    const uint64_t start = 0x12345678fedc7f7full;
    const std::vector<uint8_t> env = run_env(*blk, 72, {start});
    if (blk == &block) {
      want = env;
      EXPECT_EQ(test::env_u64(env, 24), (start + 0x80ff) & 0xff);
    } else {
      EXPECT_EQ(env, want) << print_block(opt);
    }
  }
}

// SETcc stores a byte that the next instruction reads back zero-extended.
TEST(TcgEnvForward, ByteStoresAreKnownToByteLoadsOnly) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), back = b.new_i64(), whole = b.new_i64();
  b.ld_i64(x, 0);
  b.st_i64(x, 8);
  b.add_i64(x, x, b.const_i64(0x1ff));
  b.st8_i64(x, 8);
  b.ld8u_i64(back, 8);  // -> ext8u_i64 x
  b.ld_i64(whole, 8);   // one byte known only: loads
  b.st_i64(back, 16);
  b.st_i64(whole, 24);
  b.exit_tb(0);
  Block opt = block;
  opt_env_forward(opt);
  EXPECT_EQ(count_ops(opt, Opcode::ld8u_i64), 0u) << print_block(opt);
  EXPECT_EQ(count_ops(opt, Opcode::ld_i64), 2u);
  for (const Block* blk : {&block, &opt}) {
    const uint64_t start = 0x1122334455667788ull;
    const std::vector<uint8_t> env = run_env(*blk, 32, {start});
    EXPECT_EQ(test::env_u64(env, 16), (start + 0x1ff) & 0xff) << print_block(*blk);
    EXPECT_EQ(test::env_u64(env, 24), (start & ~0xffull) | ((start + 0x1ff) & 0xff));
  }
}

TEST(TcgEnvForward, StateWritingHelpersLabelsAndPartialStoresForget) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i64(), b8 = b.new_i32();
  Label next = b.new_label();
  b.ld_i64(x, 0);
  b.st_i64(x, 8);
  b.movi_i32(b8, 0x7f);
  b.st8_i32(b8, 9);  // changes one byte of the stored word
  b.ld_i64(y, 8);    // must load
  b.st_i64(y, 16);
  b.br(next);
  b.set_label(next);
  b.ld_i64(y, 16);  // a new basic block: must load
  b.st_i64(y, 24);
  b.exit_tb(0);
  opt_env_forward(block);
  EXPECT_EQ(count_ops(block, Opcode::ld_i64), 3u) << print_block(block);
}

// ---- dead guest-state stores ----

std::string dse(Block& block) {
  EXPECT_TRUE(verify_block(block).empty()) << print_block(block);
  opt_dead_store(block);
  EXPECT_TRUE(verify_block(block).empty());
  return print_block(block);
}

TEST(TcgDeadStore, RemovesOverwrittenStores) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64();
  b.ld_i64(x, 0);
  b.st_i64(x, 8);  // dead: overwritten below
  b.st_i32(b.const_i32(1), 16);
  b.st_i32(b.const_i32(2), 20);  // these two are covered by the st_i64 at 16
  b.st_i64(x, 8);
  b.st_i64(x, 16);
  b.exit_tb(0);
  EXPECT_EQ(dse(block),
            " ld_i64 t0, env, $0x0\n"
            " st_i64 t0, env, $0x8\n"
            " st_i64 t0, env, $0x10\n"
            " exit_tb $0x0\n");
}

TEST(TcgDeadStore, KeepsStoresThatMayBeObserved) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i64(), y = b.new_i32();
  Label l = b.new_label();
  b.insn_start(0x10);
  b.ld_i64(x, 0);
  b.st_i64(x, 8);  // read back by the ld below
  b.ld8u_i32(y, 12);
  b.st_i64(x, 8);  // a faulting op must see it
  b.qemu_ld_i64(x, x, kMo64, 0);
  b.st_i64(x, 8);  // a state-reading helper may read it
  b.call_helper(kReadsState, x, {x});
  b.st_i64(x, 8);  // the branch may leave the block
  b.brcond_i64(x, x, Cond::kEq, l);
  b.st_i64(x, 8);  // a label: another path may arrive
  b.set_label(l);
  b.st_i64(x, 8);  // only partly overwritten by the next store: kept
  b.st_i32(y, 8);
  b.st_i64(x, 16);  // dead: both halves overwritten below
  b.st_i32(y, 16);
  b.st_i32(y, 20);
  b.exit_tb(0);
  Block before = block;
  dse(block);
  EXPECT_EQ(before.ops.size() - block.ops.size(), 1u) << print_block(block);
  EXPECT_EQ(count_ops(block, Opcode::st_i64), 6u);
}

TEST(TcgDeadStore, FaultKeepsStateExact) {
  // x86 flags pattern: each instruction stores cc_src; only the last survives,
  // except the one before an instruction that may fault.
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64(), a = b.new_i64();
  b.ld_i64(v, 0);
  b.insn_start(0x100);
  b.st_i64(v, 32);  // dead: insn 0x104 overwrites before anything can observe
  b.insn_start(0x104);
  b.st_i64(v, 32);  // kept: 0x108 may fault
  b.insn_start(0x108);
  b.movi_i64(a, 0x1000);
  b.qemu_ld_i64(v, a, kMo64, 0);
  b.st_i64(v, 32);
  b.exit_tb(0);
  dse(block);
  unsigned stores = count_ops(block, Opcode::st_i64);
  EXPECT_EQ(stores, 2u) << print_block(block);
  EXPECT_EQ(block.ops[2].opc, Opcode::insn_start);  // the first st_i64 went
}

}  // namespace
}  // namespace vx86::tcg
