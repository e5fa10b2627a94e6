// x87 generators. The control instructions (FNINIT, FNCLEX, FLDCW, FNSTCW,
// FNSTSW, FNSTENV/FLDENV, FNSAVE/FRSTOR, FWAIT) are short IR or small helpers;
// every other x87 instruction is one call of helper_x87 with an X87Op word
// that names the operation, the memory format, ST(i) and the pops
// (x87_ops.h). CR0.EM/TS are tested inline (#NM) since they are not part of
// the translation-block key.
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helpers_fpu.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/translate.h"
#include "target-x86/x87_env.h"
#include "target-x86/x87_ops.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;

// #NM when CR0.EM or CR0.TS is set (checked at run time).
void gen_check_x87(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Temp cr0 = b.new_i64(), bad = b.new_i64();
  b.ld_i64(cr0, offsetof(CpuState, cr0));
  b.and_i64(bad, cr0, b.const_i64(kCr0EM | kCr0TS));
  tcg::Label ok = b.new_label();
  b.brcond_i64(bad, b.const_i64(0), tcg::Cond::kEq, ok);
  b.call_helper(helper_info_fp_unavailable(), {b.const_i32(kFpUnitX87)});
  b.set_label(ok);
}

X87MemFormat float_format(unsigned size) {
  return size == 4 ? kX87MemF32 : size == 8 ? kX87MemF64 : kX87MemF80;
}

X87MemFormat int_format(unsigned size) {
  return size == 2 ? kX87MemI16 : size == 4 ? kX87MemI32 : kX87MemI64;
}

// ST(i) of the register forms and whether it is the destination ("STi,ST0").
unsigned sti_of(const DecodedInsn& insn, bool* dest_sti) {
  *dest_sti = false;
  for (unsigned i = 0; i < insn.num_operands; ++i) {
    const DecodedOperand& op = insn.operands[i];
    if (op.kind == OperandKind::kReg && op.reg_class == RegClass::kSt &&
        op.spec.method == OpMethod::kSti) {
      *dest_sti = i == 0 && insn.num_operands == 2;
      return op.reg & 7;
    }
  }
  return 0;
}

bool has_mem_operand(const DecodedInsn& insn) {
  return insn.num_operands > 0 && insn.operands[0].kind == OperandKind::kMem;
}

