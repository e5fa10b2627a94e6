// Architectural state of one x86 vCPU. Plain data with a standard layout so
// that generated IR can load and store fields at offsetof(CpuState, field).
//
// RFLAGS is split: the six arithmetic flags (CF PF AF ZF SF OF) are kept
// lazily as (cc_op, cc_src, cc_dst, cc_src2) and computed only when read;
// every other bit (TF IF DF IOPL NT RF VM AC VIF VIP ID and reserved bit 1)
// lives in eflags_rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace vx86 {

// EFLAGS bits.
inline constexpr uint32_t kFlagCF = 1u << 0;
inline constexpr uint32_t kFlagReserved1 = 1u << 1;  // always reads as 1
inline constexpr uint32_t kFlagPF = 1u << 2;
inline constexpr uint32_t kFlagAF = 1u << 4;
inline constexpr uint32_t kFlagZF = 1u << 6;
inline constexpr uint32_t kFlagSF = 1u << 7;
inline constexpr uint32_t kFlagTF = 1u << 8;
inline constexpr uint32_t kFlagIF = 1u << 9;
inline constexpr uint32_t kFlagDF = 1u << 10;
inline constexpr uint32_t kFlagOF = 1u << 11;
inline constexpr uint32_t kFlagIOPL = 3u << 12;
inline constexpr uint32_t kFlagNT = 1u << 14;
inline constexpr uint32_t kFlagRF = 1u << 16;
inline constexpr uint32_t kFlagVM = 1u << 17;
inline constexpr uint32_t kFlagAC = 1u << 18;
inline constexpr uint32_t kFlagVIF = 1u << 19;
inline constexpr uint32_t kFlagVIP = 1u << 20;
inline constexpr uint32_t kFlagID = 1u << 21;
inline constexpr uint32_t kFlagsArith = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;
// Bits software can ever change (the rest are reserved zero, bit 1 is one).
inline constexpr uint32_t kFlagsDefined = kFlagsArith | kFlagTF | kFlagIF | kFlagDF | kFlagIOPL |
                                          kFlagNT | kFlagRF | kFlagVM | kFlagAC | kFlagVIF |
                                          kFlagVIP | kFlagID;

// How the arithmetic flags are to be computed from cc_src/cc_dst/cc_src2.
// The B/W/L/Q suffix is the operand width (8/16/32/64 bits); the width of a
// group is always its base plus 0..3, in that order.
enum CcOp : uint32_t {
  kCcOpEflags,  // cc_src holds the arithmetic flags themselves
  kCcOpAddB,
  kCcOpAddW,
  kCcOpAddL,
  kCcOpAddQ,  // dst = result, src = second operand
  kCcOpAdcB,
  kCcOpAdcW,
  kCcOpAdcL,
  kCcOpAdcQ,  // as Add, src2 = carry in (0/1)
  kCcOpSubB,
  kCcOpSubW,
  kCcOpSubL,
  kCcOpSubQ,  // dst = result, src = subtrahend (CMP too)
  kCcOpSbbB,
  kCcOpSbbW,
  kCcOpSbbL,
  kCcOpSbbQ,  // as Sub, src2 = borrow in (0/1)
  kCcOpLogicB,
  kCcOpLogicW,
  kCcOpLogicL,
  kCcOpLogicQ,  // dst = result; CF=OF=AF=0
  kCcOpIncB,
  kCcOpIncW,
  kCcOpIncL,
  kCcOpIncQ,  // dst = result, src = CF before (kept)
  kCcOpDecB,
  kCcOpDecW,
  kCcOpDecL,
  kCcOpDecQ,  // dst = result, src = CF before (kept)
  kCcOpShlB,
  kCcOpShlW,
  kCcOpShlL,
  kCcOpShlQ,  // dst = result, src = value << (count-1)
  kCcOpSarB,
  kCcOpSarW,
  kCcOpSarL,
  kCcOpSarQ,  // SHR/SAR: dst = result, src = value >> (count-1)
  kCcOpMulB,
  kCcOpMulW,
  kCcOpMulL,
  kCcOpMulQ,  // MUL/IMUL: dst = low result, src != 0 -> CF=OF=1
  kCcOpClr,   // XOR r,r / SUB r,r: ZF=PF=1, rest 0
  kCcOpCount,
};

