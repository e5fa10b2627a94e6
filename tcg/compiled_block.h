// The common face of a translated block, whichever backend produced it: the
// execution loop holds a CompiledBlock and calls run(). The IR interpreter is
// the reference and the default; the x86-64 JIT (tcg/jit_x86_64.h) must give
// the same ExitRecord, env and guest memory for every block.
#pragma once

#include <cstdint>
#include <memory>

#include "tcg/interp.h"
#include "tcg/ir.h"
#include "tcg/jit_runtime.h"
#include "tcg/memory_interface.h"

namespace vx86::tcg {

class CompiledBlock {
 public:
  virtual ~CompiledBlock() = default;
  // Runs the block (and, for the JIT, any blocks chained from it). The
  // ExitRecord names the block that exited in `block`.
  virtual ExitRecord run(uint8_t* env, MemoryInterface& mem) const = 0;

  // Direct chaining (JIT only): makes goto_tb `slot` jump straight into
  // `target`; false if either block cannot chain. unchain() restores the exit.
  virtual bool chain(unsigned slot, const CompiledBlock& target) {
    (void)slot, (void)target;
    return false;
  }
  virtual void unchain(unsigned slot) { (void)slot; }
  // Host code a chained jump or the lookup stub may enter, or nullptr.
  virtual const void* chain_entry() const { return nullptr; }
  // Whether a host code address lies in this block's code (JIT only).
  virtual bool holds_host_address(const void* address) const {
    (void)address;
    return false;
  }

  void* owner = nullptr;  // the embedder's record of this block (a TranslationBlock)
};

enum class Backend : uint8_t { kInterpreter, kJit };

// True if this host can run Backend::kJit (x86-64 only).
bool jit_available();

// Compiles a verified block with the chosen backend. Backend::kJit on a host
// without a JIT falls back to the interpreter.
std::unique_ptr<CompiledBlock> compile_block(const Block& block, Backend backend);
// The same into a per-vCPU JIT runtime. Returns nullptr when the runtime's
// code buffer is full: the caller drops every block and calls jit_runtime_flush().
std::unique_ptr<CompiledBlock> compile_block(const Block& block, Backend backend,
                                             JitRuntime* runtime, const JitBlockOptions& options);

// The interpreter behind the common interface.
class InterpBlock final : public CompiledBlock {
 public:
  explicit InterpBlock(const Block& block) : program_(block) {}
  ExitRecord run(uint8_t* env, MemoryInterface& mem) const override {
    ExitRecord r = program_.run(env, mem);
    r.block = this;
    return r;
  }

 private:
  InterpProgram program_;
};

}  // namespace vx86::tcg
