// -d out_asm: the host code of a JIT block, disassembled with capstone, with
// the guest instruction address before the host code that implements it.
#pragma once

#include "tcg/compiled_block.h"

namespace vx86::x86 {

// Logs nothing for blocks the interpreter runs.
void log_host_code(const tcg::CompiledBlock& block);

}  // namespace vx86::x86
