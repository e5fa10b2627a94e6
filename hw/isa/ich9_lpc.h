// The ICH9's LPC bridge (00:1f.0, 8086:2918), the Q35 machine's ISA bridge
// as QEMU models it, in its two roles here:
//
// Interrupt router. Eight PIRQ lines (A-H); PIRQx_ROUT (0x60-0x63 for A-D,
// 0x68-0x6B for E-H; bit 7 disables the route, bits 3:0 pick ISA IRQ 3-7,
// 9-12, 14 or 15) steer them onto ISA IRQs for the 8259s, and in APIC mode
// PIRQ A-H reach IOAPIC inputs 16-23 directly. Which PIRQ a function's INTx
// drives is the chipset's map as QEMU sets it up: slots 0-24 take PIRQ E-H,
// (slot + pin) mod 4 (pin 0 = INTA); slots 25-31 take PIRQ A-D by pin alone
// (the D25IR-D31IR registers' reset values).
//
// ACPI hardware. PMBASE (0x40, a 128-byte I/O block) and ACPI_CNTL (0x44,
// bit 7: decode it) place the PM1 event, control and timer registers
// (AcpiPm) at PMBASE, GPE0 at PMBASE + 0x20 and SMI_EN/SMI_STS at PMBASE +
// 0x30. vx86 runs no firmware for a direct kernel boot, so the bridge comes
// out of reset as SeaBIOS leaves it: PMBASE 0x600 decoded, SCI on IRQ 9,
// SMI_EN's APMC_EN set (SMM marked as set up, so firmware never raises an
// SMI: vx86 has no SMM). RCBA (0xF0) is kept to read back; the root complex
// register block behind it is not modelled (logged under -d unimp).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/irq.h"
#include "core/member_io_ops.h"
#include "core/memory.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pirq_router.h"

namespace vx86 {

class AcpiPm;

class Ich9Lpc : public PciDevice {
 public:
  static constexpr unsigned kPmBase = 0x40;
  static constexpr unsigned kAcpiControl = 0x44;
  static constexpr unsigned kPirqARoute = 0x60;  // PIRQA-D_ROUT
  static constexpr unsigned kPirqERoute = 0x68;  // PIRQE-H_ROUT
  static constexpr unsigned kRcba = 0xf0;
  static constexpr uint8_t kRouteDisabled = 0x80;
  static constexpr uint8_t kAcpiEnable = 0x80;
  static constexpr uint16_t kDefaultPmBase = 0x600;
  static constexpr uint64_t kGpe0Offset = 0x20;
  static constexpr uint64_t kSmiOffset = 0x30;  // SMI_EN, then SMI_STS at + 4
  static constexpr uint32_t kSmiApmcEnable = 1u << 5;
  static constexpr uint8_t kSciIrq = 9;
  static constexpr int kFirstPirqGsi = 16;

  // isa_irqs: the 16 ISA interrupt lines (entries may be null); pm's
  // registers go into io_space wherever PMBASE says.
  Ich9Lpc(const std::array<IrqLine*, 16>& isa_irqs, AcpiPm& pm, MemoryRegion& io_space);
  ~Ich9Lpc() override;

  // Connects the bus's PIRQ lines to this router and gives the bus the
  // chipset's INTx map (call after plugging).
  void connect(PciBus& bus);
  // The PIRQ (0-7 for A-H) a slot's INTx pin (1 = INTA) drives.
  static int pirq_of(unsigned slot, unsigned pin);
  // The ISA IRQ a PIRQ is routed to, or -1.
  int route(int pirq) const;
  // Routes a PIRQ as firmware would (reg value: IRQ number or kRouteDisabled).
  void set_route(int pirq, uint8_t value);
  // Also drives these lines with the raw PIRQ A-H levels, whatever the
  // routing registers say (IOAPIC inputs 16-23 for the ACPI _PRT; entries
  // may be null).
  void set_pirq_outputs(const std::array<IrqLine*, PciBus::kMaxPirqs>& lines);
  // The I/O base the ACPI registers are at now (0 while not decoded).
  uint16_t pm_base() const { return mapped_base_; }

  void config_write(unsigned addr, uint32_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  static unsigned route_register(int pirq);
  void update_outputs();
  void update_mapping();
  uint64_t smi_read(uint64_t offset, unsigned size);
  void smi_write(uint64_t offset, uint64_t value, unsigned size);

  PirqRouter router_;
  PciBus* pirq_bus_ = nullptr;
  AcpiPm& pm_;
  MemoryRegion& io_space_;
  MemberIoOps<Ich9Lpc, &Ich9Lpc::smi_read, &Ich9Lpc::smi_write> smi_ops_;
  std::unique_ptr<MemoryRegion> smi_region_;
  uint16_t mapped_base_ = 0;
  bool rcba_logged_ = false;

  // Saved state.
  uint32_t smi_enable_ = 0;
  uint32_t smi_status_ = 0;
};

}  // namespace vx86
