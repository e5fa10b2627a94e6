// SSE2 integer, shuffle and unpack operations on 128-bit registers, written
// lane by lane in portable C++ (no host SIMD needed for exact results).
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/mnemonics.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;

template <typename T>
struct Lanes {
  static constexpr unsigned kCount = 16 / sizeof(T);
  T v[kCount];
};

template <typename T>
Lanes<T> lanes(const XmmReg& r) {
  Lanes<T> l;
  std::memcpy(l.v, r.q, 16);
  return l;
}

template <typename T>
XmmReg to_reg(const Lanes<T>& l) {
  XmmReg r;
  std::memcpy(r.q, l.v, 16);
  return r;
}

// Applies f lane by lane to (dst, src).
template <typename T, typename F>
XmmReg map2(const XmmReg& a, const XmmReg& b, F f) {
  Lanes<T> x = lanes<T>(a), y = lanes<T>(b);
  for (unsigned i = 0; i < Lanes<T>::kCount; ++i) x.v[i] = static_cast<T>(f(x.v[i], y.v[i]));
  return to_reg(x);
}

template <typename T>
T saturate(int64_t v) {
  constexpr int64_t lo = static_cast<int64_t>(std::numeric_limits<T>::min());
  constexpr int64_t hi = static_cast<int64_t>(std::numeric_limits<T>::max());
  return static_cast<T>(std::clamp(v, lo, hi));
}

template <typename T>
XmmReg add_sat(const XmmReg& a, const XmmReg& b) {
  return map2<T>(a, b, [](T x, T y) { return saturate<T>(int64_t{x} + int64_t{y}); });
}
template <typename T>
XmmReg sub_sat(const XmmReg& a, const XmmReg& b) {
  return map2<T>(a, b, [](T x, T y) { return saturate<T>(int64_t{x} - int64_t{y}); });
}

// Interleaves the low (high=false) or high halves of a and b.
template <typename T>
XmmReg unpack(const XmmReg& a, const XmmReg& b, bool high) {
  Lanes<T> x = lanes<T>(a), y = lanes<T>(b), r;
  constexpr unsigned half = Lanes<T>::kCount / 2;
  const unsigned base = high ? half : 0;
  for (unsigned i = 0; i < half; ++i) {
    r.v[2 * i] = x.v[base + i];
    r.v[2 * i + 1] = y.v[base + i];
  }
  return to_reg(r);
}

// Narrows the lanes of a then b with saturation to Out.
template <typename In, typename Out>
XmmReg pack(const XmmReg& a, const XmmReg& b) {
  Lanes<In> x = lanes<In>(a), y = lanes<In>(b);
  Lanes<Out> r;
  constexpr unsigned n = Lanes<In>::kCount;
  for (unsigned i = 0; i < n; ++i) {
    r.v[i] = saturate<Out>(x.v[i]);
    r.v[n + i] = saturate<Out>(y.v[i]);
  }
  return to_reg(r);
}

template <typename T>
XmmReg shift_left(const XmmReg& a, uint64_t count) {
  Lanes<T> x = lanes<T>(a);
  for (auto& v : x.v) v = count >= sizeof(T) * 8 ? 0 : static_cast<T>(v << count);
  return to_reg(x);
}
template <typename T>
XmmReg shift_right(const XmmReg& a, uint64_t count) {
  Lanes<T> x = lanes<T>(a);
  for (auto& v : x.v) v = count >= sizeof(T) * 8 ? 0 : static_cast<T>(v >> count);
  return to_reg(x);
}
template <typename T>  // T signed
XmmReg shift_arith(const XmmReg& a, uint64_t count) {
  Lanes<T> x = lanes<T>(a);
  const unsigned c = static_cast<unsigned>(std::min<uint64_t>(count, sizeof(T) * 8 - 1));
  for (auto& v : x.v) v = static_cast<T>(v >> c);
  return to_reg(x);
}

XmmReg byte_shift(const XmmReg& a, unsigned count, bool left) {
  uint8_t in[16], out[16] = {};
  std::memcpy(in, a.q, 16);
  if (count < 16) {
    if (left) {
      std::memcpy(out + count, in, 16 - count);
    } else {
      std::memcpy(out, in + count, 16 - count);
    }
  }
  XmmReg r;
  std::memcpy(r.q, out, 16);
  return r;
}

}  // namespace

