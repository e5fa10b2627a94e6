// The common face of a translated block, whichever backend produced it: the
// execution loop holds a CompiledBlock and calls run(). The IR interpreter is
// the reference and the default; the x86-64 JIT (tcg/jit_x86_64.h) must give
// the same ExitRecord, env and guest memory for every block.
#pragma once

#include <cstdint>
#include <memory>

#include "tcg/interp.h"
#include "tcg/ir.h"
#include "tcg/memory_interface.h"

namespace vx86::tcg {

class CompiledBlock {
 public:
  virtual ~CompiledBlock() = default;
  virtual ExitRecord run(uint8_t* env, MemoryInterface& mem) const = 0;
};

enum class Backend : uint8_t { kInterpreter, kJit };

// True if this host can run Backend::kJit (x86-64 only).
bool jit_available();

// Compiles a verified block with the chosen backend. Backend::kJit on a host
// without a JIT falls back to the interpreter.
std::unique_ptr<CompiledBlock> compile_block(const Block& block, Backend backend);

// The interpreter behind the common interface.
class InterpBlock final : public CompiledBlock {
 public:
  explicit InterpBlock(const Block& block) : program_(block) {}
  ExitRecord run(uint8_t* env, MemoryInterface& mem) const override {
    return program_.run(env, mem);
  }

 private:
  InterpProgram program_;
};

}  // namespace vx86::tcg
