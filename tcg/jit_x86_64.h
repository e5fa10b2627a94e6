// The x86-64 host-code backend: compiles a tcg Block to native code with
// xbyak. A simple, correct code generator: every temp lives in a frame slot
// (v128 temps in 16-byte slots), each op loads its inputs into scratch
// registers, computes with native instructions and stores its result.
// Helpers are called through invoke_helper(); guest memory through small
// thunks that call MemoryInterface. Results match InterpProgram exactly.
#pragma once

#if defined(__x86_64__)

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/jit_code_buffer.h"

namespace vx86::tcg {

class JitBlock final : public CompiledBlock {
 public:
  // The block must pass verify_block(); invalid IR aborts.
  explicit JitBlock(const Block& block);
  ExitRecord run(uint8_t* env, MemoryInterface& mem) const override;

  size_t code_size() const { return code_->code_size(); }
  const uint8_t* code() const { return code_->code(); }

 private:
  std::unique_ptr<JitCodeBuffer> code_;
  size_t frame_words_ = 0;                          // temp slots, in 8-byte words
  std::vector<std::array<uint64_t, 2>> insn_data_;  // per insn_start, in block order
};

}  // namespace vx86::tcg

#endif  // __x86_64__
