// IR optimisation passes: free functions over a block, each in its own file
// (tcg/opt_*.cpp), run in order by a PassManager. Every pass keeps the block
// valid for the verifier and treats each set_label as the start of a new
// basic block (facts learnt before a label are forgotten at it).
#pragma once

#include <vector>

#include "tcg/ir.h"

namespace vx86::tcg {

// Replaces reads of temps with known constant values by constants, evaluates
// ops whose inputs are all constant, applies algebraic identities (x+0, x*1,
// x&0, x^x, shifts by 0, ...) and resolves constant branches.
void opt_constant_fold(Block& block);

// After `mov d, s`, reads of d read s instead (until d or s is written again).
void opt_copy_prop(Block& block);

// Removes pure ops whose results are never read (liveness across labels),
// unreachable code, branches to the next op and labels nobody branches to.
void opt_dead_code(Block& block);

// Removes a store to an env byte range that a later store overwrites before
// anything may observe it: an env load of those bytes, a helper that reads
// state, an op that may fault, a label, a branch or an exit.
void opt_dead_store(Block& block);

// Within a basic block, a 4- or 8-byte env load of bytes that an earlier
// store wrote (or an earlier load read), with no helper that writes state in
// between, becomes a move or extension of that temp: a guest register read
// after an instruction wrote it needs no load. The stores stay (a fault or
// helper must see the state).
void opt_env_forward(Block& block);

// Folds a setcond into what reads its 0/1 result in the same basic block:
// brcond(setcond(a, b, c), 0, ne|eq) becomes brcond(a, b, c|!c) and
// xor(setcond(a, b, c), 1) becomes setcond(a, b, !c), so that a guest's
// compare and branch needs one host compare and jump. The setcond itself is
// left for dead_code to drop when nothing else reads it.
void opt_condition_fuse(Block& block);

using PassFn = void (*)(Block&);

class PassManager {
 public:
  struct Pass {
    const char* name;
    PassFn fn;
  };

  void add(const char* name, PassFn fn) { passes_.push_back({name, fn}); }
  // Verify after each pass (aborting on bad IR). Default: on in debug builds.
  void set_verify(bool on) { verify_ = on; }
  void run(Block& block) const;
  const std::vector<Pass>& passes() const { return passes_; }

  // copy_prop, constant_fold, dead_code, env_forward, copy_prop,
  // constant_fold, condition_fuse, dead_store, dead_code.
  static PassManager standard();

 private:
  std::vector<Pass> passes_;
#ifdef NDEBUG
  bool verify_ = false;
#else
  bool verify_ = true;
#endif
};

// Runs the standard pipeline.
void optimize(Block& block);

}  // namespace vx86::tcg
