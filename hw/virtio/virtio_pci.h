// The virtio PCI transport (virtio 1.x, 4.1) for a transitional device, as
// QEMU presents one: the modern interface in a 64-bit prefetchable memory BAR
// (BAR 4: common configuration at 0x0000, ISR at 0x1000, device configuration
// at 0x2000, notifications at 0x3000 with a multiplier of 4) described by
// vendor capabilities (including the PCI configuration access capability),
// the legacy interface in I/O BAR 0, and MSI-X (table and PBA in BAR 1) with
// one vector per queue plus one for configuration changes by default. While
// the driver has MSI-X enabled, interrupts go to the vectors it assigned
// (msix_config, queue_msix_vector); otherwise to INTx and the ISR.
// Behind a PCI Express port it is what QEMU makes it there (disable-legacy
// =auto): a modern-only PCI Express endpoint, device ID 0x1040 + the virtio
// ID, revision 1, no legacy I/O BAR, with PCI Express and power management
// capabilities at 0x40 and 0x7c before the virtio ones.
#pragma once

#include <memory>
#include <vector>

#include "core/member_io_ops.h"
#include "hw/pci/pci_device.h"
#include "hw/virtio/virtio_device.h"

namespace vx86 {

class VirtioPci : public PciDevice, public DmaMemory {
 public:
  static constexpr uint16_t kVendor = 0x1af4;
  static constexpr int kLegacyBar = 0;
  static constexpr int kMsixBar = 1;
  static constexpr int kModernBar = 4;
  static constexpr uint64_t kModernBarSize = 0x4000;
  static constexpr uint64_t kCommonOffset = 0x0000;
  static constexpr uint64_t kIsrOffset = 0x1000;
  static constexpr uint64_t kDeviceOffset = 0x2000;
  static constexpr uint64_t kNotifyOffset = 0x3000;
  static constexpr uint32_t kNotifyMultiplier = 4;
  // The legacy device configuration starts here, or 4 bytes later (after the
  // two MSI-X vector registers) while MSI-X is enabled.
  static constexpr uint64_t kLegacyConfigOffset = 0x14;
  static constexpr uint64_t kLegacyConfigOffsetMsix = 0x18;
  static constexpr uint16_t kNoVector = 0xffff;

  // class_code: the PCI class of the function (mass storage for a disk).
  // msix_vectors: 0 for INTx only (QEMU's vectors=0). express: modern-only,
  // for a PCI Express link (PciBus::express_link).
  VirtioPci(std::string type_name, std::unique_ptr<VirtioDevice> device, uint32_t class_code,
            unsigned msix_vectors, bool express = false);
  ~VirtioPci() override;

  VirtioDevice& virtio() { return *device_; }
  // Every virtio function (a virtio-serial's ports go with it).
  bool hotpluggable() const override { return true; }

  bool dma_read(uint64_t addr, void* buf, std::size_t len) override;
  bool discard_page(uint64_t addr) override;
  bool dma_write(uint64_t addr, const void* buf, std::size_t len) override;

  uint32_t config_read(unsigned addr, unsigned size) override;
  void config_write(unsigned addr, uint32_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  // The modern interface (memory BAR 4) and the legacy one (I/O BAR 0).
  uint64_t modern_read(uint64_t offset, unsigned size);
  void modern_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t legacy_read(uint64_t offset, unsigned size);
  void legacy_write(uint64_t offset, uint64_t value, unsigned size);

  uint64_t common_read(uint64_t offset, unsigned size);
  void common_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t device_config_read(uint64_t offset, unsigned size);
  void device_config_write(uint64_t offset, uint64_t value, unsigned size);
  void add_virtio_cap(uint8_t type, uint64_t offset, uint32_t length, uint8_t extra = 0);
  void update_irq();
  // The device's interrupt: a queue index or VirtioDevice::kConfigInterrupt.
  void interrupt(int source);
  uint16_t checked_vector(uint64_t value) const;
  uint64_t legacy_config_offset() const;
  void reset_vectors();

  std::unique_ptr<VirtioDevice> device_;
  MemberIoOps<VirtioPci, &VirtioPci::modern_read, &VirtioPci::modern_write> modern_ops_{*this};
  MemberIoOps<VirtioPci, &VirtioPci::legacy_read, &VirtioPci::legacy_write> legacy_ops_{*this};
  std::unique_ptr<MemoryRegion> modern_region_;
  std::unique_ptr<MemoryRegion> legacy_region_;
  uint8_t pci_cfg_cap_ = 0;  // offset of the VIRTIO_PCI_CAP_PCI_CFG capability

  // Modern common configuration selectors.
  uint32_t device_feature_select_ = 0;
  uint32_t driver_feature_select_ = 0;
  uint16_t queue_select_ = 0;
  uint64_t driver_features_shadow_ = 0;  // written 32 bits at a time
  // MSI-X vectors the driver assigned (kNoVector: none).
  uint16_t config_vector_ = kNoVector;
  std::vector<uint16_t> queue_vectors_;
};

}  // namespace vx86
