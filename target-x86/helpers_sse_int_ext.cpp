// SSSE3 and SSE4.1 integer, blend and shuffle operations, portable C++.
// SSSE3 has MMX forms: each operation is written over a register of `n`
// bytes (8 for MMX, 16 for XMM), so both forms share one definition.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/mnemonics.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;

// A register image of up to 16 bytes with typed lane access.
struct Reg {
  uint8_t b[16] = {};

  template <typename T>
  T get(unsigned i) const {
    T v;
    std::memcpy(&v, b + i * sizeof(T), sizeof(T));
    return v;
  }
  template <typename T>
  void set(unsigned i, T v) {
    std::memcpy(b + i * sizeof(T), &v, sizeof(T));
  }
};

template <typename T>
T saturate(int64_t v) {
  return static_cast<T>(
      std::clamp<int64_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

// PHADD*/PHSUB*: pairs of a fill the low half of the result, pairs of b the
// high half.
template <typename T, typename F>
Reg horizontal(const Reg& a, const Reg& b, unsigned n, F f) {
  Reg r;
  const unsigned half = n / sizeof(T) / 2;
  for (unsigned i = 0; i < half; ++i) {
    r.set<T>(i, static_cast<T>(f(a.get<T>(2 * i), a.get<T>(2 * i + 1))));
    r.set<T>(half + i, static_cast<T>(f(b.get<T>(2 * i), b.get<T>(2 * i + 1))));
  }
  return r;
}

template <typename T, typename F>
Reg lanewise(const Reg& a, const Reg& b, unsigned n, F f) {
  Reg r;
  for (unsigned i = 0; i < n / sizeof(T); ++i)
    r.set<T>(i, static_cast<T>(f(a.get<T>(i), b.get<T>(i))));
  return r;
}

template <typename T>
Reg sign(const Reg& a, const Reg& b, unsigned n) {
  return lanewise<T>(a, b, n, [](T x, T y) { return y < 0 ? -x : y == 0 ? 0 : x; });
}

template <typename T>
Reg absolute(const Reg& b, unsigned n) {
  return lanewise<T>(b, b, n, [](T, T y) { return y < 0 ? -y : y; });
}

// PMOVSX/PMOVZX: the low lanes of b widened from In to Out.
template <typename In, typename Out>
Reg widen(const Reg& b) {
  Reg r;
  for (unsigned i = 0; i < 16 / sizeof(Out); ++i) r.set<Out>(i, static_cast<Out>(b.get<In>(i)));
  return r;
}

// Lanes of b where the top bit of the matching mask lane is set, else a.
template <typename T>
Reg blend_by_mask(const Reg& a, const Reg& b, const Reg& mask) {
  Reg r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i) {
    const bool take = mask.get<T>(i) >> (8 * sizeof(T) - 1);
    r.set<T>(i, take ? b.get<T>(i) : a.get<T>(i));
  }
  return r;
}

// Lanes of b where bit i of imm is set, else a.
template <typename T>
Reg blend_by_imm(const Reg& a, const Reg& b, uint32_t imm) {
  Reg r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i)
    r.set<T>(i, (imm >> i) & 1 ? b.get<T>(i) : a.get<T>(i));
  return r;
}

Reg pshufb(const Reg& a, const Reg& b, unsigned n) {
  Reg r;
  for (unsigned i = 0; i < n; ++i) r.b[i] = (b.b[i] & 0x80) ? 0 : a.b[b.b[i] & (n - 1)];
  return r;
}

Reg palignr(const Reg& a, const Reg& b, unsigned n, uint32_t imm) {
  uint8_t both[32];  // b in the low bytes, a above it
  std::memcpy(both, b.b, n);
  std::memcpy(both + n, a.b, n);
  Reg r;
  for (unsigned i = 0; i < n; ++i) r.b[i] = imm + i < 2 * n ? both[imm + i] : 0;
  return r;
}

Reg pmaddubsw(const Reg& a, const Reg& b, unsigned n) {
  Reg r;
  for (unsigned i = 0; i < n / 2; ++i) {
    const int32_t sum = int32_t{a.b[2 * i]} * static_cast<int8_t>(b.b[2 * i]) +
                        int32_t{a.b[2 * i + 1]} * static_cast<int8_t>(b.b[2 * i + 1]);
    r.set<int16_t>(i, saturate<int16_t>(sum));
  }
  return r;
}

