// XADD, CMPXCHG, CMPXCHG8B/16B. One vCPU thread runs guest code at a time, so
// LOCK-prefixed forms are the same code.
#include "target-x86/helpers_int.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

using tcg::Cond;

namespace {

unsigned size_index(unsigned size) {
  return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

// TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (destination last, so XADD r,r
// with one register leaves the sum).
void gen_xadd(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  Temp dst = gen_read_operand(s, 0);
  Temp src = gen_read_operand(s, 1);
  Temp sum = b.new_i64();
  b.add_i64(sum, dst, src);
  sum = gen_zext(s, sum, size);
  if (s.insn.operands[0].kind == OperandKind::kMem) {
    gen_write_operand(s, 0, sum);  // may fault: before any register changes
    gen_write_operand(s, 1, dst);
  } else {
    gen_write_operand(s, 1, dst);
    gen_write_operand(s, 0, sum);
  }
  gen_set_cc(s, kCcOpAddB + size_index(size), sum, src);
}

// Compares the accumulator with the destination: equal -> DEST = SRC,
// otherwise accumulator = DEST. A memory destination is always written.
void gen_cmpxchg(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  Temp dst = gen_read_operand(s, 0);
  Temp src = gen_read_operand(s, 1);
  Temp acc = gen_load_gpr(s, kRAX, size);
  Temp diff = b.new_i64();
  b.sub_i64(diff, acc, dst);
  diff = gen_zext(s, diff, size);
  Temp new_dst = b.new_i64();
  b.movcond_i64(new_dst, acc, dst, src, dst, Cond::kEq);
  if (s.insn.operands[0].kind == OperandKind::kMem) {
    gen_write_operand(s, 0, new_dst);
  } else {
    // A register destination is written only on success (on failure a 32-bit
    // destination keeps its upper half, as on hardware).
    tcg::Label skip = b.new_label();
    b.brcond_i64(acc, dst, Cond::kNe, skip);
    gen_write_operand(s, 0, new_dst);
    b.set_label(skip);
  }
  // The accumulator takes DEST only on failure (a 32-bit RAX is then
  // zero-extended; on success it is untouched).
  tcg::Label done = b.new_label();
  b.brcond_i64(acc, dst, Cond::kEq, done);
  gen_store_gpr(s, kRAX, size, dst);
  b.set_label(done);
  gen_set_cc(s, kCcOpSubB + size_index(size), diff, dst);
}

void gen_cmpxchg8b(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const bool is16 = s.insn.operand_bits == 64;
  b.call_helper(helper_info_cmpxchg8b(),
                {gen_operand_address(s), b.const_i32(s.mem_index), b.const_i32(is16 ? 1 : 0)});
  s.cc_op = kCcOpDynamic;
}

}  // namespace

bool translate_atomic(DisasContext& s) {
  switch (s.insn.mnemonic) {
    case Mnemonic::kXadd:
      gen_xadd(s);
      return true;
    case Mnemonic::kCmpxchg:
      gen_cmpxchg(s);
      return true;
    case Mnemonic::kCmpxchg8b:
      gen_cmpxchg8b(s);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
