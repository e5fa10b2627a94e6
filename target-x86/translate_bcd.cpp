// Decimal adjustment (DAA DAS AAA AAS AAM AAD, invalid in 64-bit mode: the
// decoder raises #UD there), SALC, and RDTSCP.
#include "target-x86/helpers_int.h"
#include "target-x86/helpers_system.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

void gen_bcd(DisasContext& s, uint32_t kind) {
  tcg::IrBuilder& b = s.b;
  uint32_t imm =
      (kind == kBcdAam || kind == kBcdAad) ? static_cast<uint32_t>(s.insn.imm & 0xff) : 0;
  b.call_helper(helper_info_bcd(), {b.const_i32(kind), b.const_i32(imm)});
  s.cc_op = kCcOpDynamic;
}

// SALC (undocumented): AL = CF ? 0xFF : 0, flags unchanged.
void gen_salc(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Temp cf = gen_compute_cf(s);
  Temp al = b.new_i64();
  b.neg_i64(al, cf);
  gen_store_gpr(s, kRAX, 1, al);
}

// RDTSCP: RDTSC, then ECX = IA32_TSC_AUX.
void gen_rdtscp(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  b.call_helper(helper_info_rdtsc(), {});
  Temp aux = b.new_i64();
  b.ld32u_i64(aux, offsetof(CpuState, tsc_aux));
  gen_store_gpr(s, kRCX, 8, aux);
}

}  // namespace

bool translate_bcd(DisasContext& s) {
  switch (s.insn.mnemonic) {
    case Mnemonic::kDaa:
      gen_bcd(s, kBcdDaa);
      return true;
    case Mnemonic::kDas:
      gen_bcd(s, kBcdDas);
      return true;
    case Mnemonic::kAaa:
      gen_bcd(s, kBcdAaa);
      return true;
    case Mnemonic::kAas:
      gen_bcd(s, kBcdAas);
      return true;
    case Mnemonic::kAam:
      gen_bcd(s, kBcdAam);
      return true;
    case Mnemonic::kAad:
      gen_bcd(s, kBcdAad);
      return true;
    case Mnemonic::kSalc:
      gen_salc(s);
      return true;
    case Mnemonic::kRdtscp:
      gen_rdtscp(s);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
