// A PCI bus as the pc machine builds one, for PCI device tests: RAM at 0,
// the i440FX host bridge with its configuration ports, the PIIX3 routing all
// four PCI interrupt lines to ISA IRQ 11 (irq()), and configuration space
// through ports 0xCF8/0xCFC as a guest reaches it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/irq.h"
#include "core/memory.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/piix3.h"

namespace vx86 {

class PciTestBus {
 public:
  PciTestBus() {
    system_->add_subregion(0, ram_.get());
    system_->add_subregion(0, pci_mem_.get(), -1);
    io_->add_subregion(0, pci_io_.get(), -1);
    irq11_.set_handler([this](bool level) { irq_ = level; });
    std::array<IrqLine*, 16> lines{};
    lines[11] = &irq11_;
    piix3_ = std::make_unique<Piix3>(lines);
    bus_ = std::make_unique<PciBus>(*pci_mem_, *pci_io_, memory_);
    host_.map_config_ports(*io_, *bus_);
    bus_->plug(host_, 0);
    bus_->plug(*piix3_, pci::devfn(1, 0));
    piix3_->connect(*bus_);
    for (int pin = 0; pin < 4; ++pin) piix3_->set_route(pin, 11);
  }

  PciBus& bus() { return *bus_; }
  MemoryRegion& system() { return *system_; }
  AddressSpace& memory() { return memory_; }
  AddressSpace& io() { return io_space_; }
  // ISA IRQ 11, where every PCI interrupt line goes.
  bool irq() const { return irq_; }

  uint32_t config_read(unsigned devfn, unsigned reg, unsigned size) {
    select(devfn, reg);
    return static_cast<uint32_t>(io_space_.read(0xcfc + (reg & 3), size));
  }
  void config_write(unsigned devfn, unsigned reg, uint32_t value, unsigned size) {
    select(devfn, reg);
    io_space_.write(0xcfc + (reg & 3), value, size);
  }

 private:
  void select(unsigned devfn, unsigned reg) {
    io_space_.write(0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
  }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> pci_mem_ = MemoryRegion::container("pci-mem", UINT64_MAX);
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::container("io", 0x10000);
  std::unique_ptr<MemoryRegion> pci_io_ = MemoryRegion::container("pci-io", 0x10000);
  AddressSpace memory_{"memory", system_.get()};
  AddressSpace io_space_{"io", io_.get()};
  std::unique_ptr<PciBus> bus_;
  I440fxHost host_;
  std::unique_ptr<Piix3> piix3_;
  IrqLine irq11_;
  bool irq_ = false;
};

}  // namespace vx86
