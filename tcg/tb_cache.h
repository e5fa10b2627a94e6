// Translation blocks and their cache. A block is keyed by the physical address
// of its first byte, its virtual PC, the code segment base and the flags that
// change decoding; it remembers the physical pages its code came from so that
// a write into its bytes invalidates it (self-modifying code, patching), while
// writes elsewhere on those pages leave it alone.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tcg/compiled_block.h"
#include "tcg/ir.h"
#include "tcg/tb_table.h"

namespace vx86::tcg {

inline constexpr uint64_t kNoPage = ~0ull;

struct TranslationBlock {
  uint64_t phys_pc = 0;
  uint64_t vaddr = 0;  // linear address of the first byte (cs_base + pc, wrapped as the mode wraps)
  uint64_t pc = 0;
  uint64_t cs_base = 0;
  uint32_t flags = 0;
  uint64_t pages[2] = {kNoPage, kNoPage};  // physical page addresses of the code
  uint32_t guest_bytes = 0;
  uint32_t num_insns = 0;
  std::unique_ptr<CompiledBlock> program;  // interpreter or JIT
  // Direct chaining: where each goto_tb slot jumps, and who jumps here. The
  // links into a block form a doubly linked list threaded through the
  // sources (no allocation per link): an entry is a source block's address
  // with the slot in its low bit, 0 ends the list.
  TranslationBlock* jmp_dest[2] = {nullptr, nullptr};
  uintptr_t jmp_incoming_first = 0;
  uintptr_t jmp_next[2] = {0, 0};  // the link after slot's in jmp_dest[slot]'s list
  uintptr_t jmp_prev[2] = {0, 0};  // the one before it (0: slot's link is the first)
  // Some incoming link comes from another page (TbCache::link_across_pages).
  bool cross_page_target = false;
  bool cross_page_global = false;  // ... and this block's page was mapped global then
};

class TbCache {
 public:
  static constexpr uint64_t kPageSize = 4096;

  TranslationBlock* lookup(uint64_t phys_pc, uint64_t pc, uint64_t cs_base, uint32_t flags) const;
  // Takes ownership; replaces a block with the same key.
  TranslationBlock* insert(std::unique_ptr<TranslationBlock> tb);

  // Asked on every soft-TLB fill for a write: a bit per page below 4 GiB.
  bool page_has_code(uint64_t ppage) const {
    const uint64_t n = ppage >> 12;
    if (n < kLowCodePages) return (low_code_pages_[n / 64] >> (n % 64)) & 1;
    return code_pages_.count(ppage) != 0;
  }
  // Drops every block with code on this physical page.
  void invalidate_page(uint64_t ppage);
  // Whether any block's code lies in the physical bytes [paddr, paddr + size)
  // (within one page), and dropping just those blocks: a store to data that
  // shares a page with code, or patching one instruction, leaves the other
  // translations of the page alone.
  bool range_has_code(uint64_t paddr, uint64_t size) const;
  void invalidate_range(uint64_t paddr, uint64_t size);
  // A store about to write [paddr, paddr + size), made from host code address
  // `site` (MemoryInterface::store_site). False when the running block's own
  // code is among what it writes (or the site is unknown and any code is):
  // then nothing changes and the caller must end the block first. Otherwise
  // drops the blocks it writes and returns true.
  bool invalidate_range_for_store(uint64_t paddr, uint64_t size, const void* site);
  void flush();

  // Patches from's goto_tb `slot` to jump into `to` (both JIT blocks in one
  // code buffer). The link is undone when either block goes away.
  bool link(TranslationBlock* from, unsigned slot, TranslationBlock* to);
  // The same for a target on another page than `from`: such a link holds
  // only while the target's linear mapping does, so the TLB flushes that
  // clear the jump cache undo it too (all of them, those to non-global
  // targets, or those to blocks starting on the flushed page or the page
  // before it). `to_global`: every page of `to` is mapped global now.
  bool link_across_pages(TranslationBlock* from, unsigned slot, TranslationBlock* to,
                         bool to_global);