// Width in bytes encoded in a sized CcOp (1, 2, 4, 8); 0 for kCcOpEflags/kCcOpClr.
unsigned cc_op_width(CcOp op);

// Cached descriptor of a segment register (what the CPU holds after a load).
// attrs uses the layout of bits 8..23 of the descriptor's high dword, shifted
// down by 8: type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15].
struct SegmentCache {
  uint16_t selector;
  uint16_t attrs;
  uint32_t limit;  // expanded byte limit (G already applied)
  uint64_t base;
};
inline constexpr uint16_t kSegAttrAccessed = 1u << 0;
inline constexpr uint16_t kSegAttrWritable = 1u << 1;  // data: writable; code: readable
inline constexpr uint16_t kSegAttrCode = 1u << 3;
inline constexpr uint16_t kSegAttrS = 1u << 4;  // code/data (not system)
inline constexpr uint16_t kSegAttrDplShift = 5;
inline constexpr uint16_t kSegAttrPresent = 1u << 7;
inline constexpr uint16_t kSegAttrAvl = 1u << 12;
inline constexpr uint16_t kSegAttrL = 1u << 13;   // 64-bit code segment
inline constexpr uint16_t kSegAttrDB = 1u << 14;  // 32-bit default size
inline constexpr uint16_t kSegAttrG = 1u << 15;

enum SegReg : uint8_t { kSegES, kSegCS, kSegSS, kSegDS, kSegFS, kSegGS, kSegCount };

struct DescriptorTableReg {
  uint64_t base;
  uint32_t limit;
};

// GPR numbering follows the ModRM/REX encoding.
enum GprIndex : uint8_t {
  kRAX,
  kRCX,
  kRDX,
  kRBX,
  kRSP,
  kRBP,
  kRSI,
  kRDI,
  kR8,
  kR9,
  kR10,
  kR11,
  kR12,
  kR13,
  kR14,
  kR15,
};

// hflags: facts derived from the state that change how code is decoded and
// translated; part of the translation-block key. Recomputed by
// update_hflags() after any change to CR0, EFER, CS, SS or EFLAGS.VM.
inline constexpr uint32_t kHfCplMask = 3u << 0;     // current privilege level
inline constexpr uint32_t kHfCs32 = 1u << 2;        // CS.D: 32-bit default operand/address size
inline constexpr uint32_t kHfSs32 = 1u << 3;        // SS.B: 32-bit stack
inline constexpr uint32_t kHfCs64 = 1u << 4;        // 64-bit code (LMA and CS.L)
inline constexpr uint32_t kHfLma = 1u << 5;         // long mode active
inline constexpr uint32_t kHfPe = 1u << 6;          // protected mode (CR0.PE)
inline constexpr uint32_t kHfVm86 = 1u << 7;        // virtual-8086 mode
inline constexpr uint32_t kHfAddSegBase = 1u << 8;  // DS/ES/SS may have a non-zero base
inline constexpr uint32_t kHfInhibitIrq = 1u << 9;  // STI / MOV SS interrupt shadow
inline constexpr uint32_t kHfSmm = 1u << 10;        // system-management mode
inline constexpr uint32_t kHfPg = 1u << 11;         // paging enabled (CR0.PG)
// Segment seg (a SegReg) needs limit and type checks on data accesses: in
// protected or compatibility mode, anything but a present, writable,
// expand-up data segment with base 0 and a 4 GiB limit. Flat segments, real
// mode, virtual-8086 mode and 64-bit code skip the checks entirely.
inline constexpr unsigned kHfSegCheckShift = 24;  // bits 24..29
inline constexpr uint32_t kHfSegCheck(unsigned seg) {
  return 1u << (kHfSegCheckShift + seg);
}
inline constexpr uint32_t kHfSegCheckMask = 0x3fu << kHfSegCheckShift;

