#include "tcg/tb_cache.h"

#include <algorithm>

namespace vx86::tcg {

TranslationBlock* TbCache::lookup(uint64_t phys_pc, uint64_t pc, uint64_t cs_base,
                                  uint32_t flags) const {
  ++keyed_lookups_;
  return blocks_.find(TbKey{phys_pc, pc, cs_base, flags});
}

TranslationBlock* TbCache::insert(std::unique_ptr<TranslationBlock> tb) {
  if (TranslationBlock* old = blocks_.find(TbKey{tb->phys_pc, tb->pc, tb->cs_base, tb->flags}))
    remove(old);
  TranslationBlock* raw = tb.get();
  for (uint64_t page : raw->pages) {
    if (page == kNoPage) continue;
    page_blocks_[page].push_back(raw);
    mark_code_page(page, true);
  }
  blocks_.insert(std::move(tb));
  ++translations_;
  return raw;
}

void TbCache::mark_code_page(uint64_t ppage, bool has_code) {
  const uint64_t n = ppage >> 12;
  if (n >= kLowCodePages) {
    has_code ? void(code_pages_.insert(ppage)) : void(code_pages_.erase(ppage));
    return;
  }
  const uint64_t bit = uint64_t{1} << (n % 64);
  has_code ? low_code_pages_[n / 64] |= bit : low_code_pages_[n / 64] &= ~bit;
}

namespace {

// The source block of an entry in a block's list of incoming links.
TranslationBlock* link_source(uintptr_t link) {
  return reinterpret_cast<TranslationBlock*>(link & ~uintptr_t{1});
}

}  // namespace

bool TbCache::link(TranslationBlock* from, unsigned slot, TranslationBlock* to) {
  if (slot >= 2 || from->jmp_dest[slot] || !from->program || !to->program) return false;
  if (!from->program->chain(slot, *to->program)) return false;
  from->jmp_dest[slot] = to;
  const uintptr_t link = reinterpret_cast<uintptr_t>(from) | slot;
  from->jmp_prev[slot] = 0;
  from->jmp_next[slot] = to->jmp_incoming_first;
  if (const uintptr_t first = to->jmp_incoming_first) link_source(first)->jmp_prev[first & 1] = link;
  to->jmp_incoming_first = link;
  return true;
}

bool TbCache::link_across_pages(TranslationBlock* from, unsigned slot, TranslationBlock* to,
                                bool to_global) {
  if (!link(from, slot, to)) return false;
  const uint64_t vpage = to->vaddr >> 12;
  if (!to->cross_page_target) {
    to->cross_page_target = true;
    to->cross_page_global = to_global;
    cross_page_targets_[vpage].push_back(to);
  } else if (!to_global) {
    to->cross_page_global = false;
  }
  if (!to->cross_page_global) cross_page_nonglobal_pages_.insert(vpage);
  return true;
}

void TbCache::unlink_incoming(TranslationBlock* tb) {
  for (uintptr_t link = tb->jmp_incoming_first; link;) {
    TranslationBlock* src = link_source(link);
    const unsigned slot = link & 1;
    link = src->jmp_next[slot];
    src->program->unchain(slot);
    src->jmp_dest[slot] = nullptr;
    src->jmp_next[slot] = src->jmp_prev[slot] = 0;
  }
  tb->jmp_incoming_first = 0;
}

void TbCache::forget_cross_page_target(TranslationBlock* tb) {
  auto it = cross_page_targets_.find(tb->vaddr >> 12);
  if (it != cross_page_targets_.end()) {
    std::erase(it->second, tb);
    if (it->second.empty()) cross_page_targets_.erase(it);
  }
  tb->cross_page_target = false;
}

void TbCache::unlink_cross_page_targets(uint64_t vpage, bool keep_global) {
  auto it = cross_page_targets_.find(vpage);
  if (it == cross_page_targets_.end()) return;
  std::erase_if(it->second, [&](TranslationBlock* tb) {
    if (keep_global && tb->cross_page_global) return false;
    unlink_incoming(tb);  // same-page links too: they come back on the next exit
    tb->cross_page_target = false;
    return true;
  });
  if (it->second.empty()) cross_page_targets_.erase(it);
}

void TbCache::unlink(TranslationBlock* tb) {
  unlink_incoming(tb);
  if (tb->cross_page_target) forget_cross_page_target(tb);
  for (unsigned slot = 0; slot < 2; ++slot) {
    TranslationBlock* dest = tb->jmp_dest[slot];
    if (!dest) continue;
    // Take tb's link out of dest's list.
    const uintptr_t prev = tb->jmp_prev[slot], next = tb->jmp_next[slot];
    if (prev)
      link_source(prev)->jmp_next[prev & 1] = next;
    else
      dest->jmp_incoming_first = next;
    if (next) link_source(next)->jmp_prev[next & 1] = prev;
    tb->jmp_next[slot] = tb->jmp_prev[slot] = 0;
    tb->jmp_dest[slot] = nullptr;
  }
  JumpEntry& cached = jump_cache_[jump_hash(tb->vaddr)];
  if (cached.tb == tb) cached = JumpEntry{};
}

void TbCache::remove(TranslationBlock* tb) {
  ++epoch_;
  unlink(tb);
  for (uint64_t page : tb->pages) {
    if (page == kNoPage) continue;
    auto it = page_blocks_.find(page);
    if (it == page_blocks_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), tb), v.end());
    if (v.empty()) {
      page_blocks_.erase(it);
      mark_code_page(page, false);
    }
  }
  blocks_.erase(tb);  // destroys it
}

