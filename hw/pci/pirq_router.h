// The interrupt-router half of a PCI-to-ISA bridge (the PIIX3's, the ICH9
// LPC bridge's): from the bus's PIRQ line levels and the bridge's routing
// registers it drives the ISA IRQs (one is asserted while any PIRQ routed
// to it is) and, whatever the registers say, a line per PIRQ for the
// IOAPIC (the ACPI _PRT's GSIs). Only changes go out.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "core/irq.h"
#include "core/state.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {

class PirqRouter {
 public:
  // isa_irqs: the 16 ISA interrupt lines (entries may be null); pirqs: how
  // many PIRQ lines the bridge has.
  PirqRouter(const std::array<IrqLine*, 16>& isa_irqs, int pirqs)
      : isa_irqs_(isa_irqs), pirqs_(pirqs) {}

  // The ISA IRQ a PIRQ routing register's value names: bit 7 disables the
  // route, bits 3:0 pick IRQ 3-7, 9-12, 14 or 15; -1 for none.
  static int isa_irq_of(uint8_t route_register);

  // The lines the raw PIRQ levels drive (entries may be null).
  void set_pirq_outputs(const std::array<IrqLine*, PciBus::kMaxPirqs>& lines) {
    pirq_outputs_ = lines;
    pirq_driven_ = 0;
  }
  // Recomputes the outputs from bus's PIRQ levels (none without a bus) and
  // route(pirq), the ISA IRQ a PIRQ goes to or -1.
  void update(const PciBus* bus, const std::function<int(int pirq)>& route);
  void visit_state(StateVisitor& v);

 private:
  std::array<IrqLine*, 16> isa_irqs_;
  std::array<IrqLine*, PciBus::kMaxPirqs> pirq_outputs_{};
  int pirqs_;
  uint8_t pirq_driven_ = 0;  // PIRQ lines asserted on pirq_outputs_
  uint16_t driven_ = 0;      // ISA IRQs asserted
};

}  // namespace vx86
