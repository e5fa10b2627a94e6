// The bits of x86 page-table entries (32-bit, PAE and 4-level), shared by
// the soft MMU's walker and the monitor's page-table dumps.
#pragma once

#include <cstdint>

namespace vx86 {

inline constexpr uint64_t kPteP = 1ull << 0;   // present
inline constexpr uint64_t kPteRW = 1ull << 1;  // writable
inline constexpr uint64_t kPteUS = 1ull << 2;  // user
inline constexpr uint64_t kPtePWT = 1ull << 3;
inline constexpr uint64_t kPtePCD = 1ull << 4;
inline constexpr uint64_t kPteA = 1ull << 5;   // accessed
inline constexpr uint64_t kPteD = 1ull << 6;   // dirty
inline constexpr uint64_t kPtePS = 1ull << 7;  // a large page (not in a PTE: PAT there)
inline constexpr uint64_t kPteG = 1ull << 8;   // global
inline constexpr uint64_t kPteNX = 1ull << 63;

inline constexpr uint64_t kCr4PSE = 1ull << 4;
inline constexpr uint64_t kCr4PAE = 1ull << 5;

}  // namespace vx86
