// Opcode tables of the x86 decoder, transcribed from the Intel SDM Vol. 2
// Appendix A opcode maps. One row per opcode (and per mandatory-prefix
// column where the SDM has one), with operands written in SDM notation.
//
// Operand notation (SDM A.2.1/A.2.2) as parsed by parse_operand():
//   method letter + size code: Eb Gv Iz Jb M Mp Ob Sw Cd Dd Rd Vx Wps Pq Qq Nq Ux ...
//   fixed registers: AL CL DX AX eAX rAX ES CS SS DS FS GS; "1" the constant 1;
//   ST0 (x87 top of stack), STi (x87 register in ModRM.rm), XMM0 (implicit).
//   Our own addition: Zb/Zv, the register in the opcode's low 3 bits extended
//   by REX.B (the SDM writes these as "AL/R8B", "rAX/r8" in the map cells).
// Size codes: b w d q v z y dq x p a s ps pd ss sd pi t and, for x87 memory
//   operands, e (14/28-byte environment) st (94/108-byte state); fx (512-byte
//   FXSAVE area), xs (XSAVE area, variable).
#pragma once

#include <cstdint>
#include <initializer_list>

#include "target-x86/mnemonics.h"

namespace vx86::x86 {

enum class OpMethod : uint8_t {
  kNone,
  kA,         // direct far address in the instruction (ptr16:16/32)
  kC,         // ModRM.reg selects a control register
  kD,         // ModRM.reg selects a debug register
  kE,         // ModRM.rm: general register or memory
  kG,         // ModRM.reg: general register
  kI,         // immediate
  kJ,         // relative offset added to the next RIP
  kM,         // ModRM.rm: memory only
  kN,         // ModRM.rm: MMX register (mod=11)
  kO,         // moffs: absolute offset, address-size wide, no ModRM
  kP,         // ModRM.reg: MMX register
  kQ,         // ModRM.rm: MMX register or memory
  kR,         // ModRM.rm: general register (mod=11; for MOV CR/DR mod is ignored)
  kS,         // ModRM.reg: segment register
  kU,         // ModRM.rm: XMM register (mod=11)
  kV,         // ModRM.reg: XMM register
  kW,         // ModRM.rm: XMM register or memory
  kX,         // DS:rSI string source
  kY,         // ES:rDI string destination
  kZ,         // register in opcode bits 2:0 (+REX.B)
  kFixedGpr,  // reg field holds the GPR number
  kFixedSeg,  // reg field holds the SegReg
  kConst1,
  kSt0,
  kSti,
  kXmm0,
  kH,  // VEX.vvvv: XMM/YMM register (a general register for BMI)
  kL,  // bits 7:4 of the immediate: XMM/YMM register (VEX "is4")
};

enum class OpSize : uint8_t {
  kNone,
  kB,
  kW,
  kD,
  kQ,
  kV,
  kZ,
  kY,
  kDq,
  kX,
  kP,
  kA,
  kS,
  kPs,
  kPd,
  kSs,
  kSd,
  kPi,
  kT,
  kFpuEnv,
  kFpuState,
  kFxState,
  kXsave,
  kQq,  // 32 bytes
  kHx,  // half of x: 8 bytes (VEX.L=0) or 16 (VEX.L=1)
  kQx,  // a quarter of x: 4 or 8
  kOx,  // an eighth of x: 2 or 4
};

struct OperandSpec {
  OpMethod method = OpMethod::kNone;
  OpSize size = OpSize::kNone;
  uint8_t reg = 0;
};

// Row attributes.
namespace attr {
inline constexpr uint32_t kLock = 1u << 0;          // LOCK allowed (with a memory destination)
inline constexpr uint32_t kD64 = 1u << 1;           // 64-bit default operand size in long mode
inline constexpr uint32_t kF64 = 1u << 2;           // operand size forced to 64 in long mode
inline constexpr uint32_t kI64 = 1u << 3;           // invalid in 64-bit mode
inline constexpr uint32_t kO64 = 1u << 4;           // valid only in 64-bit mode
inline constexpr uint32_t kModRM = 1u << 5;         // has ModRM even with no ModRM operand
inline constexpr uint32_t kMemOnly = 1u << 6;       // mod=11 is #UD
inline constexpr uint32_t kRegOnly = 1u << 7;       // mod!=11 is #UD
inline constexpr uint32_t kModIgnored = 1u << 8;    // MOV CR/DR: mod treated as 11
inline constexpr uint32_t kRep = 1u << 9;           // string instruction: F2/F3 are REP prefixes
inline constexpr uint32_t kUnsupported = 1u << 10;  // decoded for length only (3DNow!, ...)
inline constexpr uint32_t kPrivileged = 1u << 12;   // CPL 0 only (informational)
inline constexpr uint32_t kRexW64 = 1u << 13;       // REX.W selects the 64-bit form (informational)
inline constexpr uint32_t kXbeginRel = 1u << 14;    // XBEGIN: Jz is relative even though in a group
// VEX rows (decode_table_vex.cpp).
inline constexpr uint32_t kVexL0 = 1u << 15;      // VEX.L=1 is #UD
inline constexpr uint32_t kVexL1 = 1u << 16;      // VEX.L=0 is #UD
inline constexpr uint32_t kVexLig = 1u << 17;     // VEX.L ignored (scalar): 128-bit
inline constexpr uint32_t kVexW0 = 1u << 18;      // VEX.W=1 is #UD
inline constexpr uint32_t kVexW1 = 1u << 19;      // VEX.W=0 is #UD
inline constexpr uint32_t kAvx2 = 1u << 20;       // an AVX2 instruction
inline constexpr uint32_t kAvx2L1 = 1u << 21;     // its 256-bit form is AVX2 (integer)
inline constexpr uint32_t kVexAes = 1u << 22;     // needs AES too
inline constexpr uint32_t kVexPclmul = 1u << 23;  // needs PCLMULQDQ too
inline constexpr uint32_t kVsib = 1u << 24;       // gathers: SIB with a vector index
inline constexpr uint32_t kFma = 1u << 25;        // an FMA instruction
inline constexpr uint32_t kF16c = 1u << 26;       // an F16C instruction
}  // namespace attr

enum class GroupId : uint8_t {
  kNone,
  kGrp1,
  kGrp1A,
  kGrp2,
  kGrp3,
  kGrp3Ev,
  kGrp4,
  kGrp5,
  kGrp6,
  kGrp7,
  kGrp8,
  kGrp9,
  kGrp10,
  kGrp11,
  kGrp11Ev,  // F6/F7 and C6/C7 differ in operands, so each has its own table
  kGrp12,
  kGrp13,
  kGrp14,
  kGrp15,
  kGrp16,
  kGrpP,        // 0F 0D prefetch (AMD "Group P")
  kMovlpsHlps,  // 0F 12 without prefix: MOVLPS (memory) / MOVHLPS (register)
  kMovhpsLhps,  // 0F 16 without prefix: MOVHPS (memory) / MOVLHPS (register)
  kX87D8,
  kX87D9,
  kX87DA,
  kX87DB,
  kX87DC,
  kX87DD,
  kX87DE,
  kX87DF,
  kCount,
};

struct OpcodeEntry {
  Mnemonic mnemonic = Mnemonic::kInvalid;
  GroupId group = GroupId::kNone;
  uint8_t num_operands = 0;
  OperandSpec operands[4];
  uint32_t attrs = 0;

