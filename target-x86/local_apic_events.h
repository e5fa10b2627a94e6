// Events a local APIC sends its CPU that EFLAGS.IF does not mask: INIT,
// start-up IPIs and NMIs. The execution loop takes them between blocks.
#pragma once

#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

// Carries out a pending INIT or SIPI and reports whether an NMI is to be
// delivered now (the caller delivers vector 2). Also refreshes intr_line.
bool take_local_apic_events(X86Cpu& cpu);

// Whether anything is pending for the CPU (maskable or not); device lock held.
bool local_apic_wants_attention(X86Cpu& cpu);

}  // namespace vx86::x86
