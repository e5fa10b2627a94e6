// x87 helpers called from translated code: the control instructions
// (FNINIT, FWAIT, FLDCW, FNSTENV/FLDENV, FNSAVE/FRSTOR) and helper_x87, which
// runs every other x87 instruction (x87_ops.h) selected by an X87Op word.
#pragma once

#include "tcg/ir.h"

namespace vx86::x86 {

// () -> ()
const tcg::HelperInfo& helper_info_fninit();
// () -> () : #NM (CR0.MP and TS), #MF (pending unmasked exception)
const tcg::HelperInfo& helper_info_fwait();
// (control word) -> ()
const tcg::HelperInfo& helper_info_fldcw();
// (linear address, flags) -> () : FNSTENV / FLDENV / FNSAVE / FRSTOR.
// flags: the x87_env.h format bits (kX87Env16, kX87EnvReal), bits 8.. memory index.
const tcg::HelperInfo& helper_info_fnstenv();
const tcg::HelperInfo& helper_info_fldenv();
const tcg::HelperInfo& helper_info_fnsave();
const tcg::HelperInfo& helper_info_frstor();

// (op word, linear address, data offset, instruction offset, info) -> ()
// info: bits 0..10 FOP, bits 11..13 data segment, bit 14 memory operand,
// bits 16..23 memory index. Raises #MF first when an unmasked exception is
// pending, then records FIP/FCS/FOP (and FDP/FDS) and executes.
const tcg::HelperInfo& helper_info_x87();
inline constexpr uint32_t kX87InfoSegShift = 11;
inline constexpr uint32_t kX87InfoHasMem = 1u << 14;
inline constexpr uint32_t kX87InfoMemIndexShift = 16;

}  // namespace vx86::x86
