#include "hw/acpi/piix4_pm.h"

#include "core/log.h"
#include "hw/acpi/acpi_pm.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {

constexpr uint8_t kApmcEnByte = 0x02;  // DEVACTB bit 25, in its byte 0x5b

}  // namespace

Piix4Pm::Piix4Pm(AcpiPm& pm, MemoryRegion& io_space)
    : PciDevice("PIIX4_PM", PciIds{.vendor = 0x8086,
                                   .device = 0x7113,
                                   .class_code = 0x068000,
                                   .revision = 0x03,
                                   .subsystem_vendor = pci::kQemuSubsystemVendor,
                                   .subsystem = pci::kQemuSubsystem,
                                   .interrupt_pin = 1}),
      pm_(pm),
      io_space_(io_space) {
  // Status: fast back-to-back capable, medium DEVSEL timing (as QEMU's).
  set_config16(pci::kStatus, 0x0280);
  // PMBA bits 15:6 are the base; bit 0 reads 1 (I/O space indicator).
  set_write_mask(kPmBase, 0xc0);
  set_write_mask(kPmBase + 1, 0xff);
  set_write_mask(kPmRegMisc, 0x01);
  set_write_mask(pci::kInterruptLine, 0xff);
}

void Piix4Pm::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  const bool touches_base = addr < kPmBase + 4 && kPmBase < addr + size;
  const bool touches_misc = addr <= kPmRegMisc && kPmRegMisc < addr + size;
  if (touches_base || touches_misc) update_mapping();
}

void Piix4Pm::reset() {
  PciDevice::reset();
  set_config32(kPmBase, kDefaultPmBase | 1u);
  set_config8(kPmRegMisc, 0x01);
  set_config8(kDevActB + 3, kApmcEnByte);
  set_config8(pci::kInterruptLine, kSciIrq);
  update_mapping();
}

void Piix4Pm::update_mapping() {
  const uint16_t want =
      (config_byte(kPmRegMisc) & 1) ? static_cast<uint16_t>(config32(kPmBase) & 0xffc0u) : 0;
  if (want == mapped_base_) return;
  if (mapped_base_) pm_.unmap(io_space_);
  mapped_base_ = 0;
  if (!want) return;
  if (pm_.map(io_space_, want)) {
    mapped_base_ = want;
  } else {
    // The guest put the block over another device's ports: it stays away.
    VX86_LOG(kLogGuestErrors, "PIIX4_PM: PMBA 0x%x overlaps other ports, not decoded\n", want);
  }
}

void Piix4Pm::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  if (v.loading()) update_mapping();
}

}  // namespace vx86
