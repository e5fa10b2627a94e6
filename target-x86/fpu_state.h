// x87/SSE control state shared by the FPU and SSE helpers: MXCSR bits, the
// x87 reset state (FNINIT), the tag-word conversions, and the FXSAVE/FXRSTOR
// 512-byte image (Intel SDM Vol. 1, 10.5.1, Table 10-2 and 10-3).
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

// MXCSR.
inline constexpr uint32_t kMxcsrIE = 1u << 0;
inline constexpr uint32_t kMxcsrDE = 1u << 1;
inline constexpr uint32_t kMxcsrZE = 1u << 2;
inline constexpr uint32_t kMxcsrOE = 1u << 3;
inline constexpr uint32_t kMxcsrUE = 1u << 4;
inline constexpr uint32_t kMxcsrPE = 1u << 5;
inline constexpr uint32_t kMxcsrFlags = 0x3f;
inline constexpr uint32_t kMxcsrDaz = 1u << 6;
inline constexpr uint32_t kMxcsrMaskShift = 7;  // IM..PM at bits 7..12
inline constexpr uint32_t kMxcsrMasks = 0x3fu << kMxcsrMaskShift;
inline constexpr uint32_t kMxcsrFtz = 1u << 15;
inline constexpr uint32_t kMxcsrDefault = 0x1f80;
// Bits software may set (MXCSR_MASK as FXSAVE reports it; DAZ supported).
inline constexpr uint32_t kMxcsrWritable = 0xffff;

// Control registers consulted by the #UD/#NM rules.
inline constexpr uint64_t kCr0MP = 1ull << 1;
inline constexpr uint64_t kCr0EM = 1ull << 2;
inline constexpr uint64_t kCr0TS = 1ull << 3;
inline constexpr uint64_t kCr0NE = 1ull << 5;
inline constexpr uint64_t kCr4Osfxsr = 1ull << 9;
inline constexpr uint64_t kCr4Osxmmexcpt = 1ull << 10;

// x87 status word bits.
inline constexpr uint16_t kFswExceptions = 0x3f;  // IE DE ZE OE UE PE
inline constexpr uint16_t kFswSF = 1u << 6;
inline constexpr uint16_t kFswES = 1u << 7;
inline constexpr uint16_t kFswTopMask = 7u << 11;
inline constexpr uint16_t kFswBusy = 1u << 15;

// FLDCW/FXRSTOR/FLDENV: stores the control word as the hardware keeps it
// (bit 6 reads as 1, bits 7 and 13-15 as 0) and re-derives FSW.ES/B from the
// pending exceptions it leaves unmasked.
void fpu_set_control_word(CpuState& cpu, uint16_t cw);
void fpu_update_error_summary(CpuState& cpu);

// FNINIT/FINIT: control word 037F, everything else cleared, all tags empty.
void fpu_init(CpuState& cpu);
// FSW with TOP merged into bits 11..13.
uint16_t fpu_status_word(const CpuState& cpu);

// Tag of a register from its contents (00 valid, 01 zero, 10 special).
unsigned fpu_tag_from_value(const Float80& value);
// The abridged tag byte FXSAVE stores (bit i set when physical register i is
// not empty) and its inverse for FXRSTOR.
uint8_t fpu_abridged_tags(const CpuState& cpu);
uint16_t fpu_full_tags(const CpuState& cpu, uint8_t abridged);

// FXSAVE image. `rex_w` selects the 64-bit layout of FIP/FDP; `num_xmm` is 16
// in 64-bit mode and 8 otherwise.
void fxsave_image(const CpuState& cpu, uint8_t image[512], bool rex_w, unsigned num_xmm);
// Validates the image (MXCSR reserved bits) without changing state.
bool fxrstor_image_valid(const uint8_t image[512]);
void fxrstor_image(CpuState& cpu, const uint8_t image[512], bool rex_w, unsigned num_xmm);

}  // namespace vx86::x86
