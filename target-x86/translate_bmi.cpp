// BMI1 and BMI2: the VEX-encoded general-register instructions ANDN, BEXTR,
// BLSI, BLSMSK, BLSR, BZHI (flags from the result) and MULX, PDEP, PEXT,
// RORX, SARX, SHLX, SHRX (flags untouched). The decoder gives ModRM's reg and
// r/m, VEX.vvvv as the third register and the operand size (VEX.W); the
// bit-field and bit-scatter operations run in a helper, the rest in IR.
#include <cstdint>

#include "target-x86/helper_def.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;

// BEXTR, BZHI, PDEP, PEXT on bits-wide values (a: the first source, b: the
// second or the control).
uint64_t helper_bmi(CpuState*, uint32_t mnemonic, uint64_t a, uint64_t b, uint32_t bits) {
  const uint64_t mask = width_mask(bits);
  switch (static_cast<M>(mnemonic)) {
    case M::kBextr: {
      // b[7:0] is the start, b[15:8] the length.
      const unsigned start = b & 0xff, length = (b >> 8) & 0xff;
      if (start >= bits) return 0;
      const uint64_t shifted = (a & mask) >> start;
      return length >= 64 ? shifted : shifted & width_mask(length);
    }
    case M::kBzhi: {
      const unsigned index = b & 0xff;
      return index >= bits ? a & mask : a & width_mask(index);
    }
    case M::kPdep: {
      // Low bits of a go to the positions of b's set bits, in order.
      uint64_t out = 0, bit = 1;
      for (uint64_t m = b & mask; m; m &= m - 1, bit <<= 1) {
        if (a & bit) out |= m & -m;
      }
      return out;
    }
    case M::kPext: {
      // The bits of a at b's set bits, packed into the low bits.
      uint64_t out = 0, bit = 1;
      for (uint64_t m = b & mask; m; m &= m - 1, bit <<= 1) {
        if (a & m & -m) out |= bit;
      }
      return out;
    }
    default:
      return 0;
  }
}

VX86_HELPER(bmi, helper_bmi, 0)

// The r/m operand (register or memory), zero-extended.
Temp read_rm(DisasContext& s, unsigned size) {
  const DecodedInsn& d = s.insn;
  if (d.mod == 3) return gen_load_gpr(s, d.rm, size);
  return gen_load(s, gen_operand_address(s), size);
}

// EFLAGS for the result: ZF and SF from it, CF as given, OF cleared (AF and
// PF are undefined; they are left clear).
void set_result_flags(DisasContext& s, Temp result, unsigned bits, Temp cf) {
  tcg::IrBuilder& b = s.b;
  Temp zf = b.new_i64(), sf = b.new_i64(), flags = b.new_i64();
  b.setcond_i64(zf, result, b.const_i64(0), tcg::Cond::kEq);
  b.shl_i64(zf, zf, b.const_i64(6));
  b.shr_i64(sf, result, b.const_i64(bits - 1));
  b.and_i64(sf, sf, b.const_i64(1));
  b.shl_i64(sf, sf, b.const_i64(7));
  b.or_i64(flags, zf, sf);
  b.or_i64(flags, flags, cf);
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

}  // namespace

