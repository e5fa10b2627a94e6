// SSE/SSE2 floating point on the host's SSE unit. Each operation is one inline
// asm block that saves the host MXCSR, loads the guest's (exceptions masked,
// flags clear), runs the same instruction, reads the flags it raised and
// restores the host MXCSR, so the compiler cannot move guest arithmetic
// outside the guest rounding mode.
#include <emmintrin.h>

#include <utility>

#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/mnemonics.h"
#include "target-x86/sse_fp_flags.h"

#if !defined(__x86_64__)
#error "helpers_sse_fp.cpp uses the host's SSE unit: it needs an x86-64 host"
#endif

namespace vx86::x86 {

namespace {

using M = Mnemonic;
using Vec = __m128i;

#define VX86_HOST_SSE_BINOP(fn, insn)                              \
  uint32_t fn(uint32_t csr, Vec& x, Vec s) {                       \
    uint32_t host = 0;                                             \
    asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn      \
                 " %[s], %[x]\n\t"                                 \
                 "stmxcsr %[csr]\n\tldmxcsr %[host]"               \
                 : [x] "+x"(x), [csr] "+m"(csr), [host] "+m"(host) \
                 : [s] "x"(s));                                    \
    return csr;                                                    \
  }

// clang-format off
#define VX86_SSE_FP_OPS(X)                                                                 \
  X(kAddps, "addps") X(kAddpd, "addpd") X(kAddss, "addss") X(kAddsd, "addsd")              \
  X(kSubps, "subps") X(kSubpd, "subpd") X(kSubss, "subss") X(kSubsd, "subsd")              \
  X(kMulps, "mulps") X(kMulpd, "mulpd") X(kMulss, "mulss") X(kMulsd, "mulsd")              \
  X(kDivps, "divps") X(kDivpd, "divpd") X(kDivss, "divss") X(kDivsd, "divsd")              \
  X(kMinps, "minps") X(kMinpd, "minpd") X(kMinss, "minss") X(kMinsd, "minsd")              \
  X(kMaxps, "maxps") X(kMaxpd, "maxpd") X(kMaxss, "maxss") X(kMaxsd, "maxsd")              \
  X(kSqrtps, "sqrtps") X(kSqrtpd, "sqrtpd") X(kSqrtss, "sqrtss") X(kSqrtsd, "sqrtsd")      \
  X(kRcpps, "rcpps") X(kRcpss, "rcpss") X(kRsqrtps, "rsqrtps") X(kRsqrtss, "rsqrtss")      \
  X(kCvtps2pd, "cvtps2pd") X(kCvtpd2ps, "cvtpd2ps") X(kCvtss2sd, "cvtss2sd")               \
  X(kCvtsd2ss, "cvtsd2ss") X(kCvtdq2ps, "cvtdq2ps") X(kCvtps2dq, "cvtps2dq")               \
  X(kCvttps2dq, "cvttps2dq") X(kCvtdq2pd, "cvtdq2pd") X(kCvtpd2dq, "cvtpd2dq")             \
  X(kCvttpd2dq, "cvttpd2dq") X(kAddsubps, "addsubps") X(kAddsubpd, "addsubpd")              \
  X(kHaddps, "haddps") X(kHaddpd, "haddpd") X(kHsubps, "hsubps") X(kHsubpd, "hsubpd")
// clang-format on

#define VX86_DEFINE_OP(m, insn) VX86_HOST_SSE_BINOP(host_##m, insn)
VX86_SSE_FP_OPS(VX86_DEFINE_OP)
#undef VX86_DEFINE_OP

// CMPPS/PD/SS/SD with the predicate as an immediate.
template <int P>
uint32_t host_cmp(uint32_t mnemonic, uint32_t csr, Vec& x, Vec s) {
  uint32_t host = 0;
#define VX86_CMP(insn)                                           \
  asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn      \
               " %[p], %[s], %[x]\n\t"                           \
               "stmxcsr %[csr]\n\tldmxcsr %[host]"               \
               : [x] "+x"(x), [csr] "+m"(csr), [host] "+m"(host) \
               : [s] "x"(s), [p] "i"(P))
  switch (static_cast<M>(mnemonic)) {
    case M::kCmpps:
      VX86_CMP("cmpps");
      break;
    case M::kCmppd:
      VX86_CMP("cmppd");
      break;
    case M::kCmpss:
      VX86_CMP("cmpss");
      break;
    default:
      VX86_CMP("cmpsd");
      break;
  }
#undef VX86_CMP
  return csr;
}

