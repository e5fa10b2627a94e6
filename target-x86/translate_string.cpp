// String instructions (MOVS LODS STOS CMPS SCAS INS OUTS) with REP/REPE/REPNE.
// A REP loop runs inside the block for up to kRepChunk iterations and then
// re-executes the instruction, so interrupts are seen in long copies. rSI, rDI
// and rCX are committed after each iteration's memory accesses, so a fault in
// the middle restarts exactly where it stopped.
#include "target-x86/helpers_system.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

using tcg::Cond;

constexpr uint64_t kRepChunk = 4096;

enum class StrOp { kMovs, kLods, kStos, kCmps, kScas, kIns, kOuts };

bool classify(Mnemonic m, StrOp* op) {
  switch (m) {
    case Mnemonic::kMovs:
    case Mnemonic::kMovsb:
      *op = StrOp::kMovs;
      return true;
    case Mnemonic::kLods:
    case Mnemonic::kLodsb:
      *op = StrOp::kLods;
      return true;
    case Mnemonic::kStos:
    case Mnemonic::kStosb:
      *op = StrOp::kStos;
      return true;
    case Mnemonic::kCmps:
    case Mnemonic::kCmpsb:
      *op = StrOp::kCmps;
      return true;
    case Mnemonic::kScas:
    case Mnemonic::kScasb:
      *op = StrOp::kScas;
      return true;
    case Mnemonic::kIns:
    case Mnemonic::kInsb:
      *op = StrOp::kIns;
      return true;
    case Mnemonic::kOuts:
    case Mnemonic::kOutsb:
      *op = StrOp::kOuts;
      return true;
    default:
      return false;
  }
}

bool is_byte_form(Mnemonic m) {
  return m == Mnemonic::kMovsb || m == Mnemonic::kLodsb || m == Mnemonic::kStosb ||
         m == Mnemonic::kCmpsb || m == Mnemonic::kScasb || m == Mnemonic::kInsb ||
         m == Mnemonic::kOutsb;
}

unsigned size_index(unsigned size) {
  return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

}  // namespace

bool translate_string(DisasContext& s) {
  StrOp op;
  if (!classify(s.insn.mnemonic, &op)) return false;
  tcg::IrBuilder& b = s.b;
  const unsigned size = is_byte_form(s.insn.mnemonic) ? 1 : s.insn.operand_bits / 8;
  const unsigned abytes = s.insn.address_bits / 8;
  const bool rep = s.insn.rep_prefix != 0;
  const bool cond_rep = rep && (op == StrOp::kCmps || op == StrOp::kScas);
  const bool repne = s.insn.rep_prefix == 0xf2;
  const unsigned src_seg =
      (s.insn.prefixes & kPrefixSegment) ? unsigned{s.insn.segment_prefix} : unsigned{kSegDS};

  if ((op == StrOp::kIns || op == StrOp::kOuts)) {
    // Port permission is checked by the helper on every iteration.
  }

  // delta = DF ? -size : +size
  Temp rest = b.new_i64();
  b.ld32u_i64(rest, offsetof(CpuState, eflags_rest));
  Temp df = b.new_i64();
  b.extract_i64(df, rest, uint64_t{10}, uint64_t{1});
  Temp delta = b.new_i64();
  b.mul_i64(delta, df, b.const_i64(static_cast<uint64_t>(-2 * static_cast<int64_t>(size))));
  b.add_i64(delta, delta, b.const_i64(size));

  Temp iterations = b.new_i64();
  b.movi_i64(iterations, 0);
  tcg::Label loop = b.new_label();
  tcg::Label done = b.new_label();
  b.set_label(loop);
  if (rep) {
    Temp count = gen_load_gpr(s, kRCX, abytes);
    b.brcond_i64(count, b.const_i64(0), Cond::kEq, done);
  }

  auto advance = [&](unsigned reg) {
    Temp v = gen_load_gpr(s, reg, abytes);
    Temp n = b.new_i64();
    b.add_i64(n, v, delta);
    gen_store_gpr(s, reg, abytes, gen_zext(s, n, abytes));
  };
  auto src_addr = [&]() { return gen_linear(s, src_seg, gen_load_gpr(s, kRSI, abytes)); };
  auto dst_addr = [&]() { return gen_linear(s, kSegES, gen_load_gpr(s, kRDI, abytes)); };

  switch (op) {
    case StrOp::kMovs: {
      Temp v = gen_load(s, src_addr(), size);
      gen_store(s, dst_addr(), size, v);
      advance(kRSI);
      advance(kRDI);
      break;
    }
    case StrOp::kLods: {
      Temp v = gen_load(s, src_addr(), size);
      gen_store_gpr(s, kRAX, size, v);
      advance(kRSI);
      break;
    }
    case StrOp::kStos:
      gen_store(s, dst_addr(), size, gen_load_gpr(s, kRAX, size));
      advance(kRDI);
      break;
    case StrOp::kCmps: {
      Temp a = gen_load(s, src_addr(), size);
      Temp v = gen_load(s, dst_addr(), size);
      Temp r = b.new_i64();
      b.sub_i64(r, a, v);
      r = gen_zext(s, r, size);
      advance(kRSI);
      advance(kRDI);
      gen_set_cc(s, kCcOpSubB + size_index(size), r, v);
      break;
    }
    case StrOp::kScas: {
      Temp a = gen_load_gpr(s, kRAX, size);
      Temp v = gen_load(s, dst_addr(), size);
      Temp r = b.new_i64();
      b.sub_i64(r, a, v);
      r = gen_zext(s, r, size);
      advance(kRDI);
      gen_set_cc(s, kCcOpSubB + size_index(size), r, v);
      break;
    }
    case StrOp::kIns: {
      Temp port = gen_load_gpr(s, kRDX, 2);
      Temp v = b.new_i64();
      Temp port32 = b.new_i32();
      b.extrl_i64_i32(port32, port);
      b.call_helper(helper_info_port_in(), v, {port32, b.const_i32(size)});
      gen_store(s, dst_addr(), size, v);
      advance(kRDI);
      break;
    }
    case StrOp::kOuts: {
      Temp v = gen_load(s, src_addr(), size);
      Temp port = gen_load_gpr(s, kRDX, 2);
      Temp port32 = b.new_i32();
      b.extrl_i64_i32(port32, port);
      b.call_helper(helper_info_port_out(), {port32, v, b.const_i32(size)});
      advance(kRSI);
      break;
    }
  }

  if (!rep) {
    gen_jump_const(s, s.next_pc);
    b.set_label(done);  // unreferenced without REP; keeps one exit path shape
    gen_jump_const(s, s.next_pc);
    return true;
  }
  Temp count = gen_load_gpr(s, kRCX, abytes);
  Temp dec = b.new_i64();
  b.sub_i64(dec, count, b.const_i64(1));
  gen_store_gpr(s, kRCX, abytes, gen_zext(s, dec, abytes));
  if (cond_rep) {
    // REPE stops when ZF=0, REPNE when ZF=1.
    Temp zf = gen_condition(s, 4);
    b.brcond_i64(zf, b.const_i64(repne ? 1 : 0), Cond::kEq, done);
  }
  b.add_i64(iterations, iterations, b.const_i64(1));
  b.brcond_i64(iterations, b.const_i64(kRepChunk), Cond::kLtu, loop);
  gen_jump_const(s, s.pc);  // more to do: run the instruction again
  b.set_label(done);
  s.cc_op = cond_rep ? kCcOpDynamic : s.cc_op;
  gen_jump_const(s, s.next_pc);
  return true;
}

}  // namespace vx86::x86
