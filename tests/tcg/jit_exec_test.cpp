// The x86-64 JIT on hand-written blocks: exits, env and guest memory accesses,
// faults with their insn_start, helper calls and helper faults, loops, v128,
// repeated runs, exceptions from MemoryInterface, and W^X code memory. Each
// block also runs through the interpreter and must give the same result.
#include <gtest/gtest.h>

#if defined(__x86_64__)

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/helper.h"
#include "tcg/interp.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_verify.h"
#include "tcg/jit_x86_64.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

using test::env_u64;
using test::FakeMemory;
using test::set_env_u64;

void expect_same_exit(const ExitRecord& a, const ExitRecord& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_EQ(a.insn_index, b.insn_index);
  EXPECT_EQ(a.insn_data[0], b.insn_data[0]);
  EXPECT_EQ(a.insn_data[1], b.insn_data[1]);
  EXPECT_EQ(a.fault_in_helper, b.fault_in_helper);
  EXPECT_EQ(a.fault.code, b.fault.code);
  EXPECT_EQ(a.fault.info, b.fault.info);
}

// Runs the block through the JIT on env/mem and through the interpreter on
// copies; env, guest memory and exit record must agree. Returns the JIT's exit.
ExitRecord run_block(const Block& block, std::vector<uint8_t>& env, FakeMemory& mem) {
  std::vector<std::string> errors = verify_block(block);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0]);
  std::vector<uint8_t> ref_env = env;
  FakeMemory ref_mem = mem;
  ExitRecord want = interpret(block, ref_env.data(), ref_mem);
  ExitRecord got = JitBlock(block).run(env.data(), mem);
  expect_same_exit(want, got);
  EXPECT_EQ(ref_env, env);
  EXPECT_EQ(ref_mem.bytes(), mem.bytes());
  EXPECT_EQ(ref_mem.last_mem_index, mem.last_mem_index);
  return got;
}

TEST(TcgJit, ExitKinds) {
  std::vector<uint8_t> env(64);
  FakeMemory mem;
  Block a;
  IrBuilder(a).exit_tb(0x123456789abcull);
  ExitRecord ex = run_block(a, env, mem);
  EXPECT_EQ(ex.kind, ExitKind::kExitTb);
  EXPECT_EQ(ex.value, 0x123456789abcull);
  EXPECT_EQ(ex.insn_index, -1);

  Block g;
  IrBuilder(g).goto_tb(1);
  ex = run_block(g, env, mem);
  EXPECT_EQ(ex.kind, ExitKind::kGotoTb);
  EXPECT_EQ(ex.slot, 1u);

  Block l;
  IrBuilder(l).lookup_and_goto_ptr();
  EXPECT_EQ(run_block(l, env, mem).kind, ExitKind::kLookup);
}

TEST(TcgJit, EnvLoadsAndStores) {
  std::vector<uint8_t> env(64);
  set_env_u64(env, 0, 0x80818283f4f5f6f7ull);
  FakeMemory mem;
  Block block;
  IrBuilder b(block);
  Temp t32 = b.new_i32(), t64 = b.new_i64();
  b.ld8s_i32(t32, 0);
  b.st_i32(t32, 8);
  b.ld16s_i64(t64, 0);
  b.st_i64(t64, 16);
  b.ld32u_i64(t64, 4);
  b.st_i64(t64, 24);
  b.ld32s_i64(t64, 4);
  b.st16_i64(t64, 32);
  b.ld8u_i32(t32, 1);
  b.st8_i32(t32, 40);
  b.st_i64(b.const_i64(0xfedcba9876543210ull), 48);  // constant too wide for imm32
  b.st_i64(b.const_i64(~0ull), 56);                  // sign-extended imm32
  b.st8_i64(b.const_i64(0x1ff), 3);
  b.exit_tb(0);
  run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 8) & 0xffffffff, 0xfffffff7u);
  EXPECT_EQ(env_u64(env, 16), 0xfffffffffffff6f7ull);
  EXPECT_EQ(env_u64(env, 24), 0x80818283u);
  EXPECT_EQ(env_u64(env, 32), 0x8283u);
  EXPECT_EQ(env_u64(env, 40), 0xf6u);
  EXPECT_EQ(env_u64(env, 48), 0xfedcba9876543210ull);
  EXPECT_EQ(env_u64(env, 56), ~0ull);
  EXPECT_EQ(env[3], 0xff);
}