  bool valid() const { return mnemonic != Mnemonic::kInvalid || group != GroupId::kNone; }
  bool has(uint32_t attr) const { return (attrs & attr) != 0; }
};

// Which prefix column of the SDM map a row belongs to. kAny rows do not use
// a mandatory prefix (66 is an operand-size prefix, F2/F3 are REP).
// kMode64 rows replace the kAny row in 64-bit mode (63: ARPL -> MOVSXD).
enum Column : uint8_t { kAny, kNP, k66, kF3, kF2, kMode64, kNumColumns };

// One opcode map: 256 opcodes x prefix columns.
struct OpcodeMap {
  OpcodeEntry rows[256][kNumColumns];
};

// A ModRM.reg extension group (SDM Table A-6) or an x87 escape (A-7..A-22):
// memory forms by reg, register forms by (reg << 3 | rm), with prefix columns.
struct GroupTable {
  OpcodeEntry mem[8][kNumColumns];
  OpcodeEntry reg[64][kNumColumns];
};

// Row constructors used by the table files. `operands` is the SDM operand
// list, e.g. "Ev,Gv"; a bad token aborts the table build (tests build them).
OpcodeEntry Op(Mnemonic mnemonic, const char* operands = "", uint32_t attrs = 0);
OpcodeEntry Grp(GroupId group, const char* operands = "", uint32_t attrs = 0);
// Parses one operand token; returns false if unknown.
bool parse_operand(const char* token, std::size_t length, OperandSpec* out);

// Table builders.
class MapBuilder {
 public:
  explicit MapBuilder(OpcodeMap* map) : map_(map) {}
  void set(uint8_t opcode, const OpcodeEntry& entry) { set(opcode, kAny, entry); }
  void set(uint8_t opcode, Column column, const OpcodeEntry& entry);
  // count consecutive opcodes with consecutive mnemonics (Jcc, SETcc, CMOVcc) or the same one.
  void set_range(uint8_t first, int count, const OpcodeEntry& entry, bool step_mnemonic = false);
  // MMX form without prefix (Pq,Qq) and SSE2 form with 66 (Vx,Wx); same mnemonic.
  void mmx_sse(uint8_t opcode, Mnemonic mnemonic, const char* mmx_ops = "Pq,Qq",
               const char* sse_ops = "Vx,Wx");
  // The four SSE floating-point columns ps / pd / ss / sd.
  void sse_fp(uint8_t opcode, Mnemonic ps, Mnemonic pd, Mnemonic ss, Mnemonic sd,
              const char* suffix_ops = "");

