#include "target-x86/x87_softfloat.h"

#include <bit>
#include <utility>

namespace vx86::x86::x87 {

namespace {

using u128 = unsigned __int128;

constexpr uint64_t kJ = 0x8000000000000000ull;  // explicit integer bit
constexpr uint64_t kQuietBit = 0x4000000000000000ull;
constexpr int kBias = 16383;
constexpr int kBiasAdjust = 24576;  // unmasked OE/UE response (SDM Vol. 1, 8.5.3/8.5.4)

// x86 detects tininess after rounding: a result that rounds (with an
// unbounded exponent) up to the smallest normal is not tiny. Checked against
// the host by the differential test.
constexpr bool kTininessBeforeRounding = false;

struct Format {
  int precision, emin, emax;
};
constexpr Format kExtFormat{64, 1 - kBias, kBias};
constexpr Format kDoubleFormat{53, -1022, 1023};
constexpr Format kSingleFormat{24, -126, 127};

// A finite non-zero value: m * 2^(e - 127), m's bit 127 set.
struct Unpacked {
  bool sign;
  int e;
  u128 m;
};

int clz128(u128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64);
  if (hi) return std::countl_zero(hi);
  return 64 + std::countl_zero(static_cast<uint64_t>(v));
}

u128 shift_right_jam(u128 v, int n) {
  if (n <= 0) return v;
  if (n >= 128) return v != 0;
  return (v >> n) | ((v << (128 - n)) != 0);
}

// Finite non-zero (normal, denormal or pseudo-denormal) values only.
Unpacked unpack(Ext80 a) {
  Unpacked u{a.sign(), a.exp() == 0 ? 1 - kBias : static_cast<int>(a.exp()) - kBias,
             static_cast<u128>(a.sig) << 64};
  const int shift = clz128(u.m);
  u.m <<= shift;
  u.e -= shift;
  return u;
}

Unpacked normalize(bool sign, int e, u128 m) {
  const int shift = clz128(m);
  return Unpacked{sign, e - shift, m << shift};
}

Ext80 zero(bool sign) {
  return make_ext(sign, 0, 0);
}

Ext80 quiet(Ext80 a) {
  a.sig |= kQuietBit;
  return a;
}

// The outcome of rounding: the precision-wide significand at the top of sig
// (bit 63 clear only for a denormal or zero, exponent then emin).
struct Rounded {
  bool sign;
  int e;
  uint64_t sig;
  bool infinity;
};

bool round_increment(u128 kept_low_bit, u128 rem, u128 half, unsigned rc, bool sign) {
  const bool inexact = rem != 0;
  switch (rc) {
    case kRoundNearest:
      return rem > half || (rem == half && kept_low_bit);
    case kRoundDown:
      return sign && inexact;
    case kRoundUp:
      return !sign && inexact;
    default:
      return false;
  }
}

// Rounds m at `precision` bits below bit 127. Returns true on a carry out of bit
// 127 (m is then 2^127 >> 0 and the exponent must grow by one).
bool round_at(u128& m, int precision, unsigned rc, bool sign, bool* inexact, bool* up) {
  const int drop = 128 - precision;
  const u128 unit = static_cast<u128>(1) << drop;
  const u128 rem = m & (unit - 1);
  const bool inc = round_increment(m & unit, rem, unit >> 1, rc, sign);
  *inexact = rem != 0;
  *up = inc;
  m &= ~(unit - 1);
  if (!inc) return false;
  m += unit;
  if (m == 0) {
    m = static_cast<u128>(1) << 127;
    return true;
  }
  return false;
}

// Rounds a finite non-zero value to the format. `register_dest` selects the
// x87 unmasked OE/UE responses (bias-adjusted result); for memory formats the
// caller drops the store instead.
Rounded round_to_format(Unpacked u, Format f, Context& ctx, bool register_dest) {
  bool inexact = false, up = false;
  const bool may_be_tiny = u.e < f.emin;
  if (may_be_tiny) {
    bool tiny = true;
    if (!kTininessBeforeRounding && u.e == f.emin - 1) {
      u128 probe = u.m;
      bool probe_inexact, probe_up;
      tiny = !round_at(probe, f.precision, ctx.rc, u.sign, &probe_inexact, &probe_up);
    }
    if (tiny && !ctx.ue_masked && register_dest) {
      ctx.flags |= kUE;
      if (u.e + kBiasAdjust >= f.emin) {
        u.e += kBiasAdjust;
        if (round_at(u.m, f.precision, ctx.rc, u.sign, &inexact, &up)) ++u.e;
        if (inexact) ctx.flags |= kPE;
        if (up) ctx.flags |= kRoundedUp;
        return Rounded{u.sign, u.e, static_cast<uint64_t>(u.m >> 64), false};
      }
      // Still too small after the adjustment: hardware delivers a signed zero.
      ctx.flags |= kPE;
      return Rounded{u.sign, f.emin, 0, false};
    }
    if (tiny && !ctx.ue_masked) ctx.flags |= kUE;  // memory destination: caller drops
    u.m = shift_right_jam(u.m, f.emin - u.e);
    u.e = f.emin;
    round_at(u.m, f.precision, ctx.rc, u.sign, &inexact, &up);
    if (inexact) {
      ctx.flags |= kPE;
      if (tiny) ctx.flags |= kUE;
    }
    if (up) ctx.flags |= kRoundedUp;
    return Rounded{u.sign, f.emin, static_cast<uint64_t>(u.m >> 64), false};
  }
  if (round_at(u.m, f.precision, ctx.rc, u.sign, &inexact, &up)) ++u.e;
  if (u.e > f.emax) {
    ctx.flags |= kOE;
    if (!ctx.oe_masked) {
      if (inexact) ctx.flags |= kPE;
      if (up) ctx.flags |= kRoundedUp;
      if (register_dest && u.e - kBiasAdjust <= f.emax) {
        u.e -= kBiasAdjust;
        return Rounded{u.sign, u.e, static_cast<uint64_t>(u.m >> 64), false};
      }
      if (!register_dest) return Rounded{u.sign, u.e, static_cast<uint64_t>(u.m >> 64), false};
      ctx.flags |= kPE | kRoundedUp;
      return Rounded{u.sign, f.emax + 1, kJ, true};  // still too large: infinity
    }
    ctx.flags |= kPE;
    const bool to_infinity = ctx.rc == kRoundNearest || (ctx.rc == kRoundUp && !u.sign) ||
                             (ctx.rc == kRoundDown && u.sign);
    if (to_infinity) {
      ctx.flags |= kRoundedUp;
      return Rounded{u.sign, f.emax + 1, kJ, true};
    }
    const uint64_t max_sig = ~uint64_t{0} << (64 - f.precision);
    return Rounded{u.sign, f.emax, max_sig, false};
  }
  if (inexact) ctx.flags |= kPE;
  if (up) ctx.flags |= kRoundedUp;
  return Rounded{u.sign, u.e, static_cast<uint64_t>(u.m >> 64), false};
}

Ext80 pack_ext(const Rounded& r) {
  if (r.infinity) return infinity(r.sign);
  if (r.sig == 0) return zero(r.sign);
  const int biased = (r.sig & kJ) ? r.e + kBias : 0;
  return make_ext(r.sign, static_cast<unsigned>(biased) & 0x7fff, r.sig);
}

Ext80 round_ext(Unpacked u, int precision, Context& ctx) {
  Format f = kExtFormat;
  f.precision = precision;
  return pack_ext(round_to_format(u, f, ctx, true));
}

uint64_t pack_ieee(const Rounded& r, Format f, int frac_bits) {
  const uint64_t sign = static_cast<uint64_t>(r.sign) << (frac_bits + (f.emax == 127 ? 8 : 11));
  const uint64_t exp_all_ones = f.emax == 127 ? 0xff : 0x7ff;
  if (r.infinity) return sign | (exp_all_ones << frac_bits);
  const uint64_t frac = (r.sig >> (63 - frac_bits)) & ((uint64_t{1} << frac_bits) - 1);
  const uint64_t biased = (r.sig & kJ) ? static_cast<uint64_t>(r.e + f.emax) : 0;
  return sign | (biased << frac_bits) | frac;
}

bool is_denormal_class(Class c) {
  return c == Class::kDenormal;
}

// Common operand screening for two-operand arithmetic. Returns true (with
// *result set) when the operation is decided by the operands' classes.
bool screen_nans(Ext80 a, Ext80 b, Class ca, Class cb, Context& ctx, Ext80* result) {
  if (ca == Class::kUnsupported || cb == Class::kUnsupported) {
    ctx.flags |= kIE;
    *result = kIndefinite;
    return true;
  }
  if (ca == Class::kQNaN || ca == Class::kSNaN || cb == Class::kQNaN || cb == Class::kSNaN) {
    *result = propagate_nan(a, b, ctx);
    return true;
  }
  if (is_denormal_class(ca) || is_denormal_class(cb) || ctx.operand_denormal) ctx.flags |= kDE;
  return false;
}

Ext80 invalid(Context& ctx) {
  ctx.flags |= kIE;
  return kIndefinite;
}

Ext80 add_signed(Ext80 a, Ext80 b, bool negate_b, Context& ctx) {
  const Class ca = classify(a), cb = classify(b);
  Ext80 result;
  if (screen_nans(a, b, ca, cb, ctx, &result)) return result;
  const bool sa = a.sign(), sb = b.sign() != negate_b;
  if (ca == Class::kInfinity || cb == Class::kInfinity) {
    if (ca == Class::kInfinity && cb == Class::kInfinity && sa != sb) return invalid(ctx);
    return infinity(ca == Class::kInfinity ? sa : sb);
  }
  const bool za = ca == Class::kZero, zb = cb == Class::kZero;
  if (za && zb) return zero(sa == sb ? sa : ctx.rc == kRoundDown);
  if (za || zb) {
    Unpacked u = za ? unpack(b) : unpack(a);
    if (za) u.sign = sb;
    return round_ext(u, ctx.precision, ctx);
  }
  Unpacked ua = unpack(a), ub = unpack(b);
  ub.sign = sb;
  if (ua.e < ub.e || (ua.e == ub.e && ua.m < ub.m)) std::swap(ua, ub);
  // Both significands keep one spare top bit for the carry of an addition.
  const u128 ma = ua.m >> 1;
  const u128 mb = shift_right_jam(ub.m >> 1, ua.e - ub.e);
  if (ua.sign == ub.sign)
    return round_ext(normalize(ua.sign, ua.e + 1, ma + mb), ctx.precision, ctx);
  const u128 diff = ma - mb;
  if (diff == 0) return zero(ctx.rc == kRoundDown);
  return round_ext(normalize(ua.sign, ua.e + 1, diff), ctx.precision, ctx);
}

}  // namespace

