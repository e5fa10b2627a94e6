// XSAVE feature set constants shared by the helpers (xsave.cpp), CPUID and
// CR4 handling. vx86 supports the x87, SSE and AVX (YMM_Hi128) state
// components; AVX only on CPU models that advertise it.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

inline constexpr uint64_t kXcr0X87 = 1u << 0;
inline constexpr uint64_t kXcr0Sse = 1u << 1;
inline constexpr uint64_t kXcr0Avx = 1u << 2;
inline constexpr uint64_t kXcr0Supported = kXcr0X87 | kXcr0Sse;  // without AVX
inline constexpr uint64_t kCr4Osxsave = 1ull << 18;
// Legacy region (512) + XSAVE header (64); then YMM_Hi128 (16 x 16 bytes).
inline constexpr unsigned kXsaveAreaSize = 576;
inline constexpr unsigned kXsaveAvxOffset = 576, kXsaveAvxSize = 256;
inline constexpr unsigned kXsaveAreaMaxSize = kXsaveAvxOffset + kXsaveAvxSize;
inline constexpr uint32_t kCpuid1EcxAvx = 1u << 28;

// The bytes of the standard-form XSAVE area for the components in `xcr0`.
inline unsigned xsave_area_size(uint64_t xcr0) {
  return (xcr0 & kXcr0Avx) ? kXsaveAreaMaxSize : kXsaveAreaSize;
}
inline constexpr uint32_t kCpuid1EcxXsave = 1u << 26;
inline constexpr uint32_t kCpuid1EcxOsxsave = 1u << 27;

// The CPUID bits that follow CPU state: leaf 1 ECX.OSXSAVE mirrors
// CR4.OSXSAVE; leaf 0DH sub-leaf 0 EBX is the area size for the current XCR0.
void xsave_adjust_cpuid(const CpuState& cpu, uint32_t leaf, uint32_t subleaf, uint32_t* ebx,
                        uint32_t* ecx);

}  // namespace vx86::x86