// Pending asynchronous events (bits of CpuState::interrupt_request).
inline constexpr uint32_t kIrqHard = 1u << 0;  // INTR line from the interrupt controller
inline constexpr uint32_t kIrqNmi = 1u << 1;
inline constexpr uint32_t kIrqSmi = 1u << 2;
inline constexpr uint32_t kIrqInit = 1u << 3;
inline constexpr uint32_t kIrqSipi = 1u << 4;
inline constexpr uint32_t kIrqExit = 1u << 5;  // leave the execution loop (kick)

// An x87 register as stored by FXSAVE: 64-bit significand, sign+exponent.
struct Float80 {
  uint64_t mantissa;
  uint16_t sign_exponent;
  uint16_t padding[3];
};

struct alignas(16) XmmReg {
  uint64_t q[2];
};

// Control registers bits used by reset and hflags.
inline constexpr uint64_t kCr0PE = 1ull << 0;
inline constexpr uint64_t kCr0ET = 1ull << 4;
inline constexpr uint64_t kCr0NW = 1ull << 29;
inline constexpr uint64_t kCr0CD = 1ull << 30;
inline constexpr uint64_t kCr0PG = 1ull << 31;
inline constexpr uint64_t kEferSCE = 1ull << 0;
inline constexpr uint64_t kEferLME = 1ull << 8;
inline constexpr uint64_t kEferLMA = 1ull << 10;
inline constexpr uint64_t kEferNXE = 1ull << 11;
inline constexpr uint64_t kApicBaseBsp = 1ull << 8;
inline constexpr uint64_t kApicBaseEnable = 1ull << 11;
inline constexpr uint64_t kApicBaseDefault = 0xFEE00000ull;
inline constexpr uint64_t kPatPowerOn = 0x0007040600070406ull;

inline constexpr int kNumVariableMtrrs = 8;
inline constexpr int kNumFixedMtrrs = 11;  // 64K_00000, 16K_80000/A0000, 4K_C0000..F8000

inline constexpr unsigned kXmmScratchRegs = 4;

struct CpuState {
  // General registers, instruction pointer, flags.
  uint64_t regs[16];
  uint64_t rip;
  uint32_t cc_op;        // a CcOp
  uint32_t eflags_rest;  // every EFLAGS bit except kFlagsArith
  uint64_t cc_src;
  uint64_t cc_dst;
  uint64_t cc_src2;

  // Segmentation and descriptor tables.
  SegmentCache segs[kSegCount];  // indexed by SegReg
  SegmentCache ldtr;
  SegmentCache tr;
  DescriptorTableReg gdtr;
  DescriptorTableReg idtr;

  // Control, debug and model-specific registers.
  uint64_t cr0, cr2, cr3, cr4, cr8;
  uint64_t efer;
  uint64_t dr[8];  // DR4/DR5 alias DR6/DR7 when CR4.DE=0 (handled by the helpers)
  uint64_t star, lstar, cstar, sfmask;
  uint64_t kernel_gs_base;
  uint64_t apic_base;
  uint64_t pat;
  uint64_t misc_enable;
  uint64_t tsc_offset;
  uint64_t tsc_adjust;  // IA32_TSC_ADJUST: what software has added to the TSC
  uint64_t tsc_aux;
  uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
  uint64_t mtrr_cap;
  uint64_t mtrr_def_type;
  uint64_t mtrr_fixed[kNumFixedMtrrs];
  uint64_t mtrr_var_base[kNumVariableMtrrs];
  uint64_t mtrr_var_mask[kNumVariableMtrrs];
  uint64_t xcr0;

