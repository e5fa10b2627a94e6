// Self-describing sectors for the crash-consistency test: a sector written
// as generation `gen` of sector `sector` carries both, and a fill derived
// from them that compresses well (so compressed clusters stay compressed).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>

namespace vx86 {

constexpr uint64_t kCrashSector = 512;

inline uint8_t crash_fill_byte(uint64_t sector, uint64_t gen, uint64_t i) {
  return uint8_t(gen * 13 + sector * 7 + i / 32);
}

inline void fill_crash_sector(uint8_t* p, uint64_t sector, uint64_t gen) {
  std::memcpy(p, &sector, 8);
  std::memcpy(p + 8, &gen, 8);
  for (uint64_t i = 16; i < kCrashSector; i++) p[i] = crash_fill_byte(sector, gen, i);
}

// The generation a sector holds: 0 for all zeroes, nullopt when it is no
// complete sector written for this position (torn or misplaced).
inline std::optional<uint64_t> crash_sector_gen(const uint8_t* p, uint64_t sector) {
  bool zero = true;
  for (uint64_t i = 0; i < kCrashSector && zero; i++) zero = p[i] == 0;
  if (zero) return 0;
  uint64_t s, gen;
  std::memcpy(&s, p, 8);
  std::memcpy(&gen, p + 8, 8);
  if (s != sector || gen == 0) return std::nullopt;
  for (uint64_t i = 16; i < kCrashSector; i++) {
    if (p[i] != crash_fill_byte(sector, gen, i)) return std::nullopt;
  }
  return gen;
}

}  // namespace vx86
