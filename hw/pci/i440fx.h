// The i440FX PCI host bridge (00.0, 8086:1237): configuration mechanism #1
// (hw/pci/pci_host_bridge.h) and the PAM registers at 0x59-0x5F, which
// shadow 0xC0000-0xFFFFF once connect_pam has been called (hw/pci/pam.h).
// SMRAM is writable but does not remap memory yet.
#pragma once

#include <cstdint>

#include "hw/pci/pam.h"
#include "hw/pci/pci_host_bridge.h"

namespace vx86 {

class I440fxHost : public PciHostBridge {
 public:
  I440fxHost();

  // Puts the PAM segments into system_memory as windows onto ram (whose
  // offsets are the addresses below 1 MiB), above the BIOS's low alias.
  void connect_pam(MemoryRegion& system_memory, MemoryRegion& ram);

  void config_write(unsigned addr, uint32_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  void update_pam();

  PamShadow pam_;
};

}  // namespace vx86
