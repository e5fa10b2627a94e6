// The CPU model vx86 presents (-cpu): vendor, signature and the features
// CPUID advertises — exactly what is implemented.
#pragma once

#include <cstdint>
#include <string>

namespace vx86::x86 {

struct CpuModel {
  std::string name = "qemu64";
  char vendor[13] = "GenuineIntel";  // AMD would make Linux use x87 FILD on every FPU restore
  uint32_t signature = 0x00000663;   // family 6 model 6 stepping 3, as QEMU's qemu64
  uint32_t max_leaf = 0xd;
  uint32_t max_ext_leaf = 0x8000000a;
  std::string brand = "vx86 Virtual CPU version 0.1";
};

const CpuModel* find_cpu_model(const std::string& name);

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// apic_id and cpu_count describe the vCPU's place in the machine.
CpuidResult cpuid(const CpuModel& model, uint32_t leaf, uint32_t subleaf, unsigned apic_id,
                  unsigned cpu_count);

}  // namespace vx86::x86
