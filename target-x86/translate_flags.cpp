// Lazy condition codes: operations record (cc_op, dst, src); flags are
// computed only where something reads them, often as one compare.
#include "target-x86/helpers.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

using tcg::Cond;

namespace {

unsigned cc_size(uint32_t cc_op) {
  return cc_op_width(static_cast<CcOp>(cc_op));
}

bool in_group(uint32_t cc_op, CcOp base) {
  return cc_op >= base && cc_op < base + 4u;
}

Temp setcond(DisasContext& s, Cond c, Temp a, Temp b) {
  Temp t = s.b.new_i64();
  s.b.setcond_i64(t, a, b, c);
  return t;
}

Temp flag_bit(DisasContext& s, Temp flags, uint32_t bit) {
  Temp t = s.b.new_i64();
  s.b.and_i64(t, flags, s.b.const_i64(bit));
  return setcond(s, Cond::kNe, t, s.b.const_i64(0));
}

Temp sign_bit(DisasContext& s, Temp value, unsigned size) {
  Temp t = s.b.new_i64();
  s.b.extract_i64(t, value, uint64_t{size * 8 - 1}, uint64_t{1});
  return t;
}

}  // namespace

void gen_set_cc(DisasContext& s, uint32_t cc_op, Temp dst, Temp src, Temp src2) {
  tcg::IrBuilder& b = s.b;
  b.st_i32(b.const_i32(cc_op), offsetof(CpuState, cc_op));
  b.st_i64(dst, offsetof(CpuState, cc_dst));
  if (src.valid()) b.st_i64(src, offsetof(CpuState, cc_src));
  if (src2.valid()) b.st_i64(src2, offsetof(CpuState, cc_src2));
  s.cc_op = cc_op;
  s.cc_dst = dst;
  s.cc_src = src;
}

Temp gen_compute_flags(DisasContext& s) {
  Temp t = s.b.new_i64();
  s.b.call_helper(helper_info_cc_compute_all(), t, {});
  return t;
}

Temp gen_compute_cf(DisasContext& s) {
  if (s.cc_op != kCcOpDynamic && in_group(s.cc_op, kCcOpSubB)) {
    unsigned size = cc_size(s.cc_op);
    Temp a = s.b.new_i64();
    s.b.add_i64(a, s.cc_dst, s.cc_src);
    a = gen_zext(s, a, size);
    return setcond(s, Cond::kLtu, a, gen_zext(s, s.cc_src, size));
  }
  if (s.cc_op != kCcOpDynamic && (in_group(s.cc_op, kCcOpLogicB) || s.cc_op == kCcOpClr)) {
    return s.b.const_i64(0);
  }
  Temp t = s.b.new_i64();
  s.b.call_helper(helper_info_cc_compute_cf(), t, {});
  return t;
}

void gen_flush_flags(DisasContext& s) {
  if (s.cc_op == kCcOpEflags) return;
  Temp flags = gen_compute_flags(s);
  gen_set_cc(s, kCcOpEflags, s.b.const_i64(0), flags);
}

Temp gen_condition(DisasContext& s, unsigned cc) {
  tcg::IrBuilder& b = s.b;
  const unsigned base = cc >> 1;
  const bool invert = cc & 1;
  Temp result;
  Temp zero = b.const_i64(0);
  // Fast paths: the last flag-setting operation is known.
  if (s.cc_op != kCcOpDynamic && in_group(s.cc_op, kCcOpSubB) && base != 0 && base != 5) {
    unsigned size = cc_size(s.cc_op);
    Temp dst = gen_zext(s, s.cc_dst, size);
    Temp src2 = gen_zext(s, s.cc_src, size);
    Temp sum = b.new_i64();
    b.add_i64(sum, dst, src2);
    Temp src1 = gen_zext(s, sum, size);
    switch (base) {
      case 1:
        result = setcond(s, Cond::kLtu, src1, src2);
        break;  // B
      case 2:
        result = setcond(s, Cond::kEq, dst, zero);
        break;  // E
      case 3:
        result = setcond(s, Cond::kLeu, src1, src2);
        break;  // BE
      case 4:
        result = sign_bit(s, dst, size);
        break;  // S
      case 6:
        result = setcond(s, Cond::kLt, gen_sext(s, src1, size), gen_sext(s, src2, size));
        break;  // L
      case 7:
        result = setcond(s, Cond::kLe, gen_sext(s, src1, size), gen_sext(s, src2, size));
        break;  // LE
    }
  } else if (s.cc_op != kCcOpDynamic && in_group(s.cc_op, kCcOpLogicB)) {
    unsigned size = cc_size(s.cc_op);
    Temp dst = gen_zext(s, s.cc_dst, size);
    switch (base) {
      case 0:
        result = zero;
        break;  // O: clear
      case 1:
        result = zero;
        break;  // B: CF clear
      case 2:
      case 3:
        result = setcond(s, Cond::kEq, dst, zero);
        break;  // E, BE
      case 4:
      case 6:
        result = sign_bit(s, dst, size);
        break;  // S, L (OF=0)
      case 7:   // LE
        result = setcond(s, Cond::kLe, gen_sext(s, dst, size), zero);
        break;
      default:
        break;  // P: generic
    }
  }
  // ZF and SF of any operation that keeps its result in cc_dst; CF of ADD
  // (a carry leaves the sum below the addend) and of INC/DEC (kept in cc_src).
  if (!result.valid() && s.cc_op != kCcOpDynamic && s.cc_op != kCcOpEflags && s.cc_op < kCcOpClr) {
    const unsigned size = cc_size(s.cc_op);
    if (base == 2) {
      result = setcond(s, Cond::kEq, gen_zext(s, s.cc_dst, size), zero);
    } else if (base == 4) {
      result = sign_bit(s, s.cc_dst, size);
    } else if (base == 1 && in_group(s.cc_op, kCcOpAddB) && s.cc_src.valid()) {
      result = setcond(s, Cond::kLtu, gen_zext(s, s.cc_dst, size), gen_zext(s, s.cc_src, size));
    } else if (base == 1 && (in_group(s.cc_op, kCcOpIncB) || in_group(s.cc_op, kCcOpDecB)) &&
               s.cc_src.valid()) {
      result = b.new_i64();
      b.and_i64(result, s.cc_src, b.const_i64(1));
    }
  }
  if (!result.valid()) {
    Temp flags = gen_compute_flags(s);
    switch (base) {
      case 0:
        result = flag_bit(s, flags, kFlagOF);
        break;
      case 1:
        result = flag_bit(s, flags, kFlagCF);
        break;
      case 2:
        result = flag_bit(s, flags, kFlagZF);
        break;
      case 3:
        result = flag_bit(s, flags, kFlagCF | kFlagZF);
        break;
      case 4:
        result = flag_bit(s, flags, kFlagSF);
        break;
      case 5:
        result = flag_bit(s, flags, kFlagPF);
        break;
      case 6:
      case 7: {
        Temp sf = flag_bit(s, flags, kFlagSF);
        Temp of = flag_bit(s, flags, kFlagOF);
        Temp lt = b.new_i64();
        b.xor_i64(lt, sf, of);
        if (base == 6) {
          result = lt;
        } else {
          result = b.new_i64();
          b.or_i64(result, lt, flag_bit(s, flags, kFlagZF));
        }
        break;
      }
    }
  }
  if (invert) {
    Temp t = b.new_i64();
    b.xor_i64(t, result, b.const_i64(1));
    result = t;
  }
  return result;
}

}  // namespace vx86::x86
