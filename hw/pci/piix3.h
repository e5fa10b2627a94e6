// The PIIX3 PCI-to-ISA bridge (01.0, 8086:7000, multi-function) as an
// interrupt router: PIRQRC[A:D] (config 0x60-0x63; bit 7 disables the route,
// bits 3:0 pick ISA IRQ 3-7, 9-12, 14 or 15) steer the four shared PCI
// interrupt lines onto ISA IRQs. An ISA IRQ is asserted while any PIRQ routed
// to it is; the outputs are the machine's ISA IRQ inputs (the PIC, and the
// IOAPIC when the machine fans them out), which should be level-triggered
// (ELCR) for the routed IRQs. The raw PIRQ levels can also drive four more
// lines (IOAPIC inputs 16-19).
#pragma once

#include <array>
#include <cstdint>

#include "core/irq.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pirq_router.h"

namespace vx86 {

class Piix3 : public PciDevice {
 public:
  static constexpr unsigned kPirqRoute = 0x60;  // PIRQRC[A] .. [D] at 0x60-0x63
  static constexpr uint8_t kRouteDisabled = 0x80;

  // isa_irqs: the 16 ISA interrupt lines (entries may be null).
  explicit Piix3(const std::array<IrqLine*, 16>& isa_irqs);

  // Connects the bus's PIRQ lines to this router (call after plugging).
  void connect(PciBus& bus);
  // The ISA IRQ a PIRQ is routed to, or -1.
  int route(int pirq) const;
  // Routes a PIRQ as firmware would (reg value: IRQ number or kRouteDisabled).
  void set_route(int pirq, uint8_t value);
  // Also drives these lines with the raw PIRQ A-D levels, whatever the
  // routing registers say (IOAPIC inputs 16-19 for the ACPI _PRT; entries
  // may be null).
  void set_pirq_outputs(const std::array<IrqLine*, 4>& lines);

  void config_write(unsigned addr, uint32_t value, unsigned size) override;
  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  void update_outputs();

  PirqRouter router_;
  PciBus* pirq_bus_ = nullptr;
};

}  // namespace vx86
