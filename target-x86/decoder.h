// Table-driven x86 instruction decoder: prefixes, opcode maps (one-byte,
// 0F, 0F 38, 0F 3A, x87), ModRM/SIB/displacement, immediates, and the
// architectural decode-time faults (#UD, #GP for >15 bytes, fetch faults).
// VEX, EVEX, XOP and 3DNow! encodings are measured (length) but reported as
// kUnsupported, except the VEX-encoded BMI1/BMI2 general-register
// instructions, which are decoded (with VEX.vvvv, L and pp) and executed.
#pragma once

#include <cstdint>
#include <span>

#include "target-x86/decode_table.h"
#include "target-x86/mnemonics.h"

namespace vx86::x86 {

inline constexpr int kMaxInsnLength = 15;

enum class DecodeStatus : uint8_t {
  kOk,
  kInvalidOpcode,  // #UD
  kTooLong,        // more than 15 bytes: #GP(0)
  kFetchFault,     // the fetch callback failed at fault_offset (e.g. #PF)
  kNeedMoreBytes,  // span decoding only: the bytes ran out before the end
  kUnsupported,    // recognised encoding we do not execute (VEX/EVEX/XOP/3DNow!): #UD for now
};
const char* decode_status_name(DecodeStatus status);

struct DecodeMode {
  uint8_t code_bits = 32;     // 16, 32 or 64 (from CS.D / CS.L and EFER.LMA)
  bool real_or_vm86 = false;  // VEX/EVEX are not recognised there (C4/C5/62 are LES/LDS/BOUND)
};

enum class OpcodeMapId : uint8_t { kOneByte, k0F, k0F38, k0F3A, k3DNow, kVex, kEvex, kXop };

// Prefix bits of DecodedInsn::prefixes.
inline constexpr uint32_t kPrefixLock = 1u << 0;
inline constexpr uint32_t kPrefixRep = 1u << 1;    // F3 seen
inline constexpr uint32_t kPrefixRepne = 1u << 2;  // F2 seen
inline constexpr uint32_t kPrefixOpSize = 1u << 3;
inline constexpr uint32_t kPrefixAddrSize = 1u << 4;
inline constexpr uint32_t kPrefixSegment = 1u << 5;  // segment_prefix is valid
inline constexpr uint32_t kPrefixRex = 1u << 6;      // an effective REX (last prefix)
inline constexpr uint32_t kPrefixVex = 1u << 7;
inline constexpr uint32_t kPrefixEvex = 1u << 8;
inline constexpr uint32_t kPrefixXop = 1u << 9;
inline constexpr uint32_t kPrefixRexIgnored = 1u << 10;  // a REX was followed by a legacy prefix

inline constexpr uint8_t kRexB = 1, kRexX = 2, kRexR = 4, kRexW = 8;

inline constexpr int8_t kNoReg = -1;
inline constexpr int8_t kRegRip = 16;  // MemOperand::base for RIP-relative addressing

struct MemOperand {
  int8_t base = kNoReg;   // GPR number, kRegRip, or kNoReg
  int8_t index = kNoReg;  // GPR number or kNoReg
  uint8_t scale = 1;      // 1, 2, 4, 8
  uint8_t segment = 3;    // SegReg used (override or DS/SS default; in 64-bit mode
                          // ES/CS/SS/DS overrides are replaced by the default)
  uint8_t address_bits = 32;
  int64_t disp = 0;  // sign-extended; for moffs the zero-extended offset
};

// kMem is the ModRM/moffs operand in DecodedInsn::mem; kString is DS:rSI (X,
// reg = segment, overridable) or ES:rDI (Y) addressed by the address size.
enum class OperandKind : uint8_t { kNone, kReg, kMem, kString, kImm, kRel, kFarPtr, kConst1 };
enum class RegClass : uint8_t {
  kGpr,       // 8-bit: AL..BL, SPL..R15B (with REX); wider: the register
  kGpr8High,  // AH CH DH BH (reg 0..3 = AH..BH), only without REX
  kSeg,
  kCr,
  kDr,
  kMmx,
  kXmm,
  kSt,
};

struct DecodedOperand {
  OperandKind kind = OperandKind::kNone;
  RegClass reg_class = RegClass::kGpr;
  uint8_t reg = 0;    // register number (ST(i): i)
  uint16_t size = 0;  // bytes (0 when unsized, e.g. LEA's M)
  OperandSpec spec;   // the table's operand code
};

struct DecodedInsn {
  DecodeStatus status = DecodeStatus::kOk;
  uint8_t length = 0;
  bool length_known = false;  // length valid (also for many #UD cases)
  uint64_t fault_offset = 0;  // kFetchFault: offset of the byte that could not be fetched

