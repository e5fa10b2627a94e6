// Text form of the IR for `-d op` and `-d op_opt`: one op per line, e.g.
//    ---- 0x401000 0x0
//    ld_i64 t0, env, $0x10
//    add_i64 t1, t0, $0x8
//    brcond_i64 t1, $0x0, eq, $L0
//    qemu_ld_i64 t2, t1, uq, 0
//    call cpuid, t3, t2
//    set_label $L0
//    exit_tb $0x0
// Temps print as tN, constant temps as $value, labels as $LN.
#pragma once

#include <cstdint>
#include <string>

#include "tcg/ir.h"

namespace vx86::tcg {

std::string print_op(const Block& block, const Op& op);
std::string print_block(const Block& block);  // one line per op, each ending in '\n'

// Writes `header` and the block to the log if `mask` (kLogOp, kLogOpOpt) is enabled.
void log_block(uint32_t mask, const char* header, const Block& block);

}  // namespace vx86::tcg