Context context_from_cw(uint16_t cw) {
  Context ctx;
  ctx.rc = (cw >> 10) & 3;
  const unsigned pc = (cw >> 8) & 3;
  ctx.precision = pc == 0 ? 24 : pc == 2 ? 53 : 64;
  ctx.oe_masked = cw & kOE;
  ctx.ue_masked = cw & kUE;
  return ctx;
}

Class classify(Ext80 a) {
  const unsigned exp = a.exp();
  if (exp == 0x7fff) {
    if (!(a.sig & kJ)) return Class::kUnsupported;  // pseudo-infinity / pseudo-NaN
    if ((a.sig << 1) == 0) return Class::kInfinity;
    return (a.sig & kQuietBit) ? Class::kQNaN : Class::kSNaN;
  }
  if (exp == 0) return a.sig == 0 ? Class::kZero : Class::kDenormal;  // incl. pseudo-denormal
  return (a.sig & kJ) ? Class::kNormal : Class::kUnsupported;         // unnormal
}

Ext80 propagate_nan(Ext80 a, Ext80 b, Context& ctx) {
  const Class ca = classify(a), cb = classify(b);
  const bool nan_a = ca == Class::kQNaN || ca == Class::kSNaN;
  const bool nan_b = cb == Class::kQNaN || cb == Class::kSNaN;
  if (ca == Class::kSNaN || cb == Class::kSNaN) ctx.flags |= kIE;
  if (!nan_b) return quiet(a);
  if (!nan_a) return quiet(b);
  // Two NaNs: the QNaN if only one is quiet, else the larger significand.
  if (ca == Class::kQNaN && cb == Class::kSNaN) return a;
  if (cb == Class::kQNaN && ca == Class::kSNaN) return b;
  if (a.sig != b.sig) return quiet(a.sig > b.sig ? a : b);
  return quiet(a.se < b.se ? a : b);
}