  Mnemonic mnemonic = Mnemonic::kInvalid;
  OpcodeMapId map = OpcodeMapId::kOneByte;
  uint8_t opcode = 0;                  // last opcode byte (3DNow!: the suffix byte)
  const OpcodeEntry* entry = nullptr;  // the table row found (null when none)
  OpcodeEntry row;  // effective row: a group entry merged with its map row's operands/attrs

  uint32_t prefixes = 0;
  uint8_t rex = 0;               // effective REX bits (kRexW/R/X/B)
  uint8_t segment_prefix = 0;    // SegReg of the last segment override (if kPrefixSegment)
  uint8_t rep_prefix = 0;        // last of F2/F3 (0 if none)
  uint8_t mandatory_prefix = 0;  // 0x66/0xF2/0xF3 when consumed as an SSE opcode selector
  uint8_t operand_bits = 32;
  uint8_t address_bits = 32;
  uint8_t num_prefix_bytes = 0;

  bool has_modrm = false;
  uint8_t modrm = 0;
  uint8_t mod = 0;
  uint8_t reg = 0;  // ModRM.reg with REX.R
  uint8_t rm = 0;   // ModRM.rm with REX.B (register forms)
  bool has_sib = false;
  uint8_t sib = 0;
  bool has_mem = false;
  MemOperand mem;

  uint8_t num_operands = 0;
  DecodedOperand operands[4];
  uint64_t imm = 0;   // first immediate (sign-extended per SDM rules); Jb/Jz: displacement;
                      // Ap: offset
  uint64_t imm2 = 0;  // second immediate (ENTER's Ib, EXTRQ/INSERTQ), Ap: selector
  uint8_t num_imm_bytes = 0;

  // VEX/EVEX/XOP fields. Executed VEX instructions (BMI1/BMI2, general
  // registers only) also use vvvv (the extra register operand), L and pp.
  uint8_t vex_map = 0;
  uint8_t vex_vvvv = 0;
  bool vex_l = false;
  uint8_t vex_pp = 0;        // implied prefix: 0 none, 1 66, 2 F3, 3 F2
  int8_t vector_index = -1;  // gathers (VSIB): the XMM/YMM register the SIB index names

  bool ok() const { return status == DecodeStatus::kOk; }
  bool rip_relative() const { return has_mem && mem.base == kRegRip; }
};

// Reads one instruction byte at `address`; returns false on a fetch fault.
using FetchFn = bool (*)(void* opaque, uint64_t address, uint8_t* byte);

// Decodes the instruction at `address`, reading bytes through `fetch`.
DecodeStatus decode(const DecodeMode& mode, uint64_t address, FetchFn fetch, void* opaque,
                    DecodedInsn* out);
// Decodes from a buffer; kNeedMoreBytes when it ends before the instruction does
// (and before the 15-byte limit).
DecodeStatus decode(const DecodeMode& mode, std::span<const uint8_t> bytes, DecodedInsn* out);

// Operand size in bytes of an operand code for the given effective operand
// size (in bits) and mode; 0 for unsized codes.
uint16_t operand_size_bytes(OpSize size, unsigned operand_bits, bool mode64);

}  // namespace vx86::x86
