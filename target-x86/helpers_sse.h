// SSE/SSE2 helpers called from translated code. The operation is selected by
// the instruction's Mnemonic (passed as an i32); XMM registers are passed by
// number and the second source as two i64 halves (register or memory, loaded
// by the translator).
//
// Floating point runs on the host's SSE unit with the guest's MXCSR (rounding,
// DAZ, FTZ) loaded and every exception masked, so results, NaN propagation
// and flags are the hardware's own, bit for bit. Unmasked guest exceptions
// are then raised as #XM (#UD when CR4.OSXMMEXCPT=0) without writing the
// destination. This requires an x86-64 host.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"
#include "target-x86/mnemonics.h"
#include "tcg/ir.h"

namespace vx86::x86 {

// (kind) -> raises #UD or #NM as CR0.EM/TS and CR4.OSFXSR require.
// kind: kFpUnitSse, kFpUnitX87, kFpUnitMmx, kFpUnitAvx (VEX: CR4.OSXSAVE and
// XCR0's SSE and AVX bits, then CR0.TS).
inline constexpr uint32_t kFpUnitSse = 0, kFpUnitX87 = 1, kFpUnitMmx = 2, kFpUnitAvx = 3;
const tcg::HelperInfo& helper_info_fp_unavailable();

// (mnemonic, dst xmm, src lo, src hi, imm8) -> () : integer/shuffle ops.
const tcg::HelperInfo& helper_info_sse_int();
// (mnemonic, dst mm, src, imm8) -> () : MMX integer/shuffle ops (writes the
// register's mantissa and sets its exponent to all ones).
const tcg::HelperInfo& helper_info_mmx_int();
// (mnemonic, dst xmm, src lo, src hi, imm8) -> () : floating point ops (may #XM).
// A VEX compare sets kSseFpVexImm in imm8: its predicate is then imm[4:0].
inline constexpr uint32_t kSseFpVexImm = 0x100;
const tcg::HelperInfo& helper_info_sse_fp();
// (mnemonic, dst mm, src lo, src hi) -> () : CVT[T]PS2PI, CVT[T]PD2PI.
const tcg::HelperInfo& helper_info_sse_cvt_to_mmx();
// (mnemonic | 0x10000 for 64-bit result, src lo) -> integer (CVT[T]SS2SI/SD2SI).
const tcg::HelperInfo& helper_info_sse_cvt_to_int();
// (mnemonic | 0x10000 for a 64-bit source, dst xmm, value) -> () (CVTSI2SS/SD).
const tcg::HelperInfo& helper_info_sse_cvt_from_int();
// (mnemonic, dst xmm, src lo) -> EFLAGS arithmetic bits (COMISS/UCOMISS/...).
const tcg::HelperInfo& helper_info_sse_comis();
// (mnemonic, src xmm or mm | 0x100) -> mask (MOVMSKPS/PD, PMOVMSKB).
const tcg::HelperInfo& helper_info_sse_movmsk();
// (linear, data lo, data hi, mask lo, mask hi, count | mem index << 8) -> ()
// MASKMOVQ / MASKMOVDQU.
const tcg::HelperInfo& helper_info_maskmov();
// (value) -> () : LDMXCSR (#GP(0) on reserved bits).
const tcg::HelperInfo& helper_info_ldmxcsr();
// (linear address, flags) -> () : FXSAVE / FXRSTOR. flags: bit0 REX.W,
// bit1 64-bit mode, bits 8.. memory index.
const tcg::HelperInfo& helper_info_fxsave();
const tcg::HelperInfo& helper_info_fxrstor();

// (mnemonic, dst, src lo, src hi, imm8) -> () : SSSE3 and SSE4.1 integer,
// blend and shuffle operations (helpers_sse_int_ext.cpp). dst is an XMM
// register number, or an MMX register number | kSseExtMmx (SSSE3 MMX forms).
// INSERTPS with a memory source sets imm bit 8.
inline constexpr uint32_t kSseExtMmx = 0x100;
const tcg::HelperInfo& helper_info_sse_int_ext();
// (mnemonic, first operand xmm, second operand lo, hi, imm8 | 0x100 for
// REX.W) -> EFLAGS arithmetic bits : PCMPESTRI/M, PCMPISTRI/M (writes ECX or
// XMM0; reads EAX/EDX for the explicit-length forms).
const tcg::HelperInfo& helper_info_sse_pcmpstr();
// (mnemonic, dst xmm, src lo, src hi, imm8) -> () : AESENC, AESENCLAST,
// AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST, PCLMULQDQ and the SHA-1/SHA-256
// instructions (SHA256RNDS2 reads XMM0 too) (helpers_crypto.cpp).
const tcg::HelperInfo& helper_info_crypto();
// Whether helper_info_crypto computes m.
bool is_crypto_instruction(Mnemonic m);
// (accumulator, value, size in bytes) -> CRC32 (CRC-32C) of value's low bytes.
const tcg::HelperInfo& helper_info_crc32();
// (linear, flags) -> () : XSAVE / XSAVEOPT / XRSTOR of the components
// EDX:EAX & XCR0 (xsave.cpp); flags as for FXSAVE.
const tcg::HelperInfo& helper_info_xsave();
const tcg::HelperInfo& helper_info_xsaveopt();
const tcg::HelperInfo& helper_info_xrstor();
// () -> () : XGETBV / XSETBV (ECX selects the XCR; EDX:EAX the value).
const tcg::HelperInfo& helper_info_xgetbv();
const tcg::HelperInfo& helper_info_xsetbv();

// AVX lane operations (helpers_avx.cpp). Registers are XMM numbers as
// xmm_reg counts them: 0-15, the VEX work registers 16-19, and 32-47 for
// bits 255:128 of YMM0-15.
// (mnemonic, dst, a, b, c) -> () : one 128-bit lane of VBLENDVPS/PD,
// VPBLENDVB (dst = c's sign bits ? b : a) and VPERMILPS/PD with a vector
// control (dst = a's elements chosen by b).
const tcg::HelperInfo& helper_info_avx_lane();
// (linear, dst or src register, mask register, flags) -> () : VMASKMOVPS/PD.
// flags: bit 0 store, bit 1 64-bit elements, bit 2 256 bits, bits 8.. memory
// index. A load zeroes the elements whose mask bit is clear (and bits 255:128
// at 128 bits); only the elements selected are accessed, so only they fault.
const tcg::HelperInfo& helper_info_avx_maskmov();
inline constexpr uint32_t kMaskmovStore = 1, kMaskmovQwords = 2, kMaskmov256 = 4;
// (regs, dst) -> () : VPERMD/VPERMPS of a whole YMM register (regs: index
// lanes in bits 15:0, data lanes in 31:16, a byte each); the result goes to
// registers dst and dst + 1.
const tcg::HelperInfo& helper_info_avx_permd();
// (offset, regs, flags) -> () : the gathers. offset: base + displacement
// within the segment; regs: destination | index << 8 | mask << 16 (YMM
// numbers); flags: kGather* | log2(scale) << 4 | address size (0: 16, 1:
// 32, 2: 64 bits) << 6 | segment (7: none, 64-bit mode's flat segments) << 8
// | memory index << 12.
const tcg::HelperInfo& helper_info_avx_gather();
// (code, dst, x, y, z) -> () : one 128-bit lane of an FMA instruction, dst =
// the FMA of x (operand 1), y (vvvv) and z (ModRM.rm) (helpers_fma.cpp).
// code = (operation * 3 + form) * 4 + type: operation 0 fmadd, 1 fmsub,
// 2 fnmadd, 3 fnmsub, 4 fmaddsub, 5 fmsubadd; form 0 132, 1 213, 2 231;
// type 0 ps, 1 pd, 2 ss, 3 sd. May #XM.
const tcg::HelperInfo& helper_info_fma();
// (to_half, dst, src, imm8) -> () : one lane of VCVTPH2PS (to_half 0) or
// VCVTPS2PH (1). May #XM.
const tcg::HelperInfo& helper_info_f16c();
inline constexpr uint32_t kGatherQwordData = 1, kGatherQwordIndex = 2, kGather256 = 4,
                          kGatherLinear32 = 8;

// Plain functions for tests and other helpers.
void sse_int_op(CpuState& cpu, uint32_t mnemonic, XmmReg& dst, XmmReg src, uint32_t imm);

}  // namespace vx86::x86