// The X87Op word of an instruction, or false if it is not one helper_x87 runs.
bool x87_op_word(DisasContext& s, uint32_t* word) {
  const DecodedInsn& insn = s.insn;
  const bool mem = has_mem_operand(insn);
  const unsigned size = mem ? insn.operands[0].size : 0;
  bool dest_sti;
  const unsigned sti = sti_of(insn, &dest_sti);
  const uint32_t dest = dest_sti ? kX87DestSti : 0;
  auto arith = [&](X87Operation op, uint32_t flags) {
    return x87_op(op, mem ? float_format(size) : kX87MemNone, flags | dest, sti);
  };
  auto iarith = [&](X87Operation op, uint32_t flags) {
    return x87_op(op, int_format(size), flags, 0);
  };
  switch (insn.mnemonic) {
    case M::kFadd:
      *word = arith(kX87Add, 0);
      return true;
    case M::kFmul:
      *word = arith(kX87Mul, 0);
      return true;
    case M::kFsub:
      *word = arith(kX87Sub, 0);
      return true;
    case M::kFsubr:
      *word = arith(kX87Subr, 0);
      return true;
    case M::kFdiv:
      *word = arith(kX87Div, 0);
      return true;
    case M::kFdivr:
      *word = arith(kX87Divr, 0);
      return true;
    case M::kFaddp:
      *word = arith(kX87Add, kX87Pop);
      return true;
    case M::kFmulp:
      *word = arith(kX87Mul, kX87Pop);
      return true;
    case M::kFsubp:
      *word = arith(kX87Sub, kX87Pop);
      return true;
    case M::kFsubrp:
      *word = arith(kX87Subr, kX87Pop);
      return true;
    case M::kFdivp:
      *word = arith(kX87Div, kX87Pop);
      return true;
    case M::kFdivrp:
      *word = arith(kX87Divr, kX87Pop);
      return true;
    case M::kFcom:
      *word = arith(kX87Com, 0);
      return true;
    case M::kFcomp:
      *word = arith(kX87Com, kX87Pop);
      return true;
    case M::kFcompp:
      *word = x87_op(kX87Com, kX87MemNone, kX87PopTwice, 1);
      return true;
    case M::kFucom:
      *word = arith(kX87Ucom, 0);
      return true;
    case M::kFucomp:
      *word = arith(kX87Ucom, kX87Pop);
      return true;
    case M::kFucompp:
      *word = x87_op(kX87Ucom, kX87MemNone, kX87PopTwice, 1);
      return true;
    case M::kFcomi:
      *word = arith(kX87Comi, 0);
      return true;
    case M::kFcomip:
      *word = arith(kX87Comi, kX87Pop);
      return true;
    case M::kFucomi:
      *word = arith(kX87Ucomi, 0);
      return true;
    case M::kFucomip:
      *word = arith(kX87Ucomi, kX87Pop);
      return true;
    case M::kFiadd:
      *word = iarith(kX87Add, 0);
      return true;
    case M::kFimul:
      *word = iarith(kX87Mul, 0);
      return true;
    case M::kFisub:
      *word = iarith(kX87Sub, 0);
      return true;
    case M::kFisubr:
      *word = iarith(kX87Subr, 0);
      return true;
    case M::kFidiv:
      *word = iarith(kX87Div, 0);
      return true;
    case M::kFidivr:
      *word = iarith(kX87Divr, 0);
      return true;
    case M::kFicom:
      *word = iarith(kX87Com, 0);
      return true;
    case M::kFicomp:
      *word = iarith(kX87Com, kX87Pop);
      return true;
    case M::kFld:
      *word = arith(kX87Ld, 0);
      return true;
    case M::kFst:
      *word = arith(kX87St, 0);
      return true;
    case M::kFstp:
      *word = arith(kX87St, kX87Pop);
      return true;
    case M::kFild:
      *word = iarith(kX87Ld, 0);
      return true;
    case M::kFist:
      *word = iarith(kX87Ist, 0);
      return true;
    case M::kFistp:
      *word = iarith(kX87Ist, kX87Pop);
      return true;
    case M::kFisttp:
      *word = iarith(kX87Isttp, kX87Pop);
      return true;
    case M::kFbld:
      *word = x87_op(kX87Ld, kX87MemBcd);
      return true;
    case M::kFbstp:
      *word = x87_op(kX87St, kX87MemBcd, kX87Pop);
      return true;
    case M::kFld1:
      *word = x87_op(kX87Const, kX87MemNone, 0, 0);
      return true;
    case M::kFldl2t:
      *word = x87_op(kX87Const, kX87MemNone, 0, 1);
      return true;
    case M::kFldl2e:
      *word = x87_op(kX87Const, kX87MemNone, 0, 2);
      return true;
    case M::kFldpi:
      *word = x87_op(kX87Const, kX87MemNone, 0, 3);
      return true;
    case M::kFldlg2:
      *word = x87_op(kX87Const, kX87MemNone, 0, 4);
      return true;
    case M::kFldln2:
      *word = x87_op(kX87Const, kX87MemNone, 0, 5);
      return true;
    case M::kFldz:
      *word = x87_op(kX87Const, kX87MemNone, 0, 6);
      return true;
    case M::kFxch:
      *word = x87_op(kX87Xch, kX87MemNone, 0, sti);
      return true;
    case M::kFchs:
      *word = x87_op(kX87Chs);
      return true;
    case M::kFabs:
      *word = x87_op(kX87Abs);
      return true;
    case M::kFtst:
      *word = x87_op(kX87Tst);
      return true;
    case M::kFxam:
      *word = x87_op(kX87Xam);
      return true;
    case M::kFsqrt:
      *word = x87_op(kX87Sqrt);
      return true;
    case M::kFrndint:
      *word = x87_op(kX87Rndint);
      return true;
    case M::kFscale:
      *word = x87_op(kX87Scale);
      return true;
    case M::kFxtract:
      *word = x87_op(kX87Xtract);
      return true;
    case M::kFprem:
      *word = x87_op(kX87Prem);
      return true;
    case M::kFprem1:
      *word = x87_op(kX87Prem1);
      return true;
    case M::kFincstp:
      *word = x87_op(kX87Incstp);
      return true;
    case M::kFdecstp:
      *word = x87_op(kX87Decstp);
      return true;
    case M::kFfree:
      *word = x87_op(kX87Free, kX87MemNone, 0, sti);
      return true;
    case M::kFfreep:
      *word = x87_op(kX87Free, kX87MemNone, kX87Pop, sti);
      return true;
    case M::kFnop:
      *word = x87_op(kX87Nop);
      return true;
    case M::kFsin:
      *word = x87_op(kX87Sin);
      return true;
    case M::kFcos:
      *word = x87_op(kX87Cos);
      return true;
    case M::kFsincos:
      *word = x87_op(kX87Sincos);
      return true;
    case M::kFptan:
      *word = x87_op(kX87Ptan);
      return true;
    case M::kFpatan:
      *word = x87_op(kX87Patan);
      return true;
    case M::kF2xm1:
      *word = x87_op(kX87F2xm1);
      return true;
    case M::kFyl2x:
      *word = x87_op(kX87Yl2x);
      return true;
    case M::kFyl2xp1:
      *word = x87_op(kX87Yl2xp1);
      return true;
    default:
      return false;
  }
}

