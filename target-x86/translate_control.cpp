// Control transfer: JMP, Jcc, CALL, RET, LOOP family, JrCXZ, far JMP/CALL/RET,
// INT n/INT3/INTO/IRET, ENTER/LEAVE, HLT.
#include "target-x86/exceptions.h"
#include "target-x86/helpers_system.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

using tcg::Cond;

unsigned ip_bits(const DisasContext& s) {
  if (s.mode64) return s.insn.operand_bits == 16 ? 16 : 64;
  return s.insn.operand_bits;
}

uint64_t rel_target(const DisasContext& s) {
  return (s.next_pc + s.insn.imm) & width_mask(ip_bits(s));
}

void jump_if(DisasContext& s, Temp cond, uint64_t target) {
  tcg::IrBuilder& b = s.b;
  tcg::Label taken = b.new_label();
  b.brcond_i64(cond, b.const_i64(0), Cond::kNe, taken);
  gen_jump_const(s, s.next_pc);
  b.set_label(taken);
  gen_jump_const(s, target);
}

void jmp(DisasContext& s) {
  const DecodedOperand& op = s.insn.operands[0];
  if (op.kind == OperandKind::kRel) return gen_jump_const(s, rel_target(s));
  Temp target = gen_zext(s, gen_read_operand(s, 0), ip_bits(s) / 8);
  gen_jump(s, target);
}

void call(DisasContext& s) {
  const DecodedOperand& op = s.insn.operands[0];
  unsigned size = ip_bits(s) / 8;
  if (op.kind == OperandKind::kRel) {
    uint64_t target = rel_target(s);
    gen_push(s, s.b.const_i64(s.next_pc), size);
    return gen_jump_const(s, target);
  }
  Temp target = gen_zext(s, gen_read_operand(s, 0), size);  // read before the push
  gen_push(s, s.b.const_i64(s.next_pc), size);
  gen_jump(s, target);
}

void ret(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  unsigned size = ip_bits(s) / 8;
  Temp target = gen_pop(s, size);
  if (s.insn.num_operands > 0 && s.insn.operands[0].kind == OperandKind::kImm) {
    unsigned ss = stack_size(s);
    Temp sp = gen_load_gpr(s, kRSP, ss);
    Temp new_sp = b.new_i64();
    b.add_i64(new_sp, sp, b.const_i64(s.insn.imm & 0xffff));
    gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
  }
  gen_jump(s, target);
}

void loop(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  unsigned abytes = s.insn.address_bits / 8;
  Temp count = gen_load_gpr(s, kRCX, abytes);
  Temp cond = b.new_i64();
  if (m == Mnemonic::kJrcxz) {
    b.setcond_i64(cond, count, b.const_i64(0), Cond::kEq);
    return jump_if(s, cond, rel_target(s));
  }
  Temp dec = b.new_i64();
  b.sub_i64(dec, count, b.const_i64(1));
  dec = gen_zext(s, dec, abytes);
  gen_store_gpr(s, kRCX, abytes, dec);
  b.setcond_i64(cond, dec, b.const_i64(0), Cond::kNe);
  if (m != Mnemonic::kLoop) {
    Temp zf = gen_condition(s, m == Mnemonic::kLoope ? 4 : 5);  // E / NE
    Temp both = b.new_i64();
    b.and_i64(both, cond, zf);
    cond = both;
  }
  jump_if(s, cond, rel_target(s));
}

void far_transfer(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  const DecodedOperand& op = s.insn.operands[0];
  Temp selector, offset;
  unsigned osize = s.insn.operand_bits / 8;
  if (op.kind == OperandKind::kFarPtr) {
    selector = b.const_i64(s.insn.imm2 & 0xffff);
    offset = b.const_i64(s.insn.imm);
  } else {
    // m16:16/32/64 in memory: offset first, then the selector.
    Temp addr = gen_operand_address(s);
    gen_check_memory_operand(s, osize + 2, false);
    offset = gen_load(s, addr, osize);
    Temp sel_addr = b.new_i64();
    b.add_i64(sel_addr, addr, b.const_i64(osize));
    if (!s.mode64) b.ext32u_i64(sel_addr, sel_addr);
    selector = gen_load(s, sel_addr, 2);
  }
  Temp sel32 = b.new_i32();
  b.extrl_i64_i32(sel32, selector);
  const tcg::HelperInfo& h = m == Mnemonic::kJmpf ? helper_info_far_jump() : helper_info_far_call();
  b.call_helper(h, {sel32, offset, b.const_i32(osize), b.const_i64(s.next_pc)});
  s.cc_op = kCcOpDynamic;
  b.lookup_and_goto_ptr();
  s.block_ended = true;
}

void far_return(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  unsigned osize = s.insn.operand_bits / 8;
  uint64_t imm = (m == Mnemonic::kRetf && s.insn.num_operands > 0) ? (s.insn.imm & 0xffff) : 0;
  if (m == Mnemonic::kIret) {
    b.call_helper(helper_info_iret(), {b.const_i32(osize), b.const_i64(s.next_pc)});
  } else {
    b.call_helper(helper_info_far_return(), {b.const_i32(osize), b.const_i32(imm)});
  }
  s.cc_op = kCcOpDynamic;
  b.lookup_and_goto_ptr();
  s.block_ended = true;
}

