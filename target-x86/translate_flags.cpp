// Lazy condition codes: operations record (cc_op, dst, src); flags are
// computed only where something reads them, often as one compare.
#include "target-x86/helpers.h"
#include "target-x86/translate.h"
#include "target-x86/x86_cpu.h"

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

namespace {

// A 0/1 value moved to the bit of `flag`.
Temp at_flag(DisasContext& s, Temp bit, uint32_t flag) {
  const unsigned shift = static_cast<unsigned>(__builtin_ctz(flag));
  return shift == 0 ? bit : gen_op(s, &tcg::IrBuilder::shl_i64, bit, s.b.const_i64(shift));
}

// The arithmetic flags of the last operation as inline IR, computed as
// compute_cc_flags() does, when its cc_op is known (ADC/SBB excepted). Pure
// ops: where the flags turn out unused (a rotate whose CF/OF the next
// instruction overwrites), the optimizer drops them all, which it cannot do
// with the helper call that reads CpuState. Invalid if the helper must run.
Temp gen_inline_cf(DisasContext& s);

Temp gen_inline_flags(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const uint32_t cc_op = s.cc_op;
  if (cc_op == kCcOpClr) return b.const_i64(kFlagZF | kFlagPF);
  if (cc_op == kCcOpEflags) {
    Temp flags = b.new_i64();
    b.ld_i64(flags, offsetof(CpuState, cc_src));  // forwarded from the store when in this block
    return gen_op(s, &tcg::IrBuilder::and_i64, flags, b.const_i64(kFlagsArith));
  }
  const bool needs_src = !in_group(cc_op, kCcOpLogicB);
  if (cc_op == kCcOpDynamic || cc_op >= kCcOpClr || in_group(cc_op, kCcOpAdcB) ||
      in_group(cc_op, kCcOpSbbB) || !s.cc_dst.valid() || (needs_src && !s.cc_src.valid())) {
    return {};
  }
  const unsigned size = cc_size(cc_op);
  const unsigned bits = size * 8;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  Temp zero = b.const_i64(0);
  Temp dst = gen_zext(s, s.cc_dst, size);
  Temp parity = b.new_i64();
  b.ctpop_i64(parity, gen_op(s, &tcg::IrBuilder::and_i64, dst, b.const_i64(0xff)));
  Temp pf = gen_op(s, &tcg::IrBuilder::and_i64,
                   gen_op(s, &tcg::IrBuilder::xor_i64, parity, b.const_i64(1)), b.const_i64(1));
  Temp flags =
      gen_op(s, &tcg::IrBuilder::or_i64, at_flag(s, setcond(s, Cond::kEq, dst, zero), kFlagZF),
             at_flag(s, sign_bit(s, dst, size), kFlagSF));
  flags = gen_op(s, &tcg::IrBuilder::or_i64, flags, at_flag(s, pf, kFlagPF));
  if (in_group(cc_op, kCcOpLogicB)) return flags;

  Temp src = gen_zext(s, s.cc_src, size);
  Temp cf = gen_inline_cf(s), af, of;
  // ADD and SUB: AF from the carries into bit 4, OF from the operands' signs.
  auto add_or_sub = [&](bool is_sub) {
    const BinaryOp undo = is_sub ? static_cast<BinaryOp>(&tcg::IrBuilder::add_i64)
                                 : static_cast<BinaryOp>(&tcg::IrBuilder::sub_i64);
    Temp src1 = gen_zext(s, gen_op(s, undo, dst, src), size);  // the first operand
    af = gen_op(s, &tcg::IrBuilder::xor_i64, gen_op(s, &tcg::IrBuilder::xor_i64, dst, src), src1);
    af = gen_op(s, &tcg::IrBuilder::and_i64, af, b.const_i64(kFlagAF));
    Temp same_sign = gen_op(s, &tcg::IrBuilder::xor_i64, src1, src);
    Temp result_sign = gen_op(s, &tcg::IrBuilder::xor_i64, src1, dst);
    of = is_sub ? gen_op(s, &tcg::IrBuilder::and_i64, same_sign, result_sign)
                : gen_op(s, &tcg::IrBuilder::andc_i64, result_sign, same_sign);
    of = sign_bit(s, of, size);
  };
  if (in_group(cc_op, kCcOpAddB)) {
    add_or_sub(false);
  } else if (in_group(cc_op, kCcOpSubB)) {
    add_or_sub(true);
  } else if (in_group(cc_op, kCcOpIncB) || in_group(cc_op, kCcOpDecB)) {
    const bool inc = in_group(cc_op, kCcOpIncB);
    Temp low = gen_op(s, &tcg::IrBuilder::and_i64, dst, b.const_i64(0xF));
    af = at_flag(s, setcond(s, Cond::kEq, low, b.const_i64(inc ? 0 : 0xF)), kFlagAF);
    of = setcond(s, Cond::kEq, dst, b.const_i64(inc ? sign : sign - 1));
  } else if (in_group(cc_op, kCcOpShlB) || in_group(cc_op, kCcOpSarB)) {
    of = sign_bit(s, gen_op(s, &tcg::IrBuilder::xor_i64, src, dst), size);
  } else {  // MUL/IMUL: OF = CF (the high part is not the extension of the low)
    of = cf;
  }
  flags = gen_op(s, &tcg::IrBuilder::or_i64, flags, at_flag(s, cf, kFlagCF));
  flags = gen_op(s, &tcg::IrBuilder::or_i64, flags, at_flag(s, of, kFlagOF));
  if (af.valid()) flags = gen_op(s, &tcg::IrBuilder::or_i64, flags, af);
  return flags;
}

}  // namespace

