#include <gtest/gtest.h>

#include "tcg/helper.h"
#include "tcg/ir_builder.h"
#include "tcg/ir_print.h"

namespace vx86::tcg {
namespace {

uint64_t helper_cpuid(void*, uint32_t leaf) {
  return leaf;
}
const HelperInfo kCpuid = make_helper<&helper_cpuid>("cpuid", kHelperWritesState);

TEST(TcgPrint, SmallBlock) {
  Block block;
  IrBuilder b(block);
  Temp rax = b.new_i64(), addr = b.new_i64(), eax = b.new_i32(), lo = b.new_i64(), hi = b.new_i64();
  Label done = b.new_label();
  b.insn_start(0x401000);
  b.ld_i64(rax, 0x10);
  b.add_i64(addr, rax, b.const_i64(8));
  b.brcond_i64(addr, b.const_i64(0), Cond::kEq, done);
  b.qemu_ld_i64(rax, addr, kMo32 | kMoSign, 1);
  b.mulu2_i64(lo, hi, rax, addr);
  b.deposit_i64(rax, lo, hi, 8, 16);
  b.extrl_i64_i32(eax, rax);
  b.call_helper(kCpuid, rax, {eax});
  b.st_i64(rax, 0x10);
  b.set_label(done);
  b.goto_tb(0);
  EXPECT_EQ(print_block(block),
            " ---- 0x401000 0x0\n"
            " ld_i64 t0, env, $0x10\n"
            " add_i64 t1, t0, $0x8\n"
            " brcond_i64 t1, $0x0, eq, $L0\n"
            " qemu_ld_i64 t0, t1, sl, 1\n"
            " mulu2_i64 t3, t4, t0, t1\n"
            " deposit_i64 t0, t3, t4, 8, 16\n"
            " extrl_i64_i32 t2, t0\n"
            " call cpuid, t0, t2\n"
            " st_i64 t0, env, $0x10\n"
            " set_label $L0\n"
            " goto_tb 0\n");
}

TEST(TcgPrint, ConstantsLabelsAndMemOps) {
  Block block;
  IrBuilder b(block);
  Temp x = b.new_i32(), a = b.new_i64();
  Label l = b.new_label();
  b.insn_start(0xfff0, 3);
  b.setcond_i32(x, b.const_i32(0xffffffff), x, Cond::kGeu);
  b.movi_i64(a, 0x1000);
  b.qemu_st_i32(x, a, kMo16, 0);
  b.qemu_ld_i32(x, a, kMo8 | kMoSign, 2);
  b.br(l);
  b.set_label(l);
  b.lookup_and_goto_ptr();
  EXPECT_EQ(print_block(block),
            " ---- 0xfff0 0x3\n"
            " setcond_i32 t0, $0xffffffff, t0, geu\n"
            " mov_i64 t1, $0x1000\n"
            " qemu_st_i32 t0, t1, uw, 0\n"
            " qemu_ld_i32 t0, t1, sb, 2\n"
            " br $L0\n"
            " set_label $L0\n"
            " lookup_and_goto_ptr\n");
}

}  // namespace
}  // namespace vx86::tcg