using CmpFn = uint32_t (*)(uint32_t, uint32_t, Vec&, Vec);
constexpr CmpFn kCmpFns[8] = {host_cmp<0>, host_cmp<1>, host_cmp<2>, host_cmp<3>,
                              host_cmp<4>, host_cmp<5>, host_cmp<6>, host_cmp<7>};

// The VEX compares' predicates 8-31 (the ordered/unordered and
// signalling/quiet variants) have no legacy encoding: the host's VEX.128 form
// computes them, so they need an AVX host.
template <int P>
uint32_t host_vcmp(uint32_t mnemonic, uint32_t csr, Vec& x, Vec s) {
  uint32_t host = 0;
#define VX86_VCMP(insn)                                          \
  asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn      \
               " %[p], %[s], %[x], %[x]\n\t"                     \
               "stmxcsr %[csr]\n\tldmxcsr %[host]"               \
               : [x] "+x"(x), [csr] "+m"(csr), [host] "+m"(host) \
               : [s] "x"(s), [p] "i"(P))
  switch (static_cast<M>(mnemonic)) {
    case M::kCmpps:
      VX86_VCMP("vcmpps");
      break;
    case M::kCmppd:
      VX86_VCMP("vcmppd");
      break;
    case M::kCmpss:
      VX86_VCMP("vcmpss");
      break;
    default:
      VX86_VCMP("vcmpsd");
      break;
  }
#undef VX86_VCMP
  return csr;
}

// A plain array, as ImmTable below.
struct VexCmpTable {
  CmpFn fn[32];
};
template <std::size_t... I>
constexpr VexCmpTable vcmp_table(std::index_sequence<I...>) {
  return {{host_vcmp<static_cast<int>(I)>...}};
}
constexpr VexCmpTable kVexCmpFns = vcmp_table(std::make_index_sequence<32>{});

bool is_vex_only_predicate(uint32_t imm) {
  return (imm & kSseFpVexImm) && (imm & 31) >= 8;
}

bool host_has_avx() {
  static const bool has = __builtin_cpu_supports("avx");
  return has;
}

// SSE4.1 operations with an immediate (ROUNDPS/PD/SS/SD: bits 3:0 matter;
// DPPS/DPPD: all 8), one host function per immediate value.
#define VX86_HOST_SSE_IMMOP(name, insn)                            \
  template <int P>                                                 \
  uint32_t name(uint32_t csr, Vec& x, Vec s) {                     \
    uint32_t host = 0;                                             \
    asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn      \
                 " %[p], %[s], %[x]\n\t"                           \
                 "stmxcsr %[csr]\n\tldmxcsr %[host]"               \
                 : [x] "+x"(x), [csr] "+m"(csr), [host] "+m"(host) \
                 : [s] "x"(s), [p] "i"(P));                        \
    return csr;                                                    \
  }
VX86_HOST_SSE_IMMOP(host_roundps, "roundps")
VX86_HOST_SSE_IMMOP(host_roundpd, "roundpd")
VX86_HOST_SSE_IMMOP(host_roundss, "roundss")
VX86_HOST_SSE_IMMOP(host_roundsd, "roundsd")
VX86_HOST_SSE_IMMOP(host_dpps, "dpps")
VX86_HOST_SSE_IMMOP(host_dppd, "dppd")
#undef VX86_HOST_SSE_IMMOP

using ImmFn = uint32_t (*)(uint32_t, Vec&, Vec);

// A plain array: std::array<ImmFn> would drop __m128i's vector attribute.
template <std::size_t N>
struct ImmTable {
  ImmFn fn[N];
  ImmFn operator[](std::size_t i) const { return fn[i]; }
};

template <template <int> class Wrap, std::size_t... I>
constexpr ImmTable<sizeof...(I)> imm_table(std::index_sequence<I...>) {
  return {{Wrap<static_cast<int>(I)>::value...}};
}

#define VX86_IMM_TABLE(table, func, count)   \
  template <int P>                           \
  struct table##_wrap {                      \
    static constexpr ImmFn value = &func<P>; \
  };                                         \
  constexpr ImmTable<count> table = imm_table<table##_wrap>(std::make_index_sequence<count>{});
VX86_IMM_TABLE(kRoundps, host_roundps, 16)
VX86_IMM_TABLE(kRoundpd, host_roundpd, 16)
VX86_IMM_TABLE(kRoundss, host_roundss, 16)
VX86_IMM_TABLE(kRoundsd, host_roundsd, 16)
VX86_IMM_TABLE(kDpps, host_dpps, 256)
VX86_IMM_TABLE(kDppd, host_dppd, 256)
#undef VX86_IMM_TABLE

