// Model-specific registers, CR0/CR4 writes with their checks, and the TSC.
#pragma once

#include <cstdint>

namespace vx86::x86 {

struct X86Cpu;

// Returns false for an MSR vx86 does not implement (the caller raises #GP).
// A reserved value written to a known MSR raises #GP itself.
bool read_msr(X86Cpu& cpu, uint32_t index, uint64_t* value);
bool write_msr(X86Cpu& cpu, uint32_t index, uint64_t value);

// MOV CR0/CR4 with the architectural checks (#GP), mode changes and TLB flushes.
void write_cr0(X86Cpu& cpu, uint64_t value);
void write_cr4(X86Cpu& cpu, uint64_t value);

uint64_t read_tsc(X86Cpu& cpu);
// The TSC's rate unless -cpu ...,tsc-frequency= sets another (X86Cpu::tsc_hz).
inline constexpr uint64_t kTscHz = 1'000'000'000;

}  // namespace vx86::x86
