// Bit instructions: BT BTS BTR BTC (register, memory with a signed register
// bit offset, immediate), BSF BSR, TZCNT LZCNT POPCNT.
#include "target-x86/translate.h"

namespace vx86::x86 {

using tcg::Cond;

namespace {

Temp flags_with(DisasContext& s, Temp flags, uint32_t clear, Temp set_bits) {
  tcg::IrBuilder& b = s.b;
  Temp r = b.new_i64();
  b.and_i64(r, flags, b.const_i64(~uint64_t{clear}));
  b.or_i64(r, r, set_bits);
  return r;
}

Temp shifted_flag(DisasContext& s, Temp bit01, unsigned shift) {
  Temp r = s.b.new_i64();
  s.b.shl_i64(r, bit01, s.b.const_i64(shift));
  return r;
}

unsigned log2_of(unsigned v) {
  return static_cast<unsigned>(__builtin_ctz(v));
}

void gen_bt(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const unsigned bits = size * 8;
  const DecodedOperand& dst = s.insn.operands[0];
  const DecodedOperand& off_op = s.insn.operands[1];
  Temp offset = gen_read_operand(s, 1);
  Temp flags_in = gen_compute_flags(s);
  Temp linear;
  if (dst.kind == OperandKind::kMem && off_op.kind != OperandKind::kImm) {
    // The register offset is signed and may select a bit outside the operand:
    // the access moves by size * (offset SAR log2(bits)) bytes.
    Temp soff = gen_sext(s, offset, size);
    Temp words = b.new_i64();
    b.sar_i64(words, soff, b.const_i64(log2_of(bits)));
    Temp disp = b.new_i64();
    b.shl_i64(disp, words, b.const_i64(log2_of(size)));
    Temp ea = b.new_i64();
    b.add_i64(ea, gen_effective_offset(s), disp);
    if (s.insn.mem.address_bits < 64) {
      b.and_i64(ea, ea, b.const_i64(width_mask(s.insn.mem.address_bits)));
    }
    linear = gen_linear(s, s.insn.mem.segment, ea);
  } else if (dst.kind == OperandKind::kMem) {
    linear = gen_operand_address(s);
  }
  Temp bitpos = b.new_i64();
  b.and_i64(bitpos, offset, b.const_i64(bits - 1));
  Temp value = linear.valid() ? gen_load(s, linear, size) : gen_read_operand(s, 0);
  Temp cf = b.new_i64();
  b.shr_i64(cf, value, bitpos);
  b.and_i64(cf, cf, b.const_i64(1));
  if (m != Mnemonic::kBt) {
    Temp mask = b.new_i64();
    b.shl_i64(mask, b.const_i64(1), bitpos);
    Temp r = b.new_i64();
    if (m == Mnemonic::kBts) b.or_i64(r, value, mask);
    if (m == Mnemonic::kBtr) b.andc_i64(r, value, mask);
    if (m == Mnemonic::kBtc) b.xor_i64(r, value, mask);
    if (linear.valid()) {
      gen_store(s, linear, size, r);
    } else {
      gen_write_operand(s, 0, r);
    }
  }
  // CF is the bit; ZF is kept; OF SF AF PF are undefined (kept here).
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags_with(s, flags_in, kFlagCF, cf));
}

// BSF/BSR: ZF=1 and the destination untouched when the source is 0.
void gen_bit_scan(DisasContext& s, bool reverse) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const unsigned bits = size * 8;
  Temp src = gen_read_operand(s, 1);
  Temp flags_in = gen_compute_flags(s);
  Temp is_zero = b.new_i64();
  b.setcond_i64(is_zero, src, b.const_i64(0), Cond::kEq);
  tcg::Label skip = b.new_label();
  b.brcond_i64(src, b.const_i64(0), Cond::kEq, skip);
  Temp index = b.new_i64();
  if (reverse) {
    Temp lz = b.new_i64();
    b.clz_i64(lz, src, b.const_i64(64));
    b.sub_i64(index, b.const_i64(63), lz);
  } else {
    b.ctz_i64(index, src, b.const_i64(bits));
  }
  gen_write_operand(s, 0, index);
  b.set_label(skip);
  gen_set_cc(s, kCcOpEflags, b.const_i64(0),
             flags_with(s, flags_in, kFlagZF, shifted_flag(s, is_zero, 6)));
}

// TZCNT/LZCNT: CF = (source == 0), ZF = (result == 0). POPCNT: ZF = (source
// == 0), the other arithmetic flags cleared.
void gen_count(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const unsigned bits = size * 8;
  Temp src = gen_read_operand(s, 1);
  Temp result = b.new_i64();
  Temp flags_in = gen_compute_flags(s);
  Temp src_zero = b.new_i64();
  b.setcond_i64(src_zero, src, b.const_i64(0), Cond::kEq);
  if (m == Mnemonic::kPopcnt) {
    b.ctpop_i64(result, src);
    gen_write_operand(s, 0, result);
    gen_set_cc(s, kCcOpEflags, b.const_i64(0), shifted_flag(s, src_zero, 6));
    return;
  }
  if (m == Mnemonic::kTzcnt) {
    b.ctz_i64(result, src, b.const_i64(bits));
  } else {
    Temp lz = b.new_i64();
    b.clz_i64(lz, src, b.const_i64(64));
    b.sub_i64(result, lz, b.const_i64(64 - bits));
  }
  gen_write_operand(s, 0, result);
  Temp res_zero = b.new_i64();
  b.setcond_i64(res_zero, result, b.const_i64(0), Cond::kEq);
  Temp set = b.new_i64();
  b.or_i64(set, src_zero, shifted_flag(s, res_zero, 6));
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags_with(s, flags_in, kFlagCF | kFlagZF, set));
}

}  // namespace

bool translate_bits(DisasContext& s) {
  Mnemonic m = s.insn.mnemonic;
  switch (m) {
    case Mnemonic::kBt:
    case Mnemonic::kBts:
    case Mnemonic::kBtr:
    case Mnemonic::kBtc:
      gen_bt(s, m);
      return true;
    case Mnemonic::kBsf:
      gen_bit_scan(s, false);
      return true;
    case Mnemonic::kBsr:
      gen_bit_scan(s, true);
      return true;
    case Mnemonic::kTzcnt:
    case Mnemonic::kLzcnt:
    case Mnemonic::kPopcnt:
      gen_count(s, m);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
