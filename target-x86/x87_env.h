// The x87 environment (FNSTENV/FLDENV) and full state (FNSAVE/FRSTOR) memory
// images in their four layouts: 16- or 32-bit operand size, real-address
// (and virtual-8086) or protected mode (Intel SDM Vol. 1, Figures 8-9 to
// 8-12). In real mode the instruction and data pointers are stored as 20/32-bit
// linear addresses split around the opcode.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

inline constexpr uint32_t kX87Env16 = 1u << 0;    // 16-bit operand size (14-byte environment)
inline constexpr uint32_t kX87EnvReal = 1u << 1;  // real-address / virtual-8086 layout

inline unsigned x87_env_size(uint32_t format) {
  return (format & kX87Env16) ? 14 : 28;
}
inline unsigned x87_save_size(uint32_t format) {
  return x87_env_size(format) + 80;
}

void x87_store_env(const CpuState& cpu, uint32_t format, uint8_t* out);
void x87_load_env(CpuState& cpu, uint32_t format, const uint8_t* in);
// FNSAVE image (environment, then ST(0)..ST(7) as 10 bytes each); the caller
// then reinitialises the FPU. FRSTOR reads the same.
void x87_store_state(const CpuState& cpu, uint32_t format, uint8_t* out);
void x87_load_state(CpuState& cpu, uint32_t format, const uint8_t* in);

}  // namespace vx86::x86
