// A vCPU's state as text, in the layout of QEMU's `info registers`, so that
// users (and scripts) reading the monitor find what QEMU shows them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "target-x86/cpu_state.h"

namespace vx86 {

// The general, segment, control and debug registers, EFER, the x87 and the
// SSE registers, as qemu-system-x86_64's `info registers` prints them
// (64-bit names in 64-bit code, 32-bit ones otherwise).
std::string dump_cpu_registers(const CpuState& cpu);

// A register by the name QEMU's monitor expressions use ($pc, $eax...$edi,
// $esp/$sp, $ebp/$fp, $eip, $eflags, $cs, $cs.base, $cs.limit and the other
// segments); nullopt for an unknown name. The general registers are read
// whole (64 bits), as in qemu-system-x86_64.
std::optional<uint64_t> monitor_register(const CpuState& cpu, const std::string& name);

}  // namespace vx86