 private:
  OpcodeMap* map_;
};

class GroupBuilder {
 public:
  explicit GroupBuilder(GroupTable* table) : table_(table) {}
  // Memory form of /reg.
  void mem(int reg, const OpcodeEntry& entry, Column column = kAny);
  // Register form of /reg for every rm.
  void reg(int reg, const OpcodeEntry& entry, Column column = kAny);
  // Register form of /reg with a specific rm (ModRM byte 0xC0 | reg << 3 | rm).
  void reg_rm(int reg, int rm, const OpcodeEntry& entry, Column column = kAny);
  // Both forms of /reg.
  void both(int reg, const OpcodeEntry& entry, Column column = kAny) {
    mem(reg, entry, column);
    this->reg(reg, entry, column);
  }

 private:
  GroupTable* table_;
};

const OpcodeMap& onebyte_map();
const OpcodeMap& map_0f();
const OpcodeMap& map_0f38();
const OpcodeMap& map_0f3a();
const GroupTable& group_table(GroupId id);
// The VEX row of an opcode in map 1 (0F), 2 (0F 38) or 3 (0F 3A) with the
// implied prefix pp (0 none, 1 66, 2 F3, 3 F2); the ModRM byte picks group
// members and register/memory forms. Null when VEX gives the opcode no
// meaning vx86 implements. Defined in decode_table_vex.cpp.
// VEX.W picks between rows that need W0 and W1 (else the first row, whose
// W rule the decoder then applies).
const OpcodeEntry* vex_entry(unsigned map, uint8_t opcode, unsigned pp, uint8_t modrm, bool w);
// x87 escapes D8..DF (index 0..7); defined in decode_table_x87.cpp.
const GroupTable& x87_table(int escape);

}  // namespace vx86::x86