  // x87 / MMX / SSE. st[i] is the physical register i (ST(i) is st[(top+i)&7]).
  Float80 st[8];
  uint16_t fpu_cw;
  uint16_t fpu_sw;  // TOP is kept in fpu_top, not in these bits
  uint16_t fpu_tw;  // full tag word, two bits per register
  uint16_t fpu_opcode;
  uint32_t fpu_top;
  uint32_t mxcsr;
  uint64_t fpu_ip, fpu_dp;
  uint16_t fpu_cs, fpu_ds;
  uint32_t padding_fpu;
  XmmReg xmm[16];
  // Bits 255:128 of YMM0-15 (AVX), kept apart as the XSAVE area keeps them.
  XmmReg ymmh[16];
  // Work registers of VEX-encoded instructions, reached as XMM16.. by the
  // SSE helpers and generators (xmm_reg), which run a 256-bit instruction one
  // 128-bit lane at a time. Never architectural state.
  XmmReg xmm_scratch[kXmmScratchRegs];

  // Pending events. exception_vector < 0 means none.
  uint32_t interrupt_request;  // kIrq* bits
  int32_t exception_vector;
  uint32_t exception_error_code;
  uint32_t exception_has_error_code;
  uint64_t exception_cr2;  // fault address to load into CR2 for #PF

  // Decoding-relevant summary and run state.
  uint32_t hflags;
  uint32_t halted;
  uint64_t a20_mask;         // ANDed into physical addresses (bit 20 clear when A20 is gated)
  uint32_t cpuid_signature;  // family/model/stepping, loaded into EDX on reset
  uint32_t padding_end;
};

static_assert(std::is_standard_layout_v<CpuState>);
static_assert(offsetof(CpuState, xmm_scratch) == offsetof(CpuState, ymmh) + 16 * sizeof(XmmReg));

// XMM register n as the SSE helpers number them: 0-15 architectural, 16-19
// the VEX work registers, 32-47 bits 255:128 of YMM0-15.
inline constexpr unsigned kYmmHighRegs = 32;
inline XmmReg& xmm_reg(CpuState& cpu, unsigned n) {
  if (n < 16) return cpu.xmm[n];
  if (n < kYmmHighRegs) return cpu.xmm_scratch[(n - 16) % kXmmScratchRegs];
  return cpu.ymmh[(n - kYmmHighRegs) & 15];
}
inline const XmmReg& xmm_reg(const CpuState& cpu, unsigned n) {
  return xmm_reg(const_cast<CpuState&>(cpu), n);
}
static_assert(std::is_trivially_copyable_v<CpuState>);

// Architectural power-on state (SDM Vol. 3, "IA-32 and Intel 64 Processor
// States Following Power-up, Reset, or INIT"); `signature` is the CPUID(1).EAX
// value that the processor leaves in EDX.
void cpu_reset(CpuState& cpu, uint32_t signature = 0x00000663, bool bsp = true);

// Full EFLAGS value: lazy arithmetic flags evaluated and merged with the rest.
uint32_t compute_eflags(const CpuState& cpu);
// Only the arithmetic flags (kFlagsArith bits) from cc_op and its operands.
uint32_t compute_cc_flags(uint32_t cc_op, uint64_t src, uint64_t dst, uint64_t src2);
// CF alone (hot path for ADC/SBB/Jcc B).
bool compute_cf(const CpuState& cpu);
// Writes EFLAGS: bits in `mask` take their value from `value`, others keep
// their current value; arithmetic flags land in cc_src with cc_op=kCcOpEflags.
void load_eflags(CpuState& cpu, uint32_t value, uint32_t mask = kFlagsDefined);

// Recomputes hflags from CR0, EFER, CS, SS and EFLAGS.
void update_hflags(CpuState& cpu);
// Default code size in bits (16, 32, 64) given the hflags.
inline unsigned code_size_bits(uint32_t hflags) {
  return (hflags & kHfCs64) ? 64 : (hflags & kHfCs32) ? 32 : 16;
}
inline unsigned cpl(const CpuState& cpu) {
  return cpu.hflags & kHfCplMask;
}

}  // namespace vx86
