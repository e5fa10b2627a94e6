// Every integer op on edge values, for i32 and i64. Each case runs twice: with
// inputs loaded from env (the interpreter computes) and with constant inputs
// after the optimizer (the constant folder computes); both must agree.
#include <gtest/gtest.h>

#include <vector>

#include "tcg/interp.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_verify.h"
#include "tcg/optimizer.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

constexpr uint32_t kOutBase = 128;

std::vector<uint64_t> execute(Opcode opc, const std::vector<uint64_t>& ins,
                              const std::vector<uint64_t>& consts, bool constant_inputs) {
  const OpDef& d = op_def(opc);
  Block block;
  IrBuilder b(block);
  std::vector<uint8_t> env(256, 0);
  Op op;
  op.opc = opc;
  op.nout = d.nout;
  op.nin = d.nin;
  op.nconst = d.nconst;
  EXPECT_EQ(ins.size(), d.nin) << d.name;
  EXPECT_EQ(consts.size(), d.nconst) << d.name;
  std::vector<Temp> outs;
  for (unsigned i = 0; i < d.nout; ++i) {
    outs.push_back(b.new_temp(d.out[i]));
    op.args[i] = outs.back().id;
  }
  for (unsigned i = 0; i < d.nin; ++i) {
    Temp t;
    if (constant_inputs) {
      t = block.const_temp(d.in[i], ins[i]);
    } else {
      t = b.new_temp(d.in[i]);
      test::set_env_u64(env, 8 * i, ins[i]);
      if (d.in[i] == Type::kI32)
        b.ld_i32(t, 8 * i);
      else
        b.ld_i64(t, 8 * i);
    }
    op.args[d.nout + i] = t.id;
  }
  for (unsigned i = 0; i < d.nconst; ++i) op.args[d.nout + d.nin + i] = consts[i];
  b.emit(op);
  for (unsigned i = 0; i < d.nout; ++i) {
    // Store zero-extended to 64 bits so a non-canonical i32 value would show.
    if (d.out[i] == Type::kI32) {
      Temp wide = b.new_i64();
      b.extu_i32_i64(wide, outs[i]);
      b.st_i64(wide, kOutBase + 8 * i);
    } else {
      b.st_i64(outs[i], kOutBase + 8 * i);
    }
  }
  b.exit_tb(0);
  EXPECT_TRUE(verify_block(block).empty()) << d.name;
  if (constant_inputs) {
    optimize(block);
    EXPECT_TRUE(verify_block(block).empty()) << d.name;
    for (const Op& o : block.ops) EXPECT_NE(o.opc, opc) << d.name << " was not folded";
  }
  test::FakeMemory mem;
  ExitRecord ex = interpret(block, env.data(), mem);
  EXPECT_EQ(ex.kind, ExitKind::kExitTb);
  std::vector<uint64_t> result;
  for (unsigned i = 0; i < d.nout; ++i) result.push_back(test::env_u64(env, kOutBase + 8 * i));
  return result;
}

std::vector<uint64_t> run(Opcode opc, std::vector<uint64_t> ins,
                          std::vector<uint64_t> consts = {}) {
  std::vector<uint64_t> interpreted = execute(opc, ins, consts, false);
  std::vector<uint64_t> folded = execute(opc, ins, consts, true);
  EXPECT_EQ(interpreted, folded) << op_name(opc) << " folded differently";
  return interpreted;
}

uint64_t run1(Opcode opc, std::vector<uint64_t> ins, std::vector<uint64_t> consts = {}) {
  return run(opc, ins, consts).at(0);
}

constexpr uint64_t kM32 = 0xffffffffull;
constexpr uint64_t kMin32 = 0x80000000ull;
constexpr uint64_t kM64 = ~0ull;
constexpr uint64_t kMin64 = 0x8000000000000000ull;
using O = Opcode;

