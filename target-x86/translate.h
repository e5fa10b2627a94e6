// The x86 front end: translates guest instructions into tcg IR, one block at
// a time. translate_block() decodes with the table-driven decoder and hands
// each instruction to the generator of its mnemonic family
// (translate_<family>.cpp); the shared pieces every generator uses — register
// and memory operands, effective addresses, lazy flags, conditions, block
// exits and exceptions — are declared here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "target-x86/cpu_state.h"
#include "target-x86/decoder.h"
#include "tcg/ir_builder.h"

namespace vx86::x86 {

struct X86Cpu;

struct TranslateOptions {
  unsigned max_insns = 512;
  bool log_in_asm = false;  // -d in_asm for this block (after -dfilter)
};

struct TranslatedBlock {
  tcg::Block ir;
  uint64_t pc = 0;                     // linear address of the first byte
  uint64_t pages[2] = {~0ull, ~0ull};  // physical pages of the code
  uint32_t guest_bytes = 0;
  uint32_t num_insns = 0;

  // Ready for the next translation, keeping the IR's memory.
  void clear() {
    ir.clear();
    pc = 0;
    pages[0] = pages[1] = ~0ull;
    guest_bytes = num_insns = 0;
  }
};

// Translates the block starting at cpu.rip. Returns false only if the very
// first instruction cannot be fetched (the fault is then pending in cpu).
bool translate_block(X86Cpu& cpu, const TranslateOptions& options, TranslatedBlock* out);

// ---------------------------------------------------------------------------
// Shared by the generators.

using tcg::Temp;

// Lazy-flags state known at translation time.
inline constexpr uint32_t kCcOpDynamic = 0xffffffff;

struct DisasContext {
  X86Cpu& cpu;
  tcg::IrBuilder& b;
  uint32_t hflags = 0;
  unsigned code_bits = 16;  // 16, 32, 64
  bool mode64 = false;      // 64-bit code
  bool vm86 = false;
  unsigned cpl = 0;
  unsigned mem_index = 0;  // MemIndex for data accesses at this CPL
  uint64_t cs_base = 0;
  uint64_t pc = 0;       // EIP/RIP of the current instruction
  uint64_t next_pc = 0;  // EIP/RIP after it
  DecodedInsn insn{};
  uint32_t cc_op = kCcOpDynamic;  // what env.cc_op holds, if known
  Temp cc_dst{}, cc_src{};        // the values stored with it (valid when cc_op is known)
  bool block_ended = false;       // the instruction ended the block
  unsigned goto_tb_slots = 0;     // goto_tb exits used so far (two chain slots per block)
  uint64_t block_page = 0;        // linear page number of the block's first byte
  Temp ea_cache{};                // this instruction's memory operand address (linear)
  bool ea_valid = false;
  // A VEX instruction runs through the SSE generators: its own availability
  // check has been made, and its memory operands need no alignment.
  bool in_vex = false;
  // Linear addresses gen_linear() made in segments that need limit and type
  // checks (kHfSegCheck), so that gen_load/gen_store check what they access.
  struct CheckedAddress {
    Temp linear, offset;
    unsigned seg = 0;
  };
  static constexpr unsigned kCheckedAddresses = 8;
  CheckedAddress checked[kCheckedAddresses] = {};
  unsigned checked_next = 0;
};

// Field offsets in the guest state block.
inline constexpr std::size_t reg_offset(unsigned reg) {
  return offsetof(CpuState, regs) + 8 * reg;
}
inline constexpr std::size_t seg_base_offset(unsigned seg) {
  return offsetof(CpuState, segs) + seg * sizeof(SegmentCache) + offsetof(SegmentCache, base);
}

// Masks an address or EIP to a width in bits.
inline uint64_t width_mask(unsigned bits) {
  return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

// General registers (values are i64 zero-extended to the operand size).
Temp gen_load_gpr(DisasContext& s, unsigned reg, unsigned size, bool high_byte = false);
void gen_store_gpr(DisasContext& s, unsigned reg, unsigned size, Temp value,
                   bool high_byte = false);

// Memory operands: the linear address of the instruction's ModRM memory
// operand (computed once per instruction), and loads/stores through the MMU.
Temp gen_effective_offset(DisasContext& s);  // offset within the segment
Temp gen_linear(DisasContext& s, unsigned seg, Temp offset);
Temp gen_operand_address(DisasContext& s);
Temp gen_load(DisasContext& s, Temp linear, unsigned size, bool sign = false);
void gen_store(DisasContext& s, Temp linear, unsigned size, Temp value);
// Segment limit and type checks (segment_checks.cpp): whether accesses
// through seg are checked in this block, and the check itself (#GP(0), or
// #SS(0) for SS) of `size` bytes at `offset` within seg.
bool segment_checked(const DisasContext& s, unsigned seg);
void gen_check_segment(DisasContext& s, unsigned seg, Temp offset, unsigned size, bool write);
// A segment load in protected or compatibility mode may change which
// segments need checks (kHfSegCheck is part of the block key), so the block
// ends after it.
inline bool segment_load_ends_block(const DisasContext& s) {
  return (s.hflags & kHfPe) && !s.vm86 && !s.mode64;
}
// Checks `size` bytes of the ModRM memory operand, for accesses made by
// helpers or in pieces (far pointers, descriptor-table registers, vectors).
void gen_check_memory_operand(DisasContext& s, unsigned size, bool write);

// Decoded operands (index into insn.operands): register, memory, immediate.
Temp gen_read_operand(DisasContext& s, unsigned index);
void gen_write_operand(DisasContext& s, unsigned index, Temp value);
unsigned operand_size(const DisasContext& s, unsigned index);

// Sign-extends a value of `size` bytes to 64 bits / zero-extends it.
// A new i64 temp holding (a op c) for a two-operand IrBuilder op.
using BinaryOp = void (tcg::IrBuilder::*)(Temp, Temp, Temp);
Temp gen_op(DisasContext& s, BinaryOp op, Temp a, Temp c);
Temp gen_sext(DisasContext& s, Temp value, unsigned size);
Temp gen_zext(DisasContext& s, Temp value, unsigned size);

// Lazy flags: record how the arithmetic flags follow from an operation.
void gen_set_cc(DisasContext& s, uint32_t cc_op, Temp dst, Temp src, Temp src2 = Temp{});
// Materialises the arithmetic flags (kFlagsArith bits) into a temp.
Temp gen_compute_flags(DisasContext& s);
// CF as 0/1.
Temp gen_compute_cf(DisasContext& s);
// Condition code 0..15 (the Jcc/SETcc/CMOVcc encoding) as 0/1.
Temp gen_condition(DisasContext& s, unsigned cc);
// Makes env hold the flags as kCcOpEflags (before helpers that read EFLAGS).
void gen_flush_flags(DisasContext& s);

// Stack.
unsigned stack_size(const DisasContext& s);  // 2, 4 or 8 bytes of rSP used
void gen_push(DisasContext& s, Temp value, unsigned size);
Temp gen_pop(DisasContext& s, unsigned size);  // reads and then updates rSP

// Block exits. The IP given is EIP/RIP (not linear).
void gen_jump(DisasContext& s, Temp new_ip);
void gen_jump_const(DisasContext& s, uint64_t new_ip);
// Ends the block after this instruction, continuing at next_pc.
void gen_end_block(DisasContext& s);
// Raises an exception at this instruction (rip = pc).
void gen_exception(DisasContext& s, int vector, uint32_t error_code = 0);
// #UD for an instruction vx86 does not implement, logged under -d unimp.
void gen_unimplemented(DisasContext& s);

// Family generators: return false if the mnemonic is not theirs.
bool translate_alu(DisasContext& s);
bool translate_data(DisasContext& s);
bool translate_control(DisasContext& s);
bool translate_string(DisasContext& s);
bool translate_system(DisasContext& s);
bool translate_shift(DisasContext& s);   // shifts and rotates (translate_shift.cpp)
bool translate_muldiv(DisasContext& s);  // MUL IMUL DIV IDIV (translate_muldiv.cpp)
bool translate_bits(DisasContext& s);    // BT*, BSF/BSR, TZCNT/LZCNT/POPCNT (translate_bits.cpp)
bool translate_atomic(DisasContext& s);  // XADD, CMPXCHG* (translate_atomic.cpp)
bool translate_bcd(DisasContext& s);     // DAA DAS AAA AAS AAM AAD (translate_bcd.cpp)
bool translate_fpu(DisasContext& s);     // x87 (translate_fpu.cpp)
bool translate_sse(DisasContext& s);     // MMX/SSE (translate_sse.cpp)
bool translate_random(DisasContext& s);  // RDRAND RDSEED (translate_random.cpp)
bool translate_bmi(DisasContext& s);
bool translate_avx(DisasContext& s);  // VEX-encoded SSE and AVX (translate_avx.cpp)     //
                                      // BMI1/BMI2 (translate_bmi.cpp)

}  // namespace vx86::x86
