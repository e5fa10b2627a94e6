// Helpers for the general-purpose integer families that are clearer in C++
// than in IR: shifts and rotates (with their count-dependent flags),
// one-operand MUL/IMUL/DIV/IDIV, CMPXCHG8B/16B and the BCD adjustments.
#pragma once

#include <cstdint>

#include "tcg/ir.h"

namespace vx86::x86 {

// Shift kinds for helper_shift_* (the Group 2 /reg order, then SHLD/SHRD).
enum ShiftKind : uint32_t {
  kShiftRol,
  kShiftRor,
  kShiftRcl,
  kShiftRcr,
  kShiftShl,
  kShiftShr,
  kShiftSal,
  kShiftSar,
  kShiftShld,
  kShiftShrd,
};

// Packs a ShiftKind/MulDivKind/BcdKind with the operand size in bytes.
inline constexpr uint32_t pack_kind(uint32_t kind, unsigned size) {
  return (kind << 8) | size;
}

// Result and flags of a shift: (kind_size, value, src (SHLD/SHRD), count, flags_in).
// Count masking and count 0 (flags unchanged) are handled inside.
uint64_t shift_result(uint32_t kind_size, uint64_t value, uint64_t src, uint64_t count,
                      uint64_t flags_in);
uint32_t shift_flags(uint32_t kind_size, uint64_t value, uint64_t src, uint64_t count,
                     uint64_t flags_in);

enum MulDivKind : uint32_t { kMul, kImul1, kDiv, kIdiv };
enum BcdKind : uint32_t { kBcdDaa, kBcdDas, kBcdAaa, kBcdAas, kBcdAam, kBcdAad };

const tcg::HelperInfo& helper_info_shift_result();  // (kind_size, value, src, count, flags)
const tcg::HelperInfo& helper_info_shift_flags();   // (kind_size, value, src, count, flags)
const tcg::HelperInfo& helper_info_muldiv();        // (kind_size, operand): rAX/rDX, cc
const tcg::HelperInfo& helper_info_cmpxchg8b();     // (linear, mem_index, is16): rAX/rDX, ZF
const tcg::HelperInfo& helper_info_bcd();           // (kind, imm8): AL/AH, flags

}  // namespace vx86::x86
