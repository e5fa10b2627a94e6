// The PIIX4's power-management function (8086:7113 at 00:01.3), the PCI
// face of the pc machine's ACPI hardware as QEMU's pc machine has it: PMBA
// (0x40) and PMREGMISC bit 0 (0x80) place the PM1 event, control and timer
// registers (AcpiPm) in I/O space. vx86 runs no firmware for a direct kernel
// boot, so the function comes out of reset as SeaBIOS leaves it: PMBA 0x600,
// I/O enabled, the SCI on IRQ 9, SMM marked as set up (DEVACTB's APMC_EN,
// as QEMU does without SMM, so firmware never raises an SMI); a guest that
// moves PMBA moves the registers.
//
// The SMBus host controller the real function also has is absent (its
// enable bit reads 0, its base cannot be set): vx86 has no SMBus devices.
#pragma once

#include <cstdint>

#include "core/memory.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class AcpiPm;

class Piix4Pm : public PciDevice {
 public:
  static constexpr unsigned kPmBase = 0x40;     // PMBA: I/O base, bits 15:6
  static constexpr unsigned kDevActB = 0x58;    // DEVACTB (bit 25: APMC_EN)
  static constexpr unsigned kPmRegMisc = 0x80;  // bit 0: PM I/O space enable
  static constexpr unsigned kSmbusBase = 0x90;  // SMBBA
  static constexpr unsigned kSmbusHostConfig = 0xd2;
  static constexpr uint16_t kDefaultPmBase = 0x600;
  static constexpr uint8_t kSciIrq = 9;

  // pm's registers go into io_space wherever PMBA says.
  Piix4Pm(AcpiPm& pm, MemoryRegion& io_space);

  void config_write(unsigned addr, uint32_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

  // The I/O base the registers are at now (0 while disabled).
  uint16_t pm_base() const { return mapped_base_; }

 private:
  void update_mapping();

  AcpiPm& pm_;
  MemoryRegion& io_space_;
  uint16_t mapped_base_ = 0;
};

}  // namespace vx86
