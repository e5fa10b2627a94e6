// Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC
// NEG NOT. The destination is written before the flags so that a fault on a
// memory destination leaves the flags as they were.
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

unsigned size_index(unsigned size) {
  return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

Temp masked(DisasContext& s, Temp v, unsigned size) {
  return gen_zext(s, v, size);
}

void binary_op(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  unsigned size = operand_size(s, 0);
  Temp a = gen_read_operand(s, 0);
  Temp v = gen_read_operand(s, 1);
  // 83 /r: the Ib operand is sign-extended to the operand size.
  if (operand_size(s, 1) < size) v = gen_zext(s, gen_sext(s, v, operand_size(s, 1)), size);
  Temp r = b.new_i64();
  Temp carry;
  uint32_t cc_base = 0;
  bool writes = true;
  switch (m) {
    case Mnemonic::kAdd:
      b.add_i64(r, a, v);
      cc_base = kCcOpAddB;
      break;
    case Mnemonic::kSub:
      b.sub_i64(r, a, v);
      cc_base = kCcOpSubB;
      break;
    case Mnemonic::kCmp:
      b.sub_i64(r, a, v);
      cc_base = kCcOpSubB;
      writes = false;
      break;
    case Mnemonic::kAnd:
      b.and_i64(r, a, v);
      cc_base = kCcOpLogicB;
      break;
    case Mnemonic::kTest:
      b.and_i64(r, a, v);
      cc_base = kCcOpLogicB;
      writes = false;
      break;
    case Mnemonic::kOr:
      b.or_i64(r, a, v);
      cc_base = kCcOpLogicB;
      break;
    case Mnemonic::kXor:
      b.xor_i64(r, a, v);
      cc_base = kCcOpLogicB;
      break;
    case Mnemonic::kAdc: {
      carry = gen_compute_cf(s);
      Temp t = b.new_i64();
      b.add_i64(t, a, v);
      b.add_i64(r, t, carry);
      cc_base = kCcOpAdcB;
      break;
    }
    case Mnemonic::kSbb: {
      carry = gen_compute_cf(s);
      Temp t = b.new_i64();
      b.sub_i64(t, a, v);
      b.sub_i64(r, t, carry);
      cc_base = kCcOpSbbB;
      break;
    }
    default:
      break;
  }
  Temp result = masked(s, r, size);
  if (writes) gen_write_operand(s, 0, result);
  gen_set_cc(s, cc_base + size_index(size), result, v, carry);
}

void unary_op(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  unsigned size = operand_size(s, 0);
  Temp a = gen_read_operand(s, 0);
  Temp r = b.new_i64();
  switch (m) {
    case Mnemonic::kInc:
    case Mnemonic::kDec: {
      Temp cf = gen_compute_cf(s);  // INC/DEC keep CF
      if (m == Mnemonic::kInc) {
        b.add_i64(r, a, b.const_i64(1));
      } else {
        b.sub_i64(r, a, b.const_i64(1));
      }
      Temp result = masked(s, r, size);
      gen_write_operand(s, 0, result);
      gen_set_cc(s, (m == Mnemonic::kInc ? kCcOpIncB : kCcOpDecB) + size_index(size), result, cf);
      return;
    }
    case Mnemonic::kNeg: {
      b.neg_i64(r, a);
      Temp result = masked(s, r, size);
      gen_write_operand(s, 0, result);
      // NEG sets flags as 0 - a: dst = result, subtrahend = a.
      gen_set_cc(s, kCcOpSubB + size_index(size), result, a);
      return;
    }
    case Mnemonic::kNot:
      b.not_i64(r, a);
      gen_write_operand(s, 0, masked(s, r, size));
      return;
    default:
      return;
  }
}

}  // namespace

bool translate_alu(DisasContext& s) {
  Mnemonic m = s.insn.mnemonic;
  switch (m) {
    case Mnemonic::kAdd:
    case Mnemonic::kSub:
    case Mnemonic::kCmp:
    case Mnemonic::kAnd:
    case Mnemonic::kTest:
    case Mnemonic::kOr:
    case Mnemonic::kXor:
    case Mnemonic::kAdc:
    case Mnemonic::kSbb:
      binary_op(s, m);
      return true;
    case Mnemonic::kInc:
    case Mnemonic::kDec:
    case Mnemonic::kNeg:
    case Mnemonic::kNot:
      unary_op(s, m);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
