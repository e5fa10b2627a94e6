// Random user-level x86-64 instruction sequences for the host-vs-vx86
// differential test, encoded by a small encoder of our own. Every sequence
// works on registers, a scratch data buffer addressed through R15 (never
// written) and a scratch stack (RSP, moved only by PUSH/POP); it never
// faults. The generator tracks which arithmetic flags the SDM leaves
// undefined at the end, and makes sure no instruction reads an undefined
// flag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vx86::x86::testing {

// Fixed addresses shared by the native run and the vx86 run.
inline constexpr uint64_t kDiffCode = 0x100000;
inline constexpr uint64_t kDiffData = 0x200000;  // scratch buffer
inline constexpr uint64_t kDiffDataSize = 0x400;
inline constexpr uint64_t kDiffDataBase = kDiffData + 0x200;  // R15
inline constexpr uint64_t kDiffStackTop = 0x2fff00;           // initial RSP
inline constexpr uint64_t kDiffStackLow = 0x2ffe00;           // compared window [low, low+size)
inline constexpr uint64_t kDiffStackSize = 0x200;
inline constexpr unsigned kDiffMaxCode = 1024;

struct HostFeatures {
  bool popcnt = false, bmi1 = false, bmi2 = false, lzcnt = false, movbe = false, adx = false;
};
HostFeatures detect_host_features();

struct DiffSequence {
  std::vector<uint8_t> code;  // without the final HLT / jump back
  uint64_t regs[16] = {};
  uint32_t flags = 0;                  // initial arithmetic flags
  uint32_t undefined_flags = 0;        // arithmetic flags not to compare at the end
  uint8_t data[kDiffDataSize] = {};    // initial scratch buffer
  uint8_t stack[kDiffStackSize] = {};  // initial scratch stack window
  std::vector<std::string> listing;    // one line per instruction (when asked for)
};

// Builds sequence number `index` of the stream `seed` (deterministic).
void generate_sequence(uint64_t seed, uint64_t index, const HostFeatures& features,
                       bool with_listing, DiffSequence* out);

}  // namespace vx86::x86::testing
