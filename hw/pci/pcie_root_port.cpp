#include "hw/pci/pcie_root_port.h"

namespace vx86 {

using namespace pci;

namespace {

// Link: 16 GT/s, x32 (QEMU 7.2's x-speed and x-width defaults), data link
// layer active and bandwidth notification reporting; the port number goes in
// bits 31:24.
constexpr uint32_t kLinkCap = 0x00300604;
constexpr uint16_t kLinkStatusEmpty = 0x0204;    // what an empty port shows
constexpr uint16_t kLinkStatusTrained = 0x0011;  // 2.5 GT/s x1, as a virtio endpoint
// Slot: attention button, power controller, attention and power indicators,
// hot-plug surprise and capable, electromechanical interlock (QEMU's bits).
constexpr uint32_t kSlotCap = 0x0002007b;
constexpr unsigned kSlotNumberShift = 19;
constexpr uint16_t kSlotCtlOccupied = 0x01c0;  // power indicator on, attention off
constexpr uint16_t kSlotCtlEmpty = 0x07c0;     // both off, power off
constexpr uint32_t kDevCap2 = 0x00300020;      // ARI forwarding, extended TLP fields
constexpr uint32_t kLinkCap2 = 0x1e;           // 2.5 to 16 GT/s
constexpr uint16_t kLinkCtl2 = 0x0004;         // target: 16 GT/s
// ACS: source validation, translation blocking, request and completion
// redirect, upstream forwarding, direct translated P2P.
constexpr uint16_t kAcsCapabilities = 0x005f;

}  // namespace

PcieRootPort::PcieRootPort(AddressSpace& dma, uint8_t port, uint16_t slot)
    : PciBridge(
          "pcie-root-port",
          PciIds{.vendor = kVendor, .device = kDevice, .class_code = 0x060400, .interrupt_pin = 1},
          dma, true) {
  const uint8_t ssvid = add_capability(kCapSubsystemVendor, 8);
  set_config16(ssvid + 4, kVendor);
  init_msix(1, 0);
  exp_cap_ = add_express_capability(kExpressRootPort, kDevCapRoleBasedErrors,
                                    kLinkCap | static_cast<uint32_t>(port) << 24, kLinkStatusEmpty);
  const uint8_t cap = exp_cap_;
  set_config16(cap + kExpFlags, config16(cap + kExpFlags) | kExpFlagsSlot);
  set_config32(cap + kExpSlotCap, kSlotCap | static_cast<uint32_t>(slot) << kSlotNumberShift);
  set_config16(cap + kExpSlotCtl, kSlotCtlEmpty);
  set_write_mask(cap + kExpSlotCtl, 0xff);
  set_write_mask(cap + kExpSlotCtl + 1, 0x1f);
  set_write_clear_mask(cap + kExpSlotSta, 0x1f);
  // SERR on errors (not the PME interrupt enable: QEMU's port has no PME).
  set_write_mask(cap + kExpRootCtl, 0x07);
  set_write_clear_mask(cap + kExpRootSta + 2, 0x01);  // PME status
  set_config32(cap + kExpDevCap2, kDevCap2);
  set_config32(cap + kExpLinkCap2, kLinkCap2);
  set_config16(cap + kExpLinkCtl2, kLinkCtl2);

  // QEMU's: ECRC generation and checking, multiple header recording.
  add_aer_capability(0x000002a0, /*root_port=*/true);
  const unsigned acs = add_extended_capability(kExtCapAcs, 1, 8);
  set_config16(acs + 4, kAcsCapabilities);
  set_write_mask(acs + 6, static_cast<uint8_t>(kAcsCapabilities));
  reset_config();
}

void PcieRootPort::update_slot_state() {
  const bool occupied = !secondary_bus()->devices().empty();
  set_config16(exp_cap_ + kExpLinkSta, occupied ? kLinkStatusTrained : kLinkStatusEmpty);
  set_config16(exp_cap_ + kExpSlotCtl, occupied ? kSlotCtlOccupied : kSlotCtlEmpty);
}

void PcieRootPort::reset_config() {
  PciBridge::reset_config();
  set_config8(kIoBase, 0xf0);
  set_config8(kIoLimit, 0);
  set_config16(kMemoryBase, 0xfff0);
  set_config16(kMemoryLimit, 0);
  set_config16(kPrefetchBase, 0xfff0 | kPrefetch64);
  set_config16(kPrefetchLimit, kPrefetch64);
}

void PcieRootPort::reset() {
  PciBridge::reset();
  update_slot_state();
}

}  // namespace vx86
