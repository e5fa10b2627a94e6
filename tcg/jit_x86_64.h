// The x86-64 host-code backend: compiles a tcg Block to native code with
// xbyak into a per-vCPU code buffer (JitRuntime). In blocks whose branches
// all go forward, integer temps get host registers by linear scan (eight of
// them); the rest live in frame slots (v128 temps in 16-byte slots), loaded
// into scratch registers by the ops that use them.
// Guest loads and stores probe the embedder's TLB inline and call
// MemoryInterface out of line on a miss; helpers are called through
// invoke_helper(). goto_tb exits are patchable jumps (direct chaining);
// unpatched ones and lookup_and_goto_ptr ask the embedder's lookup function.
// Results match InterpProgram exactly.
#pragma once

#if defined(__x86_64__)

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/insn_table.h"
#include "tcg/jit_code_buffer.h"
#include "tcg/jit_runtime.h"

namespace vx86::tcg {

// A code buffer with the stubs every block shares (enter, exit, lookup).
class JitRuntime {
 public:
  explicit JitRuntime(const JitConfig& config);
  JitRuntime(const JitRuntime&) = delete;
  JitRuntime& operator=(const JitRuntime&) = delete;

  const JitConfig& config() const { return config_; }
  JitCodeBuffer& buffer() { return buffer_; }
  // Bumped by flush(): blocks from an older generation are gone.
  uint64_t generation() const { return generation_; }
  void flush();

  // Stubs (addresses in the executable view).
  const uint8_t* enter_stub() const { return enter_; }
  const uint8_t* exit_stub() const { return exit_; }
  const uint8_t* goto_lookup_stub() const { return goto_lookup_; }
  const uint8_t* ptr_lookup_stub() const { return ptr_lookup_; }

  JitStats stats;

 private:
  void emit_stubs();

  JitConfig config_;
  JitCodeBuffer buffer_;
  size_t stubs_end_ = 0;
  uint64_t generation_ = 0;
  const uint8_t* enter_ = nullptr;
  const uint8_t* exit_ = nullptr;
  const uint8_t* goto_lookup_ = nullptr;
  const uint8_t* ptr_lookup_ = nullptr;
};

class JitBlock final : public CompiledBlock {
 public:
  // A standalone block with a private code buffer, no chaining and no fast
  // TLB (tests). The block must pass verify_block(); invalid IR aborts.
  explicit JitBlock(const Block& block);
  // Compiles into a shared runtime; nullptr when its buffer is full.
  static std::unique_ptr<JitBlock> compile(const Block& block, JitRuntime& runtime,
                                           const JitBlockOptions& options);

  ExitRecord run(uint8_t* env, MemoryInterface& mem) const override;
  bool chain(unsigned slot, const CompiledBlock& target) override;
  void unchain(unsigned slot) override;
  const void* chain_entry() const override;
  bool holds_host_address(const void* address) const override {
    const auto* p = static_cast<const uint8_t*>(address);
    return p >= code_ && p < code_ + size_;
  }

  size_t code_size() const { return size_; }
  const uint8_t* code() const { return code_; }
  // Each guest instruction's insn_start data and host code offset, and the
  // end of the main body (for -d out_asm and fault positions).
  const InsnTable& insns() const { return insns_; }

 private:
  JitBlock() = default;
  bool build(const Block& block, JitRuntime& runtime, const JitBlockOptions& options);
  void patch_sites(unsigned slot, const uint8_t* target);

  std::shared_ptr<JitRuntime> own_runtime_;  // standalone blocks only
  JitRuntime* runtime_ = nullptr;
  uint64_t generation_ = 0;
  const uint8_t* code_ = nullptr;  // checked entry
  size_t size_ = 0;
  uint32_t unchecked_offset_ = 0;  // where run() enters (the loop checked already)
  size_t frame_words_ = 0;
  InsnTable insns_;                       // per insn_start, in block order
  std::vector<uint32_t> chain_sites_[2];  // offsets just past each patchable jmp rel32
};

}  // namespace vx86::tcg

#endif  // __x86_64__
