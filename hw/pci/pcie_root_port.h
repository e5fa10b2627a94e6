// QEMU's generic PCI Express root port (pcie-root-port, 1b36:000c), which
// libvirt puts every device of a q35 domain behind: a PCI-to-PCI bridge to a
// one-slot PCI Express link, with QEMU's capabilities at QEMU's offsets
// (subsystem IDs at 0x40, MSI-X with one vector in BAR 0 at 0x48, the PCI
// Express capability of a root port with a slot at 0x54, AER at 0x100 and
// ACS at 0x148), so Linux's pcieport driver binds to it as under QEMU and
// runs its PME and AER services on the MSI-X vector (no event ever comes).
// Hot-plug into its slot goes through ACPI (hw/acpi/pci_hotplug, as QEMU
// 7.2's q35 does by default), not the slot registers: native PCI Express
// hot-plug is not granted by _OSC, so the slot status never changes.
#pragma once

#include <string>

#include "hw/pci/pci_bridge.h"

namespace vx86 {

class PcieRootPort final : public PciBridge {
 public:
  static constexpr uint16_t kVendor = 0x1b36;  // Red Hat, as QEMU's
  static constexpr uint16_t kDevice = 0x000c;

  // port: the port number in the link capabilities (libvirt's port=);
  // slot: the physical slot number (slot=, 0 by default).
  PcieRootPort(AddressSpace& dma, uint8_t port, uint16_t slot);
  // The link and slot state for whether a function is plugged behind the
  // port (a trained x1 link and the power indicator on, as QEMU's): called
  // when one is plugged, and at reset.
  void update_slot_state();

  void reset() override;

 protected:
  // As QEMU's port: the windows start closed (base above limit).
  void reset_config() override;

 private:
  uint8_t exp_cap_ = 0;
};

}  // namespace vx86