Temp gen_compute_flags(DisasContext& s) {
  Temp inline_flags = gen_inline_flags(s);
  if (inline_flags.valid()) return inline_flags;
  Temp t = s.b.new_i64();
  s.b.call_helper(helper_info_cc_compute_all(), t, {});
  return t;
}

namespace {

// CF alone of a known cc_op, inline; invalid where only the helper knows it.
Temp gen_inline_cf(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const uint32_t cc_op = s.cc_op;
  if (cc_op == kCcOpClr || in_group(cc_op, kCcOpLogicB)) return b.const_i64(0);
  if (cc_op == kCcOpEflags) {
    Temp flags = b.new_i64();
    b.ld_i64(flags, offsetof(CpuState, cc_src));
    return gen_op(s, &tcg::IrBuilder::and_i64, flags, b.const_i64(kFlagCF));
  }
  if (cc_op == kCcOpDynamic || cc_op >= kCcOpClr || !s.cc_dst.valid() || !s.cc_src.valid())
    return {};
  const unsigned size = cc_size(cc_op);
  Temp src = gen_zext(s, s.cc_src, size);
  if (in_group(cc_op, kCcOpSubB)) {  // the first operand (dst + src) below the second
    return setcond(s, Cond::kLtu,
                   gen_zext(s, gen_op(s, &tcg::IrBuilder::add_i64, s.cc_dst, src), size), src);
  }
  if (in_group(cc_op, kCcOpAddB)) return setcond(s, Cond::kLtu, gen_zext(s, s.cc_dst, size), src);
  if (in_group(cc_op, kCcOpIncB) || in_group(cc_op, kCcOpDecB) || in_group(cc_op, kCcOpSarB))
    return gen_op(s, &tcg::IrBuilder::and_i64, src, b.const_i64(1));
  if (in_group(cc_op, kCcOpShlB)) return sign_bit(s, src, size);
  if (in_group(cc_op, kCcOpMulB)) return setcond(s, Cond::kNe, src, b.const_i64(0));
  return {};  // ADC, SBB
}

}  // namespace

Temp gen_compute_cf(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  if (s.cc_op != kCcOpDynamic) {
    Temp cf = gen_inline_cf(s);
    if (cf.valid()) return cf;
  } else {
    // Unknown here (the block starts with INC/DEC/ADC...): guess the cc_op
    // the CPU has now, at translation, which a loop's block meets again at
    // run time, and check the guess before taking the inline path.
    DisasContext guess = s;
    guess.cc_op = s.cpu.cc_op;
    const bool inline_ok = guess.cc_op == kCcOpEflags || guess.cc_op == kCcOpClr ||
                           (guess.cc_op < kCcOpClr && !in_group(guess.cc_op, kCcOpAdcB) &&
                            !in_group(guess.cc_op, kCcOpSbbB));
    if (inline_ok) {
      Temp result = b.new_i64();
      tcg::Label slow = b.new_label(), done = b.new_label();
      Temp cc_op = b.new_i32();
      b.ld_i32(cc_op, offsetof(CpuState, cc_op));
      b.brcond_i32(cc_op, b.const_i32(guess.cc_op), Cond::kNe, slow);
      guess.cc_dst = b.new_i64();
      guess.cc_src = b.new_i64();
      b.ld_i64(guess.cc_dst, offsetof(CpuState, cc_dst));
      b.ld_i64(guess.cc_src, offsetof(CpuState, cc_src));
      b.mov_i64(result, gen_inline_cf(guess));
      b.br(done);
      b.set_label(slow);
      b.call_helper(helper_info_cc_compute_cf(), result, {});
      b.set_label(done);
      return result;
    }
  }
  Temp t = b.new_i64();
  b.call_helper(helper_info_cc_compute_cf(), t, {});
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
