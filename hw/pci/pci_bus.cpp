#include "hw/pci/pci_bus.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "hw/pci/pci_device.h"

namespace vx86 {

PciBus::PciBus(MemoryRegion& memory_window, MemoryRegion& io_window, AddressSpace& dma)
    : memory_window_(memory_window), io_window_(io_window), dma_(dma) {}

PciBus::PciBus(MemoryRegion& memory_window, MemoryRegion& io_window, AddressSpace& dma,
               PciDevice& bridge, bool express)
    : memory_window_(memory_window),
      io_window_(io_window),
      dma_(dma),
      upstream_(&bridge),
      express_(express) {}

PciBus* PciBus::find_bus(uint8_t number) {
  if (number == 0 && !upstream_) return this;
  for (PciDevice* dev : plugged_) {
    PciBus* behind = dev->secondary_bus();
    if (!behind) continue;
    const uint8_t secondary = dev->config_byte(pci::kSecondaryBus);
    const uint8_t subordinate = dev->config_byte(pci::kSubordinateBus);
    if (secondary == 0) continue;  // not configured yet: forwards nothing
    if (number == secondary) return behind;
    if (number > secondary && number <= subordinate) return behind->find_bus(number);
  }
  return nullptr;
}

void PciBus::plug(PciDevice& dev, int devfn) {
  if (express_ && devfn >= 0 && devfn >> 3 != 0) {
    throw std::runtime_error("a PCI Express port has only slot 0 (addr=0x0)");
  }
  if (devfn < 0) {
    for (int slot = 0; slot < (express_ ? 1 : kSlots) && devfn < 0; ++slot) {
      bool free = true;
      for (int fn = 0; fn < 8; ++fn) free = free && !functions_[slot * 8 + fn];
      if (free) devfn = slot * 8;
    }
    if (devfn < 0)
      throw std::runtime_error(upstream_ ? "the PCI bus is full" : "PCI bus 0 is full");
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
  if (!dev || reg + size > dev->config_size()) {
    return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
  }
  return dev->config_read(reg, size);
}

void PciBus::config_write(uint8_t devfn, unsigned reg, uint32_t value, unsigned size) {
  PciDevice* dev = functions_[devfn];
  if (dev && reg + size <= dev->config_size()) dev->config_write(reg, value, size);
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
  pin_changed(dev.slot(), pin, level);
}

void PciBus::pin_changed(unsigned slot, unsigned pin, bool level) {
  if (upstream_) {
    // The bridge's pin for this one: rotated by the slot (INTA of device 1
    // is the bridge's INTB), counted on the root bus where lines are shared.
    const unsigned bridge_pin = (slot + pin - 1) % 4 + 1;
    if (PciBus* parent = upstream_->bus())
      parent->pin_changed(upstream_->slot(), bridge_pin, level);
    return;
  }
  int pirq = pirq_for(slot, pin);
  bool before = pirq_count_[pirq] > 0;
  pirq_count_[pirq] += level ? 1 : -1;
  bool after = pirq_count_[pirq] > 0;
  if (before != after && router_) router_(pirq, after);
}

}  // namespace vx86
