// Portable 80-bit extended-precision arithmetic as the x87 performs it: the
// reference path for every host. Values are the register format (sign, 15-bit
// exponent, explicit 64-bit significand); results are rounded to the precision
// control (24/53/64 bits, 15-bit exponent range kept) under the rounding
// control, with the x87's NaN propagation, "real indefinite", denormal and
// unsupported-format rules (Intel SDM Vol. 1, 4.8, 4.9, 8.2, 8.5).
//
// Exceptions are reported in Context::flags; the caller decides what is
// written (a masked response is already in the result; with OE/UE unmasked the
// result carries the 24576 exponent bias adjustment of a register destination).
#pragma once

#include <cstdint>

namespace vx86::x86::x87 {

struct Ext80 {
  uint64_t sig = 0;
  uint16_t se = 0;  // sign << 15 | biased exponent

  bool sign() const { return se >> 15; }
  unsigned exp() const { return se & 0x7fff; }
  bool operator==(const Ext80&) const = default;
};

// Exception flags (the FSW bit positions) and "rounded up" (reported in C1).
inline constexpr uint32_t kIE = 1u << 0, kDE = 1u << 1, kZE = 1u << 2, kOE = 1u << 3, kUE = 1u << 4,
                          kPE = 1u << 5;
inline constexpr uint32_t kRoundedUp = 1u << 9;
inline constexpr uint32_t kPreComputation = kIE | kDE | kZE;

enum Rounding : unsigned { kRoundNearest = 0, kRoundDown = 1, kRoundUp = 2, kRoundZero = 3 };

struct Context {
  unsigned rc = kRoundNearest;
  unsigned precision = 64;  // significand bits for FADD/FSUB/FMUL/FDIV/FSQRT: 24, 53 or 64
  bool oe_masked = true;    // unmasked: register results get the bias adjustment
  bool ue_masked = true;
  bool operand_denormal = false;  // a memory operand was a denormal (set by the loaders)
  uint32_t flags = 0;
};

// Context from the x87 control word.
Context context_from_cw(uint16_t cw);

enum class Class { kZero, kNormal, kDenormal, kInfinity, kQNaN, kSNaN, kUnsupported };
Class classify(Ext80 a);
inline bool is_nan(Ext80 a) {
  Class c = classify(a);
  return c == Class::kQNaN || c == Class::kSNaN;
}

inline constexpr Ext80 kIndefinite{0xc000000000000000ull, 0xffff};
inline constexpr Ext80 make_ext(bool sign, unsigned exp, uint64_t sig) {
  return Ext80{sig, static_cast<uint16_t>((sign ? 0x8000 : 0) | exp)};
}
inline constexpr Ext80 kPosZero{0, 0}, kPosOne{0x8000000000000000ull, 0x3fff};
inline Ext80 infinity(bool sign) {
  return make_ext(sign, 0x7fff, 0x8000000000000000ull);
}

// Arithmetic (precision control applies).
Ext80 add(Ext80 a, Ext80 b, Context& ctx);
Ext80 sub(Ext80 a, Ext80 b, Context& ctx);
Ext80 mul(Ext80 a, Ext80 b, Context& ctx);
Ext80 div(Ext80 a, Ext80 b, Context& ctx);
Ext80 sqrt(Ext80 a, Context& ctx);

// FCOM (quiet=false: any NaN is invalid) / FUCOM (only SNaN is invalid).
enum class Relation { kLess, kEqual, kGreater, kUnordered };
Relation compare(Ext80 a, Ext80 b, bool quiet, Context& ctx);

// FRNDINT, FSCALE (a * 2^trunc(b)), FXTRACT (exponent and significand).
Ext80 round_to_int(Ext80 a, Context& ctx);
Ext80 scale(Ext80 a, Ext80 b, Context& ctx);
void extract(Ext80 a, Context& ctx, Ext80* exponent, Ext80* significand);

// FPREM (round_nearest=false, truncating quotient) and FPREM1. *quotient gets
// the three low quotient bits; *incomplete is set when only a partial
// reduction was done (exponent difference of 64 or more).
Ext80 remainder(Ext80 a, Ext80 b, bool round_nearest, Context& ctx, unsigned* quotient,
                bool* incomplete);

// Conversions. The loaders keep NaNs signalling (an arithmetic use quiets them
// and raises IE); they set ctx.operand_denormal for denormal inputs.
Ext80 from_f32(uint32_t v, Context& ctx);
Ext80 from_f64(uint64_t v, Context& ctx);
Ext80 from_int(int64_t v);
// FLD m32/m64: as above plus the IE/DE/quieting FLD performs.
Ext80 load_f32(uint32_t v, Context& ctx);
Ext80 load_f64(uint64_t v, Context& ctx);
// FST m32/m64: rounded under RC to the format (precision control ignored).
uint32_t to_f32(Ext80 a, Context& ctx);
uint64_t to_f64(Ext80 a, Context& ctx);
// FIST/FISTP (rounded under RC) and FISTTP (truncate): `bits` 16, 32, 64.
// Invalid (NaN, infinity, out of range) gives the integer indefinite.
int64_t to_int(Ext80 a, unsigned bits, bool truncate, Context& ctx);
// FBLD / FBSTP (packed BCD: 9 bytes of digits, sign in bit 7 of byte 9).
Ext80 from_bcd(const uint8_t bcd[10]);
void to_bcd(Ext80 a, Context& ctx, uint8_t bcd[10]);

// NaN propagation of two operands (at least one NaN): SNaN operands raise IE.
Ext80 propagate_nan(Ext80 a, Ext80 b, Context& ctx);

}  // namespace vx86::x86::x87
