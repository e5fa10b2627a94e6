// Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (by 1, CL, imm8) and
// SHLD/SHRD. The count-dependent flag rules live in one C++ function
// (helpers_int.cpp); the IR calls it for the result, writes the destination
// (which may fault) and only then for the flags.
#include "target-x86/helpers_int.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

void gen_shift(DisasContext& s, uint32_t kind, bool double_shift) {
  tcg::IrBuilder& b = s.b;
  const unsigned size = operand_size(s, 0);
  Temp value = gen_read_operand(s, 0);
  Temp src = double_shift ? gen_read_operand(s, 1) : b.const_i64(0);
  Temp count = gen_read_operand(s, double_shift ? 2 : 1);
  Temp flags_in = gen_compute_flags(s);
  Temp kind_size = b.const_i32(pack_kind(kind, size));
  Temp result = b.new_i64();
  b.call_helper(helper_info_shift_result(), result, {kind_size, value, src, count, flags_in});
  // A zero count leaves the destination as it was, but a 32-bit register
  // destination is still zero-extended, as on hardware.
  gen_write_operand(s, 0, result);
  Temp flags = b.new_i64();
  b.call_helper(helper_info_shift_flags(), flags, {kind_size, value, src, count, flags_in});
  gen_set_cc(s, kCcOpEflags, b.const_i64(0), flags);
}

}  // namespace

bool translate_shift(DisasContext& s) {
  switch (s.insn.mnemonic) {
    case Mnemonic::kRol:
      gen_shift(s, kShiftRol, false);
      return true;
    case Mnemonic::kRor:
      gen_shift(s, kShiftRor, false);
      return true;
    case Mnemonic::kRcl:
      gen_shift(s, kShiftRcl, false);
      return true;
    case Mnemonic::kRcr:
      gen_shift(s, kShiftRcr, false);
      return true;
    case Mnemonic::kShl:
      gen_shift(s, kShiftShl, false);
      return true;
    case Mnemonic::kSal:
      gen_shift(s, kShiftShl, false);
      return true;
    case Mnemonic::kShr:
      gen_shift(s, kShiftShr, false);
      return true;
    case Mnemonic::kSar:
      gen_shift(s, kShiftSar, false);
      return true;
    case Mnemonic::kShld:
      gen_shift(s, kShiftShld, true);
      return true;
    case Mnemonic::kShrd:
      gen_shift(s, kShiftShrd, true);
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