TEST(TcgOps, AddSubMulWrap) {
  EXPECT_EQ(run1(O::add_i32, {kM32, 1}), 0u);
  EXPECT_EQ(run1(O::add_i32, {0x7fffffff, 1}), kMin32);
  EXPECT_EQ(run1(O::add_i64, {kM64, 1}), 0u);
  EXPECT_EQ(run1(O::sub_i32, {0, 1}), kM32);
  EXPECT_EQ(run1(O::sub_i64, {0, 1}), kM64);
  EXPECT_EQ(run1(O::sub_i64, {kMin64, 1}), 0x7fffffffffffffffull);
  EXPECT_EQ(run1(O::mul_i32, {0x10000, 0x10000}), 0u);
  EXPECT_EQ(run1(O::mul_i32, {kM32, kM32}), 1u);
  EXPECT_EQ(run1(O::mul_i64, {1ull << 32, 1ull << 32}), 0u);
  EXPECT_EQ(run1(O::mul_i64, {kM64, 3}), kM64 - 2);
  EXPECT_EQ(run1(O::neg_i32, {kMin32}), kMin32);
  EXPECT_EQ(run1(O::neg_i32, {1}), kM32);
  EXPECT_EQ(run1(O::neg_i64, {kMin64}), kMin64);
  EXPECT_EQ(run1(O::neg_i64, {0}), 0u);
}

TEST(TcgOps, DoubleWidthProducts) {
  EXPECT_EQ(run(O::mulu2_i32, {kM32, kM32}), (std::vector<uint64_t>{1, 0xfffffffe}));
  EXPECT_EQ(run(O::muls2_i32, {kM32, kM32}), (std::vector<uint64_t>{1, 0}));
  EXPECT_EQ(run(O::muls2_i32, {kM32, 2}), (std::vector<uint64_t>{0xfffffffe, kM32}));
  EXPECT_EQ(run(O::muls2_i32, {kMin32, kMin32}), (std::vector<uint64_t>{0, 0x40000000}));
  EXPECT_EQ(run(O::mulu2_i64, {kM64, kM64}), (std::vector<uint64_t>{1, kM64 - 1}));
  EXPECT_EQ(run(O::muls2_i64, {kM64, 2}), (std::vector<uint64_t>{kM64 - 1, kM64}));
  EXPECT_EQ(run(O::muls2_i64, {kMin64, kMin64}), (std::vector<uint64_t>{0, 0x4000000000000000ull}));
  EXPECT_EQ(run(O::mulu2_i64, {1ull << 63, 4}), (std::vector<uint64_t>{0, 2}));
}

TEST(TcgOps, DivisionSigns) {
  const uint64_t m7_32 = uint32_t(-7), m7 = uint64_t(-7);
  EXPECT_EQ(run1(O::divu_i32, {7, 2}), 3u);
  EXPECT_EQ(run1(O::remu_i32, {7, 2}), 1u);
  EXPECT_EQ(run1(O::divu_i32, {m7_32, 2}), 0x7ffffffcu);
  EXPECT_EQ(run1(O::divs_i32, {m7_32, 2}), uint32_t(-3));
  EXPECT_EQ(run1(O::rems_i32, {m7_32, 2}), kM32);
  EXPECT_EQ(run1(O::divs_i32, {7, uint32_t(-2)}), uint32_t(-3));
  EXPECT_EQ(run1(O::rems_i32, {7, uint32_t(-2)}), 1u);
  EXPECT_EQ(run1(O::divs_i32, {m7_32, uint32_t(-2)}), 3u);
  EXPECT_EQ(run1(O::rems_i32, {m7_32, uint32_t(-2)}), kM32);
  EXPECT_EQ(run1(O::divs_i32, {kMin32, kM32}), kMin32);  // defined: wraps
  EXPECT_EQ(run1(O::rems_i32, {kMin32, kM32}), 0u);
  EXPECT_EQ(run1(O::divu_i32, {5, 0}), 0u);  // defined fallbacks for division by zero
  EXPECT_EQ(run1(O::remu_i32, {5, 0}), 5u);
  EXPECT_EQ(run1(O::divs_i32, {5, 0}), 0u);
  EXPECT_EQ(run1(O::rems_i32, {5, 0}), 5u);
  EXPECT_EQ(run1(O::divu_i64, {m7, 2}), 0x7ffffffffffffffcull);
  EXPECT_EQ(run1(O::divs_i64, {m7, 2}), uint64_t(-3));
  EXPECT_EQ(run1(O::rems_i64, {m7, 2}), kM64);
  EXPECT_EQ(run1(O::remu_i64, {m7, 10}), (uint64_t(-7)) % 10);
  EXPECT_EQ(run1(O::divs_i64, {kMin64, kM64}), kMin64);
  EXPECT_EQ(run1(O::rems_i64, {kMin64, kM64}), 0u);
  EXPECT_EQ(run1(O::divu_i64, {5, 0}), 0u);
  EXPECT_EQ(run1(O::remu_i64, {5, 0}), 5u);
}

