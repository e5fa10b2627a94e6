// The execution loop of one x86 vCPU under TCG: finds or translates the block
// at CS:rIP, runs it on the IR interpreter, and delivers exceptions and
// interrupts between blocks.
#pragma once

#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

enum class ExecExit {
  kKicked,   // exit_request was set (the machine wants control)
  kHalted,   // HLT with no interrupt deliverable
  kStopped,  // a helper asked to stop after its block (port write, reset, triple fault)
  kDebug,    // a debugger breakpoint was reached, or a debugger single-step completed
};

// Runs until one of the ExecExit events.
ExecExit cpu_exec(X86Cpu& cpu);

// Power-on state for this vCPU (and empty caches).
void cpu_reset_all(X86Cpu& cpu, bool bsp);

}  // namespace vx86::x86
