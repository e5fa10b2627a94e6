// Data movement: MOV (registers, memory, immediates, segment registers),
// MOVZX/MOVSX/MOVSXD, LEA, XCHG, CBW/CWD families, PUSH/POP, PUSHF/POPF,
// LAHF/SAHF, flag bit instructions, SETcc, CMOVcc, XLAT, BSWAP, NOP.
#include "target-x86/exceptions.h"
#include "target-x86/helpers.h"
#include "target-x86/helpers_system.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

using tcg::Cond;

void load_segment(DisasContext& s, unsigned seg, Temp selector) {
  tcg::IrBuilder& b = s.b;
  Temp sel32 = b.new_i32();
  b.extrl_i64_i32(sel32, selector);
  b.call_helper(helper_info_load_segment(), {b.const_i32(seg), sel32});
}

void mov(DisasContext& s) {
  const DecodedOperand& dst = s.insn.operands[0];
  const DecodedOperand& src = s.insn.operands[1];
  if (dst.kind == OperandKind::kReg && dst.reg_class == RegClass::kSeg) {
    if (dst.reg == kSegCS || dst.reg >= kSegCount) return gen_exception(s, kExcUD);
    Temp v = gen_read_operand(s, 1);
    load_segment(s, dst.reg, v);
    if (dst.reg == kSegSS) {
      // MOV SS blocks interrupts for one instruction and may change the stack size.
      s.b.call_helper(helper_info_inhibit_interrupts(), {});
      gen_end_block(s);
    } else if (segment_load_ends_block(s)) {
      gen_end_block(s);
    }
    return;
  }
  Temp v = gen_read_operand(s, 1);
  if (src.kind == OperandKind::kReg && src.reg_class == RegClass::kSeg &&
      dst.kind == OperandKind::kReg) {
    // MOV r32/r64, Sreg zero-extends the selector.
    gen_store_gpr(s, dst.reg, dst.size, v);
    return;
  }
  gen_write_operand(s, 0, v);
}

void movx(DisasContext& s, bool sign) {
  unsigned src_size = operand_size(s, 1);
  Temp v = gen_read_operand(s, 1);
  Temp r = sign ? gen_sext(s, v, src_size) : gen_zext(s, v, src_size);
  gen_write_operand(s, 0, gen_zext(s, r, operand_size(s, 0)));
}

void lea(DisasContext& s) {
  Temp ea = gen_effective_offset(s);
  gen_write_operand(s, 0, gen_zext(s, ea, operand_size(s, 0)));
}

void xchg(DisasContext& s) {
  Temp a = gen_read_operand(s, 0);
  Temp v = gen_read_operand(s, 1);
  // A memory operand is written first (it may fault).
  if (s.insn.operands[1].kind == OperandKind::kMem) {
    gen_write_operand(s, 1, a);
    gen_write_operand(s, 0, v);
  } else {
    gen_write_operand(s, 0, v);
    gen_write_operand(s, 1, a);
  }
}

void convert(DisasContext& s, bool to_dx) {
  unsigned size = s.insn.operand_bits / 8;
  if (!to_dx) {  // CBW/CWDE/CDQE
    Temp v = gen_load_gpr(s, kRAX, size / 2);
    gen_store_gpr(s, kRAX, size, gen_zext(s, gen_sext(s, v, size / 2), size));
    return;
  }
  // CWD/CDQ/CQO: rDX = sign of rAX.
  Temp v = gen_sext(s, gen_load_gpr(s, kRAX, size), size);
  Temp hi = s.b.new_i64();
  s.b.sar_i64(hi, v, s.b.const_i64(63));
  gen_store_gpr(s, kRDX, size, gen_zext(s, hi, size));
}

unsigned push_size(const DisasContext& s) {
  return s.insn.operand_bits / 8;
}

void push(DisasContext& s) {
  Temp v = gen_read_operand(s, 0);
  unsigned size = push_size(s);
  if (s.insn.operands[0].kind == OperandKind::kImm) {
    v = gen_zext(s, gen_sext(s, v, operand_size(s, 0)), size);
  }
  gen_push(s, v, size);
}