  // The per-vCPU jump cache: the last block seen at a linear address, found
  // without translating that address again. The linear-to-physical mapping
  // of the block's page(s) an entry stands for stays valid because every TLB
  // flush also flushes the jump cache (whole, all but global pages, or the
  // entries of the flushed page and the page before it, whose blocks may
  // reach into it). Callers put a block here only once all its pages were
  // found mapped where it came from. An entry keeps the block's host code so
  // that the JIT's lookup touches one cache line.
  struct JumpEntry {
    uint64_t vaddr = ~0ull;
    uint64_t pc = 0, cs_base = 0;
    uint32_t flags = 0;
    bool global = false;  // every page of the block is mapped global
    TranslationBlock* tb = nullptr;
    const void* code = nullptr;  // chain_entry(): the JIT's checked entry
  };
  const JumpEntry* jump_cache_find(uint64_t vaddr, uint64_t pc, uint64_t cs_base,
                                   uint32_t flags) const {
    const JumpEntry& e = jump_cache_[jump_hash(vaddr)];
    if (e.vaddr != vaddr || e.pc != pc || e.cs_base != cs_base || e.flags != flags || !e.tb)
      return nullptr;
    return &e;
  }
  void jump_cache_set(TranslationBlock* tb, bool global);
  // The entries, for the JIT's inline probe (see jump_hash). The table is
  // allocated once and never moves.
  const JumpEntry* jump_cache_table() const { return jump_cache_.data(); }
  void jump_cache_flush(bool keep_global = false);
  void jump_cache_flush_page(uint64_t vaddr);

  // Changes on every removal or flush: a TranslationBlock* held across
  // other work is still valid only if this did not change.
  uint64_t epoch() const { return epoch_; }

  std::size_t size() const { return blocks_.size(); }
  uint64_t translations() const { return translations_; }
  // Lookups by key (jump-cache misses and the first run of each block).
  uint64_t keyed_lookups() const { return keyed_lookups_; }
  uint64_t jump_cache_flushes() const { return jump_flushes_; }
  uint64_t invalidations() const { return invalidations_; }

 private:
  void remove(TranslationBlock* tb);
  void unlink(TranslationBlock* tb);
  void unlink_incoming(TranslationBlock* tb);
  // Undoes the links into cross-page targets on linear page `vpage` (all of
  // them, or only those to non-global targets) and forgets those targets.
  void unlink_cross_page_targets(uint64_t vpage, bool keep_global);
  void forget_cross_page_target(TranslationBlock* tb);

 public:
  // The index is a page group (high bits) and a position in it (low bits),
  // so that flushing one page clears one contiguous group. The JIT's lookup
  // stub computes the same hash.
  static constexpr unsigned kJumpGroupBits = 7, kJumpWithinBits = 7;
  static constexpr unsigned kJumpCacheBits = kJumpGroupBits + kJumpWithinBits;
  static unsigned jump_group(uint64_t vaddr) {
    const uint64_t page = vaddr >> 12;
    return static_cast<unsigned>((page ^ (page >> kJumpGroupBits) ^ (page >> 2 * kJumpGroupBits)) &
                                 ((1u << kJumpGroupBits) - 1));
  }
  static unsigned jump_hash(uint64_t vaddr) {
    const unsigned within =
        static_cast<unsigned>((vaddr ^ (vaddr >> kJumpWithinBits)) & ((1u << kJumpWithinBits) - 1));
    return jump_group(vaddr) << kJumpWithinBits | within;
  }

 private:
  TbTable blocks_;
  // Targets of links across pages, by the linear page of their first byte;
  // the pages holding a non-global one (an overestimate: cleared only by a
  // flush of non-global or all pages).
  std::unordered_map<uint64_t, std::vector<TranslationBlock*>> cross_page_targets_;
  std::unordered_set<uint64_t> cross_page_nonglobal_pages_;
  std::unordered_map<uint64_t, std::vector<TranslationBlock*>> page_blocks_;
  static constexpr uint64_t kLowCodePages = uint64_t{1} << 20;  // 4 GiB of 4 KiB pages
  std::vector<uint64_t> low_code_pages_ = std::vector<uint64_t>(kLowCodePages / 64);
  std::unordered_set<uint64_t> code_pages_;  // pages above 4 GiB
  void mark_code_page(uint64_t ppage, bool has_code);
  uint64_t translations_ = 0;
  uint64_t invalidations_ = 0;
  mutable uint64_t keyed_lookups_ = 0;
  uint64_t jump_flushes_ = 0;
  uint64_t epoch_ = 0;
  std::vector<JumpEntry> jump_cache_ = std::vector<JumpEntry>(1u << kJumpCacheBits);
  // Indexes of the non-global entries set since the last flush (with repeats
  // when an entry was cleared and set again): a flush that keeps global
  // pages (MOV CR3, every context switch) clears the entries user code set
  // since, not the whole table. Past the table's size the list stops growing
  // and the next flush scans everything, as a full flush always does.
  std::vector<uint32_t> jump_filled_;
  bool jump_filled_overflow_ = false;
};

}  // namespace vx86::tcg
