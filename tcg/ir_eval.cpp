#include "tcg/ir_eval.h"

#include <bit>
#include <type_traits>

namespace vx86::tcg {

namespace {

template <typename U>
struct Arith {
  using S = std::make_signed_t<U>;
  static constexpr unsigned kBits = sizeof(U) * 8;

  static U shl(U a, U b) { return static_cast<U>(a << (b & (kBits - 1))); }
  static U shr(U a, U b) { return static_cast<U>(a >> (b & (kBits - 1))); }
  static U sar(U a, U b) { return static_cast<U>(static_cast<S>(a) >> (b & (kBits - 1))); }
  static U rotl(U a, U b) { return std::rotl(a, static_cast<int>(b & (kBits - 1))); }
  static U rotr(U a, U b) { return std::rotr(a, static_cast<int>(b & (kBits - 1))); }
  static U divu(U a, U b) { return b == 0 ? 0 : a / b; }
  static U remu(U a, U b) { return b == 0 ? a : a % b; }
  static U divs(U a, U b) {
    S sa = static_cast<S>(a), sb = static_cast<S>(b);
    if (sb == 0) return 0;
    if (sb == -1) return static_cast<U>(U(0) - a);  // MIN / -1 wraps to MIN
    return static_cast<U>(sa / sb);
  }
  static U rems(U a, U b) {
    S sa = static_cast<S>(a), sb = static_cast<S>(b);
    if (sb == 0) return a;
    if (sb == -1) return 0;
    return static_cast<U>(sa % sb);
  }
  static U field_mask(uint64_t len) {
    return len >= kBits ? static_cast<U>(~U(0)) : static_cast<U>((U(1) << len) - 1);
  }
  static U deposit(U a, U b, uint64_t pos, uint64_t len) {
    U mask = static_cast<U>(field_mask(len) << pos);
    return static_cast<U>((a & ~mask) | ((b << pos) & mask));
  }
  static U extract(U a, uint64_t pos, uint64_t len) {
    return static_cast<U>((a >> pos) & field_mask(len));
  }
  static U sextract(U a, uint64_t pos, uint64_t len) {
    unsigned left = static_cast<unsigned>(kBits - pos - len);
    return static_cast<U>(static_cast<S>(static_cast<U>(a << left)) >> (kBits - len));
  }
  static bool cond(Cond c, U a, U b) {
    S sa = static_cast<S>(a), sb = static_cast<S>(b);
    switch (c) {
      case Cond::kEq:
        return a == b;
      case Cond::kNe:
        return a != b;
      case Cond::kLt:
        return sa < sb;
      case Cond::kLe:
        return sa <= sb;
      case Cond::kGt:
        return sa > sb;
      case Cond::kGe:
        return sa >= sb;
      case Cond::kLtu:
        return a < b;
      case Cond::kLeu:
        return a <= b;
      case Cond::kGtu:
        return a > b;
      case Cond::kGeu:
        return a >= b;
    }
    return false;
  }
};

using A32 = Arith<uint32_t>;
using A64 = Arith<uint64_t>;

uint64_t sx(uint64_t v, unsigned bits) {
  return static_cast<uint64_t>(static_cast<int64_t>(v << (64 - bits)) >> (64 - bits));
}

}  // namespace

bool eval_cond(Cond c, Type t, uint64_t a, uint64_t b) {
  if (t == Type::kI32) return A32::cond(c, static_cast<uint32_t>(a), static_cast<uint32_t>(b));
  return A64::cond(c, a, b);
}

bool eval_scalar(const Op& op, const uint64_t* in, uint64_t* out) {
  const uint32_t a = static_cast<uint32_t>(in[0]);
  const uint32_t b = op.nin > 1 ? static_cast<uint32_t>(in[1]) : 0;
  const uint64_t x = in[0];
  const uint64_t y = op.nin > 1 ? in[1] : 0;
  uint64_t r;
  switch (op.opc) {
    // ---- i32 ----
    case Opcode::mov_i32:
      r = a;
      break;
    case Opcode::add_i32:
      r = uint32_t(a + b);
      break;
    case Opcode::sub_i32:
      r = uint32_t(a - b);
      break;
    case Opcode::mul_i32:
      r = uint32_t(a * b);
      break;
    case Opcode::mulu2_i32: {
      uint64_t p = uint64_t(a) * b;
      out[0] = uint32_t(p);
      out[1] = uint32_t(p >> 32);
      return true;
    }
    case Opcode::muls2_i32: {
      uint64_t p = static_cast<uint64_t>(int64_t(int32_t(a)) * int64_t(int32_t(b)));
      out[0] = uint32_t(p);
      out[1] = uint32_t(p >> 32);
      return true;
    }
    case Opcode::divu_i32:
      r = A32::divu(a, b);
      break;
    case Opcode::divs_i32:
      r = A32::divs(a, b);
      break;
    case Opcode::remu_i32:
      r = A32::remu(a, b);
      break;
    case Opcode::rems_i32:
      r = A32::rems(a, b);
      break;
    case Opcode::and_i32:
      r = a & b;
      break;
    case Opcode::or_i32:
      r = a | b;
      break;
    case Opcode::xor_i32:
      r = a ^ b;
      break;
    case Opcode::andc_i32:
      r = a & ~b;
      break;
    case Opcode::not_i32:
      r = uint32_t(~a);
      break;
    case Opcode::neg_i32:
      r = uint32_t(0u - a);
      break;
    case Opcode::shl_i32:
      r = A32::shl(a, b);
      break;
    case Opcode::shr_i32:
      r = A32::shr(a, b);
      break;
    case Opcode::sar_i32:
      r = A32::sar(a, b);
      break;
    case Opcode::rotl_i32:
      r = A32::rotl(a, b);
      break;
    case Opcode::rotr_i32:
      r = A32::rotr(a, b);
      break;
    case Opcode::ext8s_i32:
      r = uint32_t(sx(a, 8));
      break;
    case Opcode::ext8u_i32:
      r = uint8_t(a);
      break;
    case Opcode::ext16s_i32:
      r = uint32_t(sx(a, 16));
      break;
    case Opcode::ext16u_i32:
      r = uint16_t(a);
      break;
    case Opcode::setcond_i32:
      r = A32::cond(Cond(op.cst(0)), a, b);
      break;
    case Opcode::movcond_i32:
      r = A32::cond(Cond(op.cst(0)), a, b) ? uint32_t(in[2]) : uint32_t(in[3]);
      break;
    case Opcode::clz_i32:
      r = a == 0 ? b : uint32_t(std::countl_zero(a));
      break;
    case Opcode::ctz_i32:
      r = a == 0 ? b : uint32_t(std::countr_zero(a));
      break;
    case Opcode::ctpop_i32:
      r = uint32_t(std::popcount(a));
      break;
    case Opcode::bswap16_i32:
      r = uint32_t(((a & 0xff) << 8) | ((a >> 8) & 0xff));
      break;
    case Opcode::bswap32_i32:
      r = __builtin_bswap32(a);
      break;
    case Opcode::deposit_i32:
      r = A32::deposit(a, b, op.cst(0), op.cst(1));
      break;
    case Opcode::extract_i32:
      r = A32::extract(a, op.cst(0), op.cst(1));
      break;
    case Opcode::sextract_i32:
      r = A32::sextract(a, op.cst(0), op.cst(1));
      break;

    // ---- i64 ----
    case Opcode::mov_i64:
      r = x;
      break;
    case Opcode::add_i64:
      r = x + y;
      break;
    case Opcode::sub_i64:
      r = x - y;
      break;
    case Opcode::mul_i64:
      r = x * y;
      break;
    case Opcode::mulu2_i64: {
      unsigned __int128 p = static_cast<unsigned __int128>(x) * y;
      out[0] = uint64_t(p);
      out[1] = uint64_t(p >> 64);
      return true;
    }
    case Opcode::muls2_i64: {
      __int128 p = static_cast<__int128>(int64_t(x)) * int64_t(y);
      out[0] = uint64_t(p);
      out[1] = uint64_t(static_cast<unsigned __int128>(p) >> 64);
      return true;
    }
    case Opcode::divu_i64:
      r = A64::divu(x, y);
      break;
    case Opcode::divs_i64:
      r = A64::divs(x, y);
      break;
    case Opcode::remu_i64:
      r = A64::remu(x, y);
      break;
    case Opcode::rems_i64:
      r = A64::rems(x, y);
      break;
    case Opcode::and_i64:
      r = x & y;
      break;
    case Opcode::or_i64:
      r = x | y;
      break;
    case Opcode::xor_i64:
      r = x ^ y;
      break;
    case Opcode::andc_i64:
      r = x & ~y;
      break;
    case Opcode::not_i64:
      r = ~x;
      break;
    case Opcode::neg_i64:
      r = 0 - x;
      break;
    case Opcode::shl_i64:
      r = A64::shl(x, y);
      break;
    case Opcode::shr_i64:
      r = A64::shr(x, y);
      break;
    case Opcode::sar_i64:
      r = A64::sar(x, y);
      break;
    case Opcode::rotl_i64:
      r = A64::rotl(x, y);
      break;
    case Opcode::rotr_i64:
      r = A64::rotr(x, y);
      break;
    case Opcode::ext8s_i64:
      r = sx(x, 8);
      break;
    case Opcode::ext8u_i64:
      r = uint8_t(x);
      break;
    case Opcode::ext16s_i64:
      r = sx(x, 16);
      break;
    case Opcode::ext16u_i64:
      r = uint16_t(x);
      break;
    case Opcode::ext32s_i64:
      r = sx(x, 32);
      break;
    case Opcode::ext32u_i64:
      r = uint32_t(x);
      break;
    case Opcode::setcond_i64:
      r = A64::cond(Cond(op.cst(0)), x, y);
      break;
    case Opcode::movcond_i64:
      r = A64::cond(Cond(op.cst(0)), x, y) ? in[2] : in[3];
      break;
    case Opcode::clz_i64:
      r = x == 0 ? y : uint64_t(std::countl_zero(x));
      break;
    case Opcode::ctz_i64:
      r = x == 0 ? y : uint64_t(std::countr_zero(x));
      break;
    case Opcode::ctpop_i64:
      r = uint64_t(std::popcount(x));
      break;
    case Opcode::bswap16_i64:
      r = ((x & 0xff) << 8) | ((x >> 8) & 0xff);
      break;
    case Opcode::bswap32_i64:
      r = __builtin_bswap32(uint32_t(x));
      break;
    case Opcode::bswap64_i64:
      r = __builtin_bswap64(x);
      break;
    case Opcode::deposit_i64:
      r = A64::deposit(x, y, op.cst(0), op.cst(1));
      break;
    case Opcode::extract_i64:
      r = A64::extract(x, op.cst(0), op.cst(1));
      break;
    case Opcode::sextract_i64:
      r = A64::sextract(x, op.cst(0), op.cst(1));
      break;

    // ---- conversions ----
    case Opcode::extrl_i64_i32:
      r = uint32_t(x);
      break;
    case Opcode::extrh_i64_i32:
      r = uint32_t(x >> 32);
      break;
    case Opcode::extu_i32_i64:
      r = a;
      break;
    case Opcode::exts_i32_i64:
      r = sx(a, 32);
      break;
    case Opcode::concat_i32_i64:
      r = uint64_t(a) | (uint64_t(b) << 32);
      break;

    default:
      return false;
  }
  out[0] = r;
  return true;
}

}  // namespace vx86::tcg
