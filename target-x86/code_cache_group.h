// The vCPUs of one machine under TCG, for self-modifying code across them.
// Each vCPU translates into a TbCache of its own, but the code is shared:
// when one vCPU stores into bytes that another has translated (Linux patches
// jump labels and static calls on one CPU while the others run that code),
// the other's translations of those bytes must go too, and no vCPU may keep
// a fast (unchecked) write path to a page any of them has code on.
#pragma once

#include <cstdint>
#include <vector>

namespace vx86::x86 {

struct X86Cpu;

class CodeCacheGroup {
 public:
  void add(X86Cpu* cpu);
  void remove(X86Cpu* cpu);

  // Whether any member has translated code on the physical page.
  bool page_has_code(uint64_t ppage) const;
  // A store by `storer` into code: drops the translations of those bytes in
  // every member; false when the storer's running block wrote into itself
  // (TbCache::invalidate_range_for_store: the store must be restarted).
  bool store_into_code(X86Cpu& storer, uint64_t paddr, unsigned size, const void* site);
  // Drops every member's translations of the bytes (debugger writes,
  // stores single-stepped after a restart).
  void invalidate(uint64_t paddr, uint64_t size);
  // A member is about to translate code on a page none of them had code on:
  // every member's writes to it must take the checked path.
  void drop_fast_writes(uint64_t ppage);

 private:
  std::vector<X86Cpu*> cpus_;
};

}  // namespace vx86::x86
