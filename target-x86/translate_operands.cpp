// Register and memory operands, effective addresses, the stack.
#include "target-x86/mmu.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

using tcg::kMo16;
using tcg::kMo32;
using tcg::kMo64;
using tcg::kMo8;
using tcg::MemOp;

namespace {

MemOp size_memop(unsigned size) {
  switch (size) {
    case 1:
      return kMo8;
    case 2:
      return kMo16;
    case 4:
      return kMo32;
    default:
      return kMo64;
  }
}

}  // namespace

Temp gen_op(DisasContext& s, BinaryOp op, Temp a, Temp c) {
  Temp t = s.b.new_i64();
  (s.b.*op)(t, a, c);
  return t;
}

Temp gen_zext(DisasContext& s, Temp value, unsigned size) {
  tcg::IrBuilder& b = s.b;
  Temp t = b.new_i64();
  switch (size) {
    case 1:
      b.ext8u_i64(t, value);
      break;
    case 2:
      b.ext16u_i64(t, value);
      break;
    case 4:
      b.ext32u_i64(t, value);
      break;
    default:
      b.mov_i64(t, value);
      break;
  }
  return t;
}

Temp gen_sext(DisasContext& s, Temp value, unsigned size) {
  tcg::IrBuilder& b = s.b;
  Temp t = b.new_i64();
  switch (size) {
    case 1:
      b.ext8s_i64(t, value);
      break;
    case 2:
      b.ext16s_i64(t, value);
      break;
    case 4:
      b.ext32s_i64(t, value);
      break;
    default:
      b.mov_i64(t, value);
      break;
  }
  return t;
}

Temp gen_load_gpr(DisasContext& s, unsigned reg, unsigned size, bool high_byte) {
  tcg::IrBuilder& b = s.b;
  Temp t = b.new_i64();
  std::size_t off = reg_offset(reg);
  switch (size) {
    case 1:
      b.ld8u_i64(t, off + (high_byte ? 1 : 0));
      break;
    case 2:
      b.ld16u_i64(t, off);
      break;
    case 4:
      b.ld32u_i64(t, off);
      break;
    default:
      b.ld_i64(t, off);
      break;
  }
  return t;
}

void gen_store_gpr(DisasContext& s, unsigned reg, unsigned size, Temp value, bool high_byte) {
  tcg::IrBuilder& b = s.b;
  std::size_t off = reg_offset(reg);
  switch (size) {
    case 1:
      b.st8_i64(value, off + (high_byte ? 1 : 0));
      break;
    case 2:
      b.st16_i64(value, off);
      break;
    case 4:
      b.st_i64(gen_zext(s, value, 4), off);
      break;  // 32-bit writes clear bits 63:32
    default:
      b.st_i64(value, off);
      break;
  }
}

Temp gen_effective_offset(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const MemOperand& m = s.insn.mem;
  Temp ea = b.new_i64();
  if (m.base == kRegRip) {
    b.movi_i64(ea, s.next_pc + static_cast<uint64_t>(m.disp));
  } else {
    b.movi_i64(ea, static_cast<uint64_t>(m.disp));
    if (m.base != kNoReg) b.add_i64(ea, ea, gen_load_gpr(s, m.base, 8));
    if (m.index != kNoReg) {
      Temp idx = gen_load_gpr(s, m.index, 8);
      if (m.scale > 1) {
        Temp scaled = b.new_i64();
        unsigned shift = m.scale == 2 ? 1 : m.scale == 4 ? 2 : 3;
        b.shl_i64(scaled, idx, b.const_i64(shift));
        idx = scaled;
      }
      b.add_i64(ea, ea, idx);
    }
  }
  if (m.address_bits < 64) b.and_i64(ea, ea, b.const_i64(width_mask(m.address_bits)));
  return ea;
}

Temp gen_linear(DisasContext& s, unsigned seg, Temp offset) {
  tcg::IrBuilder& b = s.b;
  if (s.mode64 && seg != kSegFS && seg != kSegGS) return offset;
  Temp lin = b.new_i64();
  Temp base = b.new_i64();
  b.ld_i64(base, seg_base_offset(seg));
  b.add_i64(lin, offset, base);
  if (!s.mode64) b.ext32u_i64(lin, lin);
  if (segment_checked(s, seg)) {
    s.checked[s.checked_next] = DisasContext::CheckedAddress{lin, offset, seg};
    s.checked_next = (s.checked_next + 1) % DisasContext::kCheckedAddresses;
  }
  return lin;
}

namespace {

// Checks an access through a linear address from gen_linear() when its
// segment needs checks.
void check_access(DisasContext& s, Temp linear, unsigned size, bool write) {
  if (!(s.hflags & kHfSegCheckMask)) return;
  for (const DisasContext::CheckedAddress& c : s.checked) {
    if (c.linear.valid() && c.linear == linear) {
      gen_check_segment(s, c.seg, c.offset, size, write);
      return;
    }
  }
}

}  // namespace

void gen_check_memory_operand(DisasContext& s, unsigned size, bool write) {
  check_access(s, gen_operand_address(s), size, write);
}

