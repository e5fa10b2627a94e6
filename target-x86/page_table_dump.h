// A vCPU's page tables as text, in the layouts of QEMU's `info mem` (the
// mapped ranges with their user/write permissions) and `info tlb` (every
// present leaf entry with its flags), for 32-bit, PAE and 4-level paging.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "target-x86/cpu_state.h"

namespace vx86 {

// Reads size (4 or 8) bytes of guest-physical memory, little-endian.
using PhysicalReader = std::function<uint64_t(uint64_t paddr, unsigned size)>;

// `info mem`: "START-END SIZE urw" for each run of pages with the same
// permissions (the AND of every level's user and writable bits).
std::string describe_page_mappings(const CpuState& cpu, const PhysicalReader& read);

// `info tlb`: "VADDR: PADDR XGPDACTUW" for each present leaf entry.
std::string describe_page_table_entries(const CpuState& cpu, const PhysicalReader& read);

}  // namespace vx86
