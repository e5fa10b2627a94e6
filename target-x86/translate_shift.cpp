// Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (by 1, CL, imm8) and
// SHLD/SHRD. SHL/SHR/SAR and ROL/ROR are inline IR; RCL/RCR and SHLD/SHRD
// call the count-dependent flag rules in one C++ function (helpers_int.cpp)
// for the result, write the destination (which may fault) and only then call
// it for the flags.
#include "target-x86/helpers_int.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

void gen_shift(DisasContext& s, uint32_t kind, bool double_shift) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  Temp value = gen_read_operand(s, 0);
  Temp src = double_shift ? gen_read_operand(s, 1) : b.const_i64(0);
  Temp count = gen_read_operand(s, double_shift ? 2 : 1);
  Temp flags_in = gen_compute_flags(s);
  Temp kind_size = b.const_i32(pack_kind(kind, size));
  Temp result = b.new_i64();
  b.call_helper(helper_info_shift_result(), result, {kind_size, value, src, count, flags_in});
  // A zero count leaves the destination as it was, but a 32-bit register
  // destination is still zero-extended, as on hardware.
  gen_write_operand(s, 0, result);
  Temp flags = b.new_i64();
  b.call_helper(helper_info_shift_flags(), flags, {kind_size, value, src, count, flags_in});
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

// The masked count of a shift/rotate by 1 or imm8, or -1 when it is CL.
int constant_count(const DisasContext& s, unsigned size) {
  const DecodedOperand& op = s.insn.operands[1];
  const uint64_t mask = size == 8 ? 0x3f : 0x1f;
  if (op.kind == OperandKind::kConst1) return 1;
  if (op.kind == OperandKind::kImm) return static_cast<int>(s.insn.imm & mask);
  return -1;
}

unsigned size_index(unsigned size) {
  return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

// Bit `bit` of value as 0/1.
Temp gen_bit(DisasContext& s, Temp value, unsigned bit) {
  Temp t = s.b.new_i64();
  s.b.extract_i64(t, value, uint64_t{bit}, uint64_t{1});
  return t;
}

// SHL/SHR/SAR with the lazy flags kCcOpShl/kCcOpSar: cc_src is the value
// shifted by count-1, whose edge bit is CF and whose sign bit gives OF. The
// kCcOp formulas match the helper for every count 1..63, including counts
// past the width of 8/16-bit operands (CF=0 for SHL/SHR, the sign for SAR);
// AF (undefined) reads as 0. A zero count writes the destination back
// unchanged (a 32-bit register is still zero-extended) and keeps the flags.
void gen_inline_shift(DisasContext& s, ShiftKind kind) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const int known = constant_count(s, size);
  Temp value = gen_read_operand(s, 0);
  if (known == 0) {
    gen_write_operand(s, 0, value);
    return;
  }
  Temp count;
  Temp count_minus_1;
  if (known > 0) {
    count_minus_1 = b.const_i64(static_cast<uint64_t>(known - 1));
  } else {
    count = gen_op(s, &tcg::IrBuilder::and_i64, gen_read_operand(s, 1),
                   b.const_i64(size == 8 ? 0x3f : 0x1f));
    // A zero count makes this -1 (a shift by 63): its result is discarded.
    count_minus_1 = gen_op(s, &tcg::IrBuilder::sub_i64, count, b.const_i64(1));
  }
  Temp one = b.const_i64(1);
  Temp cc_src;
  Temp result;
  uint32_t cc_op;
  if (kind == kShiftShl) {
    cc_src = gen_zext(s, gen_op(s, &tcg::IrBuilder::shl_i64, value, count_minus_1), size);
    result = gen_zext(s, gen_op(s, &tcg::IrBuilder::shl_i64, cc_src, one), size);
    cc_op = kCcOpShlB + size_index(size);
  } else if (kind == kShiftShr) {
    cc_src = gen_op(s, &tcg::IrBuilder::shr_i64, value, count_minus_1);
    result = gen_op(s, &tcg::IrBuilder::shr_i64, cc_src, one);
    cc_op = kCcOpSarB + size_index(size);
  } else {
    Temp shifted = gen_op(s, &tcg::IrBuilder::sar_i64, gen_sext(s, value, size), count_minus_1);
    cc_src = gen_zext(s, shifted, size);
    result = gen_zext(s, gen_op(s, &tcg::IrBuilder::sar_i64, shifted, one), size);
    cc_op = kCcOpSarB + size_index(size);
  }
  if (known > 0) {
    gen_write_operand(s, 0, result);
    gen_set_cc(s, cc_op, result, cc_src);
    return;
  }
  // CL count: pick between the shifted and the previous state without a branch.
  Temp zero = b.const_i64(0);
  auto keep_if_zero = [&](Temp old_value, Temp new_value) {
    Temp t = b.new_i64();
    b.movcond_i64(t, count, zero, old_value, new_value, tcg::Cond::kEq);
    return t;
  };
  gen_write_operand(s, 0, keep_if_zero(value, result));
  Temp old_op = b.new_i64();
  Temp old_dst = b.new_i64();
  Temp old_src = b.new_i64();
  b.ld32u_i64(old_op, offsetof(CpuState, cc_op));
  b.ld_i64(old_dst, offsetof(CpuState, cc_dst));
  b.ld_i64(old_src, offsetof(CpuState, cc_src));
  b.st32_i64(keep_if_zero(old_op, b.const_i64(cc_op)), offsetof(CpuState, cc_op));
  b.st_i64(keep_if_zero(old_dst, result), offsetof(CpuState, cc_dst));
  b.st_i64(keep_if_zero(old_src, cc_src), offsetof(CpuState, cc_src));
  s.cc_op = kCcOpDynamic;
  s.cc_dst = Temp{};
  s.cc_src = Temp{};
}

