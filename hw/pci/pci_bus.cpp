#include "hw/pci/pci_bus.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "hw/pci/pci_device.h"

namespace vx86 {

PciBus::PciBus(MemoryRegion& memory_window, MemoryRegion& io_window, AddressSpace& dma)
    : memory_window_(memory_window), io_window_(io_window), dma_(dma) {}

void PciBus::plug(PciDevice& dev, int devfn) {
  if (devfn < 0) {
    for (int slot = 0; slot < kSlots && devfn < 0; ++slot) {
      bool free = true;
      for (int fn = 0; fn < 8; ++fn) free = free && !functions_[slot * 8 + fn];
      if (free) devfn = slot * 8;
    }
    if (devfn < 0) throw std::runtime_error("PCI bus 0 is full");
  }
  if (devfn > 255) throw std::runtime_error("PCI address out of range");
  if (functions_[devfn]) {
    throw std::runtime_error("PCI address " + std::to_string(devfn >> 3) + "." +
                             std::to_string(devfn & 7) + " is already in use by " +
                             functions_[devfn]->type_name());
  }
  functions_[devfn] = &dev;
  plugged_.push_back(&dev);
  dev.attach(this, static_cast<uint8_t>(devfn));
}

void PciBus::unplug(PciDevice& dev) {
  if (functions_[dev.devfn()] != &dev) return;
  functions_[dev.devfn()] = nullptr;
  std::erase(plugged_, &dev);
  dev.detach();
}

uint32_t PciBus::config_read(uint8_t devfn, unsigned reg, unsigned size) {
  PciDevice* dev = functions_[devfn];
  if (!dev) return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
  return dev->config_read(reg, size);
}

void PciBus::config_write(uint8_t devfn, unsigned reg, uint32_t value, unsigned size) {
  if (PciDevice* dev = functions_[devfn]) dev->config_write(reg, value, size);
}

void PciBus::set_intx_router(std::function<void(int, bool)> router) {
  router_ = std::move(router);
}

void PciBus::set_pirq_map(std::function<int(unsigned, unsigned)> map) {
  pirq_map_ = std::move(map);
}

void PciBus::intx_changed(PciDevice& dev, bool level) {
  unsigned pin = dev.config_byte(pci::kInterruptPin);
  if (pin < 1 || pin > 4) return;
  int pirq = pirq_for(dev.slot(), pin);
  bool before = pirq_count_[pirq] > 0;
  pirq_count_[pirq] += level ? 1 : -1;
  bool after = pirq_count_[pirq] > 0;
  if (before != after && router_) router_(pirq, after);
}

}  // namespace vx86