Ext80 add(Ext80 a, Ext80 b, Context& ctx) {
  return add_signed(a, b, false, ctx);
}

Ext80 sub(Ext80 a, Ext80 b, Context& ctx) {
  return add_signed(a, b, true, ctx);
}

Ext80 mul(Ext80 a, Ext80 b, Context& ctx) {
  const Class ca = classify(a), cb = classify(b);
  Ext80 result;
  if (screen_nans(a, b, ca, cb, ctx, &result)) return result;
  const bool sign = a.sign() != b.sign();
  if (ca == Class::kInfinity || cb == Class::kInfinity) {
    if (ca == Class::kZero || cb == Class::kZero) return invalid(ctx);
    return infinity(sign);
  }
  if (ca == Class::kZero || cb == Class::kZero) return zero(sign);
  const Unpacked ua = unpack(a), ub = unpack(b);
  const u128 product = (ua.m >> 64) * (ub.m >> 64);  // exact, top bit 127 or 126
  return round_ext(normalize(sign, ua.e + ub.e + 1, product), ctx.precision, ctx);
}

Ext80 div(Ext80 a, Ext80 b, Context& ctx) {
  const Class ca = classify(a), cb = classify(b);
  const bool sign = a.sign() != b.sign();
  // Division by zero of a finite non-zero value is ZE alone (no DE).
  if (cb == Class::kZero && (ca == Class::kNormal || ca == Class::kDenormal)) {
    ctx.flags |= kZE;
    return infinity(sign);
  }
  Ext80 result;
  if (screen_nans(a, b, ca, cb, ctx, &result)) return result;
  if (ca == Class::kInfinity) {
    if (cb == Class::kInfinity) return invalid(ctx);
    return infinity(sign);
  }
  if (cb == Class::kInfinity) return zero(sign);
  if (cb == Class::kZero) {
    if (ca == Class::kZero) return invalid(ctx);
    ctx.flags |= kZE;
    return infinity(sign);
  }
  if (ca == Class::kZero) return zero(sign);
  const Unpacked ua = unpack(a), ub = unpack(b);
  const uint64_t sa = static_cast<uint64_t>(ua.m >> 64), sb = static_cast<uint64_t>(ub.m >> 64);
  // 128 quotient bits: (sa << 64) / sb then the remainder's next 64 bits.
  const u128 num = static_cast<u128>(sa) << 63;  // keeps the first quotient below 2^64
  const uint64_t q1 = static_cast<uint64_t>(num / sb);
  const u128 r1 = num % sb;
  const u128 num2 = r1 << 64;
  const uint64_t q2 = static_cast<uint64_t>(num2 / sb);
  const bool sticky = (num2 % sb) != 0;
  const u128 q = (static_cast<u128>(q1) << 64) | q2 | (sticky ? 1 : 0);
  // sa/sb * 2^63 has its leading bit at 63 or 62 of q1, i.e. 127 or 126 of q.
  return round_ext(normalize(sign, ua.e - ub.e, q), ctx.precision, ctx);
}