void sse_int_op(CpuState& cpu, uint32_t mnemonic, XmmReg& dst, XmmReg src, uint32_t imm) {
  (void)cpu;
  const XmmReg a = dst;
  const XmmReg& b = src;
  XmmReg r = a;
  switch (static_cast<M>(mnemonic)) {
    case M::kPaddb:
      r = map2<uint8_t>(a, b, [](auto x, auto y) { return x + y; });
      break;
    case M::kPaddw:
      r = map2<uint16_t>(a, b, [](auto x, auto y) { return x + y; });
      break;
    case M::kPaddd:
      r = map2<uint32_t>(a, b, [](auto x, auto y) { return x + y; });
      break;
    case M::kPaddq:
      r = map2<uint64_t>(a, b, [](auto x, auto y) { return x + y; });
      break;
    case M::kPsubb:
      r = map2<uint8_t>(a, b, [](auto x, auto y) { return x - y; });
      break;
    case M::kPsubw:
      r = map2<uint16_t>(a, b, [](auto x, auto y) { return x - y; });
      break;
    case M::kPsubd:
      r = map2<uint32_t>(a, b, [](auto x, auto y) { return x - y; });
      break;
    case M::kPsubq:
      r = map2<uint64_t>(a, b, [](auto x, auto y) { return x - y; });
      break;
    case M::kPaddsb:
      r = add_sat<int8_t>(a, b);
      break;
    case M::kPaddsw:
      r = add_sat<int16_t>(a, b);
      break;
    case M::kPaddusb:
      r = add_sat<uint8_t>(a, b);
      break;
    case M::kPaddusw:
      r = add_sat<uint16_t>(a, b);
      break;
    case M::kPsubsb:
      r = sub_sat<int8_t>(a, b);
      break;
    case M::kPsubsw:
      r = sub_sat<int16_t>(a, b);
      break;
    case M::kPsubusb:
      r = sub_sat<uint8_t>(a, b);
      break;
    case M::kPsubusw:
      r = sub_sat<uint16_t>(a, b);
      break;
    case M::kPcmpeqb:
      r = map2<uint8_t>(a, b, [](auto x, auto y) { return x == y ? 0xff : 0; });
      break;
    case M::kPcmpeqw:
      r = map2<uint16_t>(a, b, [](auto x, auto y) { return x == y ? 0xffff : 0; });
      break;
    case M::kPcmpeqd:
      r = map2<uint32_t>(a, b, [](auto x, auto y) { return x == y ? 0xffffffffu : 0u; });
      break;
    case M::kPcmpgtb:
      r = map2<int8_t>(a, b, [](auto x, auto y) { return x > y ? -1 : 0; });
      break;
    case M::kPcmpgtw:
      r = map2<int16_t>(a, b, [](auto x, auto y) { return x > y ? -1 : 0; });
      break;
    case M::kPcmpgtd:
      r = map2<int32_t>(a, b, [](auto x, auto y) { return x > y ? -1 : 0; });
      break;
    case M::kPminub:
      r = map2<uint8_t>(a, b, [](auto x, auto y) { return std::min(x, y); });
      break;
    case M::kPmaxub:
      r = map2<uint8_t>(a, b, [](auto x, auto y) { return std::max(x, y); });
      break;
    case M::kPminsw:
      r = map2<int16_t>(a, b, [](auto x, auto y) { return std::min(x, y); });
      break;
    case M::kPmaxsw:
      r = map2<int16_t>(a, b, [](auto x, auto y) { return std::max(x, y); });
      break;
    case M::kPavgb:
      r = map2<uint8_t>(a, b, [](unsigned x, unsigned y) { return (x + y + 1) >> 1; });
      break;
    case M::kPavgw:
      r = map2<uint16_t>(a, b, [](unsigned x, unsigned y) { return (x + y + 1) >> 1; });
      break;
    case M::kPmullw:
      r = map2<uint16_t>(a, b, [](uint32_t x, uint32_t y) { return x * y; });
      break;
    case M::kPmulhw:
      r = map2<int16_t>(a, b, [](int32_t x, int32_t y) { return (x * y) >> 16; });
      break;
    case M::kPmulhuw:
      r = map2<uint16_t>(a, b, [](uint32_t x, uint32_t y) { return (x * y) >> 16; });
      break;
    case M::kPmuludq:
      r.q[0] = (a.q[0] & 0xffffffffu) * (b.q[0] & 0xffffffffu);
      r.q[1] = (a.q[1] & 0xffffffffu) * (b.q[1] & 0xffffffffu);
      break;
    case M::kPmaddwd: {
      Lanes<int16_t> x = lanes<int16_t>(a), y = lanes<int16_t>(b);
      Lanes<uint32_t> out;
      for (unsigned i = 0; i < 4; ++i) {
        int64_t sum = int64_t{x.v[2 * i]} * y.v[2 * i] + int64_t{x.v[2 * i + 1]} * y.v[2 * i + 1];
        out.v[i] = static_cast<uint32_t>(sum);  // only 8000*8000*2 wraps, as on hardware
      }
      r = to_reg(out);
      break;
    }
    case M::kPsadbw: {
      Lanes<uint8_t> x = lanes<uint8_t>(a), y = lanes<uint8_t>(b);
      for (unsigned h = 0; h < 2; ++h) {
        uint64_t sum = 0;
        for (unsigned i = 0; i < 8; ++i) {
          int d = int{x.v[8 * h + i]} - int{y.v[8 * h + i]};
          sum += static_cast<uint64_t>(d < 0 ? -d : d);
        }
        r.q[h] = sum;
      }
      break;
    }
    case M::kPunpcklbw:
      r = unpack<uint8_t>(a, b, false);
      break;
    case M::kPunpcklwd:
      r = unpack<uint16_t>(a, b, false);
      break;
    case M::kPunpckldq:
    case M::kUnpcklps:
      r = unpack<uint32_t>(a, b, false);
      break;
    case M::kPunpcklqdq:
    case M::kUnpcklpd:
      r = unpack<uint64_t>(a, b, false);
      break;
    case M::kPunpckhbw:
      r = unpack<uint8_t>(a, b, true);
      break;
    case M::kPunpckhwd:
      r = unpack<uint16_t>(a, b, true);
      break;
    case M::kPunpckhdq:
    case M::kUnpckhps:
      r = unpack<uint32_t>(a, b, true);
      break;
    case M::kPunpckhqdq:
    case M::kUnpckhpd:
      r = unpack<uint64_t>(a, b, true);
      break;
    case M::kPacksswb:
      r = pack<int16_t, int8_t>(a, b);
      break;
    case M::kPackssdw:
      r = pack<int32_t, int16_t>(a, b);
      break;
    case M::kPackuswb:
      r = pack<int16_t, uint8_t>(a, b);
      break;
    case M::kPshufd: {
      Lanes<uint32_t> x = lanes<uint32_t>(b), out;
      for (unsigned i = 0; i < 4; ++i) out.v[i] = x.v[(imm >> (2 * i)) & 3];
      r = to_reg(out);
      break;
    }
    case M::kPshuflw:
    case M::kPshufhw: {
      Lanes<uint16_t> x = lanes<uint16_t>(b), out = x;
      const unsigned base = static_cast<M>(mnemonic) == M::kPshufhw ? 4 : 0;
      for (unsigned i = 0; i < 4; ++i) out.v[base + i] = x.v[base + ((imm >> (2 * i)) & 3)];
      r = to_reg(out);
      break;
    }
    case M::kShufps: {
      Lanes<uint32_t> x = lanes<uint32_t>(a), y = lanes<uint32_t>(b), out;
      out.v[0] = x.v[imm & 3];
      out.v[1] = x.v[(imm >> 2) & 3];
      out.v[2] = y.v[(imm >> 4) & 3];
      out.v[3] = y.v[(imm >> 6) & 3];
      r = to_reg(out);
      break;
    }
    case M::kShufpd:
      r.q[0] = a.q[imm & 1];
      r.q[1] = b.q[(imm >> 1) & 1];
      break;
    // Shifts: the count is the source's low quadword (register/memory form)
    // or the immediate, which the translator passes in src.q[0].
    case M::kPsllw:
      r = shift_left<uint16_t>(a, b.q[0]);
      break;
    case M::kPslld:
      r = shift_left<uint32_t>(a, b.q[0]);
      break;
    case M::kPsllq:
      r = shift_left<uint64_t>(a, b.q[0]);
      break;
    case M::kPsrlw:
      r = shift_right<uint16_t>(a, b.q[0]);
      break;
    case M::kPsrld:
      r = shift_right<uint32_t>(a, b.q[0]);
      break;
    case M::kPsrlq:
      r = shift_right<uint64_t>(a, b.q[0]);
      break;
    case M::kPsraw:
      r = shift_arith<int16_t>(a, b.q[0]);
      break;
    case M::kPsrad:
      r = shift_arith<int32_t>(a, b.q[0]);
      break;
    case M::kPslldq:
      r = byte_shift(a, imm, true);
      break;
    case M::kPsrldq:
      r = byte_shift(a, imm, false);
      break;
    default:
      break;
  }
  dst = r;
}