TEST(TcgOps, Logic) {
  EXPECT_EQ(run1(O::and_i32, {0xf0f0, 0xff00}), 0xf000u);
  EXPECT_EQ(run1(O::or_i32, {0xf0f0, 0xff00}), 0xfff0u);
  EXPECT_EQ(run1(O::xor_i32, {0xf0f0, 0xff00}), 0x0ff0u);
  EXPECT_EQ(run1(O::andc_i32, {0xf0f0, 0xff00}), 0x00f0u);
  EXPECT_EQ(run1(O::not_i32, {0}), kM32);
  EXPECT_EQ(run1(O::and_i64, {kM64, 1ull << 40}), 1ull << 40);
  EXPECT_EQ(run1(O::or_i64, {1ull << 63, 1}), (1ull << 63) | 1);
  EXPECT_EQ(run1(O::xor_i64, {kM64, kM64}), 0u);
  EXPECT_EQ(run1(O::andc_i64, {kM64, 1}), kM64 - 1);
  EXPECT_EQ(run1(O::not_i64, {0}), kM64);
}

TEST(TcgOps, ShiftsAndRotates32) {
  EXPECT_EQ(run1(O::shl_i32, {0x12345678, 0}), 0x12345678u);
  EXPECT_EQ(run1(O::shl_i32, {1, 31}), kMin32);
  EXPECT_EQ(run1(O::shl_i32, {3, 31}), kMin32);
  EXPECT_EQ(run1(O::shl_i32, {1, 32}), 1u);  // count modulo width
  EXPECT_EQ(run1(O::shr_i32, {kMin32, 31}), 1u);
  EXPECT_EQ(run1(O::shr_i32, {kMin32, 0}), kMin32);
  EXPECT_EQ(run1(O::sar_i32, {kMin32, 31}), kM32);
  EXPECT_EQ(run1(O::sar_i32, {0x40000000, 30}), 1u);
  EXPECT_EQ(run1(O::sar_i32, {kMin32, 0}), kMin32);
  EXPECT_EQ(run1(O::rotl_i32, {0x80000001, 1}), 3u);
  EXPECT_EQ(run1(O::rotl_i32, {0x80000001, 0}), 0x80000001u);
  EXPECT_EQ(run1(O::rotl_i32, {3, 31}), 0x80000001u);
  EXPECT_EQ(run1(O::rotr_i32, {3, 1}), 0x80000001u);
  EXPECT_EQ(run1(O::rotr_i32, {3, 0}), 3u);
  EXPECT_EQ(run1(O::rotr_i32, {0x80000001, 31}), 3u);
}

TEST(TcgOps, ShiftsAndRotates64) {
  EXPECT_EQ(run1(O::shl_i64, {0x123456789, 0}), 0x123456789u);
  EXPECT_EQ(run1(O::shl_i64, {1, 63}), kMin64);
  EXPECT_EQ(run1(O::shl_i64, {1, 64}), 1u);
  EXPECT_EQ(run1(O::shl_i64, {1, 32}), 1ull << 32);
  EXPECT_EQ(run1(O::shr_i64, {kMin64, 63}), 1u);
  EXPECT_EQ(run1(O::shr_i64, {kMin64, 0}), kMin64);
  EXPECT_EQ(run1(O::sar_i64, {kMin64, 63}), kM64);
  EXPECT_EQ(run1(O::sar_i64, {kMin64, 0}), kMin64);
  EXPECT_EQ(run1(O::sar_i64, {kMin64, 32}), 0xffffffff80000000ull);
  EXPECT_EQ(run1(O::rotl_i64, {kMin64 | 1, 1}), 3u);
  EXPECT_EQ(run1(O::rotl_i64, {3, 63}), kMin64 | 1);
  EXPECT_EQ(run1(O::rotl_i64, {5, 0}), 5u);
  EXPECT_EQ(run1(O::rotr_i64, {3, 1}), kMin64 | 1);
  EXPECT_EQ(run1(O::rotr_i64, {kMin64 | 1, 63}), 3u);
  EXPECT_EQ(run1(O::rotr_i64, {5, 0}), 5u);
}