Ext80 sqrt(Ext80 a, Context& ctx) {
  const Class ca = classify(a);
  if (ca == Class::kUnsupported) return invalid(ctx);
  if (ca == Class::kQNaN || ca == Class::kSNaN) return propagate_nan(a, a, ctx);
  if (ca == Class::kZero) return a;
  if (a.sign()) return invalid(ctx);  // before DE
  if (ca == Class::kDenormal) ctx.flags |= kDE;
  if (ca == Class::kInfinity) return a;
  const Unpacked u = unpack(a);
  const uint64_t sig = static_cast<uint64_t>(u.m >> 64);
  // Radicand bits in pairs from the binary point: "01.xxx" for an even
  // exponent, "1x.xx" for an odd one. 66 root bits, one of them integer.
  const bool odd = (u.e & 1) != 0;
  const u128 radicand = odd ? static_cast<u128>(sig) << 64 : static_cast<u128>(sig) << 63;
  u128 rem = 0, root = 0;
  for (int i = 0; i < 66; ++i) {
    const int shift = 126 - 2 * i;
    const unsigned pair = shift >= 0 ? static_cast<unsigned>((radicand >> shift) & 3) : 0;
    rem = (rem << 2) | pair;
    const u128 trial = (root << 2) | 1;
    if (rem >= trial) {
      rem -= trial;
      root = (root << 1) | 1;
    } else {
      root <<= 1;
    }
  }
  const int e = (odd ? u.e - 1 : u.e) / 2;
  const u128 m = (root << 62) | (rem != 0 ? 1 : 0);  // leading root bit (65) to 127
  return round_ext(normalize(false, e, m), ctx.precision, ctx);
}

