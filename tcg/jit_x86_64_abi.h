// Internal to the x86-64 JIT: what generated code, the shared stubs and
// JitBlock::run() agree on. Not for other users.
//
// Register roles inside generated code (callee-saved, so they survive helper
// calls): rbx = env, rbp = temp slots, r12 = JitRunContext*, r15 = the running
// JitBlock*, r13d = insn_start count - 1 and r14d = ordinal of the last
// insn_start of the running block. In blocks whose branches all go forward the
// two positions and the block are static, written only on the way out (exits
// and faults), and r13/r14/r15 hold temps in between (as do r10, r11, rdi, r8
// and r9, pushed around a call while they hold a temp live across it).
#pragma once

#if defined(__x86_64__)

#include <cstdint>
#include <exception>

#include "tcg/helper.h"
#include "tcg/ir.h"
#include "tcg/memory_interface.h"

namespace vx86::tcg {

class JitBlock;

// Standard layout, so the generated code can use offsetof.
struct JitRunContext {
  MemoryInterface* mem;
  std::exception_ptr* pending;  // an exception thrown by MemoryInterface
  uint64_t helper_args[kMaxHelperArgs];
  uint64_t scratch_result;  // result of helpers that return nothing
  const JitBlock* last_block;
  int32_t insn_count;    // insn_start ops executed, minus one
  int32_t insn_ordinal;  // block position of the last executed insn_start
  uint32_t exit_slot;
  uint8_t fault_in_helper;
  GuestFault fault;
};

// Returned in rax:rdx by the enter stub.
struct JitResult {
  uint64_t kind;   // ExitKind
  uint64_t value;  // exit_tb immediate or goto_tb slot
};

// enter(env, slots, ctx, code): saves the callee-saved registers, sets up
// the roles above and jumps to code; the exit stub returns from it.
using JitEnterFn = JitResult (*)(uint8_t* env, uint64_t* slots, JitRunContext* ctx,
                                 const void* code);

// Temp slots every chained block may use (blocks with larger frames are never
// chain targets).
inline constexpr size_t kJitSharedFrameWords = 2048;

}  // namespace vx86::tcg

#endif  // __x86_64__