bool translate_bmi(DisasContext& s) {
  const M m = s.insn.mnemonic;
  switch (m) {
    case M::kAndn:
    case M::kBextr:
    case M::kBlsi:
    case M::kBlsmsk:
    case M::kBlsr:
    case M::kBzhi:
    case M::kMulx:
    case M::kPdep:
    case M::kPext:
    case M::kRorx:
    case M::kSarx:
    case M::kShlx:
    case M::kShrx:
      break;
    default:
      return false;
  }
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& d = s.insn;
  const unsigned bits = d.operand_bits, size = bits / 8;
  const uint64_t mask = width_mask(bits);
  Temp src = read_rm(s, size);
  Temp result = b.new_i64();
  switch (m) {
    case M::kAndn: {
      b.andc_i64(result, src, gen_load_gpr(s, d.vex_vvvv, size));
      set_result_flags(s, result, bits, b.const_i64(0));
      gen_store_gpr(s, d.reg, size, result);
      return true;
    }
    case M::kBlsi:
    case M::kBlsmsk:
    case M::kBlsr: {
      // CF: the source is non-zero (BLSI) or zero (BLSMSK, BLSR).
      Temp minus_one = b.new_i64(), cf = b.new_i64();
      if (m == M::kBlsi) {
        b.neg_i64(minus_one, src);
        b.and_i64(result, minus_one, src);
        b.setcond_i64(cf, src, b.const_i64(0), tcg::Cond::kNe);
      } else {
        b.sub_i64(minus_one, src, b.const_i64(1));
        if (m == M::kBlsmsk) {
          b.xor_i64(result, minus_one, src);
        } else {
          b.and_i64(result, minus_one, src);
        }
        b.setcond_i64(cf, src, b.const_i64(0), tcg::Cond::kEq);
      }
      b.and_i64(result, result, b.const_i64(mask));
      set_result_flags(s, result, bits, cf);
      gen_store_gpr(s, d.vex_vvvv, size, result);
      return true;
    }
    case M::kBextr:
    case M::kBzhi: {
      Temp control = gen_load_gpr(s, d.vex_vvvv, size);
      b.call_helper(helper_info_bmi(), result,
                    {b.const_i32(static_cast<uint32_t>(m)), src, control, b.const_i32(bits)});
      // BZHI: CF when the index is past the operand; BEXTR: CF clear (and SF,
      // undefined there, as the result gives it).
      Temp cf = b.new_i64();
      if (m == M::kBzhi) {
        b.and_i64(cf, control, b.const_i64(0xff));
        b.setcond_i64(cf, cf, b.const_i64(bits - 1), tcg::Cond::kGtu);
      } else {
        b.movi_i64(cf, 0);
      }
      set_result_flags(s, result, bits, cf);
      gen_store_gpr(s, d.reg, size, result);
      return true;
    }
    case M::kPdep:
    case M::kPext:
      b.call_helper(helper_info_bmi(), result,
                    {b.const_i32(static_cast<uint32_t>(m)), gen_load_gpr(s, d.vex_vvvv, size), src,
                     b.const_i32(bits)});
      gen_store_gpr(s, d.reg, size, result);
      return true;
    case M::kMulx: {
      // reg:vvvv = rDX * r/m, unsigned; the high half is written last.
      Temp rdx = gen_load_gpr(s, 2, size), low = b.new_i64(), high = b.new_i64();
      if (bits == 64) {
        b.mulu2_i64(low, high, rdx, src);
      } else {
        b.mul_i64(low, rdx, src);
        b.shr_i64(high, low, b.const_i64(32));
        b.and_i64(low, low, b.const_i64(mask));
      }
      gen_store_gpr(s, d.vex_vvvv, size, low);
      gen_store_gpr(s, d.reg, size, high);
      return true;
    }
    case M::kRorx: {
      const unsigned count = static_cast<unsigned>(d.imm) & (bits - 1);
      if (bits == 64) {
        b.rotr_i64(result, src, b.const_i64(count));
      } else {
        Temp low = b.new_i64(), high = b.new_i64();
        b.shr_i64(low, src, b.const_i64(count));
        b.shl_i64(high, src, b.const_i64((32 - count) & 63));
        b.or_i64(result, low, high);
        b.and_i64(result, result, b.const_i64(mask));
      }
      gen_store_gpr(s, d.reg, size, result);
      return true;
    }
    default: {
      // SHLX, SHRX, SARX: the count from vvvv, modulo the width.
      Temp count = b.new_i64(), value = src;
      b.and_i64(count, gen_load_gpr(s, d.vex_vvvv, size), b.const_i64(bits - 1));
      if (m == M::kSarx && bits == 32) {
        value = b.new_i64();
        b.ext32s_i64(value, src);
      }
      if (m == M::kShlx) {
        b.shl_i64(result, value, count);
      } else if (m == M::kShrx) {
        b.shr_i64(result, value, count);
      } else {
        b.sar_i64(result, value, count);
      }
      b.and_i64(result, result, b.const_i64(mask));
      gen_store_gpr(s, d.reg, size, result);
      return true;
    }
  }
}

}  // namespace vx86::x86