TEST(TcgOps, Extensions) {
  EXPECT_EQ(run1(O::ext8s_i32, {0x180}), 0xffffff80u);
  EXPECT_EQ(run1(O::ext8s_i32, {0x17f}), 0x7fu);
  EXPECT_EQ(run1(O::ext8u_i32, {0x1ff}), 0xffu);
  EXPECT_EQ(run1(O::ext16s_i32, {0x8000}), 0xffff8000u);
  EXPECT_EQ(run1(O::ext16u_i32, {0x12345678}), 0x5678u);
  EXPECT_EQ(run1(O::ext8s_i64, {0x80}), 0xffffffffffffff80ull);
  EXPECT_EQ(run1(O::ext8u_i64, {kM64}), 0xffu);
  EXPECT_EQ(run1(O::ext16s_i64, {0x7fff}), 0x7fffu);
  EXPECT_EQ(run1(O::ext16s_i64, {0x18000}), 0xffffffffffff8000ull);
  EXPECT_EQ(run1(O::ext16u_i64, {kM64}), 0xffffu);
  EXPECT_EQ(run1(O::ext32s_i64, {kMin32}), 0xffffffff80000000ull);
  EXPECT_EQ(run1(O::ext32s_i64, {0x17fffffff}), 0x7fffffffu);
  EXPECT_EQ(run1(O::ext32u_i64, {kM64}), kM32);
  EXPECT_EQ(run1(O::extrl_i64_i32, {0x123456789abcdef0}), 0x9abcdef0u);
  EXPECT_EQ(run1(O::extrh_i64_i32, {0x123456789abcdef0}), 0x12345678u);
  EXPECT_EQ(run1(O::extu_i32_i64, {kMin32}), kMin32);
  EXPECT_EQ(run1(O::exts_i32_i64, {kMin32}), 0xffffffff80000000ull);
  EXPECT_EQ(run1(O::exts_i32_i64, {0x7fffffff}), 0x7fffffffu);
  EXPECT_EQ(run1(O::concat_i32_i64, {1, kM32}), 0xffffffff00000001ull);
}

TEST(TcgOps, SetcondAllConditions) {
  // Expected results for (a, b) = (-1, 1) and (1, 1), in Cond order.
  const int lt_case[kNumConds] = {0, 1, 1, 1, 0, 0, 0, 0, 1, 1};
  const int eq_case[kNumConds] = {1, 0, 0, 1, 0, 1, 0, 1, 0, 1};
  const int gt_case[kNumConds] = {0, 1, 0, 0, 1, 1, 1, 1, 0, 0};   // (1, -1)
  const int big_case[kNumConds] = {0, 1, 0, 0, 1, 1, 0, 0, 1, 1};  // (2, 1)
  for (unsigned c = 0; c < kNumConds; ++c) {
    SCOPED_TRACE(cond_name(Cond(c)));
    EXPECT_EQ(run1(O::setcond_i32, {kM32, 1}, {c}), uint64_t(lt_case[c]));
    EXPECT_EQ(run1(O::setcond_i32, {1, 1}, {c}), uint64_t(eq_case[c]));
    EXPECT_EQ(run1(O::setcond_i32, {1, kM32}, {c}), uint64_t(gt_case[c]));
    EXPECT_EQ(run1(O::setcond_i64, {kM64, 1}, {c}), uint64_t(lt_case[c]));
    EXPECT_EQ(run1(O::setcond_i64, {kMin64, kMin64}, {c}), uint64_t(eq_case[c]));
    EXPECT_EQ(run1(O::setcond_i64, {1, kM64}, {c}), uint64_t(gt_case[c]));
    // As i64, 0xffffffff is 4294967295, not -1.
    EXPECT_EQ(run1(O::setcond_i64, {kM32, 1}, {c}), uint64_t(big_case[c]));
    // Sign boundary: MIN < MAX signed, MIN > MAX unsigned.
    EXPECT_EQ(run1(O::setcond_i32, {kMin32, 0x7fffffff}, {c}), uint64_t(lt_case[c]));
  }
}

TEST(TcgOps, Movcond) {
  for (unsigned c = 0; c < kNumConds; ++c) {
    SCOPED_TRACE(cond_name(Cond(c)));
    uint64_t expect_lt = run1(O::setcond_i32, {kM32, 1}, {c}) ? 10 : 20;
    EXPECT_EQ(run1(O::movcond_i32, {kM32, 1, 10, 20}, {c}), expect_lt);
    uint64_t expect_64 = run1(O::setcond_i64, {5, kM64}, {c}) ? kM64 : 7;
    EXPECT_EQ(run1(O::movcond_i64, {5, kM64, kM64, 7}, {c}), expect_64);
  }
}

