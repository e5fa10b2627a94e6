#include "hw/display/vga_pci.h"

#include <array>

namespace vx86 {

VgaPci::VgaPci()
    : PciDevice("VGA", PciIds{.vendor = 0x1234,
                              .device = 0x1111,
                              .class_code = 0x030000,
                              .revision = 2,
                              .subsystem_vendor = pci::kQemuSubsystemVendor,
                              .subsystem = pci::kQemuSubsystem}) {
  vram_ = MemoryRegion::ram("vga.vram", kFramebufferSize);
  register_bar(0, PciBarType::kMem32, vram_.get());
}

VgaPci::~VgaPci() {
  if (vram_ && vram_->parent()) vram_->parent()->remove_subregion(vram_.get());
}

void VgaPci::firmware_map() {
  config_write(pci::kBar0, kFirmwareFramebufferBase, 4);
  config_write(pci::kCommand, command() | pci::kCommandMemory, 2);
}

void VgaPci::set_mode(const FramebufferFormat& format) {
  mode_ = format;
}

const uint8_t* VgaPci::framebuffer() const {
  return vram_->host_ptr();
}

void VgaPci::reset() {
  PciDevice::reset();
  mode_ = {};
}

void VgaPci::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.begin("vga-pci");
  v.field("width", mode_.width);
  v.field("height", mode_.height);
  v.field("bpp", mode_.bits_per_pixel);
  v.field("stride", mode_.stride);
  v.end();
}

std::optional<FramebufferFormat> linux_vga_mode(uint16_t vga) {
  // The direct-colour modes of QEMU's VGA BIOS (SeaVGABIOS on the std VGA):
  // VESA's numbers for 15, 16 and packed 24 bits per pixel, its own 0x14x
  // for 32. Linux's vga= numbers them 0x200 higher.
  struct Mode {
    uint16_t number;
    unsigned width, height, bpp;
  };
  static constexpr std::array<Mode, 20> kModes = {{
      {0x10d, 320, 200, 15},   {0x10e, 320, 200, 16},   {0x10f, 320, 200, 24},
      {0x110, 640, 480, 15},   {0x111, 640, 480, 16},   {0x112, 640, 480, 24},
      {0x113, 800, 600, 15},   {0x114, 800, 600, 16},   {0x115, 800, 600, 24},
      {0x116, 1024, 768, 15},  {0x117, 1024, 768, 16},  {0x118, 1024, 768, 24},
      {0x119, 1280, 1024, 15}, {0x11a, 1280, 1024, 16}, {0x11b, 1280, 1024, 24},
      {0x142, 640, 480, 32},   {0x143, 800, 600, 32},   {0x144, 1024, 768, 32},
      {0x145, 1280, 1024, 32}, {0x147, 1600, 1200, 32},
  }};
  for (const Mode& m : kModes) {
    if (vga == m.number + 0x200) {
      const unsigned bytes = (m.bpp + 7) / 8;
      return FramebufferFormat{m.width, m.height, m.bpp, m.width * bytes};
    }
  }
  return std::nullopt;
}

}  // namespace vx86
