// PCI Express's enhanced configuration access mechanism (ECAM, "MMCONFIG"):
// a memory window where the configuration space of bus B, device D,
// function F, register R is at B << 20 | D << 15 | F << 12 | R. Buses
// behind bridges are reached through the bridges' bus numbers. PCI Express
// functions have 4 KiB of configuration space; conventional ones 256 bytes,
// so their extended registers (256-4095) read all-ones and ignore writes, as
// behind QEMU's MMCONFIG, and so do absent buses.
#pragma once

#include <cstdint>
#include <memory>

#include "core/memory.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {

class PciEcam final : public IoOps {
 public:
  explicit PciEcam(PciBus& bus) : bus_(bus) {}
  ~PciEcam() override;
  PciEcam(const PciEcam&) = delete;
  PciEcam& operator=(const PciEcam&) = delete;

  // Shows the window (size a multiple of 1 MiB: one bus per MiB) at base in
  // memory, or takes it away (size 0); replaces any earlier placement.
  void place(MemoryRegion& memory, uint64_t base, uint64_t size);
  bool mapped() const { return region_ != nullptr; }
  uint64_t base() const { return region_ ? region_->offset() : 0; }
  uint64_t size() const { return region_ ? region_->size() : 0; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

 private:
  void unplace();

  PciBus& bus_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace vx86
