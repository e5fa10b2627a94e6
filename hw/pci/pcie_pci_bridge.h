// QEMU's PCI Express to PCI bridge (pcie-pci-bridge, 1b36:000e), which
// libvirt puts behind a root port of a q35 domain for conventional PCI
// devices (an e1000): a PCI-to-PCI bridge to a 32-slot conventional bus,
// with QEMU's capabilities at QEMU's offsets (a standard hot-plug
// controller's at 0x40, PCI Express (a PCI Express to PCI bridge) at 0x48,
// power management at 0x84, MSI at 0x8c, AER at 0x100) and the SHPC's
// 256-byte register BAR. Hot-plug into its slots is ACPI's (the q35's
// bridges, as QEMU 7.2 does): the SHPC is a register file that describes
// QEMU's 31 slots (numbered from 1) and does nothing else, so Linux's
// shpchp gives up as under QEMU when acpiphp already has slots of those
// names.
#pragma once

#include <array>
#include <memory>

#include "core/member_io_ops.h"
#include "hw/pci/pci_bridge.h"

namespace vx86 {

class PciePciBridge final : public PciBridge {
 public:
  static constexpr uint16_t kVendor = 0x1b36;  // Red Hat, as QEMU's
  static constexpr uint16_t kDevice = 0x000e;

  explicit PciePciBridge(AddressSpace& dma);
  ~PciePciBridge() override;

  uint32_t config_read(unsigned addr, unsigned size) override;
  void config_write(unsigned addr, uint32_t value, unsigned size) override;
  void reset() override;

 private:
  // Base offset, slots available, slot configuration, bus configuration,
  // command/status, locators, SERR-INT enable, then one per slot.
  static constexpr unsigned kShpcSlots = 31;
  static constexpr unsigned kShpcDwords = 9 + kShpcSlots;
  uint64_t shpc_read(uint64_t offset, unsigned size);
  void shpc_write(uint64_t offset, uint64_t value, unsigned size);
  void reset_shpc();

  uint8_t shpc_cap_ = 0;
  std::array<uint32_t, kShpcDwords> shpc_{};

  MemberIoOps<PciePciBridge, &PciePciBridge::shpc_read, &PciePciBridge::shpc_write> shpc_ops_{
      *this};
  std::unique_ptr<MemoryRegion> shpc_region_;
};

}  // namespace vx86
