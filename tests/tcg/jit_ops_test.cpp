// Every pure integer op through the x86-64 JIT on a matrix of edge values
// (including every value tcg ops_test uses), compared with the interpreter.
// Inputs come from env (register paths) and as constant temps (the
// immediate-folding paths), for every condition and a spread of bit fields.
#include <gtest/gtest.h>

#if defined(__x86_64__)

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tcg/interp.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_print.h"
#include "tcg/ir_verify.h"
#include "tcg/jit_x86_64.h"
#include "tests/tcg/random_block.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

const std::vector<uint64_t> kEdgeValues = {
    0,
    1,
    2,
    3,
    5,
    7,
    8,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0x12345678,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
    0x100000000ull,
    0x17fffffffull,
    0x123456789abcdef0ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0x8000000100000001ull,
    0xfffffffffffffff9ull,  // -7
    0xfffffffffffffffeull,
    ~0ull,
};

// Input tuples for an op with `nin` inputs: every pair for one or two inputs,
// a seeded sample for more.
std::vector<std::vector<uint64_t>> input_tuples(unsigned nin, uint64_t seed) {
  std::vector<std::vector<uint64_t>> tuples;
  const size_t n = kEdgeValues.size();
  if (nin == 1) {
    for (uint64_t v : kEdgeValues) tuples.push_back({v});
  } else if (nin == 2) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) tuples.push_back({kEdgeValues[i], kEdgeValues[j]});
  } else {
    std::mt19937_64 rng(seed);
    for (int k = 0; k < 300; ++k) {
      std::vector<uint64_t> t;
      for (unsigned i = 0; i < nin; ++i) t.push_back(kEdgeValues[rng() % n]);
      tuples.push_back(t);
    }
  }
  return tuples;
}

// Constant operand sets: every condition, or (pos, len) bit fields.
std::vector<std::vector<uint64_t>> const_sets(const OpDef& d) {
  if (d.nconst == 0) return {{}};
  if (d.cst[0] == ConstKind::kCond) {
    std::vector<std::vector<uint64_t>> sets;
    for (unsigned c = 0; c < kNumConds; ++c) sets.push_back({c});
    return sets;
  }
  const unsigned width = type_bits(d.out[0]);
  std::vector<std::vector<uint64_t>> sets;
  for (unsigned len : {1u, 2u, 7u, 8u, 16u, 31u, 32u, 33u, 63u, 64u}) {
    if (len > width) continue;
    for (unsigned pos : {0u, 1u, 8u, 31u, width - len}) {
      if (pos + len <= width) sets.push_back({pos, len});
    }
  }
  return sets;
}

// One block applying `opc` to every tuple; inputs from env or as constants
// (mask bit i set: input i is a constant temp). Results go to env at 8*k.
Block build_block(Opcode opc, const std::vector<std::vector<uint64_t>>& tuples,
                  const std::vector<uint64_t>& consts, unsigned const_mask, size_t in_base) {
  const OpDef& d = op_def(opc);
  Block block;
  IrBuilder b(block);
  size_t out_index = 0;
  for (size_t k = 0; k < tuples.size(); ++k) {
    Op op;
    op.opc = opc;
    op.nout = d.nout;
    op.nin = d.nin;
    op.nconst = d.nconst;
    std::vector<Temp> outs;
    for (unsigned i = 0; i < d.nout; ++i) {
      outs.push_back(b.new_temp(d.out[i]));
      op.args[i] = outs.back().id;
    }
    for (unsigned i = 0; i < d.nin; ++i) {
      Temp t;
      if (const_mask & (1u << i)) {
        t = block.const_temp(d.in[i], tuples[k][i]);
      } else {
        t = b.new_temp(d.in[i]);
        const uint64_t off = in_base + 8 * (k * d.nin + i);
        if (d.in[i] == Type::kI32)
          b.ld_i32(t, off);
        else
          b.ld_i64(t, off);
      }
      op.args[d.nout + i] = t.id;
    }
    for (unsigned i = 0; i < d.nconst; ++i) op.args[d.nout + d.nin + i] = consts[i];
    b.emit(op);
    for (unsigned i = 0; i < d.nout; ++i) {
      // Stored as 64 bits so a non-canonical i32 value would show.
      if (d.out[i] == Type::kI32) {
        Temp wide = b.new_i64();
        b.extu_i32_i64(wide, outs[i]);
        b.st_i64(wide, 8 * out_index++);
      } else {
        b.st_i64(outs[i], 8 * out_index++);
      }
    }
  }
  b.exit_tb(0);
  return block;
}

