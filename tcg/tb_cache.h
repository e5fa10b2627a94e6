// Translation blocks and their cache. A block is keyed by the physical address
// of its first byte, its virtual PC, the code segment base and the flags that
// change decoding; it remembers the physical pages its code came from so that
// a write to one of them invalidates it (self-modifying code).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/ir.h"

namespace vx86::tcg {

inline constexpr uint64_t kNoPage = ~0ull;

struct TranslationBlock {
  uint64_t phys_pc = 0;
  uint64_t pc = 0;
  uint64_t cs_base = 0;
  uint32_t flags = 0;
  uint64_t pages[2] = {kNoPage, kNoPage};  // physical page addresses of the code
  uint32_t guest_bytes = 0;
  uint32_t num_insns = 0;
  std::unique_ptr<CompiledBlock> program;  // interpreter or JIT
  uint64_t exec_count = 0;
  // Direct chaining: where each goto_tb slot jumps, and who jumps here.
  TranslationBlock* jmp_dest[2] = {nullptr, nullptr};
  std::vector<std::pair<TranslationBlock*, unsigned>> jmp_incoming;
};

class TbCache {
 public:
  static constexpr uint64_t kPageSize = 4096;

  TranslationBlock* lookup(uint64_t phys_pc, uint64_t pc, uint64_t cs_base, uint32_t flags) const;
  // Takes ownership; replaces a block with the same key.
  TranslationBlock* insert(std::unique_ptr<TranslationBlock> tb);

  bool page_has_code(uint64_t ppage) const { return code_pages_.count(ppage) != 0; }
  // Drops every block with code on this physical page.
  void invalidate_page(uint64_t ppage);
  void flush();

  // Patches from's goto_tb `slot` to jump into `to` (both JIT blocks in one
  // code buffer). The link is undone when either block goes away.
  bool link(TranslationBlock* from, unsigned slot, TranslationBlock* to);

  // The per-vCPU jump cache: the last block seen at a virtual PC, for
  // indirect jumps. Callers check the block's key before using it.
  TranslationBlock* jump_cache_get(uint64_t pc) const { return jump_cache_[jump_hash(pc)]; }
  void jump_cache_set(uint64_t pc, TranslationBlock* tb) { jump_cache_[jump_hash(pc)] = tb; }

  // Changes on every removal or flush: a TranslationBlock* held across
  // other work is still valid only if this did not change.
  uint64_t epoch() const { return epoch_; }

  std::size_t size() const { return blocks_.size(); }
  uint64_t translations() const { return translations_; }
  uint64_t invalidations() const { return invalidations_; }

 private:
  struct Key {
    uint64_t phys_pc, pc, cs_base;
    uint32_t flags;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      uint64_t h = k.phys_pc * 0x9e3779b97f4a7c15ull;
      h ^= (k.pc + (h << 6) + (h >> 2)) * 0xbf58476d1ce4e5b9ull;
      h ^= k.cs_base + k.flags * 0x94d049bb133111ebull;
      return static_cast<std::size_t>(h ^ (h >> 31));
    }
  };
  void remove(TranslationBlock* tb);
  void unlink(TranslationBlock* tb);
  static constexpr unsigned kJumpCacheBits = 12;
  static unsigned jump_hash(uint64_t pc) {
    return static_cast<unsigned>((pc ^ (pc >> kJumpCacheBits)) & ((1u << kJumpCacheBits) - 1));
  }

  std::unordered_map<Key, std::unique_ptr<TranslationBlock>, KeyHash> blocks_;
  std::unordered_map<uint64_t, std::vector<TranslationBlock*>> page_blocks_;
  std::unordered_set<uint64_t> code_pages_;
  uint64_t translations_ = 0;
  uint64_t invalidations_ = 0;
  uint64_t epoch_ = 0;
  std::vector<TranslationBlock*> jump_cache_ = std::vector<TranslationBlock*>(1u << kJumpCacheBits);
};

}  // namespace vx86::tcg