void pop(DisasContext& s) {
  const DecodedOperand& dst = s.insn.operands[0];
  unsigned size = push_size(s);
  if (dst.kind == OperandKind::kReg && dst.reg_class == RegClass::kSeg) {
    tcg::IrBuilder& b = s.b;
    // Load the segment before committing rSP, so a bad selector faults cleanly.
    unsigned ss = stack_size(s);
    Temp sp = gen_load_gpr(s, kRSP, ss);
    Temp v = gen_load(s, gen_linear(s, kSegSS, sp), size);
    load_segment(s, dst.reg, v);
    Temp new_sp = b.new_i64();
    b.add_i64(new_sp, sp, b.const_i64(size));
    gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
    if (dst.reg == kSegSS) {
      b.call_helper(helper_info_inhibit_interrupts(), {});
      gen_end_block(s);
    } else if (segment_load_ends_block(s)) {
      gen_end_block(s);
    }
    return;
  }
  Temp v = gen_pop(s, size);
  gen_write_operand(s, 0, v);
}

// PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI, in that order
// (GPR numbers 0-7). Every store is made before SP moves, so a fault leaves
// SP as it was.
void pusha(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = push_size(s);
  const unsigned ss = stack_size(s);
  Temp sp = gen_load_gpr(s, kRSP, ss);
  for (unsigned reg = 0; reg < 8; ++reg) {
    Temp at = b.new_i64();
    b.sub_i64(at, sp, b.const_i64(size * (reg + 1)));
    if (ss < 8) b.and_i64(at, at, b.const_i64(width_mask(ss * 8)));
    gen_store(s, gen_linear(s, kSegSS, at), size, gen_load_gpr(s, reg, size));
  }
  Temp new_sp = b.new_i64();
  b.sub_i64(new_sp, sp, b.const_i64(size * 8));
  gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
}

// POPA/POPAD: DI, SI, BP, (SP's slot skipped), BX, DX, CX, AX. Every load
// is made before a register changes.
void popa(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = push_size(s);
  const unsigned ss = stack_size(s);
  Temp sp = gen_load_gpr(s, kRSP, ss);
  Temp values[8];
  for (unsigned reg = 0; reg < 8; ++reg) {
    if (reg == kRSP) continue;
    Temp at = b.new_i64();
    b.add_i64(at, sp, b.const_i64(size * (7 - reg)));
    if (ss < 8) b.and_i64(at, at, b.const_i64(width_mask(ss * 8)));
    values[reg] = gen_load(s, gen_linear(s, kSegSS, at), size);
  }
  for (unsigned reg = 0; reg < 8; ++reg) {
    if (reg != kRSP) gen_store_gpr(s, reg, size, values[reg]);
  }
  Temp new_sp = b.new_i64();
  b.add_i64(new_sp, sp, b.const_i64(size * 8));
  gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
}

void pushf(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Temp flags = b.new_i64();
  b.call_helper(helper_info_pushf_value(), flags, {});
  // VM and RF are never pushed.
  gen_push(s, gen_zext(s, flags, push_size(s)), push_size(s));
}

void popf(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  unsigned size = push_size(s);
  unsigned ss = stack_size(s);
  Temp sp = gen_load_gpr(s, kRSP, ss);
  Temp v = gen_load(s, gen_linear(s, kSegSS, sp), size);
  Temp v32 = b.new_i32();
  b.extrl_i64_i32(v32, v);
  b.call_helper(helper_info_popf(), {v32, b.const_i32(size)});
  Temp new_sp = b.new_i64();
  b.add_i64(new_sp, sp, b.const_i64(size));
  gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
  s.cc_op = kCcOpDynamic;  // the helper wrote the flags
  gen_end_block(s);        // TF and IF may have changed
}

// Applies f to the arithmetic flags and stores them back as kCcOpEflags.
template <typename F>
void modify_flags(DisasContext& s, F f) {
  Temp flags = gen_compute_flags(s);
  Temp r = s.b.new_i64();
  f(r, flags);
  gen_set_cc(s, kCcOpEflags, s.b.const_i64(0), r);
}

// CLD/STD, and CLAC/STAC (EFLAGS.AC; the MMU reads it on every SMAP check).
void set_rest_flag(DisasContext& s, uint32_t flag, bool set) {
  tcg::IrBuilder& b = s.b;
  Temp rest = b.new_i32();
  b.ld_i32(rest, offsetof(CpuState, eflags_rest));
  if (set) {
    b.or_i32(rest, rest, b.const_i32(flag));
  } else {
    b.and_i32(rest, rest, b.const_i32(~flag));
  }
  b.st_i32(rest, offsetof(CpuState, eflags_rest));
}

