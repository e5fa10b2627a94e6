// VEX-encoded SSE and AVX instructions. Most VEX instructions are an SSE
// operation with a separate first source (vvvv) and a width of 128 or 256
// bits: those run through the SSE generators one 128-bit lane at a time on
// work registers (XMM16-19 in xmm_reg's numbering: the first source copied
// in, the operation made in place, the result copied out), so that every
// source is read before the destination is written and a fault or #XM in
// the second lane leaves the destination as it was. Bits 255:128 of the
// destination are zeroed by a 128-bit VEX instruction. The operations that
// cross lanes or have no SSE counterpart (broadcasts, 128-bit inserts,
// extracts and permutes, VZEROUPPER/VZEROALL, VTESTPS/PD, VMASKMOVPS/PD, the
// blends with a mask register) are made here.
#include "target-x86/cpuid.h"
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helpers.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/sse_translate.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/xsave.h"

namespace vx86::x86 {
namespace sse {
namespace {

using M = Mnemonic;
using tcg::Cond;
using tcg::Label;

constexpr unsigned kResult[2] = {16, 17};  // each lane's result
constexpr unsigned kSource[2] = {18, 19};  // each lane of a memory (or widened) source

constexpr uint32_t kCpuid1EcxAvx = 1u << 28, kCpuid1EcxAes = 1u << 25, kCpuid1EcxPclmul = 1u << 1,
                   kCpuid1EcxFma = 1u << 12, kCpuid1EcxF16c = 1u << 29, kCpuid7EbxAvx2 = 1u << 5;

unsigned lane_reg(unsigned reg, unsigned lane) {
  return lane ? kYmmHighRegs + reg : reg;
}

unsigned lane_count(const DisasContext& s) {
  return s.insn.vex_l ? 2 : 1;
}

// #UD unless CR4.OSXSAVE and XCR0's SSE and AVX bits are set, then #NM on
// CR0.TS (neither is part of the block key).
void gen_check_avx(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Temp cr4 = b.new_i64(), xcr0 = b.new_i64(), cr0 = b.new_i64();
  b.ld_i64(cr4, offsetof(CpuState, cr4));
  b.ld_i64(xcr0, offsetof(CpuState, xcr0));
  b.ld_i64(cr0, offsetof(CpuState, cr0));
  Temp no_osxsave = b.new_i64(), no_ymm = b.new_i64(), ts = b.new_i64(), bad = b.new_i64();
  b.and_i64(no_osxsave, cr4, b.const_i64(kCr4Osxsave));
  b.xor_i64(no_osxsave, no_osxsave, b.const_i64(kCr4Osxsave));
  b.and_i64(no_ymm, xcr0, b.const_i64(kXcr0Sse | kXcr0Avx));
  b.xor_i64(no_ymm, no_ymm, b.const_i64(kXcr0Sse | kXcr0Avx));
  b.and_i64(ts, cr0, b.const_i64(kCr0TS));
  b.or_i64(bad, no_osxsave, no_ymm);
  b.or_i64(bad, bad, ts);
  Label ok = b.new_label();
  b.brcond_i64(bad, b.const_i64(0), Cond::kEq, ok);
  b.call_helper(helper_info_fp_unavailable(), {b.const_i32(kFpUnitAvx)});
  b.set_label(ok);
}

// The CPUID features an instruction needs beyond AVX, for the CPU model.
bool model_has_features(const DisasContext& s) {
  const CpuFeatures& f = s.cpu.model.features;
  const OpcodeEntry& row = s.insn.row;
  if (!(f.leaf1_ecx & kCpuid1EcxAvx)) return false;
  const bool avx2 = row.has(attr::kAvx2) || (row.has(attr::kAvx2L1) && s.insn.vex_l);
  if (avx2 && !(f.leaf7_ebx & kCpuid7EbxAvx2)) return false;
  if (row.has(attr::kVexAes) && !(f.leaf1_ecx & kCpuid1EcxAes)) return false;
  if (row.has(attr::kVexPclmul) && !(f.leaf1_ecx & kCpuid1EcxPclmul)) return false;
  if (row.has(attr::kFma) && !(f.leaf1_ecx & kCpuid1EcxFma)) return false;
  if (row.has(attr::kF16c) && !(f.leaf1_ecx & kCpuid1EcxF16c)) return false;
  return true;
}

Vec gen_load_reg(DisasContext& s, unsigned reg) {
  return gen_load_xmm(s, reg);
}

void gen_copy_reg(DisasContext& s, unsigned from, unsigned to) {
  gen_store_xmm(s, to, gen_load_xmm(s, from));
}

void gen_zero_reg(DisasContext& s, unsigned reg) {
  gen_store_xmm(s, reg, Vec{s.b.const_i64(0), s.b.const_i64(0)});
}

// The lanes' results to the destination register; one lane zeroes bits 255:128.
void gen_commit_results(DisasContext& s, unsigned dst, unsigned lanes) {
  gen_copy_reg(s, kResult[0], dst);
  if (lanes == 2) {
    gen_copy_reg(s, kResult[1], lane_reg(dst, 1));
  } else {
    gen_zero_reg(s, lane_reg(dst, 1));
  }
}

// The linear address `offset` bytes past the memory operand's.
Temp gen_address_at(DisasContext& s, unsigned offset) {
  Temp addr = gen_operand_address(s);
  if (offset == 0) return addr;
  tcg::IrBuilder& b = s.b;
  Temp a = b.new_i64();
  b.add_i64(a, addr, b.const_i64(offset));
  if (!s.mode64) b.and_i64(a, a, b.const_i64(0xffffffff));
  return a;
}

// #GP(0) unless the memory operand is aligned to `bytes` (the aligned moves).
void gen_require_aligned(DisasContext& s, unsigned bytes) {
  tcg::IrBuilder& b = s.b;
  Temp low = b.new_i64();
  b.and_i64(low, gen_operand_address(s), b.const_i64(bytes - 1));
  Label ok = b.new_label();
  b.brcond_i64(low, b.const_i64(0), Cond::kEq, ok);
  b.call_helper(helper_info_raise_exception(), {b.const_i32(kExcGP), b.const_i32(0)});
  b.set_label(ok);
}

// The lanes of a vector operand (register, or memory read before anything
// is written).
void gen_read_lanes(DisasContext& s, const DecodedOperand& op, unsigned lanes, Vec* out) {
  for (unsigned k = 0; k < lanes; ++k) {
    out[k] = op.kind == OperandKind::kReg ? gen_load_reg(s, lane_reg(op.reg, k))
                                          : gen_load16(s, gen_address_at(s, 16 * k));
  }
}

// Writes the lanes to a register (bits 255:128 zeroed for one lane) or to
// memory. A 32-byte store that crosses a page touches the first page before
// it stores anything, so a fault on either page leaves memory unchanged.
void gen_write_lanes(DisasContext& s, const DecodedOperand& op, unsigned lanes, const Vec* v) {
  if (op.kind == OperandKind::kReg) {
    gen_store_xmm(s, op.reg, v[0]);
    if (lanes == 2) {
      gen_store_xmm(s, lane_reg(op.reg, 1), v[1]);
    } else {
      gen_zero_reg(s, lane_reg(op.reg, 1));
    }
    return;
  }
  if (lanes == 1) {
    gen_store16(s, gen_operand_address(s), v[0]);
    return;
  }
  tcg::IrBuilder& b = s.b;
  Temp addr = gen_operand_address(s);
  Temp page_offset = b.new_i64();
  b.and_i64(page_offset, addr, b.const_i64(0xfff));
  Label within_page = b.new_label();
  b.brcond_i64(page_offset, b.const_i64(0x1000 - 32), Cond::kLeu, within_page);
  Temp first = gen_load(s, addr, 1);
  gen_store(s, addr, 1, first);
  b.set_label(within_page);
  gen_store16(s, gen_address_at(s, 16), v[1]);
  gen_store16(s, addr, v[0]);
}

// ---------------------------------------------------------------------------
// SSE operations run lane by lane.

// The legacy (non-VEX) form of the instruction, for the SSE generators.
DecodedInsn legacy_view(const DecodedInsn& vex, Mnemonic mnemonic) {
  DecodedInsn f = vex;
  f.prefixes &= ~kPrefixVex;
  f.mnemonic = mnemonic;
  f.map = vex.vex_map == 2   ? OpcodeMapId::k0F38
          : vex.vex_map == 3 ? OpcodeMapId::k0F3A
                             : OpcodeMapId::k0F;
  if (mnemonic == M::kPshufd || mnemonic == M::kShufpd) f.map = OpcodeMapId::k0F;
  static constexpr uint8_t kPrefix[4] = {0, 0x66, 0xF3, 0xF2};
  f.mandatory_prefix = kPrefix[vex.vex_pp & 3];
  return f;
}

bool run_legacy(DisasContext& s, const DecodedInsn& legacy) {
  const DecodedInsn vex = s.insn;
  s.insn = legacy;
  const bool done = translate_sse(s);
  s.insn = vex;
  return done;
}

DecodedOperand xmm_operand(unsigned reg, OpMethod method) {
  DecodedOperand op;
  op.kind = OperandKind::kReg;
  op.reg_class = RegClass::kXmm;
  op.reg = static_cast<uint8_t>(reg);
  op.size = 16;
  op.spec.method = method;
  op.spec.size = OpSize::kX;
  return op;
}

// Where each operand of a VEX row plays: destination (operand 0), first
// source (vvvv), second source, mask register (is4) and immediate.
struct Roles {
  int vvvv = -1, source = -1, is4 = -1, imm = -1;
};

Roles roles_of(const DecodedInsn& insn) {
  Roles r;
  for (int i = 1; i < insn.num_operands; ++i) {
    switch (insn.operands[i].spec.method) {
      case OpMethod::kH:
        r.vvvv = i;
        break;
      case OpMethod::kL:
        r.is4 = i;
        break;
      case OpMethod::kI:
        r.imm = i;
        break;
      default:
        if (r.source < 0) r.source = i;
        break;
    }
  }
  return r;
}

// The immediate the SSE operation gets for lane k of a 256-bit instruction
// whose immediate has bits for each lane.
uint32_t lane_imm(Mnemonic m, uint32_t imm, unsigned lane) {
  switch (m) {
    case M::kBlendps:
      return (imm >> (4 * lane)) & 0xf;
    case M::kBlendpd:
    case M::kShufpd:
    case M::kVpermilpd:
      return (imm >> (2 * lane)) & 3;
    case M::kMpsadbw:
      return lane ? (imm >> 3) & 7 : imm & 7;
    default:
      return imm;
  }
}

// The second source as each lane's SSE operand. Vector-wide sources give
// each lane its own half; a shift count ("dq") is the same 128 bits for
// both; a widening conversion's narrower source is split in two; scalars
// and general registers pass through.
void prepare_source(DisasContext& s, const DecodedOperand& src, unsigned lanes,
                    DecodedOperand* out) {
  tcg::IrBuilder& b = s.b;
  out[0] = out[1] = src;
  const bool is_vector_reg = src.kind == OperandKind::kReg && src.reg_class == RegClass::kXmm;
  switch (src.spec.size) {
    case OpSize::kX:
    case OpSize::kPs:
    case OpSize::kPd:
      if (is_vector_reg) {
        out[1].reg = static_cast<uint8_t>(lane_reg(src.reg, 1));
      } else if (lanes == 2) {
        for (unsigned k = 0; k < 2; ++k) {
          gen_store_xmm(s, kSource[k], gen_load16(s, gen_address_at(s, 16 * k)));
          out[k] = xmm_operand(kSource[k], OpMethod::kW);
        }
      } else if (s.insn.mnemonic == M::kMovddup) {
        out[0].size = 8;  // VMOVDDUP xmm reads one quadword
      }
      return;
    case OpSize::kDq:
      if (lanes == 2 && !is_vector_reg) {
        gen_store_xmm(s, kSource[0], gen_load16(s, gen_operand_address(s)));
        out[0] = out[1] = xmm_operand(kSource[0], OpMethod::kW);
      }
      return;
    case OpSize::kHx:
    case OpSize::kQx:
    case OpSize::kOx: {
      if (lanes == 1) return;
      // 16, 8 or 4 bytes: the first half widens into lane 0, the second into lane 1.
      const unsigned half = src.size / 2;
      Vec whole = is_vector_reg ? gen_load_reg(s, src.reg)
                  : src.size == 16
                      ? gen_load16(s, gen_operand_address(s))
                      : Vec{gen_load(s, gen_operand_address(s), src.size), b.const_i64(0)};
      Vec upper{b.new_i64(), b.const_i64(0)};
      if (half == 8) {
        b.mov_i64(upper.lo, whole.hi);
      } else {
        b.shr_i64(upper.lo, whole.lo, b.const_i64(8 * half));
      }
      gen_store_xmm(s, kSource[0], whole);
      gen_store_xmm(s, kSource[1], upper);
      out[0] = xmm_operand(kSource[0], OpMethod::kW);
      out[1] = xmm_operand(kSource[1], OpMethod::kW);
      return;
    }
    default:
      return;
  }
}

// Narrowing conversions: each lane's result is 64 bits, the two make one XMM register.
bool is_narrowing(Mnemonic m) {
  return m == M::kCvtpd2ps || m == M::kCvtpd2dq || m == M::kCvttpd2dq;
}

// dst = op(vvvv, source) lane by lane through the SSE generator of `op`.
void gen_lanes(DisasContext& s, Mnemonic op) {
  const DecodedInsn vex = s.insn;
  const Roles r = roles_of(vex);
  const unsigned lanes = lane_count(s);
  const DecodedOperand& dst = vex.operands[0];
  // VPSRLW and the other shifts by an immediate write vvvv from the ModRM register.
  const bool ndd = dst.spec.method == OpMethod::kH;
  DecodedOperand source[2];
  if (r.source >= 0) prepare_source(s, vex.operands[r.source], lanes, source);
  if (op == M::kShufpd && vex.mnemonic == M::kVpermilpd && source[0].kind == OperandKind::kMem) {
    gen_store_xmm(s, kSource[0], gen_load16(s, gen_operand_address(s)));
    source[0] = xmm_operand(kSource[0], OpMethod::kW);
  }
  for (unsigned k = 0; k < lanes; ++k) {
    if (ndd) {
      gen_copy_reg(s, lane_reg(vex.operands[r.source].reg, k), kResult[k]);
    } else if (r.vvvv >= 0) {
      gen_copy_reg(s, lane_reg(vex.operands[r.vvvv].reg, k), kResult[k]);
    } else if (op == M::kVpermilpd) {  // SHUFPD of the source with itself
      gen_copy_reg(s, source[k].reg, kResult[k]);
    }
    DecodedInsn legacy = legacy_view(vex, op);
    unsigned n = 0;
    legacy.operands[n++] = xmm_operand(kResult[k], ndd ? OpMethod::kU : OpMethod::kV);
    if (r.source >= 0 && !ndd) legacy.operands[n++] = source[k];
    if (r.imm >= 0) {
      legacy.operands[n++] = vex.operands[r.imm];
      legacy.imm = lane_imm(vex.mnemonic, static_cast<uint32_t>(vex.imm & 0xff), k);
    }
    legacy.num_operands = static_cast<uint8_t>(n);
    if (!run_legacy(s, legacy)) {
      gen_unimplemented(s);
      return;
    }
  }
  if (lanes == 2 && is_narrowing(vex.mnemonic)) {
    tcg::IrBuilder& b = s.b;
    Temp lo = b.new_i64(), hi = b.new_i64();
    b.ld_i64(lo, xmm_offset(kResult[0]));
    b.ld_i64(hi, xmm_offset(kResult[1]));
    gen_store_xmm(s, dst.reg, Vec{lo, hi});
    gen_zero_reg(s, lane_reg(dst.reg, 1));
    return;
  }
  gen_commit_results(s, dst.reg, lanes);
}

// The SSE form as it is, for the instructions whose VEX form writes no XMM
// register (stores, compares into EFLAGS, results in general registers).
void gen_direct(DisasContext& s) {
  if (!run_legacy(s, legacy_view(s.insn, s.insn.mnemonic))) gen_unimplemented(s);
}

// ---------------------------------------------------------------------------
// AVX's own operations.

void gen_vmov(DisasContext& s, bool aligned) {
  const unsigned lanes = lane_count(s);
  const DecodedOperand& dst = s.insn.operands[0];
  const DecodedOperand& src = s.insn.operands[1];
  if (aligned && (dst.kind == OperandKind::kMem || src.kind == OperandKind::kMem)) {
    gen_require_aligned(s, 16 * lanes);
  }
  Vec v[2];
  gen_read_lanes(s, src, lanes, v);
  gen_write_lanes(s, dst, lanes, v);
}

void gen_vzero(DisasContext& s, bool all) {
  const unsigned count = s.mode64 ? 16 : 8;
  for (unsigned reg = 0; reg < count; ++reg) {
    if (all) gen_zero_reg(s, reg);
    gen_zero_reg(s, lane_reg(reg, 1));
  }
}

// VBROADCASTSS/SD/F128/I128, VPBROADCASTB/W/D/Q: the source's low element
// (register or memory) in every element of the destination.
void gen_broadcast(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned lanes = lane_count(s);
  unsigned size = 4;
  switch (s.insn.mnemonic) {
    case M::kVpbroadcastb:
      size = 1;
      break;
    case M::kVpbroadcastw:
      size = 2;
      break;
    case M::kVbroadcastsd:
    case M::kVpbroadcastq:
      size = 8;
      break;
    case M::kVbroadcastf128:
    case M::kVbroadcasti128:
      size = 16;
      break;
    default:
      break;
  }
  const DecodedOperand& src = s.insn.operands[1];
  Vec v;
  if (size == 16) {
    v = gen_load16(s, gen_operand_address(s));
  } else {
    Temp x = b.new_i64();
    if (src.kind == OperandKind::kReg) {
      b.ld_i64(x, xmm_offset(src.reg));
      if (size < 8) b.and_i64(x, x, b.const_i64((1ull << (8 * size)) - 1));
    } else {
      x = gen_load(s, gen_operand_address(s), size);
    }
    static constexpr uint64_t kSpread[9] = {
        0, 0x0101010101010101ull, 0x0001000100010001ull, 0, 0x0000000100000001ull, 0, 0, 0, 1};
    Temp all = b.new_i64();
    b.mul_i64(all, x, b.const_i64(kSpread[size]));
    v = Vec{all, all};
  }
  const Vec out[2] = {v, v};
  gen_write_lanes(s, s.insn.operands[0], lanes, out);
}

// VPERMQ/VPERMPD: each quadword of the result is the source quadword that
// its two bits of imm8 name.
void gen_vpermq(DisasContext& s) {
  Vec src[2];
  gen_read_lanes(s, s.insn.operands[1], 2, src);
  const Temp q[4] = {src[0].lo, src[0].hi, src[1].lo, src[1].hi};
  auto pick = [&](unsigned i) { return q[(s.insn.imm >> (2 * i)) & 3]; };
  const Vec out[2] = {Vec{pick(0), pick(1)}, Vec{pick(2), pick(3)}};
  gen_write_lanes(s, s.insn.operands[0], 2, out);
}

// VPBLENDD: dword i from the second source where imm8 bit i is set.
void gen_vpblendd(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned lanes = lane_count(s);
  Vec first[2], second[2], out[2];
  gen_read_lanes(s, s.insn.operands[1], lanes, first);
  gen_read_lanes(s, s.insn.operands[2], lanes, second);
  for (unsigned k = 0; k < lanes; ++k) {
    for (Temp Vec::*half : {&Vec::lo, &Vec::hi}) {
      const unsigned bits =
          static_cast<unsigned>(s.insn.imm >> (4 * k + (half == &Vec::hi ? 2 : 0)));
      const uint64_t mask =
          ((bits & 1) ? 0xffffffffull : 0) | ((bits & 2) ? 0xffffffff00000000ull : 0);
      Temp keep = b.new_i64(), take = b.new_i64(), r = b.new_i64();
      b.and_i64(keep, first[k].*half, b.const_i64(~mask));
      b.and_i64(take, second[k].*half, b.const_i64(mask));
      b.or_i64(r, keep, take);
      out[k].*half = r;
    }
  }
  gen_write_lanes(s, s.insn.operands[0], lanes, out);
}

// The register of each lane of a vector operand: a register's own lanes, or
// for memory the work registers it is read into (before anything is written).
void gen_source_lanes(DisasContext& s, const DecodedOperand& op, unsigned lanes, unsigned* regs) {
  regs[0] = lane_reg(op.reg, 0);
  regs[1] = lane_reg(op.reg, 1);
  if (op.kind != OperandKind::kMem) return;
  Vec v[2];
  gen_read_lanes(s, op, lanes, v);
  for (unsigned k = 0; k < lanes; ++k) {
    gen_store_xmm(s, kSource[k], v[k]);
    regs[k] = kSource[k];
  }
}

// VPERMD/VPERMPS ymm1, ymm2 (indices), ymm3/m256 (data).
void gen_vpermd(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned index = s.insn.operands[1].reg;
  unsigned data_reg[2];
  gen_source_lanes(s, s.insn.operands[2], 2, data_reg);
  const uint32_t regs =
      lane_reg(index, 0) | lane_reg(index, 1) << 8 | data_reg[0] << 16 | data_reg[1] << 24;
  b.call_helper(helper_info_avx_permd(), {b.const_i32(regs), b.const_i32(kResult[0])});
  gen_commit_results(s, s.insn.operands[0].reg, 2);
}

// VPGATHERDD/DQ/QD/QQ, VGATHERDPS/DPD/QPS/QPD.
void gen_gather(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& insn = s.insn;
  const Mnemonic m = insn.mnemonic;
  uint32_t flags = 0;
  if (m == M::kVpgatherdq || m == M::kVpgatherqq || m == M::kVgatherdpd || m == M::kVgatherqpd) {
    flags |= kGatherQwordData;
  }
  if (m == M::kVpgatherqd || m == M::kVpgatherqq || m == M::kVgatherqps || m == M::kVgatherqpd) {
    flags |= kGatherQwordIndex;
  }
  if (insn.vex_l) flags |= kGather256;
  if (!s.mode64) flags |= kGatherLinear32;
  const unsigned scale_log2 = insn.mem.scale == 8   ? 3
                              : insn.mem.scale == 4 ? 2
                              : insn.mem.scale == 2 ? 1
                                                    : 0;
  const unsigned address_size = insn.mem.address_bits == 64   ? 2
                                : insn.mem.address_bits == 32 ? 1
                                                              : 0;
  const unsigned seg =
      (s.mode64 && insn.mem.segment != kSegFS && insn.mem.segment != kSegGS) ? 7 : insn.mem.segment;
  flags |= scale_log2 << 4 | address_size << 6 | seg << 8 | s.mem_index << 12;
  const uint32_t regs = insn.operands[0].reg | static_cast<uint32_t>(insn.vector_index) << 8 |
                        static_cast<uint32_t>(insn.operands[2].reg) << 16;
  b.call_helper(helper_info_avx_gather(),
                {gen_effective_offset(s), b.const_i32(regs), b.const_i32(flags)});
}

// VINSERTF128 ymm1, ymm2, xmm3/m128, imm8.
void gen_vinsertf128(DisasContext& s) {
  Vec insert;
  gen_read_lanes(s, s.insn.operands[2], 1, &insert);
  Vec v[2];
  gen_read_lanes(s, s.insn.operands[1], 2, v);
  v[s.insn.imm & 1] = insert;
  gen_write_lanes(s, s.insn.operands[0], 2, v);
}

// VEXTRACTF128 xmm1/m128, ymm2, imm8.
void gen_vextractf128(DisasContext& s) {
  Vec v[2];
  gen_read_lanes(s, s.insn.operands[1], 2, v);
  gen_write_lanes(s, s.insn.operands[0], 1, &v[s.insn.imm & 1]);
}

// VPERM2F128: each destination lane is one of the four source lanes, or zero.
void gen_vperm2f128(DisasContext& s) {
  Vec src[4];
  gen_read_lanes(s, s.insn.operands[1], 2, src);
  gen_read_lanes(s, s.insn.operands[2], 2, src + 2);
  const Vec zero{s.b.const_i64(0), s.b.const_i64(0)};
  Vec out[2];
  for (unsigned j = 0; j < 2; ++j) {
    const unsigned control = static_cast<unsigned>(s.insn.imm >> (4 * j)) & 0xf;
    out[j] = (control & 8) ? zero : src[control & 3];
  }
  gen_write_lanes(s, s.insn.operands[0], 2, out);
}

// VPTEST, VTESTPS, VTESTPD: ZF = (dst AND src) == 0, CF = (src AND NOT dst)
// == 0 over all bits or only the elements' sign bits; the other flags clear.
void gen_vtest(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const unsigned lanes = lane_count(s);
  Vec dst[2], src[2];
  gen_read_lanes(s, s.insn.operands[0], lanes, dst);
  gen_read_lanes(s, s.insn.operands[1], lanes, src);
  const uint64_t mask = s.insn.mnemonic == M::kVtestps   ? 0x8000000080000000ull
                        : s.insn.mnemonic == M::kVtestpd ? 0x8000000000000000ull
                                                         : ~0ull;
  Temp both = b.const_i64(0), rest = b.const_i64(0);
  for (unsigned k = 0; k < lanes; ++k) {
    for (Temp Vec::*half : {&Vec::lo, &Vec::hi}) {
      Temp a = b.new_i64(), n = b.new_i64(), acc_a = b.new_i64(), acc_n = b.new_i64();
      b.and_i64(a, dst[k].*half, src[k].*half);
      b.andc_i64(n, src[k].*half, dst[k].*half);
      b.or_i64(acc_a, both, a);
      b.or_i64(acc_n, rest, n);
      both = acc_a;
      rest = acc_n;
    }
  }
  Temp masked_both = b.new_i64(), masked_rest = b.new_i64();
  b.and_i64(masked_both, both, b.const_i64(mask));
  b.and_i64(masked_rest, rest, b.const_i64(mask));
  Temp zf = b.new_i64(), cf = b.new_i64(), zf_bit = b.new_i64(), flags = b.new_i64();
  b.setcond_i64(zf, masked_both, b.const_i64(0), Cond::kEq);
  b.setcond_i64(cf, masked_rest, b.const_i64(0), Cond::kEq);
  b.shl_i64(zf_bit, zf, b.const_i64(6));  // kFlagZF
  b.or_i64(flags, zf_bit, cf);            // kFlagCF
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

// VMOVMSKPS/PD and VPMOVMSKB of 256 bits: the two lanes' masks side by side.
void gen_movmsk256(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  const unsigned per_lane = m == M::kMovmskps ? 4 : m == M::kMovmskpd ? 2 : 16;
  const unsigned src = s.insn.operands[1].reg;
  Temp masks[2];
  for (unsigned k = 0; k < 2; ++k) {
    Temp m32 = b.new_i32();
    masks[k] = b.new_i64();
    b.call_helper(helper_info_sse_movmsk(), m32,
                  {b.const_i32(static_cast<uint32_t>(m)), b.const_i32(lane_reg(src, k))});
    b.extu_i32_i64(masks[k], m32);
  }
  Temp high = b.new_i64(), mask = b.new_i64();
  b.shl_i64(high, masks[1], b.const_i64(per_lane));
  b.or_i64(mask, masks[0], high);
  gen_store_gpr(s, s.insn.operands[0].reg, 4, mask);
}

// VBLENDVPS/PD, VPBLENDVB (mask in imm8[7:4]) and VPERMILPS/PD with a vector
// control, one lane per helper call.
void gen_lane_helper(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& insn = s.insn;
  const unsigned lanes = lane_count(s);
  const Roles r = roles_of(insn);
  unsigned src_reg[2];
  gen_source_lanes(s, insn.operands[r.source], lanes, src_reg);
  const unsigned first = insn.operands[r.vvvv].reg;
  const unsigned mask = r.is4 >= 0 ? insn.operands[r.is4].reg : 0;
  for (unsigned k = 0; k < lanes; ++k) {
    // Blends: dst = mask ? source : first. Permutes: dst = first's elements chosen by source.
    b.call_helper(
        helper_info_avx_lane(),
        {b.const_i32(static_cast<uint32_t>(insn.mnemonic)), b.const_i32(kResult[k]),
         b.const_i32(lane_reg(first, k)), b.const_i32(src_reg[k]), b.const_i32(lane_reg(mask, k))});
  }
  const unsigned dst = insn.operands[0].reg;
  gen_commit_results(s, dst, lanes);
}

// VMASKMOVPS/PD: loads "Vx,Hx,Mx", stores "Mx,Hx,Vx".
void gen_vmaskmov(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& insn = s.insn;
  const bool store = insn.operands[0].kind == OperandKind::kMem;
  const unsigned data = store ? insn.operands[2].reg : insn.operands[0].reg;
  uint32_t flags = s.mem_index << 8;
  if (store) flags |= kMaskmovStore;
  if (insn.mnemonic == M::kVmaskmovpd || insn.mnemonic == M::kVpmaskmovq) flags |= kMaskmovQwords;
  if (insn.vex_l) flags |= kMaskmov256;
  b.call_helper(helper_info_avx_maskmov(), {gen_operand_address(s), b.const_i32(data),
                                            b.const_i32(insn.operands[1].reg), b.const_i32(flags)});
}

// The FMA instructions: opcode bits 7:4 give the form, bits 3:0 the
// operation and whether it is scalar, VEX.W the precision.
void gen_fma(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& insn = s.insn;
  static constexpr uint32_t kOperation[10] = {4, 5, 0, 0, 1, 1, 2, 2, 3, 3};
  const unsigned low = insn.opcode & 0xf;
  const bool scalar = low >= 8 && (low & 1);
  const bool doubles = insn.rex & kRexW;
  const uint32_t form = (insn.opcode >> 4) - 9;
  const uint32_t type = (scalar ? 2 : 0) + (doubles ? 1 : 0);
  const uint32_t code = (kOperation[low - 6] * 3 + form) * 4 + type;
  const unsigned lanes = scalar ? 1 : lane_count(s);
  const DecodedOperand& z = insn.operands[2];
  unsigned z_reg[2];
  if (scalar && z.kind == OperandKind::kMem) {  // only the element is read
    gen_store_xmm(s, kSource[0],
                  Vec{gen_load(s, gen_operand_address(s), doubles ? 8 : 4), b.const_i64(0)});
    z_reg[0] = kSource[0];
  } else {
    gen_source_lanes(s, z, lanes, z_reg);
  }
  const unsigned dst = insn.operands[0].reg, y = insn.operands[1].reg;
  for (unsigned k = 0; k < lanes; ++k) {
    b.call_helper(helper_info_fma(),
                  {b.const_i32(code), b.const_i32(kResult[k]), b.const_i32(lane_reg(dst, k)),
                   b.const_i32(lane_reg(y, k)), b.const_i32(z_reg[k])});
  }
  gen_commit_results(s, dst, lanes);
}

// VCVTPH2PS (four halves per 128-bit lane of the result) and VCVTPS2PH
// (four halves per 128-bit lane of the source).
void gen_f16c(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const DecodedInsn& insn = s.insn;
  const unsigned lanes = lane_count(s);
  if (insn.mnemonic == M::kVcvtph2ps) {
    const DecodedOperand& src = insn.operands[1];
    Vec in;
    if (src.kind == OperandKind::kReg) {
      in = gen_load_reg(s, src.reg);
    } else if (lanes == 2) {
      in = gen_load16(s, gen_operand_address(s));
    } else {
      in = Vec{gen_load(s, gen_operand_address(s), 8), b.const_i64(0)};
    }
    gen_store_xmm(s, kSource[0], Vec{in.lo, b.const_i64(0)});
    if (lanes == 2) gen_store_xmm(s, kSource[1], Vec{in.hi, b.const_i64(0)});
    for (unsigned k = 0; k < lanes; ++k) {
      b.call_helper(helper_info_f16c(), {b.const_i32(0), b.const_i32(kResult[k]),
                                         b.const_i32(kSource[k]), b.const_i32(0)});
    }
    gen_commit_results(s, insn.operands[0].reg, lanes);
    return;
  }
  const unsigned src = insn.operands[1].reg;
  for (unsigned k = 0; k < lanes; ++k) {
    b.call_helper(helper_info_f16c(),
                  {b.const_i32(1), b.const_i32(kResult[k]), b.const_i32(lane_reg(src, k)),
                   b.const_i32(static_cast<uint32_t>(insn.imm & 0xff))});
  }
  Temp lo = b.new_i64(), hi = b.const_i64(0);
  b.ld_i64(lo, xmm_offset(kResult[0]));
  if (lanes == 2) {
    hi = b.new_i64();
    b.ld_i64(hi, xmm_offset(kResult[1]));
  }
  const DecodedOperand& dst = insn.operands[0];
  if (dst.kind == OperandKind::kReg) {
    gen_store_xmm(s, dst.reg, Vec{lo, hi});
    gen_zero_reg(s, lane_reg(dst.reg, 1));
  } else if (lanes == 2) {
    gen_store16(s, gen_operand_address(s), Vec{lo, hi});
  } else {
    gen_store(s, gen_operand_address(s), 8, lo);
  }
}

bool is_aligned_move(Mnemonic m) {
  return m == M::kMovaps || m == M::kMovapd || m == M::kMovdqa || m == M::kMovntps ||
         m == M::kMovntpd || m == M::kMovntq || m == M::kMovntdqa;
}

bool is_full_move(Mnemonic m) {
  return is_aligned_move(m) || m == M::kMovups || m == M::kMovupd || m == M::kMovdqu ||
         m == M::kLddqu;
}

// SSE instructions that read their first XMM operand without writing it.
bool reads_first_operand_only(Mnemonic m) {
  switch (m) {
    case M::kComiss:
    case M::kComisd:
    case M::kUcomiss:
    case M::kUcomisd:
    case M::kMaskmovq:
    case M::kPcmpestri:
    case M::kPcmpestrm:
    case M::kPcmpistri:
    case M::kPcmpistrm:
      return true;
    default:
      return false;
  }
}

}  // namespace
}  // namespace sse

bool translate_avx(DisasContext& s) {
  using namespace sse;
  // BMI1/BMI2 are VEX-encoded too, but decoded without a VEX table row.
  if (s.insn.map != OpcodeMapId::kVex || s.insn.entry == nullptr) return false;
  if (!model_has_features(s)) {
    gen_exception(s, kExcUD);
    return true;
  }
  gen_check_avx(s);
  s.in_vex = true;
  const Mnemonic m = s.insn.mnemonic;
  const DecodedOperand& op0 = s.insn.operands[0];
  switch (m) {
    case M::kVzeroupper:
    case M::kVzeroall:
      gen_vzero(s, m == M::kVzeroall);
      break;
    case M::kVbroadcastss:
    case M::kVbroadcastsd:
    case M::kVbroadcastf128:
    case M::kVbroadcasti128:
    case M::kVpbroadcastb:
    case M::kVpbroadcastw:
    case M::kVpbroadcastd:
    case M::kVpbroadcastq:
      gen_broadcast(s);
      break;
    case M::kVinsertf128:
    case M::kVinserti128:
      gen_vinsertf128(s);
      break;
    case M::kVextractf128:
    case M::kVextracti128:
      gen_vextractf128(s);
      break;
    case M::kVperm2f128:
    case M::kVperm2i128:
      gen_vperm2f128(s);
      break;
    case M::kVpermq:
    case M::kVpermpd:
      gen_vpermq(s);
      break;
    case M::kVpermd:
    case M::kVpermps:
      gen_vpermd(s);
      break;
    case M::kVpblendd:
      gen_vpblendd(s);
      break;
    case M::kVpsllvd:
    case M::kVpsllvq:
    case M::kVpsrlvd:
    case M::kVpsrlvq:
    case M::kVpsravd:
      gen_lane_helper(s);
      break;
    case M::kVpmaskmovd:
    case M::kVpmaskmovq:
      gen_vmaskmov(s);
      break;
    case M::kVfmadd:
    case M::kVfmsub:
    case M::kVfnmadd:
    case M::kVfnmsub:
    case M::kVfmaddsub:
    case M::kVfmsubadd:
      gen_fma(s);
      break;
    case M::kVcvtph2ps:
    case M::kVcvtps2ph:
      gen_f16c(s);
      break;
    case M::kVpgatherdd:
    case M::kVpgatherdq:
    case M::kVpgatherqd:
    case M::kVpgatherqq:
    case M::kVgatherdps:
    case M::kVgatherdpd:
    case M::kVgatherqps:
    case M::kVgatherqpd:
      gen_gather(s);
      break;
    case M::kPtest:
    case M::kVtestps:
    case M::kVtestpd:
      gen_vtest(s);
      break;
    case M::kVmaskmovps:
    case M::kVmaskmovpd:
      gen_vmaskmov(s);
      break;
    case M::kBlendvps:
    case M::kBlendvpd:
    case M::kPblendvb:
      gen_lane_helper(s);
      break;
    case M::kVpermilps:
    case M::kVpermilpd:
      if (s.insn.operands[s.insn.num_operands - 1].spec.method == OpMethod::kI) {
        // The immediate forms: PSHUFD's dword shuffle, or SHUFPD of the source with itself.
        gen_lanes(s, m == M::kVpermilps ? M::kPshufd : M::kShufpd);
      } else {
        gen_lane_helper(s);
      }
      break;
    default:
      if (is_full_move(m)) {
        gen_vmov(s, is_aligned_move(m));
      } else if ((m == M::kMovmskps || m == M::kMovmskpd || m == M::kPmovmskb) && s.insn.vex_l) {
        gen_movmsk256(s);
      } else if (op0.kind == OperandKind::kReg && op0.reg_class == RegClass::kXmm &&
                 !reads_first_operand_only(m)) {
        gen_lanes(s, m);
      } else {
        gen_direct(s);
        // PCMPESTRM/PCMPISTRM write XMM0, a 128-bit write that zeroes YMM0's upper half.
        if (m == M::kPcmpestrm || m == M::kPcmpistrm) gen_zero_reg(s, lane_reg(0, 1));
      }
      break;
  }
  s.in_vex = false;
  return true;
}

}  // namespace vx86::x86