Relation compare(Ext80 a, Ext80 b, bool quiet_compare, Context& ctx) {
  const Class ca = classify(a), cb = classify(b);
  if (ca == Class::kUnsupported || cb == Class::kUnsupported) {
    ctx.flags |= kIE;
    return Relation::kUnordered;
  }
  const bool nan_a = ca == Class::kQNaN || ca == Class::kSNaN;
  const bool nan_b = cb == Class::kQNaN || cb == Class::kSNaN;
  if (nan_a || nan_b) {
    if (!quiet_compare || ca == Class::kSNaN || cb == Class::kSNaN) ctx.flags |= kIE;
    return Relation::kUnordered;
  }
  if (ca == Class::kDenormal || cb == Class::kDenormal || ctx.operand_denormal) ctx.flags |= kDE;
  if (ca == Class::kZero && cb == Class::kZero) return Relation::kEqual;
  // Magnitude key: infinity above every finite value, then exponent, significand.
  auto key = [](Ext80 v, Class c) -> u128 {
    if (c == Class::kZero) return 0;
    if (c == Class::kInfinity) return ~static_cast<u128>(0);
    const Unpacked u = unpack(v);
    return (static_cast<u128>(static_cast<uint32_t>(u.e + 65536)) << 64) |
           static_cast<uint64_t>(u.m >> 64);
  };
  const u128 ka = key(a, ca), kb = key(b, cb);
  const bool sa = ca != Class::kZero && a.sign(), sb = cb != Class::kZero && b.sign();
  if (sa != sb) return sa ? Relation::kLess : Relation::kGreater;
  if (ka == kb) return Relation::kEqual;
  return (ka < kb) != sa ? Relation::kLess : Relation::kGreater;
}

namespace {

// Rounds |value| of a finite non-zero value to an integer magnitude under rc
// (or truncating). Returns false when the magnitude is 2^64 or more.
bool integer_magnitude(Ext80 a, unsigned rc, uint64_t* out, bool* inexact, bool* up) {
  const Unpacked u = unpack(a);
  const uint64_t sig = static_cast<uint64_t>(u.m >> 64);
  *inexact = *up = false;
  if (u.e >= 64) return false;
  if (u.e == 63) {
    *out = sig;
    return true;
  }
  // Fraction bits below the binary point: 63 - e (>= 1).
  const int frac_bits = 63 - u.e;
  uint64_t integer, rem, half;
  if (frac_bits < 64) {
    integer = sig >> frac_bits;
    rem = sig & ((uint64_t{1} << frac_bits) - 1);
    half = uint64_t{1} << (frac_bits - 1);
  } else if (frac_bits == 64) {
    integer = 0;
    rem = sig;
    half = kJ;
  } else {
    integer = 0;
    rem = 1;  // below one half, but inexact
    half = kJ;
  }
  *inexact = rem != 0;
  *up = round_increment(integer & 1, rem, half, rc, a.sign());
  if (*up) {
    if (integer == ~uint64_t{0}) return false;
    ++integer;
  }
  *out = integer;
  return true;
}

Ext80 from_magnitude(bool sign, uint64_t magnitude) {
  if (magnitude == 0) return zero(sign);
  const int shift = std::countl_zero(magnitude);
  return make_ext(sign, static_cast<unsigned>(kBias + 63 - shift), magnitude << shift);
}

}  // namespace