Reg mpsadbw(const Reg& a, const Reg& b, uint32_t imm) {
  const unsigned a_off = (imm & 4) ? 4 : 0, b_off = (imm & 3) * 4;
  Reg r;
  for (unsigned i = 0; i < 8; ++i) {
    unsigned sum = 0;
    for (unsigned j = 0; j < 4; ++j) {
      const int d = int{a.b[a_off + i + j]} - int{b.b[b_off + j]};
      sum += static_cast<unsigned>(d < 0 ? -d : d);
    }
    r.set<uint16_t>(i, static_cast<uint16_t>(sum));
  }
  return r;
}

Reg phminposuw(const Reg& b) {
  unsigned best = 0;
  for (unsigned i = 1; i < 8; ++i) {
    if (b.get<uint16_t>(i) < b.get<uint16_t>(best)) best = i;
  }
  Reg r;
  r.set<uint16_t>(0, b.get<uint16_t>(best));
  r.set<uint16_t>(1, static_cast<uint16_t>(best));
  return r;
}

// INSERTPS; imm bit 8 (ours) marks a memory source, whose dword is lane 0.
Reg insertps(const Reg& a, const Reg& b, uint32_t imm) {
  const unsigned from = (imm & 0x100) ? 0 : (imm >> 6) & 3;
  Reg r = a;
  r.set<uint32_t>((imm >> 4) & 3, b.get<uint32_t>(from));
  for (unsigned i = 0; i < 4; ++i) {
    if ((imm >> i) & 1) r.set<uint32_t>(i, 0);
  }
  return r;
}

// The SSSE3 operations, on n = 8 or 16 bytes.
bool ssse3_op(M m, const Reg& a, const Reg& b, unsigned n, uint32_t imm, Reg* r) {
  switch (m) {
    case M::kPshufb:
      *r = pshufb(a, b, n);
      return true;
    case M::kPhaddw:
      *r = horizontal<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return x + y; });
      return true;
    case M::kPhaddd:
      *r = horizontal<uint32_t>(a, b, n, [](uint32_t x, uint32_t y) { return x + y; });
      return true;
    case M::kPhaddsw:
      *r = horizontal<int16_t>(a, b, n,
                               [](int16_t x, int16_t y) { return saturate<int16_t>(x + y); });
      return true;
    case M::kPhsubw:
      *r = horizontal<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return x - y; });
      return true;
    case M::kPhsubd:
      *r = horizontal<uint32_t>(a, b, n, [](uint32_t x, uint32_t y) { return x - y; });
      return true;
    case M::kPhsubsw:
      *r = horizontal<int16_t>(a, b, n,
                               [](int16_t x, int16_t y) { return saturate<int16_t>(x - y); });
      return true;
    case M::kPmaddubsw:
      *r = pmaddubsw(a, b, n);
      return true;
    case M::kPmulhrsw:
      *r =
          lanewise<int16_t>(a, b, n, [](int32_t x, int32_t y) { return ((x * y >> 14) + 1) >> 1; });
      return true;
    case M::kPsignb:
      *r = sign<int8_t>(a, b, n);
      return true;
    case M::kPsignw:
      *r = sign<int16_t>(a, b, n);
      return true;
    case M::kPsignd:
      *r = sign<int32_t>(a, b, n);
      return true;
    case M::kPabsb:
      *r = absolute<int8_t>(b, n);
      return true;
    case M::kPabsw:
      *r = absolute<int16_t>(b, n);
      return true;
    case M::kPabsd:
      *r = absolute<int32_t>(b, n);
      return true;
    case M::kPalignr:
      *r = palignr(a, b, n, imm);
      return true;
    default:
      return false;
  }
}

