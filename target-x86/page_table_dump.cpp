#include "target-x86/page_table_dump.h"

#include <cinttypes>
#include <cstdio>

#include "target-x86/page_table_bits.h"

namespace vx86 {

namespace {

constexpr uint64_t kPermissionBits = kPteP | kPteRW | kPteUS;
constexpr uint64_t kTableAddress = 0x000ffffffffff000ull;

// Addresses with bit 47 set as the CPU sees them (QEMU prints them so in
// every mode; 32-bit addresses never have it).
uint64_t canonical(uint64_t address) {
  return (address & (1ull << 47)) ? address | ~((1ull << 48) - 1) : address;
}

// One leaf (or a hole) of the tables: where it starts, the entry, its page
// size, and the permissions of every level ANDed (0 for a hole).
struct PageVisit {
  uint64_t vaddr;
  uint64_t entry;
  uint64_t size;
  uint64_t permissions;
  bool present;
};

// Walks the tables in address order, calling visit for each present leaf
// and for each absent entry at any level.
class PageTableWalker {
 public:
  PageTableWalker(const CpuState& cpu, const PhysicalReader& read) : cpu_(cpu), read_(read) {}

  // Returns the address space's end (where the last range stops).
  uint64_t walk(const std::function<void(const PageVisit&)>& visit) const {
    if (cpu_.hflags & kHfLma) {
      walk_level(visit, cpu_.cr3 & kTableAddress, 4, 0, kPermissionBits);
      return 1ull << 48;
    }
    if (cpu_.cr4 & kCr4PAE) {
      const uint64_t pdpt = cpu_.cr3 & ~0x1full & 0xffffffffull;
      for (uint64_t i = 0; i < 4; ++i) {
        const uint64_t pdpte = read_(pdpt + i * 8, 8);
        if (!(pdpte & kPteP)) {
          visit({i << 30, pdpte, 1ull << 30, 0, false});
          continue;
        }
        // PDPTEs carry no permissions.
        walk_level(visit, pdpte & kTableAddress, 2, i << 30, kPermissionBits);
      }
      return 1ull << 32;
    }
    const uint64_t pd = cpu_.cr3 & 0xfffff000ull;
    for (uint64_t i = 0; i < 1024; ++i) {
      const uint64_t pde = read_(pd + i * 4, 4);
      const uint64_t vaddr = i << 22;
      if (!(pde & kPteP)) {
        visit({vaddr, pde, 1ull << 22, 0, false});
      } else if ((pde & kPtePS) && (cpu_.cr4 & kCr4PSE)) {
        visit({vaddr, pde, 1ull << 22, pde & kPermissionBits, true});
      } else {
        for (uint64_t j = 0; j < 1024; ++j) {
          const uint64_t pte = read_((pde & 0xfffff000ull) + j * 4, 4);
          const bool present = pte & kPteP;
          visit({vaddr + (j << 12), pte & ~kPtePS, 1ull << 12,
                 present ? pte & pde & kPermissionBits : 0, present});
        }
      }
    }
    return 1ull << 32;
  }

 private:
  // A table of 512 eight-byte entries at `level` (4 = PML4 ... 1 = PT)
  // mapping from base; permissions is what the levels above allow.
  void walk_level(const std::function<void(const PageVisit&)>& visit, uint64_t table, int level,
                  uint64_t base, uint64_t permissions) const {
    const unsigned shift = 12 + 9 * (level - 1);
    for (uint64_t i = 0; i < 512; ++i) {
      const uint64_t entry = read_(table + i * 8, 8);
      const uint64_t vaddr = base + (i << shift);
      const uint64_t size = 1ull << shift;
      if (!(entry & kPteP)) {
        visit({vaddr, entry, size, 0, false});
      } else if (level == 1) {
        visit({vaddr, entry & ~kPtePS, size, entry & permissions, true});
      } else if ((entry & kPtePS) && level <= 3) {
        visit({vaddr, entry, size, entry & permissions, true});
      } else {
        walk_level(visit, entry & kTableAddress, level - 1, vaddr, entry & permissions);
      }
    }
  }

  const CpuState& cpu_;
  const PhysicalReader& read_;
};

bool paging_enabled(const CpuState& cpu) {
  return cpu.cr0 & kCr0PG;
}

}  // namespace

std::string describe_page_mappings(const CpuState& cpu, const PhysicalReader& read) {
  if (!paging_enabled(cpu)) return "PG disabled\n";
  std::string out;
  uint64_t start = 0;
  uint64_t last = 0;  // permissions of the run that started at start (0: none)
  auto reach = [&](uint64_t end, uint64_t permissions) {
    if (permissions == last) return;
    if (last != 0) {
      char line[80];
      std::snprintf(line, sizeof(line), "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %c%c%c\n",
                    canonical(start), canonical(end), canonical(end - start),
                    (last & kPteUS) ? 'u' : '-', 'r', (last & kPteRW) ? 'w' : '-');
      out += line;
    }
    start = end;
    last = permissions;
  };
  const uint64_t end = PageTableWalker(cpu, read).walk(
      [&](const PageVisit& page) { reach(page.vaddr, page.permissions); });
  reach(end, 0);
  return out;
}

std::string describe_page_table_entries(const CpuState& cpu, const PhysicalReader& read) {
  if (!paging_enabled(cpu)) return "PG disabled\n";
  std::string out;
  const bool wide = (cpu.hflags & kHfLma) || (cpu.cr4 & kCr4PAE);
  PageTableWalker(cpu, read).walk([&](const PageVisit& page) {
    if (!page.present) return;
    // The address bits QEMU shows for each kind of leaf.
    uint64_t mask;
    if (!wide) {
      mask = page.size == 4096 ? ~0xfffull : ~((1ull << 21) - 1);
    } else if (!(cpu.hflags & kHfLma)) {
      mask = page.size == 4096 ? ~0xfffull : ~((1ull << 20) - 1);
    } else {
      mask = page.size == 4096 ? 0x3fffffffff000ull : ~(page.size - 1) & 0x3fffffffff000ull;
    }
    const uint64_t e = page.entry;
    char line[80];
    std::snprintf(line, sizeof(line), "%016" PRIx64 ": %016" PRIx64 " %c%c%c%c%c%c%c%c%c\n",
                  canonical(page.vaddr), e & mask, (e & kPteNX) ? 'X' : '-',
                  (e & kPteG) ? 'G' : '-', (e & kPtePS) ? 'P' : '-', (e & kPteD) ? 'D' : '-',
                  (e & kPteA) ? 'A' : '-', (e & kPtePCD) ? 'C' : '-', (e & kPtePWT) ? 'T' : '-',
                  (e & kPteUS) ? 'U' : '-', (e & kPteRW) ? 'W' : '-');
    out += line;
  });
  return out;
}

}  // namespace vx86
