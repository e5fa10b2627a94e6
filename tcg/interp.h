// The portable IR interpreter: the reference backend (and the fallback on
// hosts without a JIT). A block is pre-decoded once into an InterpProgram
// (label targets resolved, constants placed in the register file) and can
// then be run many times.
#pragma once

#include <cstdint>
#include <vector>

#include "tcg/helper.h"
#include "tcg/ir.h"
#include "tcg/memory_interface.h"

namespace vx86::tcg {

enum class ExitKind : uint8_t {
  kExitTb,  // exit_tb: `value` holds its immediate
  kGotoTb,  // goto_tb: `slot` is the chain slot (0/1); the run loop chains or looks up
  kLookup,  // lookup_and_goto_ptr: the run loop looks up the TB for the new PC
  kFault,   // a guest memory access or helper faulted
};

class CompiledBlock;

struct ExitRecord {
  ExitKind kind = ExitKind::kExitTb;
  uint64_t value = 0;
  unsigned slot = 0;
  // For kFault: the insn_start that was current (index among the block's
  // insn_start ops, -1 if none) and its two data words (guest PC, extra).
  int insn_index = -1;
  uint64_t insn_data[2] = {0, 0};
  bool fault_in_helper = false;          // true: `fault` holds what the helper threw
  GuestFault fault;                      // for memory faults: code 0, info = address
  const CompiledBlock* block = nullptr;  // the block that exited (set by CompiledBlock::run)
};

class InterpProgram {
 public:
  explicit InterpProgram(const Block& block);
  ExitRecord run(uint8_t* env, MemoryInterface& mem) const;

 private:
  std::vector<Op> ops_;
  std::vector<uint32_t> label_pos_;  // op index of each label's set_label
  std::vector<uint64_t> init_regs_;  // two words per temp; constants pre-filled
};

// Convenience: decode and run once.
ExitRecord interpret(const Block& block, uint8_t* env, MemoryInterface& mem);

}  // namespace vx86::tcg
