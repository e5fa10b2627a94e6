// x87 generators: so far only the control instructions (FNINIT, FNCLEX,
// FLDCW, FNSTCW, FNSTSW, FNSTENV, FLDENV, FWAIT, FNOP). x87 arithmetic and loads/stores still
// raise #UD.
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helpers_fpu.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/translate.h"

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

}  // namespace

bool translate_fpu(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  switch (s.insn.mnemonic) {
    case M::kFwait:
      b.call_helper(helper_info_fwait(), {});
      return true;
    case M::kFninit:
      gen_check_x87(s);
      b.call_helper(helper_info_fninit(), {});
      return true;
    case M::kFnop:
      gen_check_x87(s);
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
    case M::kFldenv: {
      gen_check_x87(s);
      Temp addr = gen_operand_address(s);
      const uint32_t flags = (s.insn.operand_bits == 16 ? 1u : 0u) | (s.mem_index << 8);
      b.call_helper(s.insn.mnemonic == M::kFnstenv ? helper_info_fnstenv() : helper_info_fldenv(),
                    {addr, b.const_i32(flags)});
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
