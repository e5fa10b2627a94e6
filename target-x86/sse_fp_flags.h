// MXCSR handling shared by the helpers that run guest floating point on the
// host's SSE/AVX unit (helpers_sse_fp.cpp, helpers_fma.cpp): the host runs
// with the guest's control bits and every exception masked, then the flags
// it raised are merged into the guest's MXCSR, or turned into #XM.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"

namespace vx86::x86 {

// The guest MXCSR as run on the host: its control bits, all exceptions
// masked, no flags.
inline uint32_t host_csr(const CpuState& cpu) {
  return (cpu.mxcsr & ~kMxcsrFlags) | kMxcsrMasks;
}

// Merges the flags an operation raised; raises #XM/#UD for unmasked ones
// (the destination is then left unwritten by the caller).
inline void commit_flags(CpuState& cpu, uint32_t raised) {
  raised &= kMxcsrFlags;
  const uint32_t unmasked = raised & ~(cpu.mxcsr >> kMxcsrMaskShift) & kMxcsrFlags;
  if (unmasked) {
    // An unmasked pre-computation exception (IE, DE, ZE) suppresses the
    // post-computation ones (OE, UE, PE) of the same instruction.
    const uint32_t pre = raised & (kMxcsrIE | kMxcsrDE | kMxcsrZE);
    if (unmasked & pre) raised = pre;
    cpu.mxcsr |= raised;
    raise_exception(cpu, (cpu.cr4 & kCr4Osxmmexcpt) ? kExcXM : kExcUD);
  }
  cpu.mxcsr |= raised;
}

}  // namespace vx86::x86
