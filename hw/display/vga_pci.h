// The PCI function of QEMU's standard VGA (-vga std): 1234:1111, display
// class, at 00:02.0, with a 16 MiB linear framebuffer in BAR 0 and the Bochs
// VBE ("DISPI") registers at ports 0x1CE/0x1CF and in BAR 2 (MMIO at 0x500,
// as QEMU), through which a guest sets graphics modes itself (bochs-drm,
// hobby kernels); 8-bit modes take their colours from the legacy VGA's DAC
// (Vga), and the 64 KiB window at 0xA0000 shows a bank of the framebuffer
// while a VBE mode is on, for guests without a linear framebuffer. For a direct
// kernel boot with vga=MODE, vx86 plays the VESA BIOS instead: it maps BAR 0
// where SeaBIOS does, sets the mode through the same registers and tells
// Linux through screen_info, so its vesafb and fbcon draw there.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "core/framebuffer.h"
#include "core/member_io_ops.h"
#include "hw/display/vga.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class VgaPci : public PciDevice, public VbeBankedWindow {
 public:
  static constexpr uint64_t kFramebufferSize = 16ull << 20;
  static constexpr uint16_t kDispiIndexPort = 0x1ce;  // then the data port, 0x1cf
  static constexpr uint64_t kMmioSize = 0x1000;
  static constexpr uint64_t kMmioDispi = 0x500;
  // DISPI registers (index) and values.
  enum DispiIndex : uint16_t {
    kDispiId,
    kDispiXres,
    kDispiYres,
    kDispiBpp,
    kDispiEnable,
    kDispiBank,
    kDispiVirtWidth,
    kDispiVirtHeight,
    kDispiXOffset,
    kDispiYOffset,
    kDispiVideoMemory64k,
    kDispiRegisters
  };
  static constexpr uint16_t kDispiIdLatest = 0xb0c5;
  static constexpr uint16_t kDispiEnabled = 0x01;
  static constexpr uint16_t kDispiGetCaps = 0x02;
  static constexpr uint16_t kDispiLfbEnabled = 0x40;
  static constexpr uint16_t kDispiNoClear = 0x80;
  static constexpr uint16_t kDispiMaxXres = 16000, kDispiMaxYres = 12000, kDispiMaxBpp = 32;
  // Where firmware maps BAR 0 (SeaBIOS's first 32-bit BAR on QEMU's pc).
  static constexpr uint32_t kFirmwareFramebufferBase = 0xfd000000;

  VgaPci();
  ~VgaPci() override;

  // The DISPI index/data ports in the I/O space.
  void map_ports(MemoryRegion& io);
  // The VGA BIOS firmware finds in the expansion ROM BAR (before plugging;
  // at most 16 MiB, padded to a power of two).
  void set_option_rom(const std::vector<uint8_t>& rom);
  // Maps BAR 0 at kFirmwareFramebufferBase and enables memory decoding, as
  // firmware does before it boots a kernel.
  void firmware_map();
  // Sets a mode through the DISPI registers, as a VESA BIOS does.
  void set_mode(const FramebufferFormat& format);
  // The mode being scanned out; inactive: the text mode of Vga.
  const FramebufferFormat& mode() const { return mode_; }
  const uint8_t* framebuffer() const;
  // The 64 KiB window at 0xA0000 onto bank DISPI_BANK of the framebuffer,
  // while a VBE mode is on (the legacy Vga asks).
  uint8_t* banked_byte(uint32_t offset) override;
  uint64_t framebuffer_address() const { return bar_address(0); }

  void reset() override;
  void visit_state(StateVisitor& v) override;

  uint16_t dispi_read(uint16_t index) const;
  void dispi_write(uint16_t index, uint16_t value);

 private:
  // The DISPI index/data ports, and BAR 2 (the DISPI registers at kMmioDispi).
  uint64_t dispi_port_read(uint64_t offset, unsigned size);
  void dispi_port_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t mmio_read(uint64_t offset, unsigned size);
  void mmio_write(uint64_t offset, uint64_t value, unsigned size);

  // Recomputes the scanned-out mode from the registers.
  void update_mode();
  void reset_dispi();

  std::unique_ptr<MemoryRegion> vram_;
  MemberIoOps<VgaPci, &VgaPci::dispi_port_read, &VgaPci::dispi_port_write> port_ops_{*this};
  MemberIoOps<VgaPci, &VgaPci::mmio_read, &VgaPci::mmio_write> mmio_ops_{*this};
  std::unique_ptr<MemoryRegion> ports_;
  std::unique_ptr<MemoryRegion> mmio_;
  std::unique_ptr<MemoryRegion> rom_;
  uint16_t dispi_index_ = 0;
  std::array<uint16_t, kDispiRegisters> dispi_{};
  FramebufferFormat mode_;
};

// The graphics mode a Linux command line's vga=N asks for (N a VESA mode
// number + 0x200, e.g. 0x318 = 1024x768 with 24 bits per pixel, 0x344 the
// same with 32), as QEMU's VGA BIOS sets it; nothing for text modes and
// numbers vx86 does not offer.
std::optional<FramebufferFormat> linux_vga_mode(uint16_t vga);

}  // namespace vx86