TEST(TcgJitOps, EveryIntegerOpMatchesInterpreter) {
  const std::vector<Opcode> ops = test::pure_scalar_ops();
  size_t cases = 0;
  for (Opcode opc : ops) {
    const OpDef& d = op_def(opc);
    SCOPED_TRACE(d.name);
    const auto tuples = input_tuples(d.nin, static_cast<uint64_t>(opc));
    const size_t in_base = 8 * tuples.size() * d.nout;
    std::vector<uint8_t> env0(in_base + 8 * tuples.size() * d.nin, 0);
    for (size_t k = 0; k < tuples.size(); ++k)
      for (unsigned i = 0; i < d.nin; ++i)
        test::set_env_u64(env0, in_base + 8 * (k * d.nin + i), tuples[k][i]);
    // Register inputs, all-constant inputs, and each input alone constant.
    std::vector<unsigned> masks = {0, (1u << d.nin) - 1};
    for (unsigned i = 0; i < d.nin && d.nin > 1; ++i) masks.push_back(1u << i);
    for (const auto& consts : const_sets(d)) {
      for (unsigned mask : masks) {
        Block block = build_block(opc, tuples, consts, mask, in_base);
        std::vector<std::string> errors = verify_block(block);
        ASSERT_TRUE(errors.empty()) << errors[0];
        std::vector<uint8_t> want = env0, got = env0;
        test::FakeMemory mem;
        ExitRecord ex_want = interpret(block, want.data(), mem);
        ExitRecord ex_got = JitBlock(block).run(got.data(), mem);
        ASSERT_EQ(ex_want.kind, ex_got.kind);
        for (size_t k = 0; k < tuples.size(); ++k) {
          for (unsigned o = 0; o < d.nout; ++o) {
            const size_t off = 8 * (k * d.nout + o);
            uint64_t w = test::env_u64(want, off), g = test::env_u64(got, off);
            if (w != g) {
              std::string in;
              char buf[24];
              for (uint64_t v : tuples[k]) {
                std::snprintf(buf, sizeof buf, " %#llx", static_cast<unsigned long long>(v));
                in += buf;
              }
              ADD_FAILURE() << d.name << " inputs" << in << " const mask " << mask
                            << (consts.empty() ? "" : " const0 " + std::to_string(consts[0]))
                            << " output " << o << ": interp " << std::hex << w << " jit " << g;
              return;
            }
          }
        }
        cases += tuples.size();
      }
    }
  }
  std::printf("jit op cases: %zu\n", cases);
  EXPECT_GT(cases, 100000u);
}

// A few results checked against known values, not only against the interpreter.
uint64_t jit1(Opcode opc, std::vector<uint64_t> ins, std::vector<uint64_t> consts = {}) {
  Block block = build_block(opc, {ins}, consts, 0, 64);
  std::vector<uint8_t> env(128, 0);
  for (size_t i = 0; i < ins.size(); ++i) test::set_env_u64(env, 64 + 8 * i, ins[i]);
  test::FakeMemory mem;
  JitBlock(block).run(env.data(), mem);
  return test::env_u64(env, 0);
}

TEST(TcgJitOps, KnownValues) {
  using O = Opcode;
  EXPECT_EQ(jit1(O::divs_i32, {0x80000000, 0xffffffff}), 0x80000000u);
  EXPECT_EQ(jit1(O::rems_i64, {0x8000000000000000ull, ~0ull}), 0u);
  EXPECT_EQ(jit1(O::divu_i64, {5, 0}), 0u);
  EXPECT_EQ(jit1(O::remu_i32, {5, 0}), 5u);
  EXPECT_EQ(jit1(O::shl_i32, {1, 32}), 1u);
  EXPECT_EQ(jit1(O::clz_i32, {0, 99}), 99u);
  EXPECT_EQ(jit1(O::clz_i64, {0xffffffff, 64}), 32u);
  EXPECT_EQ(jit1(O::ctz_i64, {0x8000000000000000ull, 0}), 63u);
  EXPECT_EQ(jit1(O::bswap16_i64, {0xffffffffffff1234ull}), 0x3412u);
  EXPECT_EQ(jit1(O::deposit_i64, {~0ull, 0}, {8, 32}), 0xffffff00000000ffull);
  EXPECT_EQ(jit1(O::sextract_i64, {0x0000800000000000ull}, {32, 16}), 0xffffffffffff8000ull);
  EXPECT_EQ(jit1(O::setcond_i64, {0xffffffff, 1}, {static_cast<uint64_t>(Cond::kLt)}), 0u);
}

}  // namespace
}  // namespace vx86::tcg

#endif  // __x86_64__
