#include "hw/pci/i440fx.h"

#include <cstdio>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr unsigned kPam0 = 0x59;  // PAM0-6: 0x59-0x5f
constexpr unsigned kSmram = 0x72;
constexpr uint8_t kSmramDefault = 0x02;
// A PAM nibble: bit 0 reads from RAM, bit 1 writes to RAM.
constexpr unsigned kPamReadOnly = 1;
constexpr unsigned kPamWriteOnly = 2;
constexpr unsigned kPamReadWrite = 3;
// Above the BIOS's alias below 1 MiB (priority 1) and RAM (0).
constexpr int kPamPriority = 2;

uint64_t all_ones(unsigned size) {
  return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

}  // namespace

I440fxHost::I440fxHost()
    : PciDevice("i440FX-pcihost", PciIds{.vendor = 0x8086,
                                         .device = 0x1237,
                                         .class_code = 0x060000,
                                         .revision = 0x02,
                                         .subsystem_vendor = pci::kQemuSubsystemVendor,
                                         .subsystem = pci::kQemuSubsystem}),
      address_ops_(*this),
      data_ops_(*this) {
  for (unsigned r = kPam0; r < kPam0 + 7; ++r) set_write_mask(r, 0xff);
  set_write_mask(kSmram, 0x78);
  set_config8(kSmram, kSmramDefault);
}

void I440fxHost::connect_pam(MemoryRegion& system_memory, MemoryRegion& ram) {
  // PAM0's high nibble: the BIOS's 64 KiB at 0xF0000. PAM1-6: two 16 KiB
  // segments each from 0xC0000, low nibble first.
  auto add = [&](uint64_t base, uint64_t size, unsigned reg, unsigned shift) {
    char name[32];
    std::snprintf(name, sizeof name, "pam-%05llx", static_cast<unsigned long long>(base));
    PamSegment seg{MemoryRegion::alias(name, &ram, base, size), reg, shift};
    seg.window->set_enabled(false);
    system_memory.add_subregion(base, seg.window.get(), kPamPriority);
    pam_.push_back(std::move(seg));
  };
  add(0xF0000, 0x10000, kPam0, 4);
  for (unsigned i = 0; i < 12; ++i)
    add(0xC0000 + i * 0x4000, 0x4000, kPam0 + 1 + i / 2, (i % 2) * 4);
  update_pam();
}

void I440fxHost::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  if (addr < kPam0 + 7 && addr + size > kPam0) update_pam();
}

void I440fxHost::update_pam() {
  for (PamSegment& seg : pam_) {
    const unsigned mode = (config_byte(seg.reg) >> seg.shift) & 3;
    if (mode == kPamWriteOnly) {
      VX86_LOG(kLogUnimp, "i440fx: write-only shadow RAM (PAM 0x%x) shown as ROM\n",
               config_byte(seg.reg));
    }
    const bool enabled = mode == kPamReadOnly || mode == kPamReadWrite;
    const bool readonly = mode == kPamReadOnly;
    // Each change rebuilds the flat views: change only what changed.
    if (seg.window->readonly() != readonly) seg.window->set_readonly(readonly);
    if (seg.window->enabled() != enabled) seg.window->set_enabled(enabled);
  }
}

I440fxHost::~I440fxHost() {
  for (PamSegment& seg : pam_) {
    if (seg.window->parent()) seg.window->parent()->remove_subregion(seg.window.get());
  }
  if (address_region_ && address_region_->parent()) {
    address_region_->parent()->remove_subregion(address_region_.get());
  }
  if (data_region_ && data_region_->parent()) {
    data_region_->parent()->remove_subregion(data_region_.get());
  }
}

void I440fxHost::map_config_ports(MemoryRegion& io_space, PciBus& bus) {
  config_bus_ = &bus;
  address_region_ = MemoryRegion::io("pci-conf-idx", 4, &address_ops_, {1, 4, false});
  data_region_ = MemoryRegion::io("pci-conf-data", 4, &data_ops_, {1, 4, false});
  io_space.add_subregion(kConfigAddressPort, address_region_.get());
  io_space.add_subregion(kConfigDataPort, data_region_.get());
}

bool I440fxHost::selected(uint64_t offset, uint8_t* devfn, unsigned* reg) const {
  if (!(config_address_ & 0x80000000u)) return false;
  if (((config_address_ >> 16) & 0xff) != 0) return false;  // only bus 0
  *devfn = static_cast<uint8_t>(config_address_ >> 8);
  *reg = (config_address_ & 0xfc) + static_cast<unsigned>(offset);
  return true;
}

uint64_t I440fxHost::config_address_read(uint64_t offset, unsigned size) {
  if (offset == 0 && size == 4) return config_address_;
  if (offset == 1 && size == 1 && port_cf9_) return port_cf9_->read(0, 1);
  return all_ones(size);
}

void I440fxHost::config_address_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0 && size == 4) {
    config_address_ = static_cast<uint32_t>(value) & 0x80fffffcu;
  } else if (offset == 1 && size == 1 && port_cf9_) {
    port_cf9_->write(0, value, 1);
  }
}

uint64_t I440fxHost::config_data_read(uint64_t offset, unsigned size) {
  uint8_t devfn;
  unsigned reg;
  if (!config_bus_ || !selected(offset, &devfn, &reg)) return all_ones(size);
  return config_bus_->config_read(devfn, reg, size);
}

void I440fxHost::config_data_write(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t devfn;
  unsigned reg;
  if (!config_bus_ || !selected(offset, &devfn, &reg)) return;
  config_bus_->config_write(devfn, reg, static_cast<uint32_t>(value), size);
}

void I440fxHost::reset() {
  PciDevice::reset();
  for (unsigned r = kPam0; r < kPam0 + 7; ++r) set_config8(r, 0);
  set_config8(kSmram, kSmramDefault);
  config_address_ = 0;
  update_pam();
}

void I440fxHost::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("config_address", config_address_);
  if (v.loading()) update_pam();
}

}  // namespace vx86
