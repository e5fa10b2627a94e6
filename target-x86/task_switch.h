// Hardware task switching (SDM Vol. 3, "Task Management") with 32- and
// 16-bit TSSs: far JMP/CALL to a TSS or a task gate, INT n and exceptions
// through a task gate in the IDT, and IRET with EFLAGS.NT back to the
// previous task. Long mode has no task switching (#GP).
#pragma once

#include <cstdint>

#include "target-x86/descriptors.h"

namespace vx86::x86 {

enum class TaskSwitchSource { kJmp, kCall, kIret, kInterrupt };

// A far JMP or CALL whose selector names a TSS or a task gate (`d`).
void far_transfer_to_task(X86Cpu& cpu, uint16_t selector, const Descriptor& d, bool call,
                          uint64_t next_ip);
// An interrupt or exception through the task gate `gate` of the IDT; the
// old task resumes at `next_ip`; the error code, if any, is pushed on the new
// task's stack.
void interrupt_through_task_gate(X86Cpu& cpu, const Descriptor& gate, bool has_error,
                                 uint32_t error, bool external, uint64_t next_ip);
// IRET with EFLAGS.NT: back to the task in the current TSS's back link.
void iret_to_previous_task(X86Cpu& cpu, uint64_t next_ip);

}  // namespace vx86::x86
