// A PCI bus: the functions plugged into it (by device/function number), the
// memory and I/O windows their BARs are placed in, the address space they DMA
// to, and INTx. On bus 0 (the root bus) each function's pin drives one of
// the PIRQ lines, which are shared and level-triggered: on the i440FX one of
// four, (slot + pin - 1) % 4; the Q35's ICH9 has eight and its own map
// (set_pirq_map). The interrupt router (the PIIX3 or the ICH9's LPC bridge)
// turns PIRQ levels into IRQs. A bus behind a bridge hands its pins to the
// bridge's, swizzled by slot as the PCI-to-PCI bridge specification says,
// and is reached by configuration cycles for the bus numbers the bridge
// forwards.
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
  // The bus behind `bridge` (a PCI Express link when express: below a root
  // port, where only device 0 exists).
  PciBus(MemoryRegion& memory_window, MemoryRegion& io_window, AddressSpace& dma, PciDevice& bridge,
         bool express);
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

  // The bridge this bus is behind (null for the root bus).
  PciDevice* upstream() const { return upstream_; }
  // A PCI Express link below a port: its functions are PCI Express
  // endpoints.
  bool express_link() const { return express_; }
  // The bus a configuration cycle for `number` reaches from this one: this
  // for 0 on the root bus, else the one behind the bridge whose secondary
  // bus it is (through the bridges whose ranges hold it); null if none.
  PciBus* find_bus(uint8_t number);

  // Configuration cycles from the host bridge. Absent functions, and
  // registers beyond a function's configuration space, read all-ones.
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
  // An INTx pin (1 = INTA) of a slot on this bus changed level.
  void pin_changed(unsigned slot, unsigned pin, bool level);

 private:
  MemoryRegion& memory_window_;
  MemoryRegion& io_window_;
  AddressSpace& dma_;
  std::array<PciDevice*, 256> functions_{};
  std::vector<PciDevice*> plugged_;
  std::array<int, kMaxPirqs> pirq_count_{};  // asserted INTx outputs per PIRQ line
  std::function<void(int, bool)> router_;
  std::function<int(unsigned, unsigned)> pirq_map_;
  PciDevice* upstream_ = nullptr;
  bool express_ = false;
};

}  // namespace vx86
