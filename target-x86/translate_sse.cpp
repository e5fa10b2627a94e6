// SSE/SSE2/SSE3 and MMX generators for the 0F map. Moves and bitwise logic
// are direct IR on the XMM fields of CpuState; arithmetic, shuffles and
// floating point call the helpers of helpers_sse*.cpp with the destination
// register number and the second source as two i64 halves. The 0F 38 / 0F 3A
// maps (SSSE3, SSE4) are in sse_translate_ext.cpp, the XSAVE family in
// xsave_translate.cpp.
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helpers.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/mmu.h"
#include "target-x86/sse_translate.h"

namespace vx86::x86::sse {

using M = Mnemonic;
using tcg::Cond;
using tcg::Label;

// Checked at run time: CR0.EM/TS and CR4.OSFXSR are not part of the
// translation-block key.
void gen_check_unit(DisasContext& s, uint32_t kind) {
  if (s.in_vex) return;  // translate_avx made the VEX check
  tcg::IrBuilder& b = s.b;
  Temp cr0 = b.new_i64(), bad = b.new_i64();
  b.ld_i64(cr0, offsetof(CpuState, cr0));
  b.and_i64(bad, cr0, b.const_i64(kCr0EM | kCr0TS));
  if (kind == kFpUnitSse) {
    Temp cr4 = b.new_i64(), missing = b.new_i64();
    b.ld_i64(cr4, offsetof(CpuState, cr4));
    b.and_i64(missing, cr4, b.const_i64(kCr4Osfxsr));
    b.xor_i64(missing, missing, b.const_i64(kCr4Osfxsr));
    b.or_i64(bad, bad, missing);
  }
  Label ok = b.new_label();
  b.brcond_i64(bad, b.const_i64(0), Cond::kEq, ok);
  b.call_helper(helper_info_fp_unavailable(), {b.const_i32(kind)});
  b.set_label(ok);
}

void gen_check_alignment(DisasContext& s, Temp addr, unsigned alignment) {
  if (s.in_vex) return;  // VEX memory operands may be unaligned (the aligned moves check)
  tcg::IrBuilder& b = s.b;
  Temp low = b.new_i64();
  b.and_i64(low, addr, b.const_i64(alignment - 1));
  Label ok = b.new_label();
  b.brcond_i64(low, b.const_i64(0), Cond::kEq, ok);
  b.call_helper(helper_info_raise_exception(), {b.const_i32(kExcGP), b.const_i32(0)});
  b.set_label(ok);
}

namespace {

bool unaligned_ok(Mnemonic m) {
  return m == M::kMovups || m == M::kMovupd || m == M::kMovdqu || m == M::kLddqu;
}

// Memory bytes read for an XMM-or-memory operand: the decoded size, except
// the conversions whose table row says 16 but which read 64 bits.
unsigned vec_read_size(const DisasContext& s, unsigned index) {
  switch (s.insn.mnemonic) {
    case M::kCvtps2pd:
    case M::kCvtdq2pd:
    case M::kCvtps2pi:
    case M::kCvttps2pi:
      return 8;
    default:
      return s.insn.operands[index].size;
  }
}

}  // namespace

Vec gen_load_xmm(DisasContext& s, unsigned reg) {
  Vec v{s.b.new_i64(), s.b.new_i64()};
  s.b.ld_i64(v.lo, xmm_offset(reg, 0));
  s.b.ld_i64(v.hi, xmm_offset(reg, 1));
  return v;
}

void gen_store_xmm(DisasContext& s, unsigned reg, Vec v) {
  s.b.st_i64(v.lo, xmm_offset(reg, 0));
  s.b.st_i64(v.hi, xmm_offset(reg, 1));
}

Vec gen_load16(DisasContext& s, Temp addr) {
  tcg::IrBuilder& b = s.b;
  Temp t = b.new_v128();
  b.qemu_ld_v128(t, addr, tcg::kMo128, uint64_t{s.mem_index});
  Vec v{b.new_i64(), b.new_i64()};
  b.extract_v128_i64(v.lo, t, uint64_t{0});
  b.extract_v128_i64(v.hi, t, uint64_t{1});
  return v;
}

void gen_store16(DisasContext& s, Temp addr, Vec v) {
  tcg::IrBuilder& b = s.b;
  Temp t = b.new_v128();
  b.concat_i64_v128(t, v.lo, v.hi);
  b.qemu_st_v128(t, addr, tcg::kMo128, uint64_t{s.mem_index});
}

Vec gen_read_vec(DisasContext& s, unsigned index) {
  const DecodedOperand& op = s.insn.operands[index];
  if (op.kind == OperandKind::kReg) return gen_load_xmm(s, op.reg);
  Temp addr = gen_operand_address(s);
  const unsigned size = vec_read_size(s, index);
  if (size == 16) {
    if (!unaligned_ok(s.insn.mnemonic)) gen_check_alignment(s, addr, 16);
    return gen_load16(s, addr);
  }
  return Vec{gen_load(s, addr, size), s.b.const_i64(0)};
}

void gen_write_vec(DisasContext& s, unsigned index, Vec v, bool aligned) {
  const DecodedOperand& op = s.insn.operands[index];
  if (op.kind == OperandKind::kReg) return gen_store_xmm(s, op.reg, v);
  Temp addr = gen_operand_address(s);
  if (aligned) gen_check_alignment(s, addr, 16);
  gen_store16(s, addr, v);
}

bool is_mmx_form(const DecodedInsn& insn) {
  for (unsigned i = 0; i < insn.num_operands; ++i) {
    OpMethod m = insn.operands[i].spec.method;
    if (m == OpMethod::kP || m == OpMethod::kQ || m == OpMethod::kN) return true;
  }
  return false;
}

namespace {

void gen_int_helper(DisasContext& s, Vec src, uint32_t imm) {
  tcg::IrBuilder& b = s.b;
  b.call_helper(helper_info_sse_int(),
                {b.const_i32(static_cast<uint32_t>(s.insn.mnemonic)), b.const_i32(reg_of(s, 0)),
                 src.lo, src.hi, b.const_i32(imm)});
}

void gen_fp_helper(DisasContext& s, Vec src, uint32_t imm) {
  tcg::IrBuilder& b = s.b;
  if (s.in_vex) imm |= kSseFpVexImm;
  b.call_helper(helper_info_sse_fp(),
                {b.const_i32(static_cast<uint32_t>(s.insn.mnemonic)), b.const_i32(reg_of(s, 0)),
                 src.lo, src.hi, b.const_i32(imm)});
}

// dst = op(dst, src) on both halves with one i64 op.
template <typename Op>
void gen_logic(DisasContext& s, Op op) {
  Vec src = gen_read_vec(s, 1);
  Vec dst = gen_load_xmm(s, reg_of(s, 0));
  Vec r{s.b.new_i64(), s.b.new_i64()};
  op(r.lo, dst.lo, src.lo);
  op(r.hi, dst.hi, src.hi);
  gen_store_xmm(s, reg_of(s, 0), r);
}

// MOVSS/MOVSD (0F 10/11), `size` 4 or 8.
void gen_movs_scalar(DisasContext& s, unsigned size) {
  tcg::IrBuilder& b = s.b;
  if (!is_reg(s, 0)) {  // store the low element
    Vec src = gen_load_xmm(s, reg_of(s, 1));
    gen_store(s, gen_operand_address(s), size, src.lo);
    return;
  }
  if (!is_reg(s, 1)) {  // load: zero the rest
    gen_store_xmm(s, reg_of(s, 0), gen_read_vec(s, 1));
    return;
  }
  Temp src = b.new_i64();
  b.ld_i64(src, xmm_offset(reg_of(s, 1)));
  if (size == 8) {
    b.st_i64(src, xmm_offset(reg_of(s, 0)));
  } else {
    Temp src32 = b.new_i32();
    b.extrl_i64_i32(src32, src);
    b.st_i32(src32, xmm_offset(reg_of(s, 0)));
  }
}

bool gen_movd_movq(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const DecodedOperand& dst = s.insn.operands[0];
  const DecodedOperand& src = s.insn.operands[1];
  const bool dst_xmm = dst.kind == OperandKind::kReg && dst.reg_class == RegClass::kXmm;
  const bool src_xmm = src.kind == OperandKind::kReg && src.reg_class == RegClass::kXmm;
  if (dst.spec.method == OpMethod::kV && src.spec.method == OpMethod::kE) {
    // MOVD/MOVQ xmm, r/m32/64.
    Temp v = gen_read_operand(s, 1);
    gen_store_xmm(s, dst.reg, Vec{v, b.const_i64(0)});
    return true;
  }
  if (dst.spec.method == OpMethod::kE && src.spec.method == OpMethod::kV) {
    // MOVD/MOVQ r/m32/64, xmm.
    Temp v = b.new_i64();
    if (dst.size == 8) {
      b.ld_i64(v, xmm_offset(src.reg));
    } else {
      b.ld32u_i64(v, xmm_offset(src.reg));
    }
    gen_write_operand(s, 0, v);
    return true;
  }
  if (dst_xmm) {  // F3 0F 7E, 66 0F D6 (register form): low quadword, zero the high
    Vec v = gen_read_vec(s, 1);
    gen_store_xmm(s, dst.reg, Vec{v.lo, b.const_i64(0)});
    return true;
  }
  if (src_xmm && dst.kind == OperandKind::kMem) {  // 66 0F D6 store
    Temp v = b.new_i64();
    b.ld_i64(v, xmm_offset(src.reg));
    gen_store(s, gen_operand_address(s), 8, v);
    return true;
  }
  return false;
}

// MOVLPS/MOVLPD/MOVHPS/MOVHPD/MOVHLPS/MOVLHPS.
void gen_move_half(DisasContext& s, unsigned dst_half, unsigned src_half) {
  tcg::IrBuilder& b = s.b;
  if (!is_reg(s, 0)) {  // store a half to memory
    Temp v = b.new_i64();
    b.ld_i64(v, xmm_offset(reg_of(s, 1), src_half));
    gen_store(s, gen_operand_address(s), 8, v);
    return;
  }
  Temp v;
  if (is_reg(s, 1)) {
    v = b.new_i64();
    b.ld_i64(v, xmm_offset(reg_of(s, 1), src_half));
  } else {
    v = gen_load(s, gen_operand_address(s), 8);
  }
  b.st_i64(v, xmm_offset(reg_of(s, 0), dst_half));
}

bool translate_sse_fp_family(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  switch (m) {
    case M::kAddps:
    case M::kAddpd:
    case M::kAddss:
    case M::kAddsd:
    case M::kSubps:
    case M::kSubpd:
    case M::kSubss:
    case M::kSubsd:
    case M::kMulps:
    case M::kMulpd:
    case M::kMulss:
    case M::kMulsd:
    case M::kDivps:
    case M::kDivpd:
    case M::kDivss:
    case M::kDivsd:
    case M::kMinps:
    case M::kMinpd:
    case M::kMinss:
    case M::kMinsd:
    case M::kMaxps:
    case M::kMaxpd:
    case M::kMaxss:
    case M::kMaxsd:
    case M::kSqrtps:
    case M::kSqrtpd:
    case M::kSqrtss:
    case M::kSqrtsd:
    case M::kRcpps:
    case M::kRcpss:
    case M::kRsqrtps:
    case M::kRsqrtss:
    case M::kCvtps2pd:
    case M::kCvtpd2ps:
    case M::kCvtss2sd:
    case M::kCvtsd2ss:
    case M::kCvtdq2ps:
    case M::kCvtps2dq:
    case M::kCvttps2dq:
    case M::kCvtdq2pd:
    case M::kCvtpd2dq:
    case M::kCvttpd2dq:
    case M::kCmpps:
    case M::kCmppd:
    case M::kCmpss:
    case M::kCmpsd:
    case M::kAddsubps:
    case M::kAddsubpd:
    case M::kHaddps:
    case M::kHaddpd:
    case M::kHsubps:
    case M::kHsubpd: {
      gen_check_unit(s, kFpUnitSse);
      Vec src = gen_read_vec(s, 1);
      gen_fp_helper(s, src, imm8(s));
      return true;
    }
    case M::kCvtsi2ss:
    case M::kCvtsi2sd: {
      gen_check_unit(s, kFpUnitSse);
      Temp v = gen_read_operand(s, 1);
      uint32_t op = static_cast<uint32_t>(m) | (operand_size(s, 1) == 8 ? 0x10000u : 0);
      b.call_helper(helper_info_sse_cvt_from_int(),
                    {b.const_i32(op), b.const_i32(reg_of(s, 0)), v});
      return true;
    }
    case M::kCvtss2si:
    case M::kCvttss2si:
    case M::kCvtsd2si:
    case M::kCvttsd2si: {
      gen_check_unit(s, kFpUnitSse);
      Vec src = gen_read_vec(s, 1);
      const unsigned size = operand_size(s, 0);
      uint32_t op = static_cast<uint32_t>(m) | (size == 8 ? 0x10000u : 0);
      Temp r = b.new_i64();
      b.call_helper(helper_info_sse_cvt_to_int(), r, {b.const_i32(op), src.lo});
      gen_store_gpr(s, reg_of(s, 0), size, r);
      return true;
    }
    case M::kComiss:
    case M::kUcomiss:
    case M::kComisd:
    case M::kUcomisd: {
      gen_check_unit(s, kFpUnitSse);
      Vec src = gen_read_vec(s, 1);
      Temp flags32 = b.new_i32();
      b.call_helper(helper_info_sse_comis(), flags32,
                    {b.const_i32(static_cast<uint32_t>(m)), b.const_i32(reg_of(s, 0)), src.lo});
      Temp flags = b.new_i64();
      b.extu_i32_i64(flags, flags32);
      gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
      return true;
    }
    default:
      return false;
  }
}

// MASKMOVQ / MASKMOVDQU: byte-masked store of operand 0 to DS:rDI.
void gen_maskmov(DisasContext& s, Vec data, Vec mask, unsigned count) {
  tcg::IrBuilder& b = s.b;
  const unsigned seg =
      (s.insn.prefixes & kPrefixSegment) ? s.insn.segment_prefix : static_cast<unsigned>(kSegDS);
  Temp offset = gen_load_gpr(s, kRDI, s.insn.address_bits / 8);
  Temp linear = gen_linear(s, seg, offset);
  b.call_helper(helper_info_maskmov(), {linear, data.lo, data.hi, mask.lo, mask.hi,
                                        b.const_i32(count | (s.mem_index << 8))});
}

// Lane-wise integer operations with both an MMX (0F xx) and an XMM (66 0F xx)
// form, all computed by sse_int_op().
bool is_packed_int_op(Mnemonic m) {
  switch (m) {
    case M::kPaddb:
    case M::kPaddw:
    case M::kPaddd:
    case M::kPaddq:
    case M::kPsubb:
    case M::kPsubw:
    case M::kPsubd:
    case M::kPsubq:
    case M::kPaddsb:
    case M::kPaddsw:
    case M::kPaddusb:
    case M::kPaddusw:
    case M::kPsubsb:
    case M::kPsubsw:
    case M::kPsubusb:
    case M::kPsubusw:
    case M::kPcmpeqb:
    case M::kPcmpeqw:
    case M::kPcmpeqd:
    case M::kPcmpgtb:
    case M::kPcmpgtw:
    case M::kPcmpgtd:
    case M::kPminub:
    case M::kPmaxub:
    case M::kPminsw:
    case M::kPmaxsw:
    case M::kPavgb:
    case M::kPavgw:
    case M::kPmullw:
    case M::kPmulhw:
    case M::kPmulhuw:
    case M::kPmuludq:
    case M::kPmaddwd:
    case M::kPsadbw:
    case M::kPunpcklbw:
    case M::kPunpcklwd:
    case M::kPunpckldq:
    case M::kPunpckhbw:
    case M::kPunpckhwd:
    case M::kPunpckhdq:
    case M::kPacksswb:
    case M::kPackssdw:
    case M::kPackuswb:
      return true;
    default:
      return false;
  }
}

// Shifts by a register/memory count or an immediate, in both forms.
bool is_packed_shift(Mnemonic m) {
  switch (m) {
    case M::kPsllw:
    case M::kPslld:
    case M::kPsllq:
    case M::kPsrlw:
    case M::kPsrld:
    case M::kPsrlq:
    case M::kPsraw:
    case M::kPsrad:
      return true;
    default:
      return false;
  }
}

// Shuffles and unpacks that exist only on XMM registers.
bool is_xmm_shuffle(Mnemonic m) {
  switch (m) {
    case M::kPunpcklqdq:
    case M::kPunpckhqdq:
    case M::kUnpcklps:
    case M::kUnpckhps:
    case M::kUnpcklpd:
    case M::kUnpckhpd:
    case M::kPshufd:
    case M::kPshuflw:
    case M::kPshufhw:
    case M::kShufps:
    case M::kShufpd:
      return true;
    default:
      return false;
  }
}

bool translate_sse_int_family(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  if (is_packed_int_op(m) || is_xmm_shuffle(m)) {
    gen_check_unit(s, kFpUnitSse);
    Vec src = gen_read_vec(s, 1);
    gen_int_helper(s, src, imm8(s));
    return true;
  }
  if (is_packed_shift(m) || m == M::kPslldq || m == M::kPsrldq) {
    gen_check_unit(s, kFpUnitSse);
    Vec count = s.insn.operands[1].kind == OperandKind::kImm
                    ? Vec{b.const_i64(imm8(s)), b.const_i64(0)}
                    : gen_read_vec(s, 1);
    gen_int_helper(s, count, imm8(s));
    return true;
  }
  switch (m) {
    case M::kPxor:
    case M::kXorps:
    case M::kXorpd:
      gen_check_unit(s, kFpUnitSse);
      gen_logic(s, [&](Temp d, Temp x, Temp y) { b.xor_i64(d, x, y); });
      return true;
    case M::kPor:
    case M::kOrps:
    case M::kOrpd:
      gen_check_unit(s, kFpUnitSse);
      gen_logic(s, [&](Temp d, Temp x, Temp y) { b.or_i64(d, x, y); });
      return true;
    case M::kPand:
    case M::kAndps:
    case M::kAndpd:
      gen_check_unit(s, kFpUnitSse);
      gen_logic(s, [&](Temp d, Temp x, Temp y) { b.and_i64(d, x, y); });
      return true;
    case M::kPandn:
    case M::kAndnps:
    case M::kAndnpd:
      gen_check_unit(s, kFpUnitSse);
      gen_logic(s, [&](Temp d, Temp x, Temp y) { b.andc_i64(d, y, x); });
      return true;
    case M::kMaskmovq: {  // 66 0F F7: MASKMOVDQU
      gen_check_unit(s, kFpUnitSse);
      gen_maskmov(s, gen_load_xmm(s, reg_of(s, 0)), gen_load_xmm(s, reg_of(s, 1)), 16);
      return true;
    }
    case M::kPinsrw: {
      gen_check_unit(s, kFpUnitSse);
      Temp v = gen_read_operand(s, 1);
      b.st16_i64(v, xmm_offset(reg_of(s, 0)) + 2 * (s.insn.imm & 7));
      return true;
    }
    case M::kPextrw: {
      gen_check_unit(s, kFpUnitSse);
      Temp v = b.new_i64();
      b.ld16u_i64(v, xmm_offset(reg_of(s, 1)) + 2 * (s.insn.imm & 7));
      gen_store_gpr(s, reg_of(s, 0), operand_size(s, 0), v);
      return true;
    }
    case M::kMovmskps:
    case M::kMovmskpd:
    case M::kPmovmskb: {
      gen_check_unit(s, kFpUnitSse);
      Temp mask32 = b.new_i32(), mask = b.new_i64();
      b.call_helper(
          helper_info_sse_movmsk(), mask32,
          {b.const_i32(static_cast<uint32_t>(s.insn.mnemonic)), b.const_i32(reg_of(s, 1))});
      b.extu_i32_i64(mask, mask32);
      gen_store_gpr(s, reg_of(s, 0), operand_size(s, 0), mask);
      return true;
    }
    default:
      return false;
  }
}

// MOVSLDUP / MOVSHDUP / MOVDDUP: the even or odd dwords, or the low
// quadword, each written twice.
Vec gen_duplicate(DisasContext& s, Mnemonic m, Vec src) {
  tcg::IrBuilder& b = s.b;
  if (m == M::kMovddup) return Vec{src.lo, src.lo};
  Vec r{b.new_i64(), b.new_i64()};
  for (int half = 0; half < 2; ++half) {
    Temp in = half ? src.hi : src.lo, out = half ? r.hi : r.lo;
    Temp dword = b.new_i64(), shifted = b.new_i64();
    if (m == M::kMovsldup) {
      b.ext32u_i64(dword, in);
      b.shl_i64(shifted, dword, b.const_i64(32));
    } else {
      b.shr_i64(dword, in, b.const_i64(32));
      b.shl_i64(shifted, dword, b.const_i64(32));
    }
    b.or_i64(out, dword, shifted);
  }
  return r;
}

bool translate_sse_moves(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  switch (m) {
    case M::kMovaps:
    case M::kMovapd:
    case M::kMovdqa:
    case M::kMovups:
    case M::kMovupd:
    case M::kMovdqu:
    case M::kLddqu: {
      gen_check_unit(s, kFpUnitSse);
      Vec v = gen_read_vec(s, 1);
      gen_write_vec(s, 0, v, !unaligned_ok(m));
      return true;
    }
    case M::kMovsldup:
    case M::kMovshdup:
    case M::kMovddup: {
      gen_check_unit(s, kFpUnitSse);
      gen_store_xmm(s, reg_of(s, 0), gen_duplicate(s, m, gen_read_vec(s, 1)));
      return true;
    }
    case M::kMovntps:
    case M::kMovntpd:
    case M::kMovntq: {  // 66 0F E7 is MOVNTDQ
      gen_check_unit(s, kFpUnitSse);
      Vec v = gen_load_xmm(s, reg_of(s, 1));
      gen_write_vec(s, 0, v, true);
      return true;
    }
    case M::kMovss:
      gen_check_unit(s, kFpUnitSse);
      gen_movs_scalar(s, 4);
      return true;
    case M::kMovsd:
      gen_check_unit(s, kFpUnitSse);
      gen_movs_scalar(s, 8);
      return true;
    case M::kMovd:
    case M::kMovq:
      gen_check_unit(s, kFpUnitSse);
      return gen_movd_movq(s);
    case M::kMovlps:
    case M::kMovlpd:
      gen_check_unit(s, kFpUnitSse);
      gen_move_half(s, 0, 0);
      return true;
    case M::kMovhps:
    case M::kMovhpd:
      gen_check_unit(s, kFpUnitSse);
      if (is_reg(s, 0)) {
        gen_move_half(s, 1, 0);
      } else {
        gen_move_half(s, 0, 1);
      }
      return true;
    case M::kMovhlps:
      gen_check_unit(s, kFpUnitSse);
      gen_move_half(s, 0, 1);
      return true;
    case M::kMovlhps:
      gen_check_unit(s, kFpUnitSse);
      gen_move_half(s, 1, 0);
      return true;
    case M::kMovnti: {
      Temp v = gen_read_operand(s, 1);
      gen_write_operand(s, 0, v);
      return true;
    }
    case M::kLdmxcsr: {
      gen_check_unit(s, kFpUnitSse);
      Temp v = gen_load(s, gen_operand_address(s), 4);
      Temp v32 = b.new_i32();
      b.extrl_i64_i32(v32, v);
      b.call_helper(helper_info_ldmxcsr(), {v32});
      return true;
    }
    case M::kStmxcsr: {
      gen_check_unit(s, kFpUnitSse);
      Temp v = b.new_i64();
      b.ld32u_i64(v, offsetof(CpuState, mxcsr));
      gen_store(s, gen_operand_address(s), 4, v);
      return true;
    }
    case M::kFxsave:
    case M::kFxrstor: {
      gen_check_unit(s, kFpUnitX87);
      Temp addr = gen_operand_address(s);
      uint32_t flags = ((s.insn.rex & kRexW) ? 1u : 0u) | (s.mode64 ? 2u : 0u) | (s.mem_index << 8);
      b.call_helper(m == M::kFxsave ? helper_info_fxsave() : helper_info_fxrstor(),
                    {addr, b.const_i32(flags)});
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// MMX

namespace {
bool is_mmx_reg(const DecodedOperand& op) {
  return op.kind == OperandKind::kReg && op.reg_class == RegClass::kMmx;
}
}  // namespace

// Every MMX register access makes the x87-to-MMX transition.
void gen_mmx_enter(DisasContext& s) {
  gen_check_unit(s, kFpUnitMmx);
  bool touches_mmx = false;
  for (unsigned i = 0; i < s.insn.num_operands; ++i) touches_mmx |= is_mmx_reg(s.insn.operands[i]);
  if (!touches_mmx) return;
  s.b.st_i32(s.b.const_i32(0), offsetof(CpuState, fpu_top));
  s.b.st16_i32(s.b.const_i32(0), offsetof(CpuState, fpu_tw));
}

void gen_store_mmx(DisasContext& s, unsigned reg, Temp value) {
  s.b.st_i64(value, mmx_offset(reg));
  s.b.st16_i32(s.b.const_i32(0xffff), mmx_exponent_offset(reg));
}

Temp gen_read_mmx_src(DisasContext& s, unsigned index) {
  const DecodedOperand& op = s.insn.operands[index];
  if (op.kind == OperandKind::kReg) {
    Temp t = s.b.new_i64();
    s.b.ld_i64(t, op.reg_class == RegClass::kMmx ? mmx_offset(op.reg) : xmm_offset(op.reg));
    return t;
  }
  return gen_load(s, gen_operand_address(s), op.size);
}

namespace {

bool translate_mmx(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  const DecodedOperand& op0 = s.insn.operands[0];
  const uint32_t imm = static_cast<uint32_t>(s.insn.imm & 0xff);
  if (is_packed_int_op(m) || is_packed_shift(m) || m == M::kPshufw) {
    gen_mmx_enter(s);
    Temp src =
        s.insn.operands[1].kind == OperandKind::kImm ? b.const_i64(imm) : gen_read_mmx_src(s, 1);
    b.call_helper(helper_info_mmx_int(), {b.const_i32(static_cast<uint32_t>(m)),
                                          b.const_i32(op0.reg), src, b.const_i32(imm)});
    return true;
  }
  switch (m) {
    case M::kPand:
    case M::kPandn:
    case M::kPor:
    case M::kPxor: {
      gen_mmx_enter(s);
      Temp src = gen_read_mmx_src(s, 1);
      Temp dst = b.new_i64(), r = b.new_i64();
      b.ld_i64(dst, mmx_offset(op0.reg));
      if (m == M::kPand) b.and_i64(r, dst, src);
      if (m == M::kPandn) b.andc_i64(r, src, dst);
      if (m == M::kPor) b.or_i64(r, dst, src);
      if (m == M::kPxor) b.xor_i64(r, dst, src);
      gen_store_mmx(s, op0.reg, r);
      return true;
    }
    case M::kMovd:
    case M::kMovq: {
      gen_mmx_enter(s);
      const DecodedOperand& op1 = s.insn.operands[1];
      if (is_mmx_reg(op0)) {  // MOVD/MOVQ mm, r/m; MOVQ mm, mm/m64
        Temp v = op1.spec.method == OpMethod::kE ? gen_read_operand(s, 1) : gen_read_mmx_src(s, 1);
        gen_store_mmx(s, op0.reg, v);
        return true;
      }
      Temp v = b.new_i64();  // MOVD/MOVQ r/m, mm; MOVQ mm/m64, mm
      b.ld_i64(v, mmx_offset(op1.reg));
      if (op0.kind == OperandKind::kReg && op0.reg_class == RegClass::kMmx) {
        gen_store_mmx(s, op0.reg, v);
      } else if (op0.spec.method == OpMethod::kE) {
        gen_write_operand(s, 0, op0.size == 8 ? v : gen_zext(s, v, 4));
      } else {
        gen_store(s, gen_operand_address(s), 8, v);
      }
      return true;
    }
    case M::kMovntq: {
      gen_mmx_enter(s);
      Temp v = b.new_i64();
      b.ld_i64(v, mmx_offset(s.insn.operands[1].reg));
      gen_store(s, gen_operand_address(s), 8, v);
      return true;
    }
    case M::kMaskmovq: {
      gen_mmx_enter(s);
      Temp data = gen_read_mmx_src(s, 0), mask = gen_read_mmx_src(s, 1);
      gen_maskmov(s, Vec{data, b.const_i64(0)}, Vec{mask, b.const_i64(0)}, 8);
      return true;
    }
    case M::kMovq2dq: {  // xmm = zero-extended mm
      gen_check_unit(s, kFpUnitSse);
      gen_mmx_enter(s);
      gen_store_xmm(s, op0.reg, Vec{gen_read_mmx_src(s, 1), b.const_i64(0)});
      return true;
    }
    case M::kMovdq2q: {  // mm = low quadword of xmm
      gen_check_unit(s, kFpUnitSse);
      gen_mmx_enter(s);
      gen_store_mmx(s, op0.reg, gen_read_mmx_src(s, 1));
      return true;
    }
    case M::kPinsrw: {
      gen_mmx_enter(s);
      Temp v = gen_read_operand(s, 1);
      b.st16_i64(v, mmx_offset(op0.reg) + 2 * (imm & 3));
      b.st16_i32(b.const_i32(0xffff), mmx_exponent_offset(op0.reg));
      return true;
    }
    case M::kPextrw: {
      gen_mmx_enter(s);
      Temp v = b.new_i64();
      b.ld16u_i64(v, mmx_offset(s.insn.operands[1].reg) + 2 * (imm & 3));
      gen_store_gpr(s, op0.reg, operand_size(s, 0), v);
      return true;
    }
    case M::kPmovmskb: {
      gen_mmx_enter(s);
      Temp mask32 = b.new_i32(), mask = b.new_i64();
      b.call_helper(
          helper_info_sse_movmsk(), mask32,
          {b.const_i32(static_cast<uint32_t>(m)), b.const_i32(0x100 | s.insn.operands[1].reg)});
      b.extu_i32_i64(mask, mask32);
      gen_store_gpr(s, op0.reg, operand_size(s, 0), mask);
      return true;
    }
    case M::kCvtps2pi:
    case M::kCvttps2pi:
    case M::kCvtpd2pi:
    case M::kCvttpd2pi: {
      gen_check_unit(s, kFpUnitSse);
      gen_mmx_enter(s);
      Vec src = gen_read_vec(s, 1);
      b.call_helper(helper_info_sse_cvt_to_mmx(),
                    {b.const_i32(static_cast<uint32_t>(m)), b.const_i32(op0.reg), src.lo, src.hi});
      return true;
    }
    case M::kCvtpi2ps:
    case M::kCvtpi2pd: {
      // The two int32 of mm/m64 through CVTDQ2PS/PD on {src, 0}; CVTPI2PS
      // keeps the destination's high quadword.
      gen_check_unit(s, kFpUnitSse);
      gen_mmx_enter(s);
      Temp src = gen_read_mmx_src(s, 1);
      Temp high = b.new_i64();
      b.ld_i64(high, xmm_offset(op0.reg, 1));
      const Mnemonic op = m == M::kCvtpi2ps ? M::kCvtdq2ps : M::kCvtdq2pd;
      b.call_helper(helper_info_sse_fp(),
                    {b.const_i32(static_cast<uint32_t>(op)), b.const_i32(op0.reg), src,
                     b.const_i64(0), b.const_i32(0)});
      if (m == M::kCvtpi2ps) b.st_i64(high, xmm_offset(op0.reg, 1));
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

}  // namespace vx86::x86::sse

namespace vx86::x86 {

bool translate_sse(DisasContext& s) {
  using namespace sse;
  if (s.insn.prefixes & kPrefixLock) return false;  // LOCK on SSE/MMX is #UD
  if (s.insn.map == OpcodeMapId::k0F38 || s.insn.map == OpcodeMapId::k0F3A) {
    return translate_sse_ext(s);
  }
  if (s.insn.map != OpcodeMapId::k0F) return false;  // MOVSD/CMPSD strings
  if (s.insn.mnemonic == M::kEmms) {
    gen_check_unit(s, kFpUnitMmx);
    s.b.st16_i32(s.b.const_i32(0xffff), offsetof(CpuState, fpu_tw));
    return true;
  }
  if (is_mmx_form(s.insn)) return translate_mmx(s);
  return translate_sse_moves(s) || translate_sse_int_family(s) || translate_sse_fp_family(s) ||
         translate_xsave(s);
}

}  // namespace vx86::x86
