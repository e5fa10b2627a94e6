// x86 exception vectors and how helpers raise them: the exception is recorded
// in CpuState (vector, error code) and a tcg::GuestFault unwinds out of the
// helper, so the block stops at the faulting instruction.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

enum ExceptionVector : int {
  kExcDE = 0,  // divide error
  kExcDB = 1,  // debug
  kExcNMI = 2,
  kExcBP = 3,   // INT3
  kExcOF = 4,   // INTO
  kExcBR = 5,   // BOUND
  kExcUD = 6,   // invalid opcode
  kExcNM = 7,   // device not available
  kExcDF = 8,   // double fault
  kExcTS = 10,  // invalid TSS
  kExcNP = 11,  // segment not present
  kExcSS = 12,  // stack fault
  kExcGP = 13,  // general protection
  kExcPF = 14,  // page fault
  kExcMF = 16,  // x87 floating point
  kExcAC = 17,  // alignment check
  kExcMC = 18,  // machine check
  kExcXM = 19,  // SIMD floating point
};

// Internal pseudo-vector: a waiting x87 instruction found an unmasked error
// with CR0.NE=0 and FERR# raised; the CPU waits at it for an interrupt.
inline constexpr int kExcpFpuFreeze = 0x102;

// Vectors that push an error code when raised as exceptions.
bool exception_pushes_error_code(int vector);
const char* exception_name(int vector);

void set_pending_exception(CpuState& cpu, int vector, uint32_t error_code, bool has_error_code);

// Records the exception and throws tcg::GuestFault (for helpers called from IR
// and for event delivery).
[[noreturn]] void raise_exception(CpuState& cpu, int vector, uint32_t error_code = 0);

}  // namespace vx86::x86
