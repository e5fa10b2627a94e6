// The XSAVE feature set with XCR0 = x87 | SSE [| AVX] (SDM Vol. 1 chapter
// 13): XSAVE, XSAVEOPT, XRSTOR (standard form), XGETBV, XSETBV. x87 and SSE
// live in the 512-byte legacy region (the FXSAVE layout), followed by the
// 64-byte XSAVE header; AVX's upper YMM halves follow at byte 576, so the
// area is 576 or 832 bytes.
//
// XINUSE (the init tracking) is computed from the state itself: a component
// is "in use" unless it holds its initial configuration, which the SDM
// allows (XINUSE[i] may be 1 for a component in its initial configuration,
// and must be 1 otherwise).
#include <cstring>

#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/xsave.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

constexpr unsigned kOffMxcsr = 24, kOffXmm = 160, kOffHeader = 512;
constexpr uint32_t kXFlagRexW = 1, kXFlagMode64 = 2;

[[noreturn]] void memory_fault(X86Cpu& cpu) {
  throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
}

uint64_t xinuse(const CpuState& cpu) {
  bool x87_init = cpu.fpu_cw == 0x037f && fpu_status_word(cpu) == 0 && cpu.fpu_tw == 0xffff &&
                  cpu.fpu_opcode == 0 && cpu.fpu_ip == 0 && cpu.fpu_dp == 0 && cpu.fpu_cs == 0 &&
                  cpu.fpu_ds == 0;
  for (const Float80& r : cpu.st) x87_init = x87_init && r.mantissa == 0 && r.sign_exponent == 0;
  bool sse_init = true, avx_init = true;
  for (const XmmReg& r : cpu.xmm) sse_init = sse_init && r.q[0] == 0 && r.q[1] == 0;
  for (const XmmReg& r : cpu.ymmh) avx_init = avx_init && r.q[0] == 0 && r.q[1] == 0;
  return (x87_init ? 0 : kXcr0X87) | (sse_init ? 0 : kXcr0Sse) | (avx_init ? 0 : kXcr0Avx);
}

// The #UD/#NM/#GP checks every XSAVE-area instruction makes, in order.
void check_xsave_area(CpuState& cpu, uint64_t linear) {
  if (!(cpu.cr4 & kCr4Osxsave)) raise_exception(cpu, kExcUD);
  if (cpu.cr0 & kCr0TS) raise_exception(cpu, kExcNM);
  if (linear & 63) raise_exception(cpu, kExcGP, 0);
}

uint64_t requested_features(const CpuState& cpu) {
  const uint64_t mask = (cpu.regs[kRDX] << 32) | (cpu.regs[kRAX] & 0xffffffffu);
  return mask & cpu.xcr0;
}

void store_bytes(X86Cpu& cpu, uint64_t linear, const uint8_t* bytes, unsigned size,
                 unsigned mem_index) {
  for (unsigned off = 0; off < size; off += 8) {
    uint64_t v;
    std::memcpy(&v, bytes + off, 8);
    if (!cpu.mmu.store(linear + off, 8, mem_index, v)) memory_fault(cpu);
  }
}