void lahf(DisasContext& s) {
  Temp flags = gen_compute_flags(s);
  Temp ah = s.b.new_i64();
  s.b.and_i64(ah, flags, s.b.const_i64(kFlagSF | kFlagZF | kFlagAF | kFlagPF | kFlagCF));
  s.b.or_i64(ah, ah, s.b.const_i64(kFlagReserved1));
  gen_store_gpr(s, kRAX, 1, ah, true);
}

void sahf(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  constexpr uint32_t kMask = kFlagSF | kFlagZF | kFlagAF | kFlagPF | kFlagCF;
  Temp ah = gen_load_gpr(s, kRAX, 1, true);
  modify_flags(s, [&](Temp r, Temp flags) {
    Temp keep = b.new_i64();
    b.and_i64(keep, flags, b.const_i64(kFlagOF));
    Temp in = b.new_i64();
    b.and_i64(in, ah, b.const_i64(kMask));
    b.or_i64(r, keep, in);
  });
}

void setcc(DisasContext& s) {
  unsigned cc = static_cast<unsigned>(s.insn.mnemonic) - static_cast<unsigned>(Mnemonic::kSeto);
  gen_write_operand(s, 0, gen_condition(s, cc));
}

void cmovcc(DisasContext& s) {
  unsigned cc = static_cast<unsigned>(s.insn.mnemonic) - static_cast<unsigned>(Mnemonic::kCmovo);
  Temp cond = gen_condition(s, cc);
  Temp src = gen_read_operand(s, 1);  // a memory source is read whatever the condition
  Temp dst = gen_read_operand(s, 0);
  Temp r = s.b.new_i64();
  s.b.movcond_i64(r, cond, s.b.const_i64(0), src, dst, Cond::kNe);
  gen_write_operand(s, 0, r);  // 32-bit forms zero-extend even when false
}

void xlat(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  unsigned abits = s.insn.address_bits;
  Temp off = b.new_i64();
  b.add_i64(off, gen_load_gpr(s, kRBX, abits / 8), gen_load_gpr(s, kRAX, 1));
  off = gen_zext(s, off, abits / 8);
  unsigned seg = (s.insn.prefixes & kPrefixSegment) ? s.insn.segment_prefix : unsigned{kSegDS};
  gen_store_gpr(s, kRAX, 1, gen_load(s, gen_linear(s, seg, off), 1));
}

void bswap(DisasContext& s) {
  unsigned size = operand_size(s, 0);
  Temp v = gen_read_operand(s, 0);
  Temp r = s.b.new_i64();
  if (size == 8) {
    s.b.bswap64_i64(r, v);
  } else if (size == 4) {
    s.b.bswap32_i64(r, v);
  } else {
    s.b.movi_i64(r, 0);  // BSWAP r16 is undefined; real CPUs give 0
  }
  gen_write_operand(s, 0, r);
}

// MOVBE r, m / MOVBE m, r: a load or store with the bytes in reverse order.
void movbe(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  Temp v = gen_read_operand(s, 1);
  Temp r = b.new_i64();
  if (size == 8) {
    b.bswap64_i64(r, v);
  } else if (size == 4) {
    b.bswap32_i64(r, v);
  } else {
    Temp low = b.new_i64(), high = b.new_i64();
    b.shl_i64(low, v, b.const_i64(8));
    b.and_i64(low, low, b.const_i64(0xff00));
    b.shr_i64(high, v, b.const_i64(8));
    b.and_i64(high, high, b.const_i64(0xff));
    b.or_i64(r, low, high);
  }
  gen_write_operand(s, 0, r);
}

