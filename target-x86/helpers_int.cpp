// Integer helpers: shifts/rotates, one-operand multiply/divide, CMPXCHG8B/16B
// and BCD adjustments. Flag rules follow the SDM; where it calls a flag
// undefined we do what the count-1 formula gives (shifts) or keep the flag.
#include "target-x86/helpers_int.h"

#include "target-x86/exceptions.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_system.h"
#include "target-x86/x86_cpu.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

using u128 = unsigned __int128;
using s128 = __int128;

uint64_t mask_of(unsigned bits) {
  return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

int64_t sext(uint64_t v, unsigned bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  const unsigned sh = 64 - bits;
  return static_cast<int64_t>(v << sh) >> sh;
}

bool parity_even(uint64_t v) {
  return (__builtin_popcount(static_cast<uint8_t>(v)) & 1) == 0;
}

uint32_t szp(uint64_t result, unsigned bits) {
  uint32_t f = 0;
  result &= mask_of(bits);
  if (result == 0) f |= kFlagZF;
  if ((result >> (bits - 1)) & 1) f |= kFlagSF;
  if (parity_even(result)) f |= kFlagPF;
  return f;
}

uint32_t put(uint32_t flags, uint32_t bit, bool on) {
  return on ? (flags | bit) : (flags & ~bit);
}

struct ShiftOut {
  uint64_t result;
  uint32_t flags;
};

ShiftOut do_shift(uint32_t kind_size, uint64_t value, uint64_t src, uint64_t count,
                  uint64_t flags_in) {
  const unsigned kind = kind_size >> 8;
  const unsigned size = kind_size & 0xff;
  const unsigned bits = size * 8;
  const uint64_t m = mask_of(bits);
  value &= m;
  src &= m;
  uint32_t flags = static_cast<uint32_t>(flags_in) & kFlagsArith;
  const unsigned n = static_cast<unsigned>(count & (bits == 64 ? 0x3f : 0x1f));
  if (n == 0) return {value, flags};
  const bool cf_in = flags & kFlagCF;
  auto msb = [&](uint64_t v) { return ((v >> (bits - 1)) & 1) != 0; };
  uint64_t r = value;
  switch (kind) {
    case kShiftRol: {
      unsigned k = n % bits;
      r = k ? ((value << k) | (value >> (bits - k))) & m : value;
      bool cf = r & 1;
      flags = put(flags, kFlagCF, cf);
      flags = put(flags, kFlagOF, msb(r) ^ cf);
      return {r, flags};
    }
    case kShiftRor: {
      unsigned k = n % bits;
      r = k ? ((value >> k) | (value << (bits - k))) & m : value;
      flags = put(flags, kFlagCF, msb(r));
      flags = put(flags, kFlagOF, msb(r) ^ (((r >> (bits - 2)) & 1) != 0));
      return {r, flags};
    }
    case kShiftRcl:
    case kShiftRcr: {
      // Rotate the (bits+1)-bit quantity CF:value.
      unsigned k = n % (bits + 1);
      if (k == 0) {
        // Masked count non-zero but a whole turn: value and CF unchanged;
        // OF follows the count-1 formula of the current state.
        if (kind == kShiftRcl)
          flags = put(flags, kFlagOF, msb(value) ^ cf_in);
        else
          flags = put(flags, kFlagOF, msb(value) ^ (((value >> (bits - 2)) & 1) != 0));
        return {value, flags};
      }
      u128 wide = (static_cast<u128>(cf_in) << bits) | value;
      const u128 wmask = (static_cast<u128>(1) << (bits + 1)) - 1;
      u128 rot;
      if (kind == kShiftRcl) {
        rot = ((wide << k) | (wide >> (bits + 1 - k))) & wmask;
      } else {
        rot = ((wide >> k) | (wide << (bits + 1 - k))) & wmask;
      }
      r = static_cast<uint64_t>(rot) & m;
      bool cf = static_cast<bool>((rot >> bits) & 1);
      flags = put(flags, kFlagCF, cf);
      if (kind == kShiftRcl) {
        flags = put(flags, kFlagOF, msb(r) ^ cf);
      } else {
        flags = put(flags, kFlagOF, msb(r) ^ (((r >> (bits - 2)) & 1) != 0));
      }
      return {r, flags};
    }
    case kShiftShl:
    case kShiftSal: {
      bool cf = n <= bits ? ((value >> (bits - n)) & 1) != 0 : false;
      r = n < bits ? (value << n) & m : 0;
      flags = szp(r, bits) | (flags & kFlagAF);
      flags = put(flags, kFlagCF, cf);
      flags = put(flags, kFlagOF, msb(r) ^ cf);
      return {r, flags};
    }
    case kShiftShr: {
      bool cf = n <= bits ? ((value >> (n - 1)) & 1) != 0 : false;
      r = n < bits ? value >> n : 0;
      flags = szp(r, bits) | (flags & kFlagAF);
      flags = put(flags, kFlagCF, cf);
      flags = put(flags, kFlagOF, n == 1 ? msb(value) : false);
      return {r, flags};
    }
    case kShiftSar: {
      int64_t sv = sext(value, bits);
      unsigned k1 = n - 1 < 63 ? n - 1 : 63;
      bool cf = ((sv >> k1) & 1) != 0;
      unsigned k = n < 63 ? n : 63;
      r = static_cast<uint64_t>(sv >> k) & m;
      flags = szp(r, bits) | (flags & kFlagAF);
      flags = put(flags, kFlagCF, cf);
      flags = put(flags, kFlagOF, false);
      return {r, flags};
    }
    case kShiftShld: {
      // dest:src shifted left; n > bits is undefined (16-bit only): we
      // continue into a dest:src:dest pattern like Intel parts.
      u128 wide = (static_cast<u128>(value) << bits) | src;
      if (bits < 64) wide = (wide << bits) | value;  // dest:src:dest (48 or 96 bits)
      const unsigned total = bits < 64 ? 3 * bits : 2 * bits;
      u128 shifted = wide << n;
      r = static_cast<uint64_t>(shifted >> (total - bits)) & m;
      bool cf = static_cast<bool>((wide >> (total - n)) & 1);
      flags = szp(r, bits) | (flags & kFlagAF);
      flags = put(flags, kFlagCF, cf);
      flags = put(flags, kFlagOF, msb(r) ^ msb(value));
      return {r, flags};
    }
    case kShiftShrd: {
      u128 wide = (static_cast<u128>(src) << bits) | value;
      if (bits < 64) wide |= static_cast<u128>(value) << (2 * bits);  // dest:src:dest
      r = static_cast<uint64_t>(wide >> n) & m;
      bool cf = static_cast<bool>((wide >> (n - 1)) & 1);
      flags = szp(r, bits) | (flags & kFlagAF);
      flags = put(flags, kFlagCF, cf);
      flags = put(flags, kFlagOF, msb(r) ^ msb(value));
      return {r, flags};
    }
  }
  return {value, flags};
}

uint64_t helper_shift_result(CpuState*, uint32_t kind_size, uint64_t value, uint64_t src,
                             uint64_t count, uint64_t flags_in) {
  return do_shift(kind_size, value, src, count, flags_in).result;
}

uint64_t helper_shift_flags(CpuState*, uint32_t kind_size, uint64_t value, uint64_t src,
                            uint64_t count, uint64_t flags_in) {
  return do_shift(kind_size, value, src, count, flags_in).flags;
}

void set_cc(CpuState& cpu, uint32_t cc_op, uint64_t dst, uint64_t src) {
  cpu.cc_op = cc_op;
  cpu.cc_dst = dst;
  cpu.cc_src = src;
  cpu.cc_src2 = 0;
}

void set_arith_flags(CpuState& cpu, uint32_t flags) {
  set_cc(cpu, kCcOpEflags, 0, flags & kFlagsArith);
}

uint32_t size_index(unsigned size) {
  return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

// Writes the low `size` bytes of a register as a generator would (32-bit
// writes zero-extend).
void write_reg(CpuState& cpu, unsigned reg, unsigned size, uint64_t value) {
  if (size == 8 || size == 4) {
    cpu.regs[reg] = value & mask_of(size * 8);
  } else {
    const uint64_t m = mask_of(size * 8);
    cpu.regs[reg] = (cpu.regs[reg] & ~m) | (value & m);
  }
}

// One-operand MUL/IMUL/DIV/IDIV on AX / DX:AX / EDX:EAX / RDX:RAX.
void helper_muldiv(CpuState* env, uint32_t kind_size, uint64_t operand) {
  CpuState& cpu = *env;
  const unsigned kind = kind_size >> 8;
  const unsigned size = kind_size & 0xff;
  const unsigned bits = size * 8;
  const uint64_t m = mask_of(bits);
  operand &= m;
  const uint64_t a = cpu.regs[kRAX] & m;
  const uint32_t mul_cc = kCcOpMulB + size_index(size);
  if (kind == kMul || kind == kImul1) {
    uint64_t lo, hi;
    bool overflow;
    if (kind == kMul) {
      u128 p = static_cast<u128>(a) * operand;
      lo = static_cast<uint64_t>(p) & m;
      hi = static_cast<uint64_t>(p >> bits) & m;
      overflow = hi != 0;
    } else {
      s128 p = static_cast<s128>(sext(a, bits)) * sext(operand, bits);
      lo = static_cast<uint64_t>(p) & m;
      hi = static_cast<uint64_t>(p >> bits) & m;
      overflow = p != static_cast<s128>(sext(lo, bits));
    }
    if (size == 1) {
      write_reg(cpu, kRAX, 2, (hi << 8) | lo);
    } else {
      write_reg(cpu, kRAX, size, lo);
      write_reg(cpu, kRDX, size, hi);
    }
    set_cc(cpu, mul_cc, lo, overflow ? 1 : 0);
    return;
  }
  // Division: the dividend is AX (8-bit) or rDX:rAX.
  if (operand == 0) raise_exception(cpu, kExcDE);
  u128 dividend;
  if (size == 1) {
    dividend = cpu.regs[kRAX] & 0xffff;
  } else {
    dividend = (static_cast<u128>(cpu.regs[kRDX] & m) << bits) | a;
  }
  uint64_t q, r;
  if (kind == kDiv) {
    u128 quot = dividend / operand;
    if (quot > m) raise_exception(cpu, kExcDE);
    q = static_cast<uint64_t>(quot);
    r = static_cast<uint64_t>(dividend % operand);
  } else {
    // Sign-extend the 2*bits dividend.
    s128 sd;
    if (bits == 64) {
      sd = static_cast<s128>(dividend);
    } else {
      const unsigned sh = 128 - 2 * bits;
      sd = static_cast<s128>(dividend << sh) >> sh;
    }
    const s128 divisor = sext(operand, bits);
    const s128 qmax = (static_cast<s128>(1) << (bits - 1)) - 1;
    const s128 qmin = -qmax - 1;
    s128 quot, rem;
    if (divisor == -1) {
      // Avoids the host trap on INT128_MIN / -1: the quotient is -dividend.
      if (sd < -qmax || sd > -qmin) raise_exception(cpu, kExcDE);
      quot = -sd;
      rem = 0;
    } else {
      quot = sd / divisor;
      rem = sd % divisor;
    }
    if (quot > qmax || quot < qmin) raise_exception(cpu, kExcDE);
    q = static_cast<uint64_t>(quot) & m;
    r = static_cast<uint64_t>(rem) & m;
  }
  if (size == 1) {
    write_reg(cpu, kRAX, 2, (r << 8) | q);
  } else {
    write_reg(cpu, kRAX, size, q);
    write_reg(cpu, kRDX, size, r);
  }
}

// CMPXCHG8B m64 / CMPXCHG16B m128. The destination is always written (the
// old value back when the comparison fails), as on hardware.
void helper_cmpxchg8b(CpuState* env, uint64_t linear, uint32_t mem_index, uint32_t is16) {
  X86Cpu& cpu = x86_cpu(env);
  uint32_t flags = compute_cc_flags(cpu.cc_op, cpu.cc_src, cpu.cc_dst, cpu.cc_src2);
  if (is16) {
    if (linear & 15) raise_exception(cpu, kExcGP, 0);
    uint64_t lo = cpu_load(cpu, linear, 8, mem_index);
    uint64_t hi = cpu_load(cpu, linear + 8, 8, mem_index);
    bool eq = lo == cpu.regs[kRAX] && hi == cpu.regs[kRDX];
    uint64_t new_lo = eq ? cpu.regs[kRBX] : lo;
    uint64_t new_hi = eq ? cpu.regs[kRCX] : hi;
    cpu_store(cpu, linear, new_lo, 8, mem_index);
    cpu_store(cpu, linear + 8, new_hi, 8, mem_index);
    if (!eq) {
      cpu.regs[kRAX] = lo;
      cpu.regs[kRDX] = hi;
    }
    set_arith_flags(cpu, put(flags, kFlagZF, eq));
    return;
  }
  uint64_t old = cpu_load(cpu, linear, 8, mem_index);
  const uint64_t expected =
      ((cpu.regs[kRDX] & 0xffffffffull) << 32) | (cpu.regs[kRAX] & 0xffffffffull);
  bool eq = old == expected;
  uint64_t desired = ((cpu.regs[kRCX] & 0xffffffffull) << 32) | (cpu.regs[kRBX] & 0xffffffffull);
  cpu_store(cpu, linear, eq ? desired : old, 8, mem_index);
  if (!eq) {
    cpu.regs[kRAX] = old & 0xffffffffull;
    cpu.regs[kRDX] = old >> 32;
  }
  set_arith_flags(cpu, put(flags, kFlagZF, eq));
}

void helper_bcd(CpuState* env, uint32_t kind, uint32_t imm) {
  CpuState& cpu = *env;
  uint32_t flags = compute_cc_flags(cpu.cc_op, cpu.cc_src, cpu.cc_dst, cpu.cc_src2);
  const bool cf = flags & kFlagCF, af = flags & kFlagAF;
  uint32_t al = cpu.regs[kRAX] & 0xff;
  uint32_t ah = (cpu.regs[kRAX] >> 8) & 0xff;
  switch (kind) {
    case kBcdDaa:
    case kBcdDas: {
      const uint32_t old_al = al;
      bool new_cf = false, new_af = false;
      if ((al & 0xf) > 9 || af) {
        if (kind == kBcdDaa) {
          new_cf = cf || al + 6 > 0xff;
          al = (al + 6) & 0xff;
        } else {
          new_cf = cf || al < 6;
          al = (al - 6) & 0xff;
        }
        new_af = true;
      }
      if (old_al > 0x99 || cf) {
        al = (kind == kBcdDaa ? al + 0x60 : al - 0x60) & 0xff;
        new_cf = true;
      } else if (kind == kBcdDaa) {
        new_cf = false;
      }
      flags = (flags & kFlagOF) | szp(al, 8);
      flags = put(flags, kFlagCF, new_cf);
      flags = put(flags, kFlagAF, new_af);
      write_reg(cpu, kRAX, 1, al);
      break;
    }
    case kBcdAaa:
    case kBcdAas: {
      uint32_t ax = cpu.regs[kRAX] & 0xffff;
      bool adjust = (al & 0xf) > 9 || af;
      if (adjust) {
        if (kind == kBcdAaa) {
          ax = (ax + 0x106) & 0xffff;
        } else {
          ax = (ax - 6) & 0xffff;
          ax = (ax - 0x100) & 0xffff;
        }
      }
      ax = (ax & 0xff00) | (ax & 0x0f);
      flags = put(flags, kFlagCF, adjust);
      flags = put(flags, kFlagAF, adjust);
      write_reg(cpu, kRAX, 2, ax);
      break;
    }
    case kBcdAam: {
      imm &= 0xff;
      if (imm == 0) raise_exception(cpu, kExcDE);
      uint32_t q = al / imm, r = al % imm;
      write_reg(cpu, kRAX, 2, (q << 8) | r);
      flags = (flags & (kFlagOF | kFlagAF | kFlagCF)) | szp(r, 8);
      break;
    }
    case kBcdAad: {
      imm &= 0xff;
      uint32_t v = (al + ah * imm) & 0xff;
      write_reg(cpu, kRAX, 2, v);
      flags = (flags & (kFlagOF | kFlagAF | kFlagCF)) | szp(v, 8);
      break;
    }
  }
  set_arith_flags(cpu, flags);
}

constexpr uint32_t kPure = tcg::kHelperNoSideEffects;
constexpr uint32_t kRW = tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault;

}  // namespace

uint64_t shift_result(uint32_t kind_size, uint64_t value, uint64_t src, uint64_t count,
                      uint64_t flags_in) {
  return do_shift(kind_size, value, src, count, flags_in).result;
}

uint32_t shift_flags(uint32_t kind_size, uint64_t value, uint64_t src, uint64_t count,
                     uint64_t flags_in) {
  return do_shift(kind_size, value, src, count, flags_in).flags;
}

VX86_HELPER(shift_result, helper_shift_result, kPure)
VX86_HELPER(shift_flags, helper_shift_flags, kPure)
VX86_HELPER(muldiv, helper_muldiv, kRW)
VX86_HELPER(cmpxchg8b, helper_cmpxchg8b, kRW)
VX86_HELPER(bcd, helper_bcd, kRW)

}  // namespace vx86::x86