// The host instructions behind SSE3 and SSE4.1 floating point; a host
// without them makes those guest instructions #UD.
bool host_has_sse41() {
  static const bool has = __builtin_cpu_supports("sse4.1");
  return has;
}

bool needs_sse41_host(M m) {
  switch (m) {
    case M::kAddsubps:
    case M::kAddsubpd:
    case M::kHaddps:
    case M::kHaddpd:
    case M::kHsubps:
    case M::kHsubpd:
    case M::kRoundps:
    case M::kRoundpd:
    case M::kRoundss:
    case M::kRoundsd:
    case M::kDpps:
    case M::kDppd:
      return true;
    default:
      return false;
  }
}

Vec to_vec(uint64_t lo, uint64_t hi) {
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}

// Computes d = op(d, {lo, hi}) and merges the flags (raising #XM/#UD for an
// unmasked exception before d is written).
void run_fp(CpuState& cpu, uint32_t mnemonic, XmmReg& d, uint64_t lo, uint64_t hi, uint32_t imm) {
  Vec x = to_vec(d.q[0], d.q[1]);
  const Vec s = to_vec(lo, hi);
  uint32_t csr = host_csr(cpu);
  switch (static_cast<M>(mnemonic)) {
#define VX86_CASE(m, insn)     \
  case M::m:                   \
    csr = host_##m(csr, x, s); \
    break;
    VX86_SSE_FP_OPS(VX86_CASE)
#undef VX86_CASE
    case M::kCmpps:
    case M::kCmppd:
    case M::kCmpss:
    case M::kCmpsd:
      csr = is_vex_only_predicate(imm) ? kVexCmpFns.fn[imm & 31](mnemonic, csr, x, s)
                                       : kCmpFns[imm & 7](mnemonic, csr, x, s);
      break;
    case M::kRoundps:
      csr = kRoundps[imm & 15](csr, x, s);
      break;
    case M::kRoundpd:
      csr = kRoundpd[imm & 15](csr, x, s);
      break;
    case M::kRoundss:
      csr = kRoundss[imm & 15](csr, x, s);
      break;
    case M::kRoundsd:
      csr = kRoundsd[imm & 15](csr, x, s);
      break;
    case M::kDpps:
      csr = kDpps[imm & 255](csr, x, s);
      break;
    case M::kDppd:
      csr = kDppd[imm & 255](csr, x, s);
      break;
    default:
      return;
  }
  commit_flags(cpu, csr);
  _mm_storeu_si128(reinterpret_cast<Vec*>(d.q), x);
}

void helper_sse_fp(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t lo, uint64_t hi,
                   uint32_t imm) {
  if (needs_sse41_host(static_cast<M>(mnemonic)) && !host_has_sse41()) {
    raise_exception(*env, kExcUD);
  }
  const M m = static_cast<M>(mnemonic);
  const bool compare = m == M::kCmpps || m == M::kCmppd || m == M::kCmpss || m == M::kCmpsd;
  if (compare && is_vex_only_predicate(imm) && !host_has_avx()) raise_exception(*env, kExcUD);
  run_fp(*env, mnemonic, xmm_reg(*env, dst), lo, hi, imm);
}

// CVT[T]PS2PI / CVT[T]PD2PI: the packed conversion to int32 of {lo, hi},
// whose low quadword goes to MMX register dst.
void helper_sse_cvt_to_mmx(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t lo,
                           uint64_t hi) {
  M op;
  switch (static_cast<M>(mnemonic)) {
    case M::kCvtps2pi:
      op = M::kCvtps2dq;
      hi = 0;
      break;
    case M::kCvttps2pi:
      op = M::kCvttps2dq;
      hi = 0;
      break;
    case M::kCvtpd2pi:
      op = M::kCvtpd2dq;
      break;
    default:
      op = M::kCvttpd2dq;
      break;
  }
  XmmReg r{{0, 0}};
  run_fp(*env, static_cast<uint32_t>(op), r, lo, hi, 0);
  env->st[dst & 7].mantissa = r.q[0];
  env->st[dst & 7].sign_exponent = 0xffff;
}

constexpr uint32_t kWide = 0x10000;  // 64-bit integer operand