void software_interrupt(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  uint32_t vector = m == Mnemonic::kInt3   ? 3
                    : m == Mnemonic::kInto ? 4
                    : m == Mnemonic::kInt1 ? 1
                                           : static_cast<uint32_t>(s.insn.imm & 0xff);
  if (m == Mnemonic::kInto) {
    if (s.mode64) return gen_exception(s, kExcUD);
    Temp of = gen_condition(s, 0);
    tcg::Label skip = b.new_label();
    b.brcond_i64(of, b.const_i64(0), Cond::kEq, skip);
    b.call_helper(helper_info_software_interrupt(),
                  {b.const_i32(vector), b.const_i32(1), b.const_i64(s.next_pc)});
    b.lookup_and_goto_ptr();
    b.set_label(skip);
    return gen_jump_const(s, s.next_pc);
  }
  // kind: 0 = INT n, 1 = INT3/INTO (no IOPL check in vm86), 2 = INT1 (ICEBP)
  uint32_t kind = m == Mnemonic::kInt ? 0 : m == Mnemonic::kInt1 ? 2 : 1;
  b.call_helper(helper_info_software_interrupt(),
                {b.const_i32(vector), b.const_i32(kind), b.const_i64(s.next_pc)});
  s.cc_op = kCcOpDynamic;
  b.lookup_and_goto_ptr();
  s.block_ended = true;
}

void enter(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  unsigned size = s.insn.operand_bits / 8;
  if (s.mode64 && size == 4) size = 8;
  uint64_t frame = s.insn.imm & 0xffff;
  unsigned level = static_cast<unsigned>(s.insn.imm2 & 31);
  unsigned ss = stack_size(s);
  Temp bp = gen_load_gpr(s, kRBP, size);
  gen_push(s, bp, size);
  Temp frame_ptr = gen_load_gpr(s, kRSP, ss);
  if (level > 0) {
    // Copy level-1 frame pointers from the old frame, then push the new one.
    for (unsigned i = 1; i < level; ++i) {
      Temp src = b.new_i64();
      b.sub_i64(src, gen_load_gpr(s, kRBP, ss), b.const_i64(i * size));
      src = gen_zext(s, src, ss);
      gen_push(s, gen_load(s, gen_linear(s, kSegSS, src), size), size);
    }
    gen_push(s, frame_ptr, size);
  }
  gen_store_gpr(s, kRBP, size, frame_ptr);
  Temp sp = gen_load_gpr(s, kRSP, ss);
  Temp new_sp = b.new_i64();
  b.sub_i64(new_sp, sp, b.const_i64(frame));
  gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
}

void leave(DisasContext& s) {
  unsigned size = s.insn.operand_bits / 8;
  if (s.mode64 && size == 4) size = 8;
  unsigned ss = stack_size(s);
  Temp bp = gen_load_gpr(s, kRBP, ss);
  Temp value = gen_load(s, gen_linear(s, kSegSS, bp), size);
  Temp new_sp = s.b.new_i64();
  s.b.add_i64(new_sp, bp, s.b.const_i64(size));
  gen_store_gpr(s, kRSP, ss, gen_zext(s, new_sp, ss));
  gen_store_gpr(s, kRBP, size, value);
}

// BOUND r, m: #BR (a fault) unless lower <= r <= upper, signed.
void bound(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  unsigned size = s.insn.operand_bits / 8;
  Temp index = gen_sext(s, gen_load_gpr(s, s.insn.operands[0].reg, size), size);
  Temp addr = gen_operand_address(s);
  Temp lower = gen_sext(s, gen_load(s, addr, size), size);
  Temp upper_addr = b.new_i64();
  b.add_i64(upper_addr, addr, b.const_i64(size));
  if (!s.mode64) b.ext32u_i64(upper_addr, upper_addr);
  Temp upper = gen_sext(s, gen_load(s, upper_addr, size), size);
  tcg::Label out_of_range = b.new_label();
  tcg::Label done = b.new_label();
  b.brcond_i64(index, lower, Cond::kLt, out_of_range);
  b.brcond_i64(index, upper, Cond::kGt, out_of_range);
  b.br(done);
  b.set_label(out_of_range);
  gen_exception(s, kExcBR);
  s.block_ended = false;  // only the out-of-range path ends here
  b.set_label(done);
}

}  // namespace

bool translate_control(DisasContext& s) {
  Mnemonic m = s.insn.mnemonic;
  if (m >= Mnemonic::kJo && m <= Mnemonic::kJg) {
    unsigned cc = static_cast<unsigned>(m) - static_cast<unsigned>(Mnemonic::kJo);
    jump_if(s, gen_condition(s, cc), rel_target(s));
    return true;
  }
  switch (m) {
    case Mnemonic::kJmp:
      jmp(s);
      return true;
    case Mnemonic::kCall:
      call(s);
      return true;
    case Mnemonic::kRet:
      ret(s);
      return true;
    case Mnemonic::kLoop:
    case Mnemonic::kLoope:
    case Mnemonic::kLoopne:
    case Mnemonic::kJrcxz:
      loop(s, m);
      return true;
    case Mnemonic::kJmpf:
    case Mnemonic::kCallf:
      far_transfer(s, m);
      return true;
    case Mnemonic::kRetf:
    case Mnemonic::kIret:
      far_return(s, m);
      return true;
    case Mnemonic::kInt:
    case Mnemonic::kInt3:
    case Mnemonic::kInto:
    case Mnemonic::kInt1:
      software_interrupt(s, m);
      return true;
    case Mnemonic::kEnter:
      enter(s);
      return true;
    case Mnemonic::kLeave:
      leave(s);
      return true;
    case Mnemonic::kBound:
      bound(s);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
