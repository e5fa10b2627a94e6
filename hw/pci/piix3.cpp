#include "hw/pci/piix3.h"

#include "hw/pci/pci_bus.h"

namespace vx86 {

namespace {

// ISA IRQs a PIRQ may be routed to (PIIX3 datasheet, PIRQRC).
constexpr uint16_t kRoutableIrqs = 0xdef8;  // 3-7, 9-12, 14, 15

}  // namespace

Piix3::Piix3(const std::array<IrqLine*, 16>& isa_irqs)
    : PciDevice("PIIX3", PciIds{.vendor = 0x8086,
                                .device = 0x7000,
                                .class_code = 0x060100,
                                .subsystem_vendor = pci::kQemuSubsystemVendor,
                                .subsystem = pci::kQemuSubsystem,
                                .multi_function = true}),
      isa_irqs_(isa_irqs) {
  for (unsigned i = 0; i < 4; ++i) {
    set_write_mask(kPirqRoute + i, 0x8f);
    set_config8(kPirqRoute + i, kRouteDisabled);
  }
  // Command: the ISA bridge always decodes I/O and memory.
  set_config16(pci::kCommand, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster);
}

void Piix3::connect(PciBus& bus) {
  pirq_bus_ = &bus;
  bus.set_intx_router([this](int, bool) { update_outputs(); });
  update_outputs();
}

int Piix3::route(int pirq) const {
  uint8_t v = config_byte(kPirqRoute + static_cast<unsigned>(pirq));
  if (v & kRouteDisabled) return -1;
  unsigned irq = v & 0x0f;
  return (kRoutableIrqs >> irq) & 1 ? static_cast<int>(irq) : -1;
}

void Piix3::set_route(int pirq, uint8_t value) {
  set_config8(kPirqRoute + static_cast<unsigned>(pirq), value & 0x8f);
  update_outputs();
}

void Piix3::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  if (addr < kPirqRoute + 4 && kPirqRoute < addr + size) update_outputs();
}

void Piix3::set_pirq_outputs(const std::array<IrqLine*, 4>& lines) {
  pirq_outputs_ = lines;
  pirq_driven_ = 0;
  update_outputs();
}

void Piix3::update_outputs() {
  uint16_t want = 0;
  uint8_t pirqs = 0;
  for (int pirq = 0; pirq < PciBus::kPirqs; ++pirq) {
    bool level = pirq_bus_ && pirq_bus_->pirq_level(pirq);
    if (level) pirqs |= static_cast<uint8_t>(1u << pirq);
    int irq = route(pirq);
    if (irq >= 0 && level) want |= 1u << irq;
  }
  uint8_t pirq_changed = pirqs ^ pirq_driven_;
  pirq_driven_ = pirqs;
  for (int pirq = 0; pirq < PciBus::kPirqs; ++pirq) {
    if ((pirq_changed >> pirq) & 1 && pirq_outputs_[pirq])
      pirq_outputs_[pirq]->set((pirqs >> pirq) & 1);
  }
  uint16_t changed = want ^ driven_;
  driven_ = want;
  for (int irq = 0; irq < 16; ++irq) {
    if ((changed >> irq) & 1 && isa_irqs_[irq]) isa_irqs_[irq]->set((want >> irq) & 1);
  }
}

void Piix3::reset() {
  PciDevice::reset();
  set_config16(pci::kCommand, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster);
  for (unsigned i = 0; i < 4; ++i) set_config8(kPirqRoute + i, kRouteDisabled);
  update_outputs();
}

void Piix3::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("driven", driven_);
  v.field("pirq_driven", pirq_driven_);
}

}  // namespace vx86