// The SSE4.1/4.2 integer operations (XMM only). mask is XMM0.
Reg sse41_op(M m, const Reg& a, const Reg& b, const Reg& mask, uint32_t imm) {
  switch (m) {
    case M::kPblendvb:
      return blend_by_mask<uint8_t>(a, b, mask);
    case M::kBlendvps:
      return blend_by_mask<uint32_t>(a, b, mask);
    case M::kBlendvpd:
      return blend_by_mask<uint64_t>(a, b, mask);
    case M::kBlendps:
      return blend_by_imm<uint32_t>(a, b, imm);
    case M::kBlendpd:
      return blend_by_imm<uint64_t>(a, b, imm);
    case M::kPblendw:
      return blend_by_imm<uint16_t>(a, b, imm);
    case M::kPminsb:
      return lanewise<int8_t>(a, b, 16, [](int8_t x, int8_t y) { return std::min(x, y); });
    case M::kPminsd:
      return lanewise<int32_t>(a, b, 16, [](int32_t x, int32_t y) { return std::min(x, y); });
    case M::kPminuw:
      return lanewise<uint16_t>(a, b, 16, [](uint16_t x, uint16_t y) { return std::min(x, y); });
    case M::kPminud:
      return lanewise<uint32_t>(a, b, 16, [](uint32_t x, uint32_t y) { return std::min(x, y); });
    case M::kPmaxsb:
      return lanewise<int8_t>(a, b, 16, [](int8_t x, int8_t y) { return std::max(x, y); });
    case M::kPmaxsd:
      return lanewise<int32_t>(a, b, 16, [](int32_t x, int32_t y) { return std::max(x, y); });
    case M::kPmaxuw:
      return lanewise<uint16_t>(a, b, 16, [](uint16_t x, uint16_t y) { return std::max(x, y); });
    case M::kPmaxud:
      return lanewise<uint32_t>(a, b, 16, [](uint32_t x, uint32_t y) { return std::max(x, y); });
    case M::kPmovsxbw:
      return widen<int8_t, int16_t>(b);
    case M::kPmovsxbd:
      return widen<int8_t, int32_t>(b);
    case M::kPmovsxbq:
      return widen<int8_t, int64_t>(b);
    case M::kPmovsxwd:
      return widen<int16_t, int32_t>(b);
    case M::kPmovsxwq:
      return widen<int16_t, int64_t>(b);
    case M::kPmovsxdq:
      return widen<int32_t, int64_t>(b);
    case M::kPmovzxbw:
      return widen<uint8_t, uint16_t>(b);
    case M::kPmovzxbd:
      return widen<uint8_t, uint32_t>(b);
    case M::kPmovzxbq:
      return widen<uint8_t, uint64_t>(b);
    case M::kPmovzxwd:
      return widen<uint16_t, uint32_t>(b);
    case M::kPmovzxwq:
      return widen<uint16_t, uint64_t>(b);
    case M::kPmovzxdq:
      return widen<uint32_t, uint64_t>(b);
    case M::kPmuldq: {
      Reg r;
      for (unsigned i = 0; i < 2; ++i) {
        r.set<int64_t>(i, int64_t{a.get<int32_t>(2 * i)} * b.get<int32_t>(2 * i));
      }
      return r;
    }
    case M::kPmulld:
      return lanewise<uint32_t>(a, b, 16, [](uint32_t x, uint32_t y) { return x * y; });
    case M::kPcmpeqq:
      return lanewise<uint64_t>(a, b, 16,
                                [](uint64_t x, uint64_t y) { return x == y ? ~0ull : 0; });
    case M::kPcmpgtq:
      return lanewise<int64_t>(a, b, 16, [](int64_t x, int64_t y) { return x > y ? -1 : 0; });
    case M::kPackusdw: {
      Reg r;
      for (unsigned i = 0; i < 4; ++i) {
        r.set<uint16_t>(i, saturate<uint16_t>(a.get<int32_t>(i)));
        r.set<uint16_t>(4 + i, saturate<uint16_t>(b.get<int32_t>(i)));
      }
      return r;
    }
    case M::kMpsadbw:
      return mpsadbw(a, b, imm);
    case M::kPhminposuw:
      return phminposuw(b);
    case M::kInsertps:
      return insertps(a, b, imm);
    default:
      return a;
  }
}

// dst: XMM register number, or MMX register number | kSseExtMmx.
void helper_sse_int_ext(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t lo, uint64_t hi,
                        uint32_t imm) {
  const M m = static_cast<M>(mnemonic);
  Reg a, b, r;
  b.set<uint64_t>(0, lo);
  b.set<uint64_t>(1, hi);
  if (dst & kSseExtMmx) {
    Float80& d = env->st[dst & 7];
    a.set<uint64_t>(0, d.mantissa);
    ssse3_op(m, a, b, 8, imm, &r);
    d.mantissa = r.get<uint64_t>(0);
    d.sign_exponent = 0xffff;
    return;
  }
  XmmReg& d = xmm_reg(*env, dst);
  std::memcpy(a.b, d.q, 16);
  if (!ssse3_op(m, a, b, 16, imm, &r)) {
    Reg mask;
    std::memcpy(mask.b, env->xmm[0].q, 16);
    r = sse41_op(m, a, b, mask, imm);
  }
  std::memcpy(d.q, r.b, 16);
}

}  // namespace

VX86_HELPER(sse_int_ext, helper_sse_int_ext, tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