uint64_t helper_sse_cvt_to_int(CpuState* env, uint32_t op, uint64_t lo) {
  CpuState& cpu = *env;
  uint32_t csr = host_csr(cpu);
  uint32_t host = 0;
  const Vec s = to_vec(lo, 0);
  uint64_t r64 = 0;
  uint32_t r32 = 0;
#define VX86_CVT(insn, out)                                        \
  asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn        \
               " %[s], %[r]\n\t"                                   \
               "stmxcsr %[csr]\n\tldmxcsr %[host]"                 \
               : [r] "=r"(out), [csr] "+m"(csr), [host] "+m"(host) \
               : [s] "x"(s))
  const bool wide = op & kWide;
  switch (static_cast<M>(op & 0xffff)) {
    case M::kCvtss2si:
      if (wide)
        VX86_CVT("cvtss2si", r64);
      else
        VX86_CVT("cvtss2si", r32);
      break;
    case M::kCvttss2si:
      if (wide)
        VX86_CVT("cvttss2si", r64);
      else
        VX86_CVT("cvttss2si", r32);
      break;
    case M::kCvtsd2si:
      if (wide)
        VX86_CVT("cvtsd2si", r64);
      else
        VX86_CVT("cvtsd2si", r32);
      break;
    default:
      if (wide)
        VX86_CVT("cvttsd2si", r64);
      else
        VX86_CVT("cvttsd2si", r32);
      break;
  }
#undef VX86_CVT
  commit_flags(cpu, csr);
  return wide ? r64 : r32;
}

void helper_sse_cvt_from_int(CpuState* env, uint32_t op, uint32_t dst, uint64_t value) {
  CpuState& cpu = *env;
  XmmReg& d = xmm_reg(cpu, dst);
  Vec x = to_vec(d.q[0], d.q[1]);
  uint32_t csr = host_csr(cpu);
  uint32_t host = 0;
  const uint32_t v32 = static_cast<uint32_t>(value);
#define VX86_CVT(insn, in)                                       \
  asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn      \
               " %[v], %[x]\n\t"                                 \
               "stmxcsr %[csr]\n\tldmxcsr %[host]"               \
               : [x] "+x"(x), [csr] "+m"(csr), [host] "+m"(host) \
               : [v] "r"(in))
  const bool wide = op & kWide;
  if (static_cast<M>(op & 0xffff) == M::kCvtsi2ss) {
    if (wide)
      VX86_CVT("cvtsi2ssq", value);
    else
      VX86_CVT("cvtsi2ssl", v32);
  } else {
    if (wide)
      VX86_CVT("cvtsi2sdq", value);
    else
      VX86_CVT("cvtsi2sdl", v32);
  }
#undef VX86_CVT
  commit_flags(cpu, csr);
  _mm_storeu_si128(reinterpret_cast<Vec*>(d.q), x);
}

uint32_t helper_sse_comis(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t lo) {
  CpuState& cpu = *env;
  const XmmReg& d = xmm_reg(cpu, dst);
  const Vec x = to_vec(d.q[0], d.q[1]);
  const Vec s = to_vec(lo, 0);
  uint32_t csr = host_csr(cpu);
  uint32_t host = 0;
  bool zf, pf, cf;
#define VX86_COMI(insn)                                                                    \
  asm volatile("stmxcsr %[host]\n\tldmxcsr %[csr]\n\t" insn                                \
               " %[s], %[x]\n\t"                                                           \
               "stmxcsr %[csr]\n\tldmxcsr %[host]"                                         \
               : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf), [csr] "+m"(csr), [host] "+m"(host) \
               : [x] "x"(x), [s] "x"(s))
  switch (static_cast<M>(mnemonic)) {
    case M::kComiss:
      VX86_COMI("comiss");
      break;
    case M::kUcomiss:
      VX86_COMI("ucomiss");
      break;
    case M::kComisd:
      VX86_COMI("comisd");
      break;
    default:
      VX86_COMI("ucomisd");
      break;
  }
#undef VX86_COMI
  commit_flags(cpu, csr);
  return (zf ? kFlagZF : 0) | (pf ? kFlagPF : 0) | (cf ? kFlagCF : 0);
}

}  // namespace

VX86_HELPER(sse_fp, helper_sse_fp,
            tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault)
VX86_HELPER(sse_cvt_to_mmx, helper_sse_cvt_to_mmx,
            tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault)
VX86_HELPER(sse_cvt_to_int, helper_sse_cvt_to_int,
            tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault)
VX86_HELPER(sse_cvt_from_int, helper_sse_cvt_from_int,
            tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault)
VX86_HELPER(sse_comis, helper_sse_comis,
            tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault)

}  // namespace vx86::x86
