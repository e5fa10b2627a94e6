// Programmable Attribute Map: seven chipset registers that shadow
// 0xC0000-0xFFFFF. PAM0's high nibble covers the BIOS's 64 KiB at 0xF0000,
// PAM1-6 two 16 KiB segments each from 0xC0000, low nibble first. Each
// nibble shows ROM/PCI (00), read-only RAM (01) or RAM (11) over what is
// below (write-only, 10, is shown as 00 and logged under -d unimp). The
// i440FX has them at 0x59-0x5F, the Q35's MCH at 0x90-0x96.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/memory.h"

namespace vx86 {

class PamShadow {
 public:
  static constexpr unsigned kRegisters = 7;

  PamShadow() = default;
  ~PamShadow();
  PamShadow(const PamShadow&) = delete;
  PamShadow& operator=(const PamShadow&) = delete;

  // Puts the segments into system_memory as windows onto ram (whose offsets
  // are the addresses below 1 MiB), above the BIOS's low alias.
  void connect(MemoryRegion& system_memory, MemoryRegion& ram);
  // Applies the seven register values (PAM0 first).
  void update(const std::array<uint8_t, kRegisters>& registers);

 private:
  struct Segment {
    std::unique_ptr<MemoryRegion> window;
    unsigned reg;    // PAM register index
    unsigned shift;  // its nibble
  };
  std::vector<Segment> segments_;
};

}  // namespace vx86