TEST(TcgJit, GuestMemorySizesAndSign) {
  std::vector<uint8_t> env(64);
  FakeMemory mem(0x1000, 64);
  Block block;
  IrBuilder b(block);
  Temp addr = b.new_i64(), v = b.new_i64(), w = b.new_i32();
  b.insn_start(0x400000);
  b.movi_i64(addr, 0x1000);
  b.movi_i64(v, 0x8899aabbccddeeffull);
  b.qemu_st_i64(v, addr, kMo64, 3);
  b.qemu_ld_i64(v, addr, kMo8 | kMoSign, 3);
  b.st_i64(v, 0);
  b.qemu_ld_i64(v, addr, kMo16, 3);
  b.st_i64(v, 8);
  b.qemu_ld_i32(w, addr, kMo16 | kMoSign, 3);
  b.st_i32(w, 16);
  b.qemu_ld_i64(v, addr, kMo32 | kMoSign, 3);
  b.st_i64(v, 24);
  b.movi_i32(w, 0x11223344);
  b.qemu_st_i32(w, addr, kMo16, 2);
  b.qemu_ld_i64(v, addr, kMo64, 2);
  b.st_i64(v, 32);
  b.exit_tb(0);
  ExitRecord ex = run_block(block, env, mem);
  EXPECT_EQ(ex.kind, ExitKind::kExitTb);
  EXPECT_EQ(env_u64(env, 0), 0xffffffffffffffffull);
  EXPECT_EQ(env_u64(env, 8), 0xeeffu);
  EXPECT_EQ(env_u64(env, 16) & 0xffffffff, 0xffffeeffu);
  EXPECT_EQ(env_u64(env, 24), 0xffffffffccddeeffull);
  EXPECT_EQ(env_u64(env, 32), 0x8899aabbccdd3344ull);
  EXPECT_EQ(mem.last_mem_index, 2u);
}

TEST(TcgJit, MemoryFaultStopsAtCurrentInsn) {
  std::vector<uint8_t> env(64);
  FakeMemory mem(0x1000, 64);
  Block block;
  IrBuilder b(block);
  Temp addr = b.new_i64(), v = b.new_i64();
  b.insn_start(0x100, 7);
  b.movi_i64(v, 1);
  b.st_i64(v, 0);
  b.insn_start(0x104, 8);
  b.movi_i64(v, 2);
  b.st_i64(v, 0);
  b.movi_i64(addr, 0x9000);
  b.qemu_ld_i64(v, addr, kMo32, 0);
  b.st_i64(v, 8);
  b.exit_tb(0);
  ExitRecord ex = run_block(block, env, mem);
  EXPECT_EQ(ex.kind, ExitKind::kFault);
  EXPECT_EQ(ex.insn_index, 1);
  EXPECT_EQ(ex.insn_data[0], 0x104u);
  EXPECT_EQ(ex.insn_data[1], 8u);
  EXPECT_FALSE(ex.fault_in_helper);
  EXPECT_EQ(ex.fault.info, 0x9000u);
  EXPECT_EQ(env_u64(env, 0), 2u);
  EXPECT_EQ(env_u64(env, 8), 0u);
}

// The insn index counts insn_start ops executed, so a skipped insn_start
// does not count (as in the interpreter).
TEST(TcgJit, SkippedInsnStartIsNotCounted) {
  std::vector<uint8_t> env(64);
  FakeMemory mem(0x1000, 64);
  Block block;
  IrBuilder b(block);
  Label skip = b.new_label();
  Temp v = b.new_i64();
  b.insn_start(0x10, 1);
  b.ld_i64(v, 0);
  b.brcond_i64(v, b.const_i64(0), Cond::kEq, skip);
  b.insn_start(0x20, 2);
  b.st_i64(v, 8);
  b.set_label(skip);
  b.insn_start(0x30, 3);
  b.qemu_st_i64(v, b.const_i64(0x5000), kMo64, 0);
  b.exit_tb(0);
  ExitRecord ex = run_block(block, env, mem);
  EXPECT_EQ(ex.insn_index, 1);
  EXPECT_EQ(ex.insn_data[0], 0x30u);
  set_env_u64(env, 0, 5);
  ex = run_block(block, env, mem);
  EXPECT_EQ(ex.insn_index, 2);
  EXPECT_EQ(ex.insn_data[1], 3u);
}

