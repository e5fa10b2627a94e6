// Generators for XSAVE, XSAVEOPT, XRSTOR, XGETBV and XSETBV: each is one call
// to its helper in xsave.cpp, which makes every check (CR4.OSXSAVE, CR0.TS,
// alignment, CPL, XCR0 rules) at run time.
#include "target-x86/helpers_sse.h"
#include "target-x86/sse_translate.h"

namespace vx86::x86::sse {

bool translate_xsave(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  const Mnemonic m = s.insn.mnemonic;
  switch (m) {
    case Mnemonic::kXsave:
    case Mnemonic::kXsaveopt:
    case Mnemonic::kXrstor: {
      Temp addr = gen_operand_address(s);
      const uint32_t flags =
          ((s.insn.rex & kRexW) ? 1u : 0u) | (s.mode64 ? 2u : 0u) | (s.mem_index << 8);
      const tcg::HelperInfo& helper = m == Mnemonic::kXsave      ? helper_info_xsave()
                                      : m == Mnemonic::kXsaveopt ? helper_info_xsaveopt()
                                                                 : helper_info_xrstor();
      b.call_helper(helper, {addr, b.const_i32(flags)});
      return true;
    }
    case Mnemonic::kXgetbv:
      b.call_helper(helper_info_xgetbv(), {});
      return true;
    case Mnemonic::kXsetbv:
      b.call_helper(helper_info_xsetbv(), {});
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86::sse