// FCMOVcc: the Jcc condition code it tests.
int fcmov_condition(Mnemonic m) {
  switch (m) {
    case M::kFcmovb:
      return 2;
    case M::kFcmovnb:
      return 3;
    case M::kFcmove:
      return 4;
    case M::kFcmovne:
      return 5;
    case M::kFcmovbe:
      return 6;
    case M::kFcmovnbe:
      return 7;
    case M::kFcmovu:
      return 10;
    case M::kFcmovnu:
      return 11;
    default:
      return -1;
  }
}

// FNSTENV/FLDENV/FNSAVE/FRSTOR image layout for this mode and operand size.
uint32_t env_format(const DisasContext& s) {
  uint32_t format = s.insn.operand_bits == 16 ? kX87Env16 : 0;
  if (!(s.hflags & kHfPe) || s.vm86) format |= kX87EnvReal;
  return format;
}

void gen_x87_call(DisasContext& s, uint32_t word) {
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& insn = s.insn;
  const bool mem = has_mem_operand(insn);
  uint32_t info = (((insn.opcode & 7u) << 8) | insn.modrm) & 0x7ff;
  info |= s.mem_index << kX87InfoMemIndexShift;
  Temp linear = b.const_i64(0), offset = b.const_i64(0);
  if (mem) {
    offset = gen_effective_offset(s);
    linear = gen_linear(s, insn.mem.segment, offset);
    info |= kX87InfoHasMem | (uint32_t{insn.mem.segment} << kX87InfoSegShift);
  }
  b.call_helper(helper_info_x87(),
                {b.const_i32(word), linear, offset, b.const_i64(s.pc), b.const_i32(info)});
}

}  // namespace