struct TestEnv {
  uint64_t regs[4];
};
uint64_t helper_read_reg(TestEnv* env, uint32_t index) {
  return env->regs[index & 3];
}
void helper_check_nonzero(TestEnv*, uint64_t v) {
  if (v == 0) throw GuestFault{13, 0xdead};
}
uint32_t helper_mul_low(void*, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                        uint64_t f) {
  return static_cast<uint32_t>(a * b * c * d * e * f + 0x100000000ull);
}
uint64_t helper_sum6(void*, uint32_t a, uint64_t b, uint32_t c, uint64_t d, uint32_t e,
                     uint64_t f) {
  return a + b + c + d + e + f;
}

const HelperInfo kReadReg = make_helper<&helper_read_reg>("read_reg", kHelperReadsState);
const HelperInfo kCheckNonzero = make_helper<&helper_check_nonzero>("check", kHelperMayFault);
const HelperInfo kMulLow = make_helper<&helper_mul_low>("mul_low", kHelperNoSideEffects);
const HelperInfo kSum6 = make_helper<&helper_sum6>("sum6", kHelperNoSideEffects);

TEST(TcgJit, HelperCallsAndHelperFaults) {
  std::vector<uint8_t> env(80);
  set_env_u64(env, 16, 77);
  FakeMemory mem;
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64(), six = b.new_i64(), r32 = b.new_i32(), s = b.new_i64();
  b.insn_start(0x10);
  b.call_helper(kReadReg, v, {b.const_i32(2)});
  b.st_i64(v, 32);
  b.movi_i64(six, 2);
  b.call_helper(kMulLow, r32, {six, six, six, six, six, six});
  b.st_i32(r32, 40);
  b.call_helper(kSum6, s,
                {r32, b.const_i64(0x100000000ull), b.const_i32(0xffffffff), six, b.const_i32(1),
                 b.const_i64(~0ull)});
  b.st_i64(s, 64);
  b.call_helper(kCheckNonzero, {v});
  b.insn_start(0x20);
  b.st_i64(v, 48);
  b.call_helper(kCheckNonzero, {b.const_i64(0)});
  b.st_i64(v, 56);
  b.exit_tb(0);
  ExitRecord ex = run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 32), 77u);
  EXPECT_EQ(env_u64(env, 40) & 0xffffffff, 64u);
  EXPECT_EQ(env_u64(env, 64), 64u + 0x100000000ull + 0xffffffffull + 2 + 1 - 1);
  EXPECT_EQ(env_u64(env, 48), 77u);
  EXPECT_EQ(env_u64(env, 56), 0u);
  EXPECT_EQ(ex.kind, ExitKind::kFault);
  EXPECT_TRUE(ex.fault_in_helper);
  EXPECT_EQ(ex.fault.code, 13u);
  EXPECT_EQ(ex.fault.info, 0xdeadu);
  EXPECT_EQ(ex.insn_index, 1);
  EXPECT_EQ(ex.insn_data[0], 0x20u);
}

TEST(TcgJit, BackwardBranchLoop) {
  std::vector<uint8_t> env(64);
  FakeMemory mem;
  Block block;
  IrBuilder b(block);
  Temp i = b.new_i64(), sum = b.new_i64();
  Label loop = b.new_label();
  b.movi_i64(i, 10);
  b.movi_i64(sum, 0);
  b.set_label(loop);
  b.insn_start(0x40, 0);  // executed ten times: the index counts executions
  b.add_i64(sum, sum, i);
  b.sub_i64(i, i, b.const_i64(1));
  b.brcond_i64(i, b.const_i64(0), Cond::kNe, loop);
  b.st_i64(sum, 0);
  b.exit_tb(0);
  ExitRecord ex = run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 0), 55u);
  EXPECT_EQ(ex.insn_index, 9);
}

