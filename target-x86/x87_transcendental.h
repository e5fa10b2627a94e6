// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1.
//
// Two implementations:
// - host: on an x86-64 host the instruction itself runs on the host's x87
//   over a copy of the guest's x87 state (FXRSTOR, the instruction, FXSAVE),
//   so results, condition codes, stack faults and flags are the host
//   processor's own, bit for bit.
// - portable: the operands go through the host's `long double` maths library
//   (sinl, atan2l, expm1l, log2l, log1pl); special cases, stack faults and
//   argument reduction limits follow the SDM, but the result may differ from
//   hardware in the last bit or two and C1 (rounded up) is always cleared.
//   It is the path for hosts without an x87.
// The host path is the default where available; VX86_X87_PORTABLE=1 in the
// environment (or set_transcendental_path) selects the portable one.
#pragma once

#include "target-x86/cpu_state.h"
#include "target-x86/x87_ops.h"

namespace vx86::x86::x87 {

enum class TranscendentalPath { kHost, kPortable };
bool host_transcendentals_available();
void set_transcendental_path(TranscendentalPath path);
TranscendentalPath transcendental_path();

// Runs one of the instructions above on cpu's x87 state.
void execute_transcendental(CpuState& cpu, X87Operation op);

}  // namespace vx86::x86::x87
