// The VGA's 256 KiB of video memory as four 64 KiB planes, and how the CPU's
// reads and writes through the memory window reach them: chain 4 (mode 13h:
// the address's low two bits pick the plane), odd/even (text modes: the low
// bit picks plane 0 or 1), or planar with the 32-bit latches, the four write
// modes (set/reset, rotation, logical operation, bit mask, map mask) and the
// two read modes (one plane, or colour compare).
//
// Planes 0 and 1 below offset 0x4000 are the text window's bytes: in odd/even
// mode byte 2n + p of the window at 0xB8000 is plane p's byte n, so the text
// window stays plain RAM (mapped straight into the CPUs' memory, also under
// KVM) whenever the registers give that mapping, and every other path sees
// the same bytes.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "hw/display/vga_registers.h"

namespace vx86 {

class VgaPlanes {
 public:
  static constexpr uint32_t kPlaneSize = 0x10000;
  static constexpr uint32_t kTextWindowSize = 0x8000;

  // `text_window`: the kTextWindowSize bytes of the odd/even text window.
  explicit VgaPlanes(uint8_t* text_window);

  uint8_t at(unsigned plane, uint32_t offset) const {
    offset &= kPlaneSize - 1;
    if (plane < 2 && offset < kTextWindowSize / 2) return text_[2 * offset + plane];
    return store_[offset * 4 + plane];
  }
  uint8_t& at(unsigned plane, uint32_t offset) {
    offset &= kPlaneSize - 1;
    if (plane < 2 && offset < kTextWindowSize / 2) return text_[2 * offset + plane];
    return store_[offset * 4 + plane];
  }

  // A CPU access at `address` within the window (0 = its start).
  uint8_t cpu_read(const VgaRegisters& regs, uint32_t address);
  void cpu_write(const VgaRegisters& regs, uint32_t address, uint8_t value);

  // True when the registers map the text window as plain odd/even bytes at
  // 0xB8000 (as mode 3 does), so it can be RAM.
  static bool text_window_is_plain(const VgaRegisters& regs);

  void clear();
  // Whether the CPU has written plane 2 (where text modes take their font)
  // since the last clear().
  bool plane2_written() const { return plane2_written_; }
  bool& plane2_written_flag() { return plane2_written_; }
  std::vector<uint8_t>& store() { return store_; }
  uint32_t& latch() { return latch_; }

 private:
  uint8_t* text_;
  std::vector<uint8_t> store_;  // plane p's byte n at 4n + p
  uint32_t latch_ = 0;          // plane p in bits 8p..8p+7
  bool plane2_written_ = false;
};

}  // namespace vx86