// ADCX (carry in and out through CF) and ADOX (through OF): an unsigned add
// that changes that one flag and leaves the others as they were.
void add_with_one_flag(DisasContext& s, uint32_t flag) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  const unsigned shift = flag == kFlagOF ? 11 : 0;
  Temp flags = gen_compute_flags(s);
  Temp carry_in = b.new_i64();
  b.shr_i64(carry_in, flags, b.const_i64(shift));
  b.and_i64(carry_in, carry_in, b.const_i64(1));
  Temp a = gen_read_operand(s, 0), c = gen_read_operand(s, 1);
  Temp sum = b.new_i64(), carry = b.new_i64();
  if (size == 8) {
    // Carry out of 64 bits: the partial sum wrapped, or the carry-in did.
    Temp partial = b.new_i64(), wrapped = b.new_i64();
    b.add_i64(partial, a, c);
    b.setcond_i64(carry, partial, a, tcg::Cond::kLtu);
    b.add_i64(sum, partial, carry_in);
    b.setcond_i64(wrapped, sum, partial, tcg::Cond::kLtu);
    b.or_i64(carry, carry, wrapped);
  } else {
    // 32-bit operands are zero-extended: bit 32 of the sum is the carry.
    b.add_i64(sum, a, c);
    b.add_i64(sum, sum, carry_in);
    b.shr_i64(carry, sum, b.const_i64(32));
    b.and_i64(sum, sum, b.const_i64(0xffffffff));
  }
  Temp new_flags = b.new_i64();
  b.and_i64(new_flags, flags, b.const_i64(~uint64_t{flag}));
  b.shl_i64(carry, carry, b.const_i64(shift));
  b.or_i64(new_flags, new_flags, carry);
  gen_write_operand(s, 0, sum);
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), new_flags);
}

}  // namespace

bool translate_data(DisasContext& s) {
  Mnemonic m = s.insn.mnemonic;
  if (m >= Mnemonic::kSeto && m <= Mnemonic::kSetg) return setcc(s), true;
  if (m >= Mnemonic::kCmovo && m <= Mnemonic::kCmovg) return cmovcc(s), true;
  tcg::IrBuilder& b = s.b;
  switch (m) {
    case Mnemonic::kMov:
      mov(s);
      return true;
    case Mnemonic::kMovzx:
      movx(s, false);
      return true;
    case Mnemonic::kMovsx:
    case Mnemonic::kMovsxd:
      movx(s, true);
      return true;
    case Mnemonic::kLea:
      lea(s);
      return true;
    case Mnemonic::kXchg:
      xchg(s);
      return true;
    case Mnemonic::kCbw:
      convert(s, false);
      return true;
    case Mnemonic::kCwd:
      convert(s, true);
      return true;
    case Mnemonic::kPush:
      push(s);
      return true;
    case Mnemonic::kPop:
      pop(s);
      return true;
    case Mnemonic::kPusha:
      pusha(s);
      return true;
    case Mnemonic::kPopa:
      popa(s);
      return true;
    case Mnemonic::kPushf:
      pushf(s);
      return true;
    case Mnemonic::kPopf:
      popf(s);
      return true;
    case Mnemonic::kLahf:
      lahf(s);
      return true;
    case Mnemonic::kSahf:
      sahf(s);
      return true;
    case Mnemonic::kClc:
      modify_flags(s, [&](Temp r, Temp f) { b.and_i64(r, f, b.const_i64(~uint64_t{kFlagCF})); });
      return true;
    case Mnemonic::kStc:
      modify_flags(s, [&](Temp r, Temp f) { b.or_i64(r, f, b.const_i64(kFlagCF)); });
      return true;
    case Mnemonic::kCmc:
      modify_flags(s, [&](Temp r, Temp f) { b.xor_i64(r, f, b.const_i64(kFlagCF)); });
      return true;
    case Mnemonic::kCld:
      set_rest_flag(s, kFlagDF, false);
      return true;
    case Mnemonic::kStd:
      set_rest_flag(s, kFlagDF, true);
      return true;
    case Mnemonic::kClac:
    case Mnemonic::kStac:
      if (s.cpl != 0) {
        gen_exception(s, kExcUD);
      } else {
        set_rest_flag(s, kFlagAC, s.insn.mnemonic == Mnemonic::kStac);
      }
      return true;
    case Mnemonic::kXlat:
      xlat(s);
      return true;
    case Mnemonic::kBswap:
      bswap(s);
      return true;
    case Mnemonic::kMovbe:
      movbe(s);
      return true;
    case Mnemonic::kAdcx:
      add_with_one_flag(s, kFlagCF);
      return true;
    case Mnemonic::kAdox:
      add_with_one_flag(s, kFlagOF);
      return true;
    case Mnemonic::kNop:
    case Mnemonic::kPause:
    case Mnemonic::kPrefetch:
    case Mnemonic::kPrefetchnta:
    case Mnemonic::kPrefetcht0:
    case Mnemonic::kPrefetcht1:
    case Mnemonic::kPrefetcht2:
    case Mnemonic::kPrefetchw:
    case Mnemonic::kLfence:
    case Mnemonic::kMfence:
    case Mnemonic::kSfence:
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
