// MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV. The one-operand
// forms read and write rDX:rAX in a helper (which raises #DE before writing
// anything); the two- and three-operand IMUL forms are plain IR.
#include "target-x86/helpers_int.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

unsigned size_index(unsigned size) {
  return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

void gen_muldiv_one(DisasContext& s, uint32_t kind) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  Temp operand = gen_read_operand(s, 0);
  b.call_helper(helper_info_muldiv(), {b.const_i32(pack_kind(kind, size)), operand});
  s.cc_op = kCcOpDynamic;  // MUL/IMUL set cc state in the helper; DIV keeps it
}

// IMUL Gv,Ev and IMUL Gv,Ev,Ib/Iz: truncated signed product, CF=OF when it
// does not fit.
void gen_imul_multi(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const bool three = s.insn.num_operands >= 3;
  Temp x = gen_sext(s, gen_read_operand(s, three ? 1 : 0), size);
  Temp y = three ? gen_sext(s, gen_read_operand(s, 2), operand_size(s, 2))
                 : gen_sext(s, gen_read_operand(s, 1), size);
  Temp result, overflow = b.new_i64();
  if (size == 8) {
    Temp lo = b.new_i64(), hi = b.new_i64(), sign = b.new_i64();
    b.muls2_i64(lo, hi, x, y);
    b.sar_i64(sign, lo, b.const_i64(63));
    b.setcond_i64(overflow, hi, sign, tcg::Cond::kNe);
    result = lo;
  } else {
    Temp product = b.new_i64();
    b.mul_i64(product, x, y);
    result = gen_zext(s, product, size);
    b.setcond_i64(overflow, gen_sext(s, product, size), product, tcg::Cond::kNe);
  }
  gen_write_operand(s, 0, result);
  gen_set_cc(s, kCcOpMulB + size_index(size), result, overflow);
}

}  // namespace

bool translate_muldiv(DisasContext& s) {
  switch (s.insn.mnemonic) {
    case Mnemonic::kMul:
      gen_muldiv_one(s, kMul);
      return true;
    case Mnemonic::kImul:
      if (s.insn.num_operands == 1) {
        gen_muldiv_one(s, kImul1);
      } else {
        gen_imul_multi(s);
      }
      return true;
    case Mnemonic::kDiv:
      gen_muldiv_one(s, kDiv);
      return true;
    case Mnemonic::kIdiv:
      gen_muldiv_one(s, kIdiv);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