// ROL/ROR change only CF and OF (OF by the count-1 formula for any count, as
// the helper does), so the other flags are materialised once (one
// cc_compute_all call) and merged; a zero count keeps them all.
void gen_inline_rotate(DisasContext& s, ShiftKind kind) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const unsigned bits = size * 8;
  const int known = constant_count(s, size);
  Temp value = gen_read_operand(s, 0);
  if (known == 0) {
    gen_write_operand(s, 0, value);
    return;
  }
  Temp count;
  Temp turn;  // the count modulo the width
  if (known > 0) {
    turn = b.const_i64(static_cast<uint64_t>(known) & (bits - 1));
  } else {
    count = gen_op(s, &tcg::IrBuilder::and_i64, gen_read_operand(s, 1),
                   b.const_i64(size == 8 ? 0x3f : 0x1f));
    turn = gen_op(s, &tcg::IrBuilder::and_i64, count, b.const_i64(bits - 1));
  }
  Temp result;
  if (size == 8) {
    BinaryOp rotate = kind == kShiftRol ? static_cast<BinaryOp>(&tcg::IrBuilder::rotl_i64)
                                        : static_cast<BinaryOp>(&tcg::IrBuilder::rotr_i64);
    result = gen_op(s, rotate, value, turn);
  } else if (size == 4) {  // one host rotate (SHA-256 and friends are full of these)
    Temp value32 = b.new_i32(), turn32 = b.new_i32(), rotated = b.new_i32();
    b.extrl_i64_i32(value32, value);
    b.extrl_i64_i32(turn32, turn);
    if (kind == kShiftRol)
      b.rotl_i32(rotated, value32, turn32);
    else
      b.rotr_i32(rotated, value32, turn32);
    result = b.new_i64();
    b.extu_i32_i64(result, rotated);
  } else {
    // (bits - turn) & (bits - 1) is 0 for a whole turn: both halves are value.
    Temp back =
        gen_op(s, &tcg::IrBuilder::and_i64,
               gen_op(s, &tcg::IrBuilder::sub_i64, b.const_i64(bits), turn), b.const_i64(bits - 1));
    Temp left_count = kind == kShiftRol ? turn : back;
    Temp right_count = kind == kShiftRol ? back : turn;
    Temp left = gen_op(s, &tcg::IrBuilder::shl_i64, value, left_count);
    Temp right = gen_op(s, &tcg::IrBuilder::shr_i64, value, right_count);
    result = gen_zext(s, gen_op(s, &tcg::IrBuilder::or_i64, left, right), size);
  }
  Temp msb = gen_bit(s, result, bits - 1);
  Temp cf;
  Temp of;
  if (kind == kShiftRol) {
    cf = gen_op(s, &tcg::IrBuilder::and_i64, result, b.const_i64(1));
    of = gen_op(s, &tcg::IrBuilder::xor_i64, msb, cf);
  } else {
    cf = msb;
    of = gen_op(s, &tcg::IrBuilder::xor_i64, msb, gen_bit(s, result, bits - 2));
  }
  static_assert(kFlagCF == 1u && kFlagOF == 1u << 11);
  Temp old_flags = gen_compute_flags(s);
  Temp flags =
      gen_op(s, &tcg::IrBuilder::and_i64, old_flags, b.const_i64(~uint64_t{kFlagCF | kFlagOF}));
  flags = gen_op(s, &tcg::IrBuilder::or_i64, flags, cf);
  flags = gen_op(s, &tcg::IrBuilder::or_i64, flags,
                 gen_op(s, &tcg::IrBuilder::shl_i64, of, b.const_i64(11)));
  if (known < 0) {
    Temp kept = b.new_i64();
    b.movcond_i64(kept, count, b.const_i64(0), value, result, tcg::Cond::kEq);
    result = kept;
    Temp kept_flags = b.new_i64();
    b.movcond_i64(kept_flags, count, b.const_i64(0), old_flags, flags, tcg::Cond::kEq);
    flags = kept_flags;
  }
  gen_write_operand(s, 0, result);
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

}  // namespace

bool translate_shift(DisasContext& s) {
  switch (s.insn.mnemonic) {
    case Mnemonic::kRol:
      gen_inline_rotate(s, kShiftRol);
      return true;
    case Mnemonic::kRor:
      gen_inline_rotate(s, kShiftRor);
      return true;
    case Mnemonic::kRcl:
      gen_shift(s, kShiftRcl, false);
      return true;
    case Mnemonic::kRcr:
      gen_shift(s, kShiftRcr, false);
      return true;
    case Mnemonic::kShl:
      gen_inline_shift(s, kShiftShl);
      return true;
    case Mnemonic::kSal:
      gen_inline_shift(s, kShiftShl);
      return true;
    case Mnemonic::kShr:
      gen_inline_shift(s, kShiftShr);
      return true;
    case Mnemonic::kSar:
      gen_inline_shift(s, kShiftSar);
      return true;
    case Mnemonic::kShld:
      gen_shift(s, kShiftShld, true);
      return true;
    case Mnemonic::kShrd:
      gen_shift(s, kShiftShrd, true);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
