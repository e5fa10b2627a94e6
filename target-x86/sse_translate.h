// Pieces shared by the MMX/SSE generators (translate_sse.cpp for the 0F map,
// sse_translate_ext.cpp for SSSE3/SSE4 in the 0F 38 / 0F 3A maps,
// xsave_translate.cpp for the XSAVE family). A 128-bit value travels as two
// i64 halves; the helpers take the destination register by number and the
// second source as those two halves.
#pragma once

#include <cstddef>
#include <cstdint>

#include "target-x86/translate.h"

namespace vx86::x86::sse {

struct Vec {
  Temp lo, hi;
};

// An XMM register as xmm_reg numbers them (16-19: VEX work registers, 32-47:
// bits 255:128 of YMM0-15).
constexpr std::size_t xmm_offset(unsigned reg, unsigned half = 0) {
  if (reg < 16) return offsetof(CpuState, xmm) + sizeof(XmmReg) * reg + 8 * half;
  if (reg < kYmmHighRegs) {
    return offsetof(CpuState, xmm_scratch) + sizeof(XmmReg) * ((reg - 16) % kXmmScratchRegs) +
           8 * half;
  }
  return offsetof(CpuState, ymmh) + sizeof(XmmReg) * ((reg - kYmmHighRegs) & 15) + 8 * half;
}
// MMX registers are the mantissas of the x87 physical registers.
constexpr std::size_t mmx_offset(unsigned reg) {
  return offsetof(CpuState, st) + sizeof(Float80) * (reg & 7) + offsetof(Float80, mantissa);
}
constexpr std::size_t mmx_exponent_offset(unsigned reg) {
  return offsetof(CpuState, st) + sizeof(Float80) * (reg & 7) + offsetof(Float80, sign_exponent);
}

// Raises the #UD/#NM that CR0.EM/TS and CR4.OSFXSR call for (kind: one of
// kFpUnitSse/X87/Mmx from helpers_sse.h).
void gen_check_unit(DisasContext& s, uint32_t kind);
// #GP(0) unless the linear address is a multiple of `alignment` (a power of 2).
void gen_check_alignment(DisasContext& s, Temp addr, unsigned alignment);

// 16 bytes of memory at a linear address, no alignment required.
Vec gen_load16(DisasContext& s, Temp addr);
void gen_store16(DisasContext& s, Temp addr, Vec v);
Vec gen_load_xmm(DisasContext& s, unsigned reg);
void gen_store_xmm(DisasContext& s, unsigned reg, Vec v);
// An XMM-or-memory operand; memory narrower than 16 bytes lands zero-extended
// in lo, 16-byte memory is alignment-checked unless the mnemonic allows
// unaligned access.
Vec gen_read_vec(DisasContext& s, unsigned index);
// A 16-byte value to an XMM register or memory operand.
void gen_write_vec(DisasContext& s, unsigned index, Vec v, bool aligned);

// MMX: #UD/#NM checks plus the x87-to-MMX transition (TOP = 0, all tags valid).
void gen_mmx_enter(DisasContext& s);
void gen_store_mmx(DisasContext& s, unsigned reg, Temp value);
// An MMX-register-or-memory operand (memory zero-extended from its size).
Temp gen_read_mmx_src(DisasContext& s, unsigned index);

// True when an operand is an MMX register or MMX-or-memory operand (P/Q/N).
bool is_mmx_form(const DecodedInsn& insn);
inline bool is_reg(const DisasContext& s, unsigned index) {
  return s.insn.operands[index].kind == OperandKind::kReg;
}
inline unsigned reg_of(const DisasContext& s, unsigned index) {
  return s.insn.operands[index].reg;
}
inline uint32_t imm8(const DisasContext& s) {
  return static_cast<uint32_t>(s.insn.imm & 0xff);
}

// Generators of the other files (return false if the mnemonic is not theirs).
bool translate_sse_ext(DisasContext& s);  // 0F 38 / 0F 3A: SSSE3, SSE4.1, SSE4.2
bool translate_xsave(DisasContext& s);    // XSAVE, XRSTOR, XSAVEOPT, XGETBV, XSETBV

}  // namespace vx86::x86::sse
