#include "hw/pci/pcie_pci_bridge.h"

namespace vx86 {

using namespace pci;

namespace {

constexpr uint8_t kCapShpc = 0x0c;
constexpr uint8_t kExpressToPciBridge = 0x7;
constexpr uint32_t kLinkCap = 0x00000411;  // 2.5 GT/s x1, L0s
constexpr uint16_t kLinkStatus = 0x0011;   // trained at that
constexpr uint32_t kDevCap2 = 0x00300020;  // ARI forwarding, extended TLP fields
constexpr uint16_t kStatus66MhzFastBackToBack = 0x00a0;

}  // namespace

PciePciBridge::PciePciBridge(AddressSpace& dma)
    : PciBridge(
          "pcie-pci-bridge",
          PciIds{.vendor = kVendor, .device = kDevice, .class_code = 0x060400, .interrupt_pin = 1},
          dma, /*express=*/false) {
  shpc_region_ = MemoryRegion::io("pcie-pci-bridge-shpc", 256, &shpc_ops_, {1, 4, false});
  register_bar(0, PciBarType::kMem64, shpc_region_.get());
  set_config16(kStatus, config16(kStatus) | kStatus66MhzFastBackToBack);
  set_config16(kSecondaryStatus, kStatus66MhzFastBackToBack);
  // The SHPC's DWORD select (+2) and data (+4) registers.
  shpc_cap_ = add_capability(kCapShpc, 8);
  set_write_mask(shpc_cap_ + 2, 0xff);
  reset_shpc();
  const uint8_t exp =
      add_express_capability(kExpressToPciBridge, kDevCapRoleBasedErrors, kLinkCap, kLinkStatus);
  set_config32(exp + kExpDevCap2, kDevCap2);
  add_power_management_capability();
  init_msi();
  add_aer_capability(0x000000a0, /*root_port=*/false);  // ECRC generation and checking
}

void PciePciBridge::reset_shpc() {
  shpc_.fill(0);
  // Slot configuration: 31 slots from device 1, physical slot numbers
  // counting up from 1.
  constexpr uint32_t kFirstDevice = 1, kFirstSlotNumber = 1, kCountUp = 1u << 29;
  shpc_[3] = kShpcSlots | kFirstDevice << 8 | kFirstSlotNumber << 16 | kCountUp;
}

uint64_t PciePciBridge::shpc_read(uint64_t offset, unsigned size) {
  const unsigned index = static_cast<unsigned>(offset / 4);
  if (index >= kShpcDwords) return 0;
  return (shpc_[index] >> (8 * (offset % 4))) & (size == 4 ? ~0u : (1u << (8 * size)) - 1);
}

void PciePciBridge::shpc_write(uint64_t offset, uint64_t value, unsigned size) {
  const unsigned index = static_cast<unsigned>(offset / 4);
  // The identification registers (0-4) are read-only; the rest keep what
  // the guest writes (masks and enables; there are no events to clear).
  if (index < 5 || index >= kShpcDwords) return;
  const unsigned shift = 8 * (offset % 4);
  const uint32_t mask = (size == 4 ? ~0u : (1u << (8 * size)) - 1) << shift;
  shpc_[index] = (shpc_[index] & ~mask) | (static_cast<uint32_t>(value << shift) & mask);
}

uint32_t PciePciBridge::config_read(unsigned addr, unsigned size) {
  // The DWORD data register shows the SHPC register DWORD select names.
  if (addr >= shpc_cap_ + 4u && addr < shpc_cap_ + 8u) {
    const unsigned select = config_byte(shpc_cap_ + 2);
    return static_cast<uint32_t>(shpc_read(select * 4 + (addr - shpc_cap_ - 4), size));
  }
  return PciBridge::config_read(addr, size);
}

void PciePciBridge::config_write(unsigned addr, uint32_t value, unsigned size) {
  if (addr >= shpc_cap_ + 4u && addr < shpc_cap_ + 8u) {
    const unsigned select = config_byte(shpc_cap_ + 2);
    shpc_write(select * 4 + (addr - shpc_cap_ - 4), value, size);
    return;
  }
  PciBridge::config_write(addr, value, size);
}

void PciePciBridge::reset() {
  PciBridge::reset();
  reset_shpc();
}

PciePciBridge::~PciePciBridge() {
  if (shpc_region_ && shpc_region_->parent())
    shpc_region_->parent()->remove_subregion(shpc_region_.get());
}

}  // namespace vx86
