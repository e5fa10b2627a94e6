// The text mode of a VGA, as a PC's BIOS leaves it and Linux's vgacon drives
// it: 80x25 cells of (character, attribute) in the 32 KiB window at 0xB8000,
// the CRT controller's start address, cursor shape and cursor position
// (0x3D4/0x3D5), input status 1 (0x3DA, retrace toggling for programs that
// wait for it), and the other VGA registers kept so they read back (misc
// output, sequencer, graphics controller, attribute controller, DAC).
// Graphics modes are not modelled: displays render the text cells.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/memory.h"
#include "core/text_screen.h"

namespace vx86 {

class VgaText : public Device, public IoOps {
 public:
  static constexpr uint64_t kTextBase = 0xB8000;
  static constexpr uint64_t kTextSize = 0x8000;
  static constexpr uint64_t kPortBase = 0x3C0;  // 0x3C0-0x3DF
  static constexpr int kColumns = 80;
  static constexpr int kRows = 25;

  VgaText();
  ~VgaText() override;

  // Maps the text window into memory and the registers into I/O space.
  void map(MemoryRegion& memory, MemoryRegion& io);
  // A snapshot of the screen from the start address on (device lock held).
  TextScreen screen() const;

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  uint8_t read_port(uint16_t port);
  void write_port(uint16_t port, uint8_t value);

  std::unique_ptr<MemoryRegion> text_;
  std::unique_ptr<MemoryRegion> ports_;
  std::array<uint8_t, 0x19> crtc_{};
  std::array<uint8_t, 5> sequencer_{};
  std::array<uint8_t, 9> graphics_{};
  std::array<uint8_t, 0x15> attribute_{};
  std::array<uint8_t, 256 * 3> dac_{};
  uint8_t crtc_index_ = 0, sequencer_index_ = 0, graphics_index_ = 0, attribute_index_ = 0;
  bool attribute_expects_index_ = true;  // the 0x3C0 flip-flop, reset by reading 0x3DA
  uint8_t misc_output_ = 0;
  uint8_t dac_read_index_ = 0, dac_write_index_ = 0, dac_component_ = 0, dac_mask_ = 0;
  uint8_t status_toggle_ = 0;
};

}  // namespace vx86