Temp gen_operand_address(DisasContext& s) {
  if (!s.ea_valid) {
    s.ea_cache = gen_linear(s, s.insn.mem.segment, gen_effective_offset(s));
    s.ea_valid = true;
  }
  return s.ea_cache;
}

Temp gen_load(DisasContext& s, Temp linear, unsigned size, bool sign) {
  Temp t = s.b.new_i64();
  MemOp mo = size_memop(size);
  if (sign) mo = mo | tcg::kMoSign;
  check_access(s, linear, size, false);
  s.b.qemu_ld_i64(t, linear, mo, uint64_t{s.mem_index});
  return t;
}

void gen_store(DisasContext& s, Temp linear, unsigned size, Temp value) {
  check_access(s, linear, size, true);
  s.b.qemu_st_i64(value, linear, size_memop(size), uint64_t{s.mem_index});
}

unsigned operand_size(const DisasContext& s, unsigned index) {
  return s.insn.operands[index].size;
}

Temp gen_read_operand(DisasContext& s, unsigned index) {
  const DecodedOperand& op = s.insn.operands[index];
  tcg::IrBuilder& b = s.b;
  switch (op.kind) {
    case OperandKind::kReg:
      if (op.reg_class == RegClass::kGpr) return gen_load_gpr(s, op.reg, op.size);
      if (op.reg_class == RegClass::kGpr8High) return gen_load_gpr(s, op.reg, 1, true);
      if (op.reg_class == RegClass::kSeg) {
        Temp t = b.new_i64();
        b.ld16u_i64(t, offsetof(CpuState, segs) + op.reg * sizeof(SegmentCache) +
                           offsetof(SegmentCache, selector));
        return t;
      }
      break;
    case OperandKind::kMem:
      return gen_load(s, gen_operand_address(s), op.size);
    case OperandKind::kImm: {
      // The second immediate operand (ENTER Iw,Ib) is imm2.
      bool second = false;
      for (unsigned i = 0; i < index; ++i) {
        if (s.insn.operands[i].kind == OperandKind::kImm) second = true;
      }
      uint64_t v = second ? s.insn.imm2 : s.insn.imm;
      // The decoder sign-extends immediates; an Ib/Iz of an instruction with
      // a wider operand (ADD r64,imm32, PUSH imm8, MOV r/m64,imm32) keeps
      // that extension up to the operand size. Port numbers stay unsigned.
      unsigned bytes = op.size;
      const Mnemonic m = s.insn.mnemonic;
      if (m != Mnemonic::kIn && m != Mnemonic::kOut) {
        const DecodedOperand& first = s.insn.operands[0];
        unsigned wide = first.kind == OperandKind::kImm ? s.insn.operand_bits / 8u : first.size;
        if (wide > bytes && wide <= 8) bytes = wide;
      }
      return b.const_i64(v & width_mask(bytes * 8));
    }
    case OperandKind::kConst1:
      return b.const_i64(1);
    default:
      break;
  }
  // Other register classes are handled by their own generators.
  return b.const_i64(0);
}

void gen_write_operand(DisasContext& s, unsigned index, Temp value) {
  const DecodedOperand& op = s.insn.operands[index];
  switch (op.kind) {
    case OperandKind::kReg:
      if (op.reg_class == RegClass::kGpr) return gen_store_gpr(s, op.reg, op.size, value);
      if (op.reg_class == RegClass::kGpr8High) return gen_store_gpr(s, op.reg, 1, value, true);
      break;
    case OperandKind::kMem:
      return gen_store(s, gen_operand_address(s), op.size, value);
    default:
      break;
  }
}

unsigned stack_size(const DisasContext& s) {
  if (s.mode64) return 8;
  return (s.hflags & kHfSs32) ? 4 : 2;
}

void gen_push(DisasContext& s, Temp value, unsigned size) {
  tcg::IrBuilder& b = s.b;
  unsigned ss = stack_size(s);
  Temp sp = gen_load_gpr(s, kRSP, ss);
  Temp new_sp = b.new_i64();
  b.sub_i64(new_sp, sp, b.const_i64(size));
  if (ss < 8) b.and_i64(new_sp, new_sp, b.const_i64(width_mask(ss * 8)));
  // Store first: a fault leaves rSP unchanged.
  gen_store(s, gen_linear(s, kSegSS, new_sp), size, value);
  gen_store_gpr(s, kRSP, ss, new_sp);
}

Temp gen_pop(DisasContext& s, unsigned size) {
  tcg::IrBuilder& b = s.b;
  unsigned ss = stack_size(s);
  Temp sp = gen_load_gpr(s, kRSP, ss);
  Temp value = gen_load(s, gen_linear(s, kSegSS, sp), size);
  Temp new_sp = b.new_i64();
  b.add_i64(new_sp, sp, b.const_i64(size));
  if (ss < 8) b.and_i64(new_sp, new_sp, b.const_i64(width_mask(ss * 8)));
  gen_store_gpr(s, kRSP, ss, new_sp);
  return value;
}

}  // namespace vx86::x86
