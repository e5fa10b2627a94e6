#include "hw/pc/e820.h"

#include <algorithm>

namespace vx86 {

namespace {

constexpr uint64_t kEbdaStart = 0x9fc00;  // the last KiB of 640 KiB holds the EBDA
constexpr uint64_t kHighMemory = 0x100000;
constexpr uint64_t k4GiB = 1ull << 32;

}  // namespace

std::vector<E820Entry> pc_e820_map(uint64_t ram_below_4g, uint64_t ram_above_4g,
                                   uint64_t firmware_size, const std::vector<E820Entry>& reserved) {
  std::vector<E820Entry> map;
  uint64_t conventional_end = std::min(ram_below_4g, kEbdaStart);
  map.push_back({0, conventional_end, E820Type::kRam});
  map.push_back({kEbdaStart, kHighMemory - kEbdaStart, E820Type::kReserved});
  if (ram_below_4g > kHighMemory) {
    map.push_back({kHighMemory, ram_below_4g - kHighMemory, E820Type::kRam});
  }
  if (firmware_size > 0) {
    map.push_back({k4GiB - firmware_size, firmware_size, E820Type::kReserved});
  }
  if (ram_above_4g > 0) map.push_back({k4GiB, ram_above_4g, E820Type::kRam});
  map.insert(map.end(), reserved.begin(), reserved.end());
  std::stable_sort(map.begin(), map.end(),
                   [](const E820Entry& a, const E820Entry& b) { return a.addr < b.addr; });
  return map;
}

}  // namespace vx86
