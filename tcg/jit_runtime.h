// What an embedder tells the JIT about its guest state, host-independent so
// it can be filled in on any host (compile_block() ignores it without a JIT).
//
// - Entry checks: every block begins with a few loads and branches so that
//   chained blocks (which never return to the execution loop) still notice a
//   kick, a stop request, a deliverable interrupt or a change of the flags
//   that were part of the block's lookup key.
// - Lookup: unpatched goto_tb exits and lookup_and_goto_ptr ask the embedder
//   for the host code of the block at the new guest PC (a jump-cache probe);
//   nullptr returns to the execution loop.
// - Fast TLB: the layout of a direct-mapped table the generated code probes
//   inline for guest loads and stores before calling MemoryInterface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace vx86::tcg {

// Exit if (value at env + offset) & mask is nonzero (or zero, if exit_if_clear).
// A mask that fits in 8 bits reads one byte, otherwise 32 bits.
struct JitEntryCheck {
  int32_t env_offset = 0;
  uint32_t mask = 0xff;
  bool exit_if_clear = false;
};

// Returns the entry of the next block's code for the state in env, or nullptr.
using JitLookupFn = const void* (*)(void* opaque);
// For goto_tb exits: also given the exiting block (a CompiledBlock) and the
// slot, so that it can chain them for the next time.
using JitGotoLookupFn = const void* (*)(void* opaque, const void* from_block, uint32_t slot);

struct JitFastTlb {
  bool enabled = false;
  int32_t env_offset = 0;         // table of mem index 0, entry 0, relative to env
  uint32_t mem_index_stride = 0;  // bytes between the tables of two mem indexes
  unsigned num_mem_indexes = 0;
  unsigned index_bits = 8;   // entries per table = 1 << index_bits
  unsigned entry_shift = 5;  // log2 of the entry size
  unsigned page_bits = 12;
  // Inside an entry: the page number that may be read / written inline (any
  // other value never matches a page number) and host address minus guest address.
  uint32_t read_tag_offset = 0;
  uint32_t write_tag_offset = 8;
  uint32_t addend_offset = 16;
};

struct JitConfig {
  size_t code_buffer_bytes = size_t{64} << 20;
  std::vector<JitEntryCheck> exit_checks;
  // Exit if the byte at irq_line_offset is nonzero and the u32 at
  // irq_enable_offset has irq_enable_mask set (a deliverable interrupt).
  int32_t irq_line_offset = -1;
  int32_t irq_enable_offset = 0;
  uint32_t irq_enable_mask = 0;
  // The u32 at flags_offset must equal the block's key flags (else exit).
  int32_t flags_offset = -1;
  JitLookupFn lookup = nullptr;
  // Used by goto_tb exits instead of the jump-cache probe and `lookup`,
  // when set (lookup_opaque is its first argument too).
  JitGotoLookupFn goto_lookup = nullptr;
  void* lookup_opaque = nullptr;
  // An inline probe of a TbCache jump cache before calling `lookup`: the
  // key is the u64 pc at pc_offset, the u64 code segment base at
  // cs_base_offset and the flags at flags_offset; the linear address is
  // pc + base, wrapped to 32 bits unless the flags have wide_address_flag.
  // A hit jumps straight to the entry's code (the block's checked entry).
  struct JumpCacheProbe {
    const void* table = nullptr;  // TbCache::jump_cache_table(), null: no probe
    int32_t pc_offset = 0;
    int32_t cs_base_offset = 0;
    uint32_t wide_address_flag = 0;
  } jump_cache;
  JitFastTlb tlb;
  bool count_stats = false;  // count TLB probes and helper calls in generated code
};

struct JitStats {
  uint64_t blocks = 0;
  uint64_t code_bytes = 0;
  uint64_t flushes = 0;
  uint64_t chains = 0;
  uint64_t tlb_fast = 0;  // inline probes (counted only with count_stats)
  uint64_t tlb_slow = 0;  // probes that took the slow path
  uint64_t helper_calls = 0;
};

// Per-block compile options.
struct JitBlockOptions {
  uint32_t key_flags = 0;  // compared with JitConfig::flags_offset at entry
  bool entry_checks = true;
  bool link = true;  // goto_tb/lookup_and_goto_ptr may continue in other blocks
};

class JitRuntime;  // tcg/jit_x86_64.h

// A per-vCPU code buffer with its stubs; nullptr on hosts without a JIT.
std::shared_ptr<JitRuntime> make_jit_runtime(const JitConfig& config);
JitStats jit_runtime_stats(const JitRuntime& runtime);
// Drops all code; every block compiled into the runtime must be gone already.
void jit_runtime_flush(JitRuntime& runtime);

}  // namespace vx86::tcg