// XSAVE (optimized = false) and XSAVEOPT (optimized: components in their
// initial configuration are not written, as the init optimization allows).
void do_xsave(CpuState* env, uint64_t linear, uint32_t flags, bool optimized) {
  X86Cpu& cpu = x86_cpu(env);
  check_xsave_area(cpu, linear);
  const unsigned mem_index = flags >> 8;
  const unsigned num_xmm = (flags & kXFlagMode64) ? 16 : 8;
  const uint64_t rfbm = requested_features(cpu);
  const uint64_t in_use = xinuse(cpu);
  const uint64_t to_save = optimized ? rfbm & in_use : rfbm;

  // Read XSTATE_BV and make sure every page written is writable before the
  // first store, so a page fault leaves memory untouched.
  uint64_t xstate_bv, probe;
  if (!cpu.mmu.load(linear + kOffHeader, 8, mem_index, &xstate_bv)) memory_fault(cpu);
  if (!cpu.mmu.load(linear, 1, mem_index, &probe)) memory_fault(cpu);
  if (!cpu.mmu.store(linear, 1, mem_index, probe)) memory_fault(cpu);
  if (!cpu.mmu.store(linear + kOffHeader, 8, mem_index, xstate_bv)) memory_fault(cpu);
  if (rfbm & kXcr0Avx) {  // the component past the header may be on the next page
    const uint64_t last = linear + kXsaveAreaMaxSize - 1;
    if (!cpu.mmu.load(last, 1, mem_index, &probe)) memory_fault(cpu);
    if (!cpu.mmu.store(last, 1, mem_index, probe)) memory_fault(cpu);
  }

  uint8_t image[512];
  fxsave_image(cpu, image, flags & kXFlagRexW, num_xmm);
  if (to_save & kXcr0X87) {
    store_bytes(cpu, linear, image, kOffMxcsr, mem_index);
    store_bytes(cpu, linear + 32, image + 32, kOffXmm - 32, mem_index);
  }
  if (rfbm & (kXcr0Sse | kXcr0Avx)) {  // MXCSR and MXCSR_MASK: no optimization
    store_bytes(cpu, linear + kOffMxcsr, image + kOffMxcsr, 8, mem_index);
  }
  if (to_save & kXcr0Sse)
    store_bytes(cpu, linear + kOffXmm, image + kOffXmm, 16 * num_xmm, mem_index);
  if (to_save & kXcr0Avx) {
    store_bytes(cpu, linear + kXsaveAvxOffset, reinterpret_cast<const uint8_t*>(cpu.ymmh),
                16 * num_xmm, mem_index);
  }
  xstate_bv = (xstate_bv & ~rfbm) | (in_use & rfbm);
  if (!cpu.mmu.store(linear + kOffHeader, 8, mem_index, xstate_bv)) memory_fault(cpu);
}

void helper_xsave(CpuState* env, uint64_t linear, uint32_t flags) {
  do_xsave(env, linear, flags, false);
}

void helper_xsaveopt(CpuState* env, uint64_t linear, uint32_t flags) {
  do_xsave(env, linear, flags, true);
}

// XRSTOR, standard form: components in RFBM are loaded when their XSTATE_BV
// bit is set and put in their initial configuration otherwise; MXCSR is
// loaded whenever RFBM has SSE (or AVX). All checks and loads come before
// the first change of state.
void helper_xrstor(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  check_xsave_area(cpu, linear);
  const unsigned mem_index = flags >> 8;
  const bool rex_w = flags & kXFlagRexW;
  const unsigned num_xmm = (flags & kXFlagMode64) ? 16 : 8;
  const uint64_t rfbm = requested_features(cpu);
  uint8_t area[kXsaveAreaMaxSize];
  const unsigned area_size = (rfbm & kXcr0Avx) ? kXsaveAreaMaxSize : kXsaveAreaSize;
  for (unsigned off = 0; off < area_size; off += 8) {
    uint64_t v;
    if (!cpu.mmu.load(linear + off, 8, mem_index, &v)) memory_fault(cpu);
    std::memcpy(area + off, &v, 8);
  }
  uint64_t xstate_bv, xcomp_bv, reserved;
  std::memcpy(&xstate_bv, area + kOffHeader, 8);
  std::memcpy(&xcomp_bv, area + kOffHeader + 8, 8);
  std::memcpy(&reserved, area + kOffHeader + 16, 8);
  // No compacted form (XCOMP_BV[63]), XSTATE_BV within XCR0, bytes 23:8 of
  // the header zero.
  if ((xstate_bv & ~cpu.xcr0) || xcomp_bv || reserved) raise_exception(cpu, kExcGP, 0);
  const bool load_mxcsr = rfbm & (kXcr0Sse | kXcr0Avx);
  uint32_t mxcsr = cpu.mxcsr;
  if (load_mxcsr) {
    std::memcpy(&mxcsr, area + kOffMxcsr, 4);
    if (mxcsr & ~kMxcsrWritable) raise_exception(cpu, kExcGP, 0);
  }

  if (rfbm & kXcr0X87) {
    if (xstate_bv & kXcr0X87) {
      fxrstor_image(cpu, area, rex_w, 0);  // x87 part (and MXCSR, set below)
    } else {
      fpu_init(cpu);
      for (Float80& r : cpu.st) r = Float80{};
    }
  }
  if (rfbm & kXcr0Sse) {
    for (unsigned i = 0; i < num_xmm; ++i) {
      if (xstate_bv & kXcr0Sse) {
        std::memcpy(cpu.xmm[i].q, area + kOffXmm + 16 * i, 16);
      } else {
        cpu.xmm[i] = XmmReg{{0, 0}};
      }
    }
  }
  if (rfbm & kXcr0Avx) {
    for (unsigned i = 0; i < num_xmm; ++i) {
      if (xstate_bv & kXcr0Avx) {
        std::memcpy(cpu.ymmh[i].q, area + kXsaveAvxOffset + 16 * i, 16);
      } else {
        cpu.ymmh[i] = XmmReg{{0, 0}};
      }
    }
  }
  cpu.mxcsr = mxcsr;
}

