#include <gtest/gtest.h>

#include <vector>

#include "tcg/helper.h"
#include "tcg/interp.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_verify.h"
#include "tests/tcg/tcg_test_util.h"

namespace vx86::tcg {
namespace {

using test::env_u64;
using test::FakeMemory;
using test::set_env_u64;

ExitRecord run_block(const Block& block, std::vector<uint8_t>& env, MemoryInterface& mem) {
  std::vector<std::string> errors = verify_block(block);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0]);
  return interpret(block, env.data(), mem);
}

TEST(TcgInterp, ExitKinds) {
  std::vector<uint8_t> env(64);
  FakeMemory mem;
  Block a;
  IrBuilder(a).exit_tb(0x1234);
  ExitRecord ex = run_block(a, env, mem);
  EXPECT_EQ(ex.kind, ExitKind::kExitTb);
  EXPECT_EQ(ex.value, 0x1234u);

  Block g;
  IrBuilder(g).goto_tb(1);
  ex = run_block(g, env, mem);
  EXPECT_EQ(ex.kind, ExitKind::kGotoTb);
  EXPECT_EQ(ex.slot, 1u);

  Block l;
  IrBuilder(l).lookup_and_goto_ptr();
  EXPECT_EQ(run_block(l, env, mem).kind, ExitKind::kLookup);
}

TEST(TcgInterp, EnvLoadsAndStores) {
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
  b.st16_i64(t64, 32);  // only two bytes written
  b.ld8u_i32(t32, 1);
  b.st8_i32(t32, 40);
  b.exit_tb(0);
  run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 8) & 0xffffffff, 0xfffffff7u);
  EXPECT_EQ(env_u64(env, 16), 0xfffffffffffff6f7ull);
  EXPECT_EQ(env_u64(env, 24), 0x80818283u);
  EXPECT_EQ(env_u64(env, 32), 0x8283u);
  EXPECT_EQ(env_u64(env, 40), 0xf6u);
}

TEST(TcgInterp, GuestMemorySizesAndSign) {
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
  b.qemu_st_i32(w, addr, kMo16, 2);  // low two bytes only
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

TEST(TcgInterp, MemoryFaultStopsAtCurrentInsn) {
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
  b.st_i64(v, 0);  // this store is before the fault: it stays
  b.movi_i64(addr, 0x9000);
  b.qemu_ld_i64(v, addr, kMo32, 0);
  b.st_i64(v, 8);  // never reached
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

const HelperInfo kReadReg = make_helper<&helper_read_reg>("read_reg", kHelperReadsState);
const HelperInfo kCheckNonzero = make_helper<&helper_check_nonzero>("check", kHelperMayFault);
const HelperInfo kMulLow = make_helper<&helper_mul_low>("mul_low", kHelperNoSideEffects);

TEST(TcgInterp, HelperCallsAndHelperFaults) {
  std::vector<uint8_t> env(64);
  set_env_u64(env, 16, 77);  // regs[2]
  FakeMemory mem;
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64(), six = b.new_i64(), r32 = b.new_i32();
  b.insn_start(0x10);
  b.call_helper(kReadReg, v, {b.const_i32(2)});
  b.st_i64(v, 32);
  b.movi_i64(six, 2);
  b.call_helper(kMulLow, r32, {six, six, six, six, six, six});
  b.st_i32(r32, 40);
  b.call_helper(kCheckNonzero, {v});
  b.insn_start(0x20);
  b.st_i64(v, 48);
  b.call_helper(kCheckNonzero, {b.const_i64(0)});
  b.st_i64(v, 56);
  b.exit_tb(0);
  ExitRecord ex = run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 32), 77u);
  EXPECT_EQ(env_u64(env, 40) & 0xffffffff, 64u);
  EXPECT_EQ(env_u64(env, 48), 77u);
  EXPECT_EQ(env_u64(env, 56), 0u);
  EXPECT_EQ(ex.kind, ExitKind::kFault);
  EXPECT_TRUE(ex.fault_in_helper);
  EXPECT_EQ(ex.fault.code, 13u);
  EXPECT_EQ(ex.fault.info, 0xdeadu);
  EXPECT_EQ(ex.insn_index, 1);
  EXPECT_EQ(ex.insn_data[0], 0x20u);
}

TEST(TcgInterp, BackwardBranchLoop) {
  std::vector<uint8_t> env(64);
  FakeMemory mem;
  Block block;
  IrBuilder b(block);
  Temp i = b.new_i64(), sum = b.new_i64();
  Label loop = b.new_label();
  b.movi_i64(i, 10);
  b.movi_i64(sum, 0);
  b.set_label(loop);
  b.add_i64(sum, sum, i);
  b.sub_i64(i, i, b.const_i64(1));
  b.brcond_i64(i, b.const_i64(0), Cond::kNe, loop);
  b.st_i64(sum, 0);
  b.exit_tb(0);
  run_block(block, env, mem);
  EXPECT_EQ(env_u64(env, 0), 55u);
}

TEST(TcgInterp, Vector128) {
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

TEST(TcgInterp, ProgramRunsRepeatedly) {
  Block block;
  IrBuilder b(block);
  Temp v = b.new_i64();
  b.ld_i64(v, 0);
  b.add_i64(v, v, b.const_i64(3));
  b.st_i64(v, 0);
  b.exit_tb(0);
  InterpProgram prog(block);
  std::vector<uint8_t> env(16);
  FakeMemory mem;
  for (int i = 0; i < 100; ++i) prog.run(env.data(), mem);
  EXPECT_EQ(env_u64(env, 0), 300u);
}

}  // namespace
}  // namespace vx86::tcg
