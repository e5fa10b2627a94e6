// XSAVE feature set constants shared by the helpers (xsave.cpp), CPUID and
// CR4 handling. vx86 supports the x87 and SSE state components only.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

inline constexpr uint64_t kXcr0X87 = 1u << 0;
inline constexpr uint64_t kXcr0Sse = 1u << 1;
inline constexpr uint64_t kXcr0Avx = 1u << 2;  // not supported; named for the MXCSR rule
inline constexpr uint64_t kXcr0Supported = kXcr0X87 | kXcr0Sse;
inline constexpr uint64_t kCr4Osxsave = 1ull << 18;
// Legacy region (512) + XSAVE header (64).
inline constexpr unsigned kXsaveAreaSize = 576;
inline constexpr uint32_t kCpuid1EcxXsave = 1u << 26;
inline constexpr uint32_t kCpuid1EcxOsxsave = 1u << 27;

// The CPUID bits that follow CPU state: leaf 1 ECX.OSXSAVE mirrors CR4.OSXSAVE.
void xsave_adjust_cpuid(const CpuState& cpu, uint32_t leaf, uint32_t* ecx);

}  // namespace vx86::x86
