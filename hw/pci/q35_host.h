// The Q35 chipset's memory controller hub as QEMU models it (00.0,
// 8086:29c0): configuration mechanism #1 (hw/pci/pci_host_bridge.h), the PAM
// registers at 0x90-0x96 (hw/pci/pam.h), SMRAM and ESMRAMC kept to read back
// (no SMM), and PCIEXBAR (0x60, 64 bits), which places the ECAM window
// (hw/pci/pci_ecam.h): bit 0 enables it, bits 2:1 give its length (256, 128
// or 64 MiB, one bus per MiB) and the bits above the length its base.
// Firmware (or vx86, for a direct kernel boot) puts it at 0xB0000000.
#pragma once

#include <cstdint>

#include "hw/pci/pam.h"
#include "hw/pci/pci_ecam.h"
#include "hw/pci/pci_host_bridge.h"

namespace vx86 {

class Q35Host : public PciHostBridge {
 public:
  static constexpr unsigned kPciexbar = 0x60;
  static constexpr uint64_t kPciexbarEnable = 1;
  static constexpr uint64_t kDefaultEcamBase = 0xb0000000;  // where firmware puts it
  static constexpr uint64_t kEcamMaxSize = 256ull << 20;

  // ECAM accesses go to bus; the window is placed in system_memory.
  Q35Host(PciBus& bus, MemoryRegion& system_memory);

  // Puts the PAM segments into system_memory as windows onto ram.
  void connect_pam(MemoryRegion& ram);
  // What firmware does: the ECAM window at base, 256 MiB, enabled.
  void enable_ecam(uint64_t base);
  const PciEcam& ecam() const { return ecam_; }

  void config_write(unsigned addr, uint32_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  void update_pam();
  void update_ecam();

  MemoryRegion& system_memory_;
  PamShadow pam_;
  PciEcam ecam_;
};

}  // namespace vx86
