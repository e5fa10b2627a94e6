// Debug-register breakpoints. Instruction breakpoints (DR7 R/W = 00): the
// execution loop checks the linear address of each instruction it is about to
// run and raises a #DB fault with DR6.Bn set; EFLAGS.RF suppresses one check.
// Data breakpoints (R/W = 01 writes, 11 reads and writes; LEN 1, 2, 4 or 8
// bytes): the MMU watches those bytes and the loop raises a #DB trap with
// DR6.Bn after the instruction that touched them. I/O breakpoints (R/W = 10)
// are not implemented (CPUID does not advertise DE).
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

struct X86Cpu;

inline constexpr uint64_t kCr4DebugExtensions = 1ull << 3;      // CR4.DE
inline constexpr uint64_t kDr6BreakpointDetected = 1ull << 13;  // DR6.BD
inline constexpr uint64_t kDr6SingleStep = 1ull << 14;          // DR6.BS
inline constexpr uint64_t kDr7GeneralDetect = 1ull << 13;       // DR7.GD

// True when DR7 enables (locally or globally) at least one instruction breakpoint.
bool exec_breakpoints_enabled(uint64_t dr7);
// DR6.B0-B3 bits of the enabled instruction breakpoints at `linear_pc`.
uint32_t exec_breakpoint_hits(const CpuState& cpu, uint64_t linear_pc);
// True when an enabled instruction breakpoint lies in the 4 KiB page of
// `linear_pc` or the next one (where a block starting there may reach).
bool exec_breakpoint_near(const CpuState& cpu, uint64_t linear_pc);
// A debugger's breakpoints (X86Cpu::debugger_breakpoints): one at
// `linear_pc`, and one in its page or the next (as exec_breakpoint_near).
bool debugger_breakpoint_at(const X86Cpu& cpu, uint64_t linear_pc);
bool debugger_breakpoint_near(const X86Cpu& cpu, uint64_t linear_pc);
// Hands the data breakpoints DR0-DR3/DR7 describe to the MMU.
void update_data_watches(X86Cpu& cpu);

}  // namespace vx86::x86
