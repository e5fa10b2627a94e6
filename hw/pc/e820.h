// The BIOS E820 memory map of the pc machine: what INT 15h/AX=E820h would
// report, and what a direct kernel loader hands the kernel in boot_params.
#pragma once

#include <cstdint>
#include <vector>

namespace vx86 {

enum class E820Type : uint32_t {
  kRam = 1,
  kReserved = 2,
  kAcpi = 3,
  kNvs = 4,
  kUnusable = 5,
};

struct E820Entry {
  uint64_t addr;
  uint64_t size;
  E820Type type;
};

// The pc machine's layout: conventional memory up to the EBDA, the legacy
// hole (EBDA, VGA, option and BIOS ROMs) reserved up to 1 MiB, extended
// memory up to ram_below_4g, the firmware ROM just below 4 GiB reserved, and
// ram_above_4g bytes from 4 GiB; and the chipset's reserved ranges (the
// Q35's ECAM window), in address order.
std::vector<E820Entry> pc_e820_map(uint64_t ram_below_4g, uint64_t ram_above_4g,
                                   uint64_t firmware_size,
                                   const std::vector<E820Entry>& reserved = {});

}  // namespace vx86
