// The soft MMU's page walk reads page-table entries from the RAM it found
// them in last time without going through the address space each time; a
// change of the physical memory map must still be seen.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "core/memory.h"
#include "target-x86/cpu_state.h"
#include "target-x86/mmu.h"

namespace vx86::x86 {
namespace {

// 32-bit paging: page directory at 0x1000, its first table at 0x2000, and
// linear page 5 mapped to physical page `target`.
void write_tables(MemoryRegion& ram, uint32_t target) {
  uint8_t* p = ram.host_ptr();
  const uint32_t pde = 0x2000 | 0x3;  // present, writable
  const uint32_t pte = target | 0x3;
  std::memcpy(p + 0x1000, &pde, 4);
  std::memcpy(p + 0x2000 + 5 * 4, &pte, 4);
}

TEST(MmuWalk, PageTablesFollowAChangeOfTheMemoryMap) {
  auto root = MemoryRegion::container("root", 16ull << 20);
  auto first = MemoryRegion::ram("first", 4ull << 20);
  auto second = MemoryRegion::ram("second", 4ull << 20);
  write_tables(*first, 0x5000);
  write_tables(*second, 0x7000);
  root->add_subregion(0, first.get());
  AddressSpace memory("memory", root.get());
  CpuState cpu;
  cpu_reset(cpu);
  Mmu mmu(cpu, memory);
  cpu.cr0 |= kCr0PE | kCr0PG;
  cpu.cr3 = 0x1000;
  mmu.flush_all();
  uint64_t paddr = 0;
  ASSERT_TRUE(mmu.translate(0x5123, Access::kRead, kMemSupervisor, &paddr));
  EXPECT_EQ(paddr, 0x5123u);
  // Another RAM region now answers at the same physical addresses.
  root->remove_subregion(first.get());
  root->add_subregion(0, second.get());
  mmu.flush_all();
  ASSERT_TRUE(mmu.translate(0x5123, Access::kRead, kMemSupervisor, &paddr));
  EXPECT_EQ(paddr, 0x7123u);
}

}  // namespace
}  // namespace vx86::x86