TEST(TcgOps, CountBits) {
  EXPECT_EQ(run1(O::clz_i32, {0, 32}), 32u);  // zero input takes the fallback argument
  EXPECT_EQ(run1(O::clz_i32, {0, 99}), 99u);
  EXPECT_EQ(run1(O::clz_i32, {1, 99}), 31u);
  EXPECT_EQ(run1(O::clz_i32, {kMin32, 99}), 0u);
  EXPECT_EQ(run1(O::ctz_i32, {0, 77}), 77u);
  EXPECT_EQ(run1(O::ctz_i32, {kMin32, 77}), 31u);
  EXPECT_EQ(run1(O::ctz_i32, {6, 77}), 1u);
  EXPECT_EQ(run1(O::ctpop_i32, {kM32}), 32u);
  EXPECT_EQ(run1(O::ctpop_i32, {0}), 0u);
  EXPECT_EQ(run1(O::clz_i64, {0, 64}), 64u);
  EXPECT_EQ(run1(O::clz_i64, {1, 64}), 63u);
  EXPECT_EQ(run1(O::clz_i64, {kMin64, 64}), 0u);
  EXPECT_EQ(run1(O::clz_i64, {kM32, 64}), 32u);
  EXPECT_EQ(run1(O::ctz_i64, {0, kM64}), kM64);
  EXPECT_EQ(run1(O::ctz_i64, {kMin64, 0}), 63u);
  EXPECT_EQ(run1(O::ctpop_i64, {kM64}), 64u);
  EXPECT_EQ(run1(O::ctpop_i64, {0x8000000100000001ull}), 3u);
}

TEST(TcgOps, ByteSwaps) {
  EXPECT_EQ(run1(O::bswap16_i32, {0x12345678}), 0x7856u);
  EXPECT_EQ(run1(O::bswap32_i32, {0x12345678}), 0x78563412u);
  EXPECT_EQ(run1(O::bswap32_i32, {0x000000ff}), 0xff000000u);
  EXPECT_EQ(run1(O::bswap16_i64, {0xffffffffffff1234ull}), 0x3412u);
  EXPECT_EQ(run1(O::bswap32_i64, {0xffffffff12345678ull}), 0x78563412u);
  EXPECT_EQ(run1(O::bswap64_i64, {0x0102030405060708ull}), 0x0807060504030201ull);
}

TEST(TcgOps, Bitfields) {
  EXPECT_EQ(run1(O::deposit_i32,
                 {
                     kM32,
                     0,
                 },
                 {4, 8}),
            0xfffff00fu);
  EXPECT_EQ(run1(O::deposit_i32, {0, kM32}, {0, 32}), kM32);
  EXPECT_EQ(run1(O::deposit_i32, {0, 0x3}, {31, 1}), kMin32);
  EXPECT_EQ(run1(O::deposit_i32, {0x12345678, 0xab}, {8, 8}), 0x1234ab78u);
  EXPECT_EQ(run1(O::deposit_i64, {0, 3}, {62, 2}), 0xc000000000000000ull);
  EXPECT_EQ(run1(O::deposit_i64, {kM64, 0}, {0, 64}), 0u);
  EXPECT_EQ(run1(O::deposit_i64, {kM64, 0}, {8, 32}), 0xffffff00000000ffull);
  EXPECT_EQ(run1(O::extract_i32, {0x12345678}, {8, 8}), 0x56u);
  EXPECT_EQ(run1(O::extract_i32, {kM32}, {0, 32}), kM32);
  EXPECT_EQ(run1(O::extract_i32, {kMin32}, {31, 1}), 1u);
  EXPECT_EQ(run1(O::sextract_i32, {0x8000}, {8, 8}), 0xffffff80u);
  EXPECT_EQ(run1(O::sextract_i32, {0x7000}, {8, 8}), 0x70u);
  EXPECT_EQ(run1(O::sextract_i32, {kMin32}, {0, 32}), kMin32);
  EXPECT_EQ(run1(O::extract_i64, {kM64}, {0, 64}), kM64);
  EXPECT_EQ(run1(O::extract_i64, {0x123456789abcdef0ull}, {60, 4}), 1u);
  EXPECT_EQ(run1(O::sextract_i64, {kMin64}, {63, 1}), kM64);
  EXPECT_EQ(run1(O::sextract_i64, {0x0000800000000000ull}, {32, 16}), 0xffffffffffff8000ull);
}

}  // namespace
}  // namespace vx86::tcg