namespace {

void helper_sse_int(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t lo, uint64_t hi,
                    uint32_t imm) {
  XmmReg src;
  src.q[0] = lo;
  src.q[1] = hi;
  sse_int_op(*env, mnemonic, xmm_reg(*env, dst), src, imm);
}

// MMX: the same operations on 64-bit registers (the mantissas of the x87
// registers). Lane-wise operations are the low half of the 128-bit form;
// the others are rearranged to it.
void helper_mmx_int(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t src, uint32_t imm) {
  Float80& d = env->st[dst & 7];
  XmmReg a{{d.mantissa, 0}}, b{{src, 0}};
  switch (static_cast<M>(mnemonic)) {
    case M::kPunpckhbw:
    case M::kPunpckhwd:
    case M::kPunpckhdq:
      // The high halves interleaved = the low-half interleave of them.
      a.q[0] >>= 32;
      b.q[0] >>= 32;
      mnemonic = static_cast<uint32_t>(static_cast<M>(mnemonic) == M::kPunpckhbw   ? M::kPunpcklbw
                                       : static_cast<M>(mnemonic) == M::kPunpckhwd ? M::kPunpcklwd
                                                                                   : M::kPunpckldq);
      break;
    case M::kPacksswb:
    case M::kPackssdw:
    case M::kPackuswb:
      // Narrowing {a, b} as one register gives a's then b's lanes in its low half.
      a.q[1] = b.q[0];
      break;
    case M::kPshufw:
      mnemonic = static_cast<uint32_t>(M::kPshuflw);
      break;
    default:
      break;
  }
  sse_int_op(*env, mnemonic, a, b, imm);
  d.mantissa = a.q[0];
  d.sign_exponent = 0xffff;
}

// src: XMM register number, or MMX register number | 0x100 (PMOVMSKB mm).
uint32_t helper_sse_movmsk(CpuState* env, uint32_t mnemonic, uint32_t src) {
  if (src & 0x100) {
    const uint64_t v = env->st[src & 7].mantissa;
    uint32_t mask = 0;
    for (unsigned i = 0; i < 8; ++i) mask |= static_cast<uint32_t>((v >> (8 * i + 7)) & 1) << i;
    return mask;
  }
  const XmmReg& r = xmm_reg(*env, src);
  uint32_t mask = 0;
  switch (static_cast<M>(mnemonic)) {
    case M::kMovmskps: {
      Lanes<uint32_t> x = lanes<uint32_t>(r);
      for (unsigned i = 0; i < 4; ++i) mask |= (x.v[i] >> 31) << i;
      break;
    }
    case M::kMovmskpd:
      mask = static_cast<uint32_t>((r.q[0] >> 63) | ((r.q[1] >> 63) << 1));
      break;
    default: {  // PMOVMSKB
      Lanes<uint8_t> x = lanes<uint8_t>(r);
      for (unsigned i = 0; i < 16; ++i) mask |= static_cast<uint32_t>(x.v[i] >> 7) << i;
      break;
    }
  }
  return mask;
}

}  // namespace

VX86_HELPER(sse_int, helper_sse_int, tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(mmx_int, helper_mmx_int, tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(sse_movmsk, helper_sse_movmsk, tcg::kHelperReadsState)

}  // namespace vx86::x86
