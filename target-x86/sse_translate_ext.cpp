// Generators for the three-byte maps 0F 38 and 0F 3A: SSSE3 (MMX and XMM
// forms), SSE4.1, SSE4.2 and CRC32. Lane inserts and extracts, PTEST and
// MOVNTDQA are direct IR; the rest calls helpers_sse_int_ext.cpp,
// helpers_sse_fp.cpp (ROUND*, DPP*), helpers_sse_string.cpp and
// helpers_crypto.cpp (AES-NI, PCLMULQDQ, SHA).
#include "target-x86/helpers_sse.h"
#include "target-x86/sse_translate.h"

namespace vx86::x86::sse {

namespace {

using M = Mnemonic;

bool is_ssse3(Mnemonic m) {
  switch (m) {
    case M::kPshufb:
    case M::kPhaddw:
    case M::kPhaddd:
    case M::kPhaddsw:
    case M::kPmaddubsw:
    case M::kPhsubw:
    case M::kPhsubd:
    case M::kPhsubsw:
    case M::kPsignb:
    case M::kPsignw:
    case M::kPsignd:
    case M::kPmulhrsw:
    case M::kPabsb:
    case M::kPabsw:
    case M::kPabsd:
    case M::kPalignr:
      return true;
    default:
      return false;
  }
}

// The SSE4.1/4.2 operations computed by helper_sse_int_ext.
bool is_sse41_int(Mnemonic m) {
  switch (m) {
    case M::kPblendvb:
    case M::kBlendvps:
    case M::kBlendvpd:
    case M::kBlendps:
    case M::kBlendpd:
    case M::kPblendw:
    case M::kPminsb:
    case M::kPminsd:
    case M::kPminuw:
    case M::kPminud:
    case M::kPmaxsb:
    case M::kPmaxsd:
    case M::kPmaxuw:
    case M::kPmaxud:
    case M::kPmovsxbw:
    case M::kPmovsxbd:
    case M::kPmovsxbq:
    case M::kPmovsxwd:
    case M::kPmovsxwq:
    case M::kPmovsxdq:
    case M::kPmovzxbw:
    case M::kPmovzxbd:
    case M::kPmovzxbq:
    case M::kPmovzxwd:
    case M::kPmovzxwq:
    case M::kPmovzxdq:
    case M::kPmuldq:
    case M::kPmulld:
    case M::kPcmpeqq:
    case M::kPcmpgtq:
    case M::kPackusdw:
    case M::kMpsadbw:
    case M::kPhminposuw:
    case M::kInsertps:
      return true;
    default:
      return false;
  }
}

void gen_int_ext(DisasContext& s, uint32_t dst, Vec src, uint32_t imm) {
  tcg::IrBuilder& b = s.b;
  b.call_helper(helper_info_sse_int_ext(), {b.const_i32(static_cast<uint32_t>(s.insn.mnemonic)),
                                            b.const_i32(dst), src.lo, src.hi, b.const_i32(imm)});
}

// The general register a byte-or-wider GPR operand names, ignoring the
// AH..BH encoding: PEXTRB/PINSRB use r32 there.
unsigned gpr_of(const DecodedOperand& op) {
  return op.reg_class == RegClass::kGpr8High ? op.reg + 4u : op.reg;
}

// PEXTRB/W/D/Q, EXTRACTPS: lane imm of xmm (operand 1) to r32/r64 or memory.
void gen_extract(DisasContext& s, unsigned lane_size) {
  tcg::IrBuilder& b = s.b;
  const unsigned lane = imm8(s) & (16 / lane_size - 1);
  const std::size_t off = xmm_offset(reg_of(s, 1)) + lane_size * lane;
  Temp v = b.new_i64();
  switch (lane_size) {
    case 1:
      b.ld8u_i64(v, off);
      break;
    case 2:
      b.ld16u_i64(v, off);
      break;
    case 4:
      b.ld32u_i64(v, off);
      break;
    default:
      b.ld_i64(v, off);
      break;
  }
  const DecodedOperand& dst = s.insn.operands[0];
  if (dst.kind == OperandKind::kReg) {
    gen_store_gpr(s, gpr_of(dst), lane_size == 8 ? 8 : 4, v);
  } else {
    gen_store(s, gen_operand_address(s), lane_size, v);
  }
}

// PINSRB/D/Q: the low lane_size bytes of r32/r64 or memory into lane imm.
void gen_insert(DisasContext& s, unsigned lane_size) {
  tcg::IrBuilder& b = s.b;
  const DecodedOperand& src = s.insn.operands[1];
  Temp v = src.kind == OperandKind::kReg ? gen_load_gpr(s, gpr_of(src), lane_size == 8 ? 8 : 4)
                                         : gen_load(s, gen_operand_address(s), lane_size);
  const unsigned lane = imm8(s) & (16 / lane_size - 1);
  const std::size_t off = xmm_offset(reg_of(s, 0)) + lane_size * lane;
  switch (lane_size) {
    case 1:
      b.st8_i64(v, off);
      break;
    case 4:
      b.st32_i64(v, off);
      break;
    default:
      b.st_i64(v, off);
      break;
  }
}

// PTEST: ZF = (dst AND src) == 0, CF = (src AND NOT dst) == 0, others clear.
void gen_ptest(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Vec src = gen_read_vec(s, 1);
  Vec dst = gen_load_xmm(s, reg_of(s, 0));
  Temp and_lo = b.new_i64(), and_hi = b.new_i64(), both = b.new_i64();
  b.and_i64(and_lo, dst.lo, src.lo);
  b.and_i64(and_hi, dst.hi, src.hi);
  b.or_i64(both, and_lo, and_hi);
  Temp andn_lo = b.new_i64(), andn_hi = b.new_i64(), rest = b.new_i64();
  b.andc_i64(andn_lo, src.lo, dst.lo);
  b.andc_i64(andn_hi, src.hi, dst.hi);
  b.or_i64(rest, andn_lo, andn_hi);
  Temp zf = b.new_i64(), cf = b.new_i64(), zf_bit = b.new_i64(), flags = b.new_i64();
  b.setcond_i64(zf, both, b.const_i64(0), tcg::Cond::kEq);
  b.setcond_i64(cf, rest, b.const_i64(0), tcg::Cond::kEq);
  b.shl_i64(zf_bit, zf, b.const_i64(6));  // kFlagZF
  b.or_i64(flags, zf_bit, cf);            // kFlagCF
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

void gen_pcmpstr(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Vec src = gen_read_vec(s, 1);
  const uint32_t imm = imm8(s) | ((s.insn.rex & kRexW) ? 0x100u : 0u);
  Temp flags32 = b.new_i32(), flags = b.new_i64();
  b.call_helper(helper_info_sse_pcmpstr(), flags32,
                {b.const_i32(static_cast<uint32_t>(s.insn.mnemonic)), b.const_i32(reg_of(s, 0)),
                 src.lo, src.hi, b.const_i32(imm)});
  b.extu_i32_i64(flags, flags32);
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

// CRC32 r32/r64, r/m8/16/32/64: the accumulator is the low 32 bits of the
// destination; the result is zero-extended.
void gen_crc32(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Temp acc = gen_load_gpr(s, reg_of(s, 0), 4);
  Temp value = gen_read_operand(s, 1);
  Temp r = b.new_i64();
  b.call_helper(helper_info_crc32(), r, {acc, value, b.const_i32(operand_size(s, 1))});
  gen_store_gpr(s, reg_of(s, 0), operand_size(s, 0), r);
}

bool translate_sse4_lanes(DisasContext& s) {
  switch (s.insn.mnemonic) {
    case M::kPextrb:
      gen_extract(s, 1);
      return true;
    case M::kPextrw:
      gen_extract(s, 2);
      return true;
    case M::kPextrd:
      gen_extract(s, (s.insn.rex & kRexW) ? 8 : 4);
      return true;
    case M::kExtractps:
      gen_extract(s, 4);
      return true;
    case M::kPinsrb:
      gen_insert(s, 1);
      return true;
    case M::kPinsrd:
      gen_insert(s, (s.insn.rex & kRexW) ? 8 : 4);
      return true;
    default:
      return false;
  }
}

}  // namespace

bool translate_sse_ext(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  if (m == M::kCrc32) {
    gen_crc32(s);
    return true;
  }
  if (is_ssse3(m) && is_mmx_form(s.insn)) {
    gen_mmx_enter(s);
    Temp src = gen_read_mmx_src(s, 1);
    gen_int_ext(s, reg_of(s, 0) | kSseExtMmx, Vec{src, b.const_i64(0)}, imm8(s));
    return true;
  }
  if (is_ssse3(m) || is_sse41_int(m)) {
    gen_check_unit(s, kFpUnitSse);
    Vec src = gen_read_vec(s, 1);
    const bool memory_insertps = m == M::kInsertps && !is_reg(s, 1);
    gen_int_ext(s, reg_of(s, 0), src, imm8(s) | (memory_insertps ? 0x100u : 0u));
    return true;
  }
  switch (m) {
    case M::kRoundps:
    case M::kRoundpd:
    case M::kRoundss:
    case M::kRoundsd:
    case M::kDpps:
    case M::kDppd: {
      gen_check_unit(s, kFpUnitSse);
      Vec src = gen_read_vec(s, 1);
      b.call_helper(helper_info_sse_fp(),
                    {b.const_i32(static_cast<uint32_t>(m)), b.const_i32(reg_of(s, 0)), src.lo,
                     src.hi, b.const_i32(imm8(s))});
      return true;
    }
    case M::kPtest:
      gen_check_unit(s, kFpUnitSse);
      gen_ptest(s);
      return true;
    case M::kPcmpestri:
    case M::kPcmpestrm:
    case M::kPcmpistri:
    case M::kPcmpistrm:
      gen_check_unit(s, kFpUnitSse);
      gen_pcmpstr(s);
      return true;
    case M::kMovntdqa:
      gen_check_unit(s, kFpUnitSse);
      gen_store_xmm(s, reg_of(s, 0), gen_read_vec(s, 1));
      return true;
    default:
      break;
  }
  if (is_crypto_instruction(m)) {
    gen_check_unit(s, kFpUnitSse);
    Vec src = gen_read_vec(s, 1);
    b.call_helper(helper_info_crypto(),
                  {b.const_i32(static_cast<uint32_t>(m)), b.const_i32(reg_of(s, 0)), src.lo, src.hi,
                   b.const_i32(imm8(s))});
    return true;
  }
  if (m == M::kPextrb || m == M::kPextrw || m == M::kPextrd || m == M::kExtractps ||
      m == M::kPinsrb || m == M::kPinsrd) {
    gen_check_unit(s, kFpUnitSse);
    return translate_sse4_lanes(s);
  }
  return false;
}

}  // namespace vx86::x86::sse