Ext80 round_to_int(Ext80 a, Context& ctx) {
  const Class ca = classify(a);
  if (ca == Class::kUnsupported) return invalid(ctx);
  if (ca == Class::kQNaN || ca == Class::kSNaN) return propagate_nan(a, a, ctx);
  if (ca == Class::kZero || ca == Class::kInfinity) return a;
  if (ca == Class::kDenormal) ctx.flags |= kDE;
  uint64_t magnitude;
  bool inexact, up;
  if (!integer_magnitude(a, ctx.rc, &magnitude, &inexact, &up)) return a;  // already integral
  if (inexact) ctx.flags |= kPE;
  if (up) ctx.flags |= kRoundedUp;
  return from_magnitude(a.sign(), magnitude);
}

Ext80 scale(Ext80 a, Ext80 b, Context& ctx) {
  const Class ca = classify(a), cb = classify(b);
  Ext80 result;
  if (screen_nans(a, b, ca, cb, ctx, &result)) return result;
  if (cb == Class::kInfinity) {
    if (b.sign()) {
      if (ca == Class::kInfinity) return invalid(ctx);
      return ca == Class::kZero ? a : zero(a.sign());
    }
    if (ca == Class::kZero) return invalid(ctx);
    return infinity(a.sign());
  }
  if (ca == Class::kZero || ca == Class::kInfinity) return a;
  // trunc(b), clamped far beyond any exponent that could still matter.
  int64_t n = 0;
  if (cb != Class::kZero) {
    const Unpacked ub = unpack(b);
    if (ub.e >= 20) {
      n = 1 << 20;
    } else if (ub.e >= 0) {
      n = static_cast<int64_t>(static_cast<uint64_t>(ub.m >> 64) >> (63 - ub.e));
    }
    if (b.sign()) n = -n;
  }
  Unpacked u = unpack(a);
  u.e += static_cast<int>(n);
  return round_ext(u, 64, ctx);
}

void extract(Ext80 a, Context& ctx, Ext80* exponent, Ext80* significand) {
  const Class ca = classify(a);
  if (ca == Class::kUnsupported) {
    *exponent = *significand = invalid(ctx);
    return;
  }
  if (ca == Class::kQNaN || ca == Class::kSNaN) {
    *exponent = *significand = propagate_nan(a, a, ctx);
    return;
  }
  if (ca == Class::kInfinity) {
    *exponent = infinity(false);
    *significand = a;
    return;
  }
  if (ca == Class::kZero) {
    ctx.flags |= kZE;
    *exponent = infinity(true);
    *significand = a;
    return;
  }
  if (ca == Class::kDenormal) ctx.flags |= kDE;
  const Unpacked u = unpack(a);
  *significand = make_ext(u.sign, kBias, static_cast<uint64_t>(u.m >> 64));
  *exponent = from_int(u.e);
}

