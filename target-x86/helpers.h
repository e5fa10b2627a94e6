// Helpers: C++ functions that translated code calls for what is too complex
// or too rare to express in IR (flag evaluation, exceptions, port I/O, system
// instructions). Each is described once by a tcg::HelperInfo.
#pragma once

#include "tcg/ir.h"

namespace vx86::x86 {

const tcg::HelperInfo& helper_info_raise_exception();  // (vector, error) -> never returns
const tcg::HelperInfo& helper_info_cc_compute_all();   // () -> arithmetic flags
const tcg::HelperInfo& helper_info_cc_compute_cf();    // () -> CF (0/1)
const tcg::HelperInfo& helper_info_read_eflags();      // () -> full EFLAGS
const tcg::HelperInfo& helper_info_write_eflags();     // (value, mask) -> ()

}  // namespace vx86::x86
