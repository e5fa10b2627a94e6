// PCI bus 0: the functions plugged into it (by device/function number), the
// memory and I/O windows their BARs are placed in, the address space they DMA
// to, and INTx: each function's pin drives one of the PIRQ lines, which are
// shared and level-triggered: on the i440FX one of four, (slot + pin - 1) % 4;
// the Q35's ICH9 has eight and its own map (set_pirq_map). The interrupt
// router (the PIIX3 or the ICH9's LPC bridge) turns PIRQ levels into IRQs.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/memory.h"

namespace vx86 {

class PciDevice;

class PciBus {
 public:
  static constexpr int kSlots = 32;
  static constexpr int kPirqs = 4;     // the i440FX's PIRQ A-D
  static constexpr int kMaxPirqs = 8;  // the ICH9's PIRQ A-H

  PciBus(MemoryRegion& memory_window, MemoryRegion& io_window, AddressSpace& dma);
  PciBus(const PciBus&) = delete;
  PciBus& operator=(const PciBus&) = delete;

  // Plugs dev at devfn, or at function 0 of the first free slot when devfn is
  // -1. Throws std::runtime_error (a user-facing message) if it is taken or the
  // bus is full.
  void plug(PciDevice& dev, int devfn = -1);
  // Takes a function off the bus (hot-unplug): its BARs and INTx go with it.
  void unplug(PciDevice& dev);
  PciDevice* device(uint8_t devfn) const { return functions_[devfn]; }
  const std::vector<PciDevice*>& devices() const { return plugged_; }

  // Configuration cycles from the host bridge. Absent functions read all-ones.
  uint32_t config_read(uint8_t devfn, unsigned reg, unsigned size);
  void config_write(uint8_t devfn, unsigned reg, uint32_t value, unsigned size);

  MemoryRegion& memory_window() { return memory_window_; }
  MemoryRegion& io_window() { return io_window_; }
  AddressSpace& dma() { return dma_; }

  // The PIRQ line a slot's INTx pin (1 = INTA) drives on the i440FX.
  static int pirq_of(unsigned slot, unsigned pin) { return static_cast<int>((slot + pin - 1) % 4); }
  // Another chipset's map: slot and pin (1 = INTA) to a PIRQ below kMaxPirqs.
  void set_pirq_map(std::function<int(unsigned slot, unsigned pin)> map);
  // The PIRQ line a slot's INTx pin drives on this bus.
  int pirq_for(unsigned slot, unsigned pin) const {
    return pirq_map_ ? pirq_map_(slot, pin) : pirq_of(slot, pin);
  }
  // Called with (pirq, level) whenever a PIRQ line changes level.
  void set_intx_router(std::function<void(int pirq, bool level)> router);
  bool pirq_level(int pirq) const { return pirq_count_[pirq] > 0; }
  // From PciDevice::set_irq: the function's INTx output changed.
  void intx_changed(PciDevice& dev, bool level);

 private:
  MemoryRegion& memory_window_;
  MemoryRegion& io_window_;
  AddressSpace& dma_;
  std::array<PciDevice*, 256> functions_{};
  std::vector<PciDevice*> plugged_;
  std::array<int, kMaxPirqs> pirq_count_{};  // asserted INTx outputs per PIRQ line
  std::function<void(int, bool)> router_;
  std::function<int(unsigned, unsigned)> pirq_map_;
};

}  // namespace vx86