void helper_xgetbv(CpuState* env) {
  CpuState& cpu = *env;
  if (!(cpu.cr4 & kCr4Osxsave)) raise_exception(cpu, kExcUD);
  if ((cpu.regs[kRCX] & 0xffffffffu) != 0) raise_exception(cpu, kExcGP, 0);  // no XGETBV1
  cpu.regs[kRAX] = cpu.xcr0 & 0xffffffffu;
  cpu.regs[kRDX] = cpu.xcr0 >> 32;
}

void helper_xsetbv(CpuState* env) {
  CpuState& cpu = *env;
  if (!(cpu.cr4 & kCr4Osxsave)) raise_exception(cpu, kExcUD);
  if (cpl(cpu) != 0) raise_exception(cpu, kExcGP, 0);
  const uint64_t value = (cpu.regs[kRDX] << 32) | (cpu.regs[kRAX] & 0xffffffffu);
  if ((cpu.regs[kRCX] & 0xffffffffu) != 0) raise_exception(cpu, kExcGP, 0);
  X86Cpu& x86 = x86_cpu(env);
  const uint64_t supported =
      kXcr0Supported | ((x86.model.features.leaf1_ecx & kCpuid1EcxAvx) ? kXcr0Avx : 0);
  if (!(value & kXcr0X87) || (value & ~supported)) raise_exception(cpu, kExcGP, 0);
  if ((value & kXcr0Avx) && !(value & kXcr0Sse)) raise_exception(cpu, kExcGP, 0);
  cpu.xcr0 = value;
}

}  // namespace

void xsave_adjust_cpuid(const CpuState& cpu, uint32_t leaf, uint32_t subleaf, uint32_t* ebx,
                        uint32_t* ecx) {
  if (leaf == 1 && (cpu.cr4 & kCr4Osxsave)) *ecx |= kCpuid1EcxOsxsave;
  if (leaf == 0xd && subleaf == 0) *ebx = xsave_area_size(cpu.xcr0);
}

VX86_HELPER(xsave, helper_xsave, tcg::kHelperMayFault | tcg::kHelperReadsState)
VX86_HELPER(xsaveopt, helper_xsaveopt, tcg::kHelperMayFault | tcg::kHelperReadsState)
VX86_HELPER(xrstor, helper_xrstor,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(xgetbv, helper_xgetbv,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(xsetbv, helper_xsetbv,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
