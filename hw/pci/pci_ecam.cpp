#include "hw/pci/pci_ecam.h"

#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {

// Above RAM, ROM, the PAM windows and the chipset's MMIO: wherever the guest
// puts the window, it wins (and cannot collide with a sibling).
constexpr int kEcamPriority = 3;

}  // namespace

PciEcam::~PciEcam() {
  unplace();
}

void PciEcam::unplace() {
  if (region_ && region_->parent()) region_->parent()->remove_subregion(region_.get());
  region_.reset();
}

void PciEcam::place(MemoryRegion& memory, uint64_t base, uint64_t size) {
  unplace();
  if (size == 0) return;
  region_ = MemoryRegion::io("pcie-mmcfg-mmio", size, this, {1, 4, false});
  memory.add_subregion(base, region_.get(), kEcamPriority);
}

uint64_t PciEcam::read(uint64_t offset, unsigned size) {
  const unsigned reg = offset & 0xfff;
  PciBus* bus = bus_.find_bus(static_cast<uint8_t>(offset >> 20));
  if (!bus) return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
  return bus->config_read(static_cast<uint8_t>(offset >> 12), reg, size);
}

void PciEcam::write(uint64_t offset, uint64_t value, unsigned size) {
  const unsigned reg = offset & 0xfff;
  if (PciBus* bus = bus_.find_bus(static_cast<uint8_t>(offset >> 20))) {
    bus->config_write(static_cast<uint8_t>(offset >> 12), reg, static_cast<uint32_t>(value), size);
  }
}

}  // namespace vx86
