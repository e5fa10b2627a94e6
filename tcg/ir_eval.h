// The semantics of the pure integer ops, shared by the interpreter and the
// constant folder so that folding can never disagree with execution.
#pragma once

#include <cstdint>

#include "tcg/ir.h"

namespace vx86::tcg {

// Evaluates a pure i32/i64 op (arithmetic, logic, shifts, conversions,
// setcond/movcond, bit ops) on input values in[0..nin), writing out[0..nout).
// Returns false for any other op (control, memory, env, calls, v128).
bool eval_scalar(const Op& op, const uint64_t* in, uint64_t* out);

// Evaluates cond on two values of the given integer type.
bool eval_cond(Cond c, Type t, uint64_t a, uint64_t b);

}  // namespace vx86::tcg
