// Differential test of the x86-64 JIT: thousands of seeded random blocks (the
// generator the optimizer's differential test uses) run through the
// interpreter and the JIT, before and after optimisation, must leave the same
// env, guest memory and exit record, including memory and helper faults.
#include <gtest/gtest.h>

#if defined(__x86_64__)

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tcg/interp.h"
#include "tcg/ir_print.h"
#include "tcg/ir_verify.h"
#include "tcg/jit_x86_64.h"
#include "tcg/optimizer.h"
#include "tests/tcg/random_block.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

struct Outcome {
  ExitRecord exit;
  std::vector<uint8_t> env, mem;
};

template <typename Program>
Outcome execute(const Program& program, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Outcome o;
  o.env.resize(test::kEnvSize);
  for (auto& byte : o.env) byte = static_cast<uint8_t>(rng());
  test::FakeMemory mem(test::kMemBase, test::kMemSize);
  for (auto& byte : mem.bytes()) byte = static_cast<uint8_t>(rng());
  o.exit = program.run(o.env.data(), mem);
  o.mem = mem.bytes();
  return o;
}

bool same(const Outcome& a, const Outcome& b) {
  const ExitRecord &x = a.exit, &y = b.exit;
  return x.kind == y.kind && x.value == y.value && x.slot == y.slot &&
         x.insn_index == y.insn_index && x.insn_data[0] == y.insn_data[0] &&
         x.insn_data[1] == y.insn_data[1] && x.fault_in_helper == y.fault_in_helper &&
         x.fault.code == y.fault.code && x.fault.info == y.fault.info && a.env == b.env &&
         a.mem == b.mem;
}

std::string describe(const Outcome& o) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "kind %d value %llu slot %u insn %d pc %#llx helper %d info %#llx",
                static_cast<int>(o.exit.kind), static_cast<unsigned long long>(o.exit.value),
                o.exit.slot, o.exit.insn_index,
                static_cast<unsigned long long>(o.exit.insn_data[0]), o.exit.fault_in_helper,
                static_cast<unsigned long long>(o.exit.fault.info));
  std::string s = buf;
  s += " env";
  for (size_t i = 0; i < o.env.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i % 8 ? "" : " ", o.env[i]);
    s += buf;
  }
  return s;
}

TEST(TcgJitDifferential, RandomBlocksMatchInterpreter) {
  constexpr unsigned kBlocks = 4000;
  const PassManager standard = PassManager::standard();
  unsigned faults = 0, helper_faults = 0, runs = 0;
  for (unsigned n = 0; n < kBlocks; ++n) {
    test::RandomBlock gen(n + 1000000);
    gen.generate(20 + n % 80);
    std::vector<std::string> errors = verify_block(gen.block);
    ASSERT_TRUE(errors.empty()) << errors[0];
    Block opt = gen.block;
    standard.run(opt);
    for (const Block* block : {&gen.block, &opt}) {
      InterpProgram interp(*block);
      JitBlock jit(*block);
      for (uint64_t input = 0; input < 2; ++input) {
        const uint64_t seed = n * 7919 + input;
        Outcome want = execute(interp, seed);
        Outcome got = execute(jit, seed);
        ++runs;
        faults += want.exit.kind == ExitKind::kFault;
        helper_faults += want.exit.fault_in_helper;
        ASSERT_TRUE(same(want, got))
            << "block " << n << (block == &opt ? " (optimized)" : "") << " input " << input
            << "\ninterp: " << describe(want) << "\njit:    " << describe(got) << "\n"
            << print_block(*block);
      }
    }
  }
  std::printf("jit differential: %u runs, %u faults, %u in helpers\n", runs, faults, helper_faults);
  EXPECT_GT(faults, runs / 20);
  EXPECT_GT(helper_faults, runs / 200);
}

}  // namespace
}  // namespace vx86::tcg

#endif  // __x86_64__