bool translate_fpu(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  uint32_t word;
  if (x87_op_word(s, &word)) {
    gen_check_x87(s);
    const Mnemonic m = s.insn.mnemonic;
    if (m == M::kFcomi || m == M::kFcomip || m == M::kFucomi || m == M::kFucomip) {
      gen_x87_call(s, word);
      s.cc_op = kCcOpDynamic;  // the helper wrote EFLAGS
    } else {
      gen_x87_call(s, word);
    }
    return true;
  }
  const int cc = fcmov_condition(s.insn.mnemonic);
  if (cc >= 0) {
    gen_check_x87(s);
    bool dest_sti;
    const unsigned sti = sti_of(s.insn, &dest_sti);
    // The condition selects between two op words (condition true / false).
    Temp cond = gen_condition(s, static_cast<unsigned>(cc));
    Temp word_temp = b.new_i64();
    b.shl_i64(word_temp, cond, b.const_i64(15));  // kX87CondTrue
    b.or_i64(word_temp, word_temp, b.const_i64(x87_op(kX87Cmov, kX87MemNone, 0, sti)));
    Temp word32 = b.new_i32();
    b.extrl_i64_i32(word32, word_temp);
    const uint32_t info = (((s.insn.opcode & 7u) << 8) | s.insn.modrm) & 0x7ff;
    b.call_helper(helper_info_x87(),
                  {word32, b.const_i64(0), b.const_i64(0), b.const_i64(s.pc), b.const_i32(info)});
    return true;
  }
  switch (s.insn.mnemonic) {
    case M::kFwait:
      b.call_helper(helper_info_fwait(), {});
      return true;
    case M::kFninit:
      gen_check_x87(s);
      b.call_helper(helper_info_fninit(), {});
      return true;
    case M::kFnclex: {
      gen_check_x87(s);
      Temp sw = b.new_i64();
      b.ld16u_i64(sw, offsetof(CpuState, fpu_sw));
      b.and_i64(sw, sw, b.const_i64(~uint64_t{0x80ff} & 0xffff));
      b.st16_i64(sw, offsetof(CpuState, fpu_sw));
      return true;
    }
    case M::kFldcw: {
      gen_check_x87(s);
      Temp cw = gen_load(s, gen_operand_address(s), 2);
      Temp cw32 = b.new_i32();
      b.extrl_i64_i32(cw32, cw);
      b.call_helper(helper_info_fldcw(), {cw32});
      return true;
    }
    case M::kFnstenv:
    case M::kFldenv:
    case M::kFnsave:
    case M::kFrstor: {
      gen_check_x87(s);
      Temp addr = gen_operand_address(s);
      const uint32_t flags = env_format(s) | (s.mem_index << 8);
      const M m = s.insn.mnemonic;
      const tcg::HelperInfo& helper = m == M::kFnstenv  ? helper_info_fnstenv()
                                      : m == M::kFldenv ? helper_info_fldenv()
                                      : m == M::kFnsave ? helper_info_fnsave()
                                                        : helper_info_frstor();
      b.call_helper(helper, {addr, b.const_i32(flags)});
      return true;
    }
    case M::kFnstcw: {
      gen_check_x87(s);
      Temp cw = b.new_i64();
      b.ld16u_i64(cw, offsetof(CpuState, fpu_cw));
      gen_store(s, gen_operand_address(s), 2, cw);
      return true;
    }
    case M::kFnstsw: {
      gen_check_x87(s);
      Temp sw = b.new_i64(), top = b.new_i64();
      b.ld16u_i64(sw, offsetof(CpuState, fpu_sw));
      b.and_i64(sw, sw, b.const_i64(~uint64_t{kFswTopMask} & 0xffff));
      b.ld32u_i64(top, offsetof(CpuState, fpu_top));
      b.and_i64(top, top, b.const_i64(7));
      b.shl_i64(top, top, b.const_i64(11));
      b.or_i64(sw, sw, top);
      if (s.insn.operands[0].kind == OperandKind::kMem) {
        gen_store(s, gen_operand_address(s), 2, sw);
      } else {
        gen_store_gpr(s, kRAX, 2, sw);
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace vx86::x86
