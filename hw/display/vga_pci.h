// The PCI function of QEMU's standard VGA (-vga std): 1234:1111, display
// class, at 00:02.0, with a 16 MiB linear framebuffer in BAR 0. The legacy
// VGA (text mode, ports) is VgaText; this adds the graphics modes a BIOS's
// VESA mode set would leave: for a direct kernel boot with vga=MODE, vx86
// plays that BIOS, maps BAR 0 where SeaBIOS does and tells Linux through
// screen_info, so its vesafb and fbcon draw into the framebuffer. The
// guest's own mode sets (VBE DISPI ports, bochs-drm) are not modelled.
#pragma once

#include <memory>
#include <optional>

#include "core/framebuffer.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class VgaPci : public PciDevice {
 public:
  static constexpr uint64_t kFramebufferSize = 16ull << 20;
  // Where firmware maps BAR 0 (SeaBIOS's first 32-bit BAR on QEMU's pc).
  static constexpr uint32_t kFirmwareFramebufferBase = 0xfd000000;

  VgaPci();
  ~VgaPci() override;

  // Maps BAR 0 at kFirmwareFramebufferBase and enables memory decoding, as
  // firmware does before it boots a kernel.
  void firmware_map();
  // The mode being scanned out; inactive: the text mode of VgaText.
  void set_mode(const FramebufferFormat& format);
  const FramebufferFormat& mode() const { return mode_; }
  const uint8_t* framebuffer() const;
  uint64_t framebuffer_address() const { return bar_address(0); }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  std::unique_ptr<MemoryRegion> vram_;
  FramebufferFormat mode_;
};

// The graphics mode a Linux command line's vga=N asks for (N a VESA mode
// number + 0x200, e.g. 0x318 = 1024x768 with 24 bits per pixel, 0x344 the
// same with 32), as QEMU's VGA BIOS sets it; nothing for text modes and
// numbers vx86 does not offer.
std::optional<FramebufferFormat> linux_vga_mode(uint16_t vga);

}  // namespace vx86
