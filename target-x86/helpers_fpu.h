// x87 control helpers (FNINIT, FWAIT, FLDCW, FNSTENV/FLDENV); the FPU
// arithmetic is not implemented yet.
#pragma once

#include "tcg/ir.h"

namespace vx86::x86 {

// () -> ()
const tcg::HelperInfo& helper_info_fninit();
// () -> () : #NM (CR0.MP and TS), #MF (pending unmasked exception, CR0.NE)
const tcg::HelperInfo& helper_info_fwait();
// (control word) -> ()
const tcg::HelperInfo& helper_info_fldcw();
// (linear address, flags) -> () : FNSTENV / FLDENV in the protected-mode
// layouts. flags: bit0 16-bit format (14 bytes, else 28), bits 8.. memory index.
const tcg::HelperInfo& helper_info_fnstenv();
const tcg::HelperInfo& helper_info_fldenv();

}  // namespace vx86::x86
