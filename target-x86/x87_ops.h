// x87 instruction semantics on CpuState: the register stack and tag word,
// stack overflow/underflow, condition codes, exception flags with masked and
// unmasked responses, and the memory operand formats. Arithmetic comes from
// x87_softfloat (transcendentals from x87_transcendental). The translator
// passes one X87Op word per instruction (see helper_info_x87 in
// helpers_fpu.h).
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

struct X86Cpu;

// Bits 0..7 of the op word. The first eight follow ModRM.reg of D8/DC.
enum X87Operation : uint32_t {
  kX87Add,
  kX87Mul,
  kX87Com,
  kX87ComP,  // unused slot (FCOMP is kX87Com with kX87Pop)
  kX87Sub,
  kX87Subr,
  kX87Div,
  kX87Divr,
  kX87Ucom,
  kX87Comi,
  kX87Ucomi,
  kX87Ld,     // FLD / FILD / FBLD (memory format selects) / FLD ST(i)
  kX87St,     // FST(P) to memory or ST(i), FBSTP
  kX87Ist,    // FIST(P)
  kX87Isttp,  // FISTTP
  kX87Const,  // FLD1 ... FLDZ; the constant in the ST(i) field (E8+i order)
  kX87Xch,
  kX87Chs,
  kX87Abs,
  kX87Tst,
  kX87Xam,
  kX87Sqrt,
  kX87Rndint,
  kX87Scale,
  kX87Xtract,
  kX87Prem,
  kX87Prem1,
  kX87Incstp,
  kX87Decstp,
  kX87Free,
  kX87Cmov,  // condition (0/1) in kX87CondTrue
  kX87Nop,
  kX87Sin,
  kX87Cos,
  kX87Sincos,
  kX87Ptan,
  kX87Patan,
  kX87F2xm1,
  kX87Yl2x,
  kX87Yl2xp1,
};

// Bits 8..11: memory operand format.
enum X87MemFormat : uint32_t {
  kX87MemNone,
  kX87MemF32,
  kX87MemF64,
  kX87MemF80,
  kX87MemI16,
  kX87MemI32,
  kX87MemI64,
  kX87MemBcd,
};
inline constexpr unsigned kX87MemShift = 8;
inline constexpr uint32_t kX87DestSti = 1u << 12;  // result to ST(i), ST(0) the other source
inline constexpr uint32_t kX87Pop = 1u << 13;
inline constexpr uint32_t kX87PopTwice = 1u << 14;
inline constexpr uint32_t kX87CondTrue = 1u << 15;
inline constexpr unsigned kX87StiShift = 16;  // bits 16..18

inline constexpr uint32_t x87_op(X87Operation op, X87MemFormat mem = kX87MemNone,
                                 uint32_t flags = 0, unsigned sti = 0) {
  return op | (uint32_t{mem} << kX87MemShift) | flags | ((sti & 7) << kX87StiShift);
}

// Runs one x87 instruction. Memory operands are read and written through the
// vCPU's MMU at `linear` with `mem_index`; a fault leaves the x87 state as it
// was and throws tcg::GuestFault.
void x87_execute(X86Cpu& cpu, uint32_t op, uint64_t linear, unsigned mem_index);

}  // namespace vx86::x86
