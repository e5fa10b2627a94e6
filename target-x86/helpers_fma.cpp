// FMA and F16C on the host's own units, as helpers_sse_fp.cpp does for SSE:
// one inline asm block per instruction form runs it with the guest's MXCSR
// (exceptions masked), so fused results, NaN choice and flags are the
// hardware's. Each form runs as the guest wrote it (132, 213 or 231), since
// which NaN an FMA returns depends on the operand order. These need a host
// with FMA and F16C; elsewhere the instructions raise #UD.
#include <emmintrin.h>

#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/sse_fp_flags.h"

#if !defined(__x86_64__)
#error "helpers_fma.cpp uses the host's FMA unit: it needs an x86-64 host"
#endif

namespace vx86::x86 {

namespace {

using Vec = __m128i;
using FmaFn = uint32_t (*)(uint32_t csr, Vec& x, Vec y, Vec z);

// x = the FMA of x (the first operand), y (vvvv) and z (ModRM.rm).
#define VX86_FMA_FN(op, form, type)                                   \
  uint32_t fma_##op##form##type(uint32_t csr, Vec& x, Vec y, Vec z) { \
    uint32_t host = 0;                                                \
    asm volatile(                                                     \
        "stmxcsr %[host]\n\tldmxcsr %[csr]\n\t"                       \
        "vf" #op #form #type                                          \
        " %[z], %[y], %[x]\n\t"                                       \
        "stmxcsr %[csr]\n\tldmxcsr %[host]"                           \
        : [x] "+x"(x), [csr] "+m"(csr), [host] "+m"(host)             \
        : [y] "x"(y), [z] "x"(z));                                    \
    return csr;                                                       \
  }
#define VX86_FMA_ALL_TYPES(X, op, form) \
  X(op, form, ps) X(op, form, pd) X(op, form, ss) X(op, form, sd)
#define VX86_FMA_PACKED(X, op, form) X(op, form, ps) X(op, form, pd)
#define VX86_FMA_FORMS(TYPES, X, op) TYPES(X, op, 132) TYPES(X, op, 213) TYPES(X, op, 231)
#define VX86_FMA_OPS(X)                                                                     \
  VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, X, madd)                                               \
  VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, X, msub)                                               \
  VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, X, nmadd) VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, X, nmsub) \
      VX86_FMA_FORMS(VX86_FMA_PACKED, X, maddsub) VX86_FMA_FORMS(VX86_FMA_PACKED, X, msubadd)

VX86_FMA_OPS(VX86_FMA_FN)
#undef VX86_FMA_FN

// Indexed by (operation * 3 + form) * 4 + type, as kFma* code them.
#define VX86_FMA_ENTRY(op, form, type) &fma_##op##form##type,
#define VX86_FMA_NONE(op, form, type) nullptr,
#define VX86_FMA_PACKED_ROW(X, op, form) \
  X(op, form, ps) X(op, form, pd) VX86_FMA_NONE(op, form, ss) VX86_FMA_NONE(op, form, sd)
constexpr FmaFn kFmaFns[6 * 3 * 4] = {
    VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, VX86_FMA_ENTRY, madd)
        VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, VX86_FMA_ENTRY, msub)
            VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, VX86_FMA_ENTRY, nmadd)
                VX86_FMA_FORMS(VX86_FMA_ALL_TYPES, VX86_FMA_ENTRY, nmsub)
                    VX86_FMA_FORMS(VX86_FMA_PACKED_ROW, VX86_FMA_ENTRY, maddsub)
                        VX86_FMA_FORMS(VX86_FMA_PACKED_ROW, VX86_FMA_ENTRY, msubadd)};

Vec load(const XmmReg& r) {
  return _mm_loadu_si128(reinterpret_cast<const Vec*>(r.q));
}

bool host_has_fma() {
  static const bool has = __builtin_cpu_supports("fma");
  return has;
}

bool host_has_f16c() {
  static const bool has = __builtin_cpu_supports("f16c");
  return has;
}

void helper_fma(CpuState* env, uint32_t code, uint32_t dst, uint32_t x, uint32_t y, uint32_t z) {
  if (!host_has_fma() || code >= std::size(kFmaFns) || !kFmaFns[code]) {
    raise_exception(*env, kExcUD);
  }
  Vec r = load(xmm_reg(*env, x));
  const uint32_t csr =
      kFmaFns[code](host_csr(*env), r, load(xmm_reg(*env, y)), load(xmm_reg(*env, z)));
  commit_flags(*env, csr);
  _mm_storeu_si128(reinterpret_cast<Vec*>(xmm_reg(*env, dst).q), r);
}

template <int P>
uint32_t host_ps2ph(uint32_t csr, Vec& x, Vec s) {
  uint32_t host = 0;
  asm volatile(
      "stmxcsr %[host]\n\tldmxcsr %[csr]\n\t"
      "vcvtps2ph %[p], %[s], %[x]\n\t"
      "stmxcsr %[csr]\n\tldmxcsr %[host]"
      : [x] "=x"(x), [csr] "+m"(csr), [host] "+m"(host)
      : [s] "x"(s), [p] "i"(P));
  return csr;
}
using Ps2phFn = uint32_t (*)(uint32_t, Vec&, Vec);
constexpr Ps2phFn kPs2ph[8] = {host_ps2ph<0>, host_ps2ph<1>, host_ps2ph<2>, host_ps2ph<3>,
                               host_ps2ph<4>, host_ps2ph<5>, host_ps2ph<6>, host_ps2ph<7>};

// VCVTPH2PS: the four halves in src's low quadword to four floats in dst;
// VCVTPS2PH: src's four floats to four halves in dst's low quadword (the
// rest zero), rounded as imm8[2:0] says.
void helper_f16c(CpuState* env, uint32_t to_half, uint32_t dst, uint32_t src, uint32_t imm) {
  if (!host_has_f16c()) raise_exception(*env, kExcUD);
  const Vec s = load(xmm_reg(*env, src));
  Vec r;
  uint32_t csr = host_csr(*env);
  if (to_half) {
    csr = kPs2ph[imm & 7](csr, r, s);
  } else {
    uint32_t host = 0;
    asm volatile(
        "stmxcsr %[host]\n\tldmxcsr %[csr]\n\t"
        "vcvtph2ps %[s], %[x]\n\t"
        "stmxcsr %[csr]\n\tldmxcsr %[host]"
        : [x] "=x"(r), [csr] "+m"(csr), [host] "+m"(host)
        : [s] "x"(s));
  }
  commit_flags(*env, csr);
  _mm_storeu_si128(reinterpret_cast<Vec*>(xmm_reg(*env, dst).q), r);
}

}  // namespace

VX86_HELPER(fma, helper_fma,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(f16c, helper_f16c,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
