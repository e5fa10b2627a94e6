// The IR verifier: checks a block against the op table (operand counts and
// types, constant ranges), label discipline (each used label defined exactly
// once), that every temp is defined on all paths before it is read, that
// faulting ops follow an insn_start, and that the block cannot fall off its end.
// Builders run verify_op on each emitted op in debug builds; the translator
// runs verify_block after building and after each pass in debug builds.
#pragma once

#include <string>
#include <vector>

#include "tcg/ir.h"

namespace vx86::tcg {

// Checks one op in the context of its block's temp and label tables.
bool verify_op(const Block& block, const Op& op, std::string* error);

// Returns every problem found (empty when the block is well formed).
std::vector<std::string> verify_block(const Block& block);

// Prints the problems and the block to stderr and aborts if there are any.
void verify_or_abort(const Block& block, const char* when);

}  // namespace vx86::tcg
