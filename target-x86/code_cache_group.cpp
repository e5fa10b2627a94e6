#include "target-x86/code_cache_group.h"

#include <algorithm>

#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

void CodeCacheGroup::add(X86Cpu* cpu) {
  cpus_.push_back(cpu);
}

void CodeCacheGroup::remove(X86Cpu* cpu) {
  cpus_.erase(std::remove(cpus_.begin(), cpus_.end(), cpu), cpus_.end());
}

bool CodeCacheGroup::page_has_code(uint64_t ppage) const {
  return std::any_of(cpus_.begin(), cpus_.end(),
                     [ppage](const X86Cpu* cpu) { return cpu->tb_cache.page_has_code(ppage); });
}

bool CodeCacheGroup::store_into_code(X86Cpu& storer, uint64_t paddr, unsigned size,
                                     const void* site) {
  // The other vCPUs are between blocks (TCG runs them in turn on one
  // thread), so their translations can simply go.
  for (X86Cpu* cpu : cpus_) {
    if (cpu != &storer) cpu->tb_cache.invalidate_range(paddr, size);
  }
  return storer.tb_cache.invalidate_range_for_store(paddr, size, site);
}

void CodeCacheGroup::invalidate(uint64_t paddr, uint64_t size) {
  for (X86Cpu* cpu : cpus_) cpu->tb_cache.invalidate_range(paddr, size);
}

void CodeCacheGroup::drop_fast_writes(uint64_t ppage) {
  for (X86Cpu* cpu : cpus_) cpu->mmu.drop_fast_writes(ppage);
}

}  // namespace vx86::x86
