#include "hw/display/vga_pci.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/log.h"

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
  // Index at 0x1CE, data at 0x1CF: 16-bit accesses, the data port unaligned.
  ports_ = MemoryRegion::io("vbe-dispi", 3, &port_ops_, {1, 2, true});
  mmio_ = MemoryRegion::io("vga.mmio", kMmioSize, &mmio_ops_, {1, 2, false});
  register_bar(2, PciBarType::kMem32, mmio_.get());
  reset_dispi();
}

void VgaPci::set_option_rom(const std::vector<uint8_t>& rom) {
  uint64_t size = 2048;
  while (size < rom.size()) size *= 2;
  rom_ = MemoryRegion::rom("vga.rom", size);
  std::copy(rom.begin(), rom.end(), rom_->host_ptr());
  register_expansion_rom(rom_.get());
}

VgaPci::~VgaPci() {
  for (MemoryRegion* r : {vram_.get(), mmio_.get(), ports_.get(), rom_.get()}) {
    if (r && r->parent()) r->parent()->remove_subregion(r);
  }
}

void VgaPci::map_ports(MemoryRegion& io) {
  io.add_subregion(kDispiIndexPort, ports_.get());
}

void VgaPci::reset_dispi() {
  dispi_index_ = 0;
  dispi_.fill(0);
  dispi_[kDispiId] = kDispiIdLatest;
  dispi_[kDispiBpp] = 8;
  mode_ = {};
}

uint16_t VgaPci::dispi_read(uint16_t index) const {
  if (index == kDispiVideoMemory64k) return static_cast<uint16_t>(kFramebufferSize >> 16);
  if (index >= kDispiRegisters) return 0;
  if (dispi_[kDispiEnable] & kDispiGetCaps) {
    // With GETCAPS set, the resolution and depth registers read their maxima.
    if (index == kDispiXres) return kDispiMaxXres;
    if (index == kDispiYres) return kDispiMaxYres;
    if (index == kDispiBpp) return kDispiMaxBpp;
  }
  return dispi_[index];
}

namespace {

unsigned bytes_per_pixel(unsigned bpp) {
  return (bpp + 7) / 8;
}

}  // namespace

void VgaPci::dispi_write(uint16_t index, uint16_t value) {
  switch (index) {
    case kDispiId:
      if (value >= 0xb0c0 && value <= kDispiIdLatest) dispi_[kDispiId] = value;
      break;
    case kDispiXres:
      dispi_[kDispiXres] = std::min(value, kDispiMaxXres);
      break;
    case kDispiYres:
      dispi_[kDispiYres] = std::min(value, kDispiMaxYres);
      break;
    case kDispiBpp: {
      // 0 means 8, as Bochs; depths it does not know become 8 too.
      const bool known =
          value == 4 || value == 8 || value == 15 || value == 16 || value == 24 || value == 32;
      dispi_[kDispiBpp] = known ? value : 8;
      break;
    }
    case kDispiEnable: {
      const bool was_enabled = dispi_[kDispiEnable] & kDispiEnabled;
      dispi_[kDispiEnable] = value;
      if ((value & kDispiEnabled) && !was_enabled) {
        // A mode set: the virtual screen is the visible one, at offset 0.
        dispi_[kDispiVirtWidth] = dispi_[kDispiXres];
        dispi_[kDispiXOffset] = dispi_[kDispiYOffset] = 0;
        if (!(value & kDispiNoClear)) std::memset(vram_->host_ptr(), 0, kFramebufferSize);
      }
      break;
    }
    case kDispiBank:
      // 64 KiB banks; one past the framebuffer's end is refused, as Bochs does.
      if (uint64_t{value} << 16 < kFramebufferSize) dispi_[kDispiBank] = value;
      break;
    case kDispiVirtWidth:
    case kDispiXOffset:
    case kDispiYOffset:
      dispi_[index] = value;
      break;
    default:
      break;  // VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only
  }
  const uint64_t stride = uint64_t{dispi_[kDispiVirtWidth]} * bytes_per_pixel(dispi_[kDispiBpp]);
  dispi_[kDispiVirtHeight] =
      static_cast<uint16_t>(std::min<uint64_t>(stride ? kFramebufferSize / stride : 0, 0xffff));
  update_mode();
}

void VgaPci::update_mode() {
  const unsigned bpp = dispi_[kDispiBpp];
  const unsigned bytes = bytes_per_pixel(bpp);
  FramebufferFormat f{dispi_[kDispiXres], dispi_[kDispiYres], bpp,
                      static_cast<unsigned>(dispi_[kDispiVirtWidth]) * bytes};
  f.offset = uint64_t{dispi_[kDispiYOffset]} * f.stride + uint64_t{dispi_[kDispiXOffset]} * bytes;
  const bool enabled = dispi_[kDispiEnable] & kDispiEnabled;
  // 8 bits per pixel index the legacy VGA's DAC; 4 (planar VBE) is not drawn.
  const bool shown = bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
  if (enabled && !shown) VX86_LOG(kLogUnimp, "vga: %u-bit VBE modes are not shown\n", bpp);
  const bool fits = f.offset + uint64_t{f.stride} * f.height <= kFramebufferSize;
  mode_ = enabled && shown && fits && f.width && f.height ? f : FramebufferFormat{};
}

uint64_t VgaPci::dispi_port_read(uint64_t offset, unsigned size) {
  return offset == 0 ? dispi_index_ : dispi_read(dispi_index_);
}

void VgaPci::dispi_port_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0) {
    dispi_index_ = static_cast<uint16_t>(value);
  } else {
    dispi_write(dispi_index_, static_cast<uint16_t>(value));
  }
}

uint64_t VgaPci::mmio_read(uint64_t offset, unsigned size) {
  if (offset >= kMmioDispi && offset < kMmioDispi + 2 * kDispiRegisters + 2) {
    return dispi_read(static_cast<uint16_t>((offset - kMmioDispi) / 2));
  }
  return 0;
}

void VgaPci::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset >= kMmioDispi && offset < kMmioDispi + 2 * kDispiRegisters) {
    dispi_write(static_cast<uint16_t>((offset - kMmioDispi) / 2), static_cast<uint16_t>(value));
  }
}

void VgaPci::firmware_map() {
  config_write(pci::kBar0, kFirmwareFramebufferBase, 4);
  config_write(pci::kCommand, command() | pci::kCommandMemory, 2);
}

void VgaPci::set_mode(const FramebufferFormat& format) {
  dispi_write(kDispiEnable, 0);
  dispi_write(kDispiXres, static_cast<uint16_t>(format.width));
  dispi_write(kDispiYres, static_cast<uint16_t>(format.height));
  dispi_write(kDispiBpp, static_cast<uint16_t>(format.bits_per_pixel));
  dispi_write(kDispiEnable, kDispiEnabled | kDispiLfbEnabled);
}

const uint8_t* VgaPci::framebuffer() const {
  return vram_->host_ptr();
}

uint8_t* VgaPci::banked_byte(uint32_t offset) {
  if (!(dispi_[kDispiEnable] & kDispiEnabled)) return nullptr;
  return vram_->host_ptr() + ((uint64_t{dispi_[kDispiBank]} << 16) + (offset & 0xffff));
}

void VgaPci::reset() {
  PciDevice::reset();
  reset_dispi();
}

void VgaPci::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.begin("vga-pci");
  v.field("dispi_index", dispi_index_);
  v.field("dispi", dispi_);
  v.end();
  if (v.loading()) update_mode();
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
