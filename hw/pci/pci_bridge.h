// A PCI-to-PCI bridge (type 1 header, PCI-to-PCI Bridge Architecture 1.2):
// the bus behind it, the bus numbers it forwards configuration cycles for
// (secondary to subordinate), and the three windows of its parent's address
// spaces it forwards to that bus (16-bit I/O, 32-bit memory, 64-bit
// prefetchable memory), each an alias of the secondary bus's space placed in
// the parent's while the command register enables that kind of decoding and
// base <= limit. The secondary bus's INTx pins come out on the bridge's own,
// swizzled by slot (PciBus). Bus mastering and the VGA/ISA enables are not
// modelled: functions behind it reach memory and the interrupt controllers
// directly, as behind QEMU's bridges with bus mastering on.
#pragma once

#include <memory>
#include <string>

#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class PciBridge : public PciDevice {
 public:
  // express: the secondary bus is a PCI Express link (only device 0). dma:
  // what the functions behind it master (the system's address space).
  PciBridge(std::string type_name, const PciIds& ids, AddressSpace& dma, bool express);
  ~PciBridge() override;

  PciBus* secondary_bus() const override { return secondary_.get(); }
  // The windows as decoded (first > last: closed), for tests and `info pci`.
  struct Window {
    uint64_t first = 1;
    uint64_t last = 0;
  };
  Window io_window() const;
  Window memory_window() const;
  Window prefetch_window() const;

  void config_write(unsigned addr, uint32_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

 protected:
  void reset_config() override;

 private:
  // Places or moves the three aliases after the guest changed a window or
  // the command register.
  void update_windows();
  void place_window(std::unique_ptr<MemoryRegion>& alias, MemoryRegion& target,
                    MemoryRegion& parent, Window window, const char* what);

  std::unique_ptr<MemoryRegion> secondary_memory_;
  std::unique_ptr<MemoryRegion> secondary_io_;
  std::unique_ptr<PciBus> secondary_;
  std::unique_ptr<MemoryRegion> io_alias_;
  std::unique_ptr<MemoryRegion> memory_alias_;
  std::unique_ptr<MemoryRegion> prefetch_alias_;
};

}  // namespace vx86