TEST(TcgJit, Vector128) {
  std::vector<uint8_t> env(128);
  set_env_u64(env, 0, 0x00ff00ff00ff00ffull);
  set_env_u64(env, 8, 0xf0f0f0f0f0f0f0f0ull);
  FakeMemory mem(0x1000, 64);
  Block block;
  IrBuilder b(block);
  Temp x = b.new_v128(), y = b.new_v128(), z = b.new_v128(), lo = b.new_i64(), hi = b.new_i64();
  Temp addr = b.new_i64();
  b.insn_start(0);
  b.ld_v128(x, 0);
  b.movi_i64(lo, 0x0f0f);
  b.movi_i64(hi, ~0ull);
  b.concat_i64_v128(y, lo, hi);
  b.and_v128(z, x, y);
  b.st_v128(z, 16);
  b.or_v128(z, x, y);
  b.st_v128(z, 32);
  b.xor_v128(z, x, y);
  b.st_v128(z, 48);
  b.andc_v128(z, x, y);
  b.mov_v128(z, z);
  b.st_v128(z, 64);
  b.movi_i64(addr, 0x1008);
  b.qemu_st_v128(x, addr, kMo128, 0);
  b.qemu_ld_v128(y, addr, kMo128, 0);
  b.extract_v128_i64(lo, y, 1);
  b.st_i64(lo, 80);
  b.exit_tb(0);
  run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 16), 0x000f);
  EXPECT_EQ(env_u64(env, 24), 0xf0f0f0f0f0f0f0f0ull);
  EXPECT_EQ(env_u64(env, 32), 0x00ff00ff00ff0fffull);
  EXPECT_EQ(env_u64(env, 40), ~0ull);
  EXPECT_EQ(env_u64(env, 48), 0x00ff00ff00ff0ff0ull);
  EXPECT_EQ(env_u64(env, 56), 0x0f0f0f0f0f0f0f0full);
  EXPECT_EQ(env_u64(env, 64), 0x00ff00ff00ff00f0ull);
  EXPECT_EQ(env_u64(env, 72), 0u);
  EXPECT_EQ(env_u64(env, 80), 0xf0f0f0f0f0f0f0f0ull);
  EXPECT_EQ(mem.bytes()[8], 0xff);
}

TEST(TcgJit, ProgramRunsRepeatedly) {
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64();
  b.ld_i64(v, 0);
  b.add_i64(v, v, b.const_i64(3));
  b.st_i64(v, 0);
  b.exit_tb(0);
  std::unique_ptr<CompiledBlock> prog = compile_block(block, Backend::kJit);
  ASSERT_NE(dynamic_cast<JitBlock*>(prog.get()), nullptr);
  std::vector<uint8_t> env(16);
  FakeMemory mem;
  for (int i = 0; i < 100; ++i) prog->run(env.data(), mem);
  EXPECT_EQ(env_u64(env, 0), 300u);
  EXPECT_NE(dynamic_cast<InterpBlock*>(compile_block(block, Backend::kInterpreter).get()), nullptr);
}

// A block with more temps than the on-stack frame holds.
TEST(TcgJit, LargeFrameUsesHeapSlots) {
  Block block;
  IrBuilder b(block);
  Temp acc = b.new_i64();
  b.movi_i64(acc, 0);
  for (int i = 0; i < 3000; ++i) {
    Temp t = b.new_i64();
    b.add_i64(t, acc, b.const_i64(1));
    b.mov_i64(acc, t);
  }
  b.st_i64(acc, 0);
  b.exit_tb(0);
  std::vector<uint8_t> env(16);
  FakeMemory mem;
  run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 0), 3000u);
}

class ThrowingMemory : public FakeMemory {
 public:
  bool load(uint64_t, unsigned, unsigned, uint64_t*) override {
    throw std::runtime_error("device error");
  }
};

// A C++ exception from MemoryInterface never unwinds through generated code:
// the thunk catches it, the block stops, and run() rethrows it.
TEST(TcgJit, MemoryExceptionIsRethrownByRun) {
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64();
  b.insn_start(0);
  b.st_i64(b.const_i64(1), 0);
  b.qemu_ld_i64(v, b.const_i64(0x1000), kMo64, 0);
  b.st_i64(b.const_i64(2), 0);
  b.exit_tb(0);
  std::vector<uint8_t> env(16);
  ThrowingMemory mem;
  JitBlock jit(block);
  EXPECT_THROW(jit.run(env.data(), mem), std::runtime_error);
  EXPECT_EQ(env_u64(env, 0), 1u);
}

// The code pages are mapped read+execute and never writable.
TEST(TcgJit, CodeIsNotWritable) {
  Block block;
  IrBuilder(block).exit_tb(7);
  JitBlock jit(block);
  const uintptr_t addr = reinterpret_cast<uintptr_t>(jit.code());
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool found = false;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) != 3) continue;
    if (addr >= lo && addr < hi) {
      found = true;
      EXPECT_EQ(std::string(perms).substr(0, 3), "r-x") << line;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_GT(jit.code_size(), 0u);
}

}  // namespace
}  // namespace vx86::tcg

#endif  // __x86_64__