Ext80 remainder(Ext80 a, Ext80 b, bool round_nearest, Context& ctx, unsigned* quotient,
                bool* incomplete) {
  *quotient = 0;
  *incomplete = false;
  const Class ca = classify(a), cb = classify(b);
  // Invalid (infinite dividend, zero divisor) comes before DE.
  if ((ca == Class::kInfinity || cb == Class::kZero) && ca != Class::kUnsupported &&
      cb != Class::kUnsupported && !is_nan(a) && !is_nan(b)) {
    return invalid(ctx);
  }
  Ext80 result;
  if (screen_nans(a, b, ca, cb, ctx, &result)) return result;
  if (ca == Class::kZero) return a;
  const Unpacked ua = unpack(a);
  // A dividend left as it is still goes through rounding (pseudo-denormals
  // become normal, tiny values meet the underflow rules).
  if (cb == Class::kInfinity) return round_ext(ua, 64, ctx);
  const Unpacked ub = unpack(b);
  int diff = ua.e - ub.e;
  if (diff < 0) {
    if (!round_nearest || diff < -1) return round_ext(ua, 64, ctx);
  }
  int reduce_e = ub.e;  // exponent of the divisor actually used
  if (diff >= 64) {
    // Partial reduction (SDM: by an implementation-dependent 32..63 bits).
    const int n = (diff & 31) | 32;
    reduce_e = ub.e + (diff - n);
    diff = n;
    *incomplete = true;
  }
  const uint64_t sa = static_cast<uint64_t>(ua.m >> 64), sb = static_cast<uint64_t>(ub.m >> 64);
  bool sign = ua.sign;
  u128 r;
  uint64_t q;
  if (diff < 0) {  // FPREM1 with |a| in [|b|/2, |b|): quotient 0 or 1
    r = sa;
    q = 0;
    if (r > sb) {  // |a| > |b| / 2 (r counts units of a's exponent)
      r = (static_cast<u128>(sb) << 1) - r;
      sign = !sign;
      q = 1;
    }
    *quotient = static_cast<unsigned>(q);
    return round_ext(normalize(sign, reduce_e + 63, r), 64, ctx);
  }
  const u128 num = static_cast<u128>(sa) << diff;
  q = static_cast<uint64_t>(num / sb);
  r = num % sb;
  if (round_nearest && !*incomplete) {
    const u128 twice = r << 1;
    if (twice > sb || (twice == sb && (q & 1))) {
      r = sb - r;
      sign = !sign;
      ++q;
    }
  }
  if (!*incomplete) *quotient = static_cast<unsigned>(q & 7);
  if (r == 0) return zero(ua.sign);
  return round_ext(normalize(sign, reduce_e + 64, r), 64, ctx);
}

Ext80 from_f32(uint32_t v, Context& ctx) {
  const bool sign = v >> 31;
  const unsigned exp = (v >> 23) & 0xff;
  const uint64_t frac = v & 0x7fffff;
  if (exp == 0xff) return make_ext(sign, 0x7fff, kJ | (frac << 40));
  if (exp == 0) {
    if (frac == 0) return zero(sign);
    ctx.operand_denormal = true;
    const int lz = std::countl_zero(frac);
    return make_ext(sign, static_cast<unsigned>(kBias - 86 - lz), frac << lz);
  }
  return make_ext(sign, exp - 127 + kBias, kJ | (frac << 40));
}

Ext80 from_f64(uint64_t v, Context& ctx) {
  const bool sign = v >> 63;
  const unsigned exp = (v >> 52) & 0x7ff;
  const uint64_t frac = v & 0xfffffffffffffull;
  if (exp == 0x7ff) return make_ext(sign, 0x7fff, kJ | (frac << 11));
  if (exp == 0) {
    if (frac == 0) return zero(sign);
    ctx.operand_denormal = true;
    const int lz = std::countl_zero(frac);
    return make_ext(sign, static_cast<unsigned>(kBias - 1022 - 52 + 63 - lz), frac << lz);
  }
  return make_ext(sign, exp - 1023 + kBias, kJ | (frac << 11));
}

Ext80 from_int(int64_t v) {
  const bool sign = v < 0;
  const uint64_t magnitude = sign ? ~static_cast<uint64_t>(v) + 1 : static_cast<uint64_t>(v);
  if (magnitude == 0) return kPosZero;
  return from_magnitude(sign, magnitude);
}

Ext80 load_f32(uint32_t v, Context& ctx) {
  Ext80 r = from_f32(v, ctx);
  if (ctx.operand_denormal) ctx.flags |= kDE;
  if (classify(r) == Class::kSNaN) {
    ctx.flags |= kIE;
    r = quiet(r);
  }
  return r;
}

Ext80 load_f64(uint64_t v, Context& ctx) {
  Ext80 r = from_f64(v, ctx);
  if (ctx.operand_denormal) ctx.flags |= kDE;
  if (classify(r) == Class::kSNaN) {
    ctx.flags |= kIE;
    r = quiet(r);
  }
  return r;
}

