// The legacy VGA of a PC: its registers at ports 0x3C0-0x3DF (misc output,
// sequencer, CRT controller, graphics controller, attribute controller, DAC,
// input status 1 with retrace toggling), its 256 KiB of planar memory behind
// the window at 0xA0000-0xBFFFF (VgaPlanes: chain 4, odd/even, the planar
// read and write modes), and what it shows: in text mode the 80x25 cells of
// the window at 0xB8000 from the CRTC's start address with its cursor, in a
// graphics mode the picture of render_vga_graphics.
//
// It starts in mode 3 as a BIOS leaves it (a direct kernel boot has no BIOS).
// While the registers map the text window as mode 3 does, that window is RAM
// mapped over the MMIO window, so text output costs no device access (and
// KVM maps it); the planes' text bytes are that RAM in every mode.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/member_io_ops.h"
#include "core/memory.h"
#include "core/rgb_image.h"
#include "core/text_screen.h"
#include "hw/display/vga_planes.h"
#include "hw/display/vga_registers.h"

namespace vx86 {

// The VBE banked window: while a VBE mode is on, the 64 KiB at 0xA0000 show
// a bank of the linear framebuffer instead of the planes (VgaPci).
class VbeBankedWindow {
 public:
  virtual ~VbeBankedWindow() = default;
  // The framebuffer byte at `offset` into the window, or nullptr while no
  // VBE mode is on.
  virtual uint8_t* banked_byte(uint32_t offset) = 0;
};

class Vga : public Device, public IoOps {
 public:
  static constexpr uint64_t kWindowBase = 0xA0000;
  static constexpr uint64_t kWindowSize = 0x20000;
  static constexpr uint64_t kTextBase = 0xB8000;
  static constexpr uint64_t kTextSize = VgaPlanes::kTextWindowSize;
  static constexpr uint64_t kPortBase = 0x3C0;  // 0x3C0-0x3DF

  Vga();
  ~Vga() override;

  // Maps the memory window into memory and the registers into I/O space.
  void map(MemoryRegion& memory, MemoryRegion& io);
  // A snapshot of the text screen from the start address on (device lock held).
  TextScreen screen() const;
  // In a graphics mode: its picture (device lock held); false in text mode.
  bool graphics_picture(RgbImage* picture) const;
  // The DAC's 256 colours as 0xRRGGBB (for the VBE palette modes).
  std::array<uint32_t, 256> palette() const;
  // Where the window goes while a VBE mode is on.
  void set_vbe_window(VbeBankedWindow* vbe) { vbe_ = vbe; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  // The memory window's accesses (the MMIO region under the text RAM).
  uint64_t window_read(uint64_t offset, unsigned size);
  void window_write(uint64_t offset, uint64_t value, unsigned size);

  uint8_t read_port(uint16_t port);
  void write_port(uint16_t port, uint8_t value);
  // Maps the text RAM while the registers give mode 3's plain text window.
  void update_text_window();

  std::unique_ptr<MemoryRegion> text_;
  std::unique_ptr<MemoryRegion> ports_;
  MemberIoOps<Vga, &Vga::window_read, &Vga::window_write> window_ops_{*this};
  std::unique_ptr<MemoryRegion> window_;
  VgaRegisters regs_;
  VgaPlanes planes_;
  VbeBankedWindow* vbe_ = nullptr;
  uint8_t crtc_index_ = 0, sequencer_index_ = 0, graphics_index_ = 0, attribute_index_ = 0;
  bool attribute_expects_index_ = true;  // the 0x3C0 flip-flop, reset by reading 0x3DA
  uint8_t dac_read_index_ = 0, dac_write_index_ = 0, dac_component_ = 0, dac_mask_ = 0;
  uint8_t status_toggle_ = 0;
};

}  // namespace vx86
