// Differential test of the optimizer: random blocks (seeded) run through the
// interpreter before and after optimisation must leave the same env, guest
// memory and exit record, including where they fault.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tcg/helper.h"
#include "tcg/interp.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_print.h"
#include "tcg/ir_verify.h"
#include "tcg/optimizer.h"
#include "tests/tcg/random_block.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

using test::kEnvSize;
using test::kMemBase;
using test::kMemSize;
using test::RandomBlock;

struct Outcome {
  ExitRecord exit;
  std::vector<uint8_t> env, mem;
};

Outcome execute(const Block& block, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Outcome o;
  o.env.resize(kEnvSize);
  for (auto& byte : o.env) byte = static_cast<uint8_t>(rng());
  test::FakeMemory mem(kMemBase, kMemSize);
  for (auto& byte : mem.bytes()) byte = static_cast<uint8_t>(rng());
  o.exit = interpret(block, o.env.data(), mem);
  o.mem = mem.bytes();
  return o;
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& context) {
  EXPECT_EQ(a.exit.kind, b.exit.kind) << context;
  EXPECT_EQ(a.exit.value, b.exit.value) << context;
  EXPECT_EQ(a.exit.slot, b.exit.slot) << context;
  EXPECT_EQ(a.exit.insn_index, b.exit.insn_index) << context;
  EXPECT_EQ(a.exit.insn_data[0], b.exit.insn_data[0]) << context;
  EXPECT_EQ(a.exit.fault_in_helper, b.exit.fault_in_helper) << context;
  EXPECT_EQ(a.exit.fault.info, b.exit.fault.info) << context;
  EXPECT_EQ(a.env, b.env) << context;
  EXPECT_EQ(a.mem, b.mem) << context;
}

TEST(TcgDifferential, OptimizedBlocksBehaveLikeOriginals) {
  constexpr unsigned kBlocks = 3000;
  const PassManager standard = PassManager::standard();
  size_t ops_before = 0, ops_after = 0;
  unsigned faults = 0, failures = 0;
  for (unsigned n = 0; n < kBlocks && failures < 3; ++n) {
    RandomBlock gen(n);
    gen.generate(20 + n % 60);
    const Block& original = gen.block;
    std::vector<std::string> errors = verify_block(original);
    ASSERT_TRUE(errors.empty()) << "generator made bad IR: " << errors[0] << "\n"
                                << print_block(original);
    Block opt = original;
    standard.run(opt);
    errors = verify_block(opt);
    ASSERT_TRUE(errors.empty()) << errors[0] << "\n" << print_block(opt);
    ops_before += original.ops.size();
    ops_after += opt.ops.size();

    for (uint64_t input = 0; input < 3; ++input) {
      Outcome want = execute(original, n * 7919 + input);
      Outcome got = execute(opt, n * 7919 + input);
      faults += want.exit.kind == ExitKind::kFault;
      std::string context = "block " + std::to_string(n) + " input " + std::to_string(input) +
                            "\n--- before\n" + print_block(original) + "--- after\n" +
                            print_block(opt);
      if (::testing::Test::HasFailure()) break;
      expect_same(want, got, context);
      if (::testing::Test::HasFailure()) ++failures;
    }
    // Each pass on its own must preserve behaviour too.
    if (n % 5 == 0) {
      for (const PassManager::Pass& pass : standard.passes()) {
        Block single = original;
        pass.fn(single);
        ASSERT_TRUE(verify_block(single).empty()) << pass.name;
        expect_same(execute(original, n), execute(single, n),
                    std::string("pass ") + pass.name + " block " + std::to_string(n));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  // The test must exercise the optimizer and the fault paths, not just pass.
  std::printf("ops %zu -> %zu, faults %u\n", ops_before, ops_after, faults);
  EXPECT_LT(ops_after * 10, ops_before * 9);
  EXPECT_GT(faults, kBlocks / 20);
}

}  // namespace
}  // namespace vx86::tcg