namespace {

uint64_t to_ieee(Ext80 a, Context& ctx, Format f, int frac_bits) {
  const Class ca = classify(a);
  const int sign_shift = f.emax == 127 ? 31 : 63;
  const uint64_t sign = static_cast<uint64_t>(a.sign()) << sign_shift;
  const uint64_t exp_ones = (f.emax == 127 ? uint64_t{0xff} : uint64_t{0x7ff}) << frac_bits;
  switch (ca) {
    case Class::kUnsupported:
      ctx.flags |= kIE;
      return (uint64_t{1} << sign_shift) | exp_ones | (uint64_t{1} << (frac_bits - 1));
    case Class::kSNaN:
      ctx.flags |= kIE;
      [[fallthrough]];
    case Class::kQNaN:
      return sign | exp_ones | (uint64_t{1} << (frac_bits - 1)) |
             ((a.sig << 1) >> (64 - frac_bits));
    case Class::kInfinity:
      return sign | exp_ones;
    case Class::kZero:
      return sign;
    default:  // a denormal source raises no DE here
      break;
  }
  return pack_ieee(round_to_format(unpack(a), f, ctx, false), f, frac_bits);
}

}  // namespace

uint32_t to_f32(Ext80 a, Context& ctx) {
  return static_cast<uint32_t>(to_ieee(a, ctx, kSingleFormat, 23));
}

uint64_t to_f64(Ext80 a, Context& ctx) {
  return to_ieee(a, ctx, kDoubleFormat, 52);
}

int64_t to_int(Ext80 a, unsigned bits, bool truncate, Context& ctx) {
  const int64_t indefinite = static_cast<int64_t>(~uint64_t{0} << (bits - 1));
  const Class ca = classify(a);
  if (ca == Class::kZero) return 0;
  if (ca != Class::kNormal && ca != Class::kDenormal) {
    ctx.flags |= kIE;
    return indefinite;
  }
  uint64_t magnitude;
  bool inexact, up;
  const uint64_t limit = (uint64_t{1} << (bits - 1)) - (a.sign() ? 0 : 1);
  if (!integer_magnitude(a, truncate ? unsigned{kRoundZero} : ctx.rc, &magnitude, &inexact, &up) ||
      magnitude > limit) {
    ctx.flags |= kIE;
    return indefinite;
  }
  if (inexact) ctx.flags |= kPE;
  if (up) ctx.flags |= kRoundedUp;
  const int64_t value =
      a.sign() ? static_cast<int64_t>(~magnitude + 1) : static_cast<int64_t>(magnitude);
  return value;
}

Ext80 from_bcd(const uint8_t bcd[10]) {
  uint64_t value = 0;
  for (int i = 8; i >= 0; --i) {
    value = value * 10 + (bcd[i] >> 4);
    value = value * 10 + (bcd[i] & 15);
  }
  return from_magnitude(bcd[9] & 0x80, value);
}

void to_bcd(Ext80 a, Context& ctx, uint8_t bcd[10]) {
  const Class ca = classify(a);
  uint64_t magnitude = 0;
  bool ok = true;
  if (ca == Class::kZero) {
    magnitude = 0;
  } else if (ca == Class::kNormal || ca == Class::kDenormal) {
    bool inexact, up;
    ok = integer_magnitude(a, ctx.rc, &magnitude, &inexact, &up) &&
         magnitude <= 999999999999999999ull;
    if (ok) {
      if (inexact) ctx.flags |= kPE;
      if (up) ctx.flags |= kRoundedUp;
    }
  } else {
    ok = false;
  }
  if (!ok) {
    ctx.flags |= kIE;
    for (int i = 0; i < 7; ++i) bcd[i] = 0;
    bcd[7] = 0xc0;
    bcd[8] = 0xff;
    bcd[9] = 0xff;
    return;
  }
  for (int i = 0; i < 9; ++i) {
    const unsigned lo = magnitude % 10;
    magnitude /= 10;
    const unsigned hi = magnitude % 10;
    magnitude /= 10;
    bcd[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  bcd[9] = a.sign() ? 0x80 : 0;
}

}  // namespace vx86::x86::x87