namespace {

// Whether tb's code on physical page `page` overlaps [lo, hi).
bool code_overlaps(const TranslationBlock& tb, uint64_t page, uint64_t lo, uint64_t hi) {
  const uint64_t first_page_bytes =
      std::min<uint64_t>(tb.guest_bytes, TbCache::kPageSize - (tb.phys_pc % TbCache::kPageSize));
  uint64_t start, end;
  if (tb.pages[0] == page) {
    start = tb.phys_pc;
    end = tb.phys_pc + first_page_bytes;
  } else {
    start = page;  // the rest of the code, from the start of the second page
    end = page + (tb.guest_bytes - first_page_bytes);
  }
  return start < hi && lo < end;
}

}  // namespace

bool TbCache::range_has_code(uint64_t paddr, uint64_t size) const {
  const uint64_t page = paddr & ~(kPageSize - 1);
  auto it = page_blocks_.find(page);
  if (it == page_blocks_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const TranslationBlock* tb) {
    return code_overlaps(*tb, page, paddr, paddr + size);
  });
}

void TbCache::invalidate_range(uint64_t paddr, uint64_t size) {
  const uint64_t page = paddr & ~(kPageSize - 1);
  auto it = page_blocks_.find(page);
  if (it == page_blocks_.end()) return;
  std::vector<TranslationBlock*> victims;
  for (TranslationBlock* tb : it->second) {
    if (code_overlaps(*tb, page, paddr, paddr + size)) victims.push_back(tb);
  }
  for (TranslationBlock* tb : victims) {
    remove(tb);
    ++invalidations_;
  }
}

bool TbCache::invalidate_range_for_store(uint64_t paddr, uint64_t size, const void* site) {
  const uint64_t page = paddr & ~(kPageSize - 1);
  auto it = page_blocks_.find(page);
  if (it == page_blocks_.end()) return true;
  for (const TranslationBlock* tb : it->second) {
    if (!code_overlaps(*tb, page, paddr, paddr + size)) continue;
    if (!site || (tb->program && tb->program->holds_host_address(site))) return false;
  }
  invalidate_range(paddr, size);
  return true;
}

void TbCache::invalidate_page(uint64_t ppage) {
  auto it = page_blocks_.find(ppage);
  if (it == page_blocks_.end()) return;
  std::vector<TranslationBlock*> victims = it->second;
  for (TranslationBlock* tb : victims) {
    remove(tb);
    ++invalidations_;
  }
}

void TbCache::jump_cache_set(TranslationBlock* tb, bool global) {
  const unsigned index = jump_hash(tb->vaddr);
  JumpEntry& e = jump_cache_[index];
  // A non-global entry found here was listed when it was set.
  const bool listed = e.vaddr != JumpEntry{}.vaddr && !e.global;
  if (!global && !listed) {
    if (jump_filled_.size() < jump_cache_.size())
      jump_filled_.push_back(index);
    else
      jump_filled_overflow_ = true;
  }
  e.vaddr = tb->vaddr;
  e.pc = tb->pc;
  e.cs_base = tb->cs_base;
  e.flags = tb->flags;
  e.tb = tb;
  e.global = global;
  e.code = tb->program ? tb->program->chain_entry() : nullptr;
}

void TbCache::jump_cache_flush(bool keep_global) {
  ++jump_flushes_;
  if (keep_global && !jump_filled_overflow_) {
    for (uint32_t i : jump_filled_) {
      if (!jump_cache_[i].global) jump_cache_[i] = JumpEntry{};
    }
  } else {
    for (JumpEntry& e : jump_cache_) {
      if (!(keep_global && e.global)) e = JumpEntry{};
    }
  }
  jump_filled_.clear();
  jump_filled_overflow_ = false;
  if (keep_global) {
    for (uint64_t vpage : cross_page_nonglobal_pages_) unlink_cross_page_targets(vpage, true);
  } else {
    for (auto& [vpage, targets] : cross_page_targets_) {
      for (TranslationBlock* tb : targets) {
        unlink_incoming(tb);
        tb->cross_page_target = false;
      }
    }
    cross_page_targets_.clear();
  }
  cross_page_nonglobal_pages_.clear();
}

void TbCache::jump_cache_flush_page(uint64_t vaddr) {
  // A block is cached under its first byte's page only, and blocks that
  // cross a page are never taken from the jump cache without a check of
  // their second page; the previous page's group is cleared all the same.
  for (uint64_t page : {vaddr, vaddr - 4096}) {
    auto first = jump_cache_.begin() + (std::size_t{jump_group(page)} << kJumpWithinBits);
    std::fill(first, first + (std::size_t{1} << kJumpWithinBits), JumpEntry{});
    unlink_cross_page_targets(page >> 12, false);
  }
}

void TbCache::flush() {
  ++epoch_;
  jump_cache_flush();
  blocks_.clear();
  page_blocks_.clear();
  code_pages_.clear();
  std::fill(low_code_pages_.begin(), low_code_pages_.end(), 0);
}

}  // namespace vx86::tcg
