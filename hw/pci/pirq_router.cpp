#include "hw/pci/pirq_router.h"

namespace vx86 {

namespace {

constexpr uint8_t kRouteDisabled = 0x80;
constexpr uint16_t kRoutableIrqs = 0xdef8;  // 3-7, 9-12, 14, 15

}  // namespace

int PirqRouter::isa_irq_of(uint8_t route_register) {
  if (route_register & kRouteDisabled) return -1;
  const unsigned irq = route_register & 0x0f;
  return (kRoutableIrqs >> irq) & 1 ? static_cast<int>(irq) : -1;
}

void PirqRouter::update(const PciBus* bus, const std::function<int(int)>& route) {
  uint16_t want = 0;
  uint8_t pirqs = 0;
  for (int pirq = 0; pirq < pirqs_; ++pirq) {
    const bool level = bus && bus->pirq_level(pirq);
    if (level) pirqs |= static_cast<uint8_t>(1u << pirq);
    const int irq = route(pirq);
    if (irq >= 0 && level) want |= static_cast<uint16_t>(1u << irq);
  }
  const uint8_t pirq_changed = pirqs ^ pirq_driven_;
  pirq_driven_ = pirqs;
  for (int pirq = 0; pirq < pirqs_; ++pirq) {
    if ((pirq_changed >> pirq) & 1 && pirq_outputs_[pirq])
      pirq_outputs_[pirq]->set((pirqs >> pirq) & 1);
  }
  const uint16_t changed = want ^ driven_;
  driven_ = want;
  for (int irq = 0; irq < 16; ++irq) {
    if ((changed >> irq) & 1 && isa_irqs_[irq]) isa_irqs_[irq]->set((want >> irq) & 1);
  }
}

void PirqRouter::visit_state(StateVisitor& v) {
  v.field("driven", driven_);
  v.field("pirq_driven", pirq_driven_);
}

}  // namespace vx86
