#include "hw/pci/piix3.h"

#include <algorithm>

#include "hw/pci/pci_bus.h"

namespace vx86 {

Piix3::Piix3(const std::array<IrqLine*, 16>& isa_irqs)
    : PciDevice("PIIX3", PciIds{.vendor = 0x8086,
                                .device = 0x7000,
                                .class_code = 0x060100,
                                .subsystem_vendor = pci::kQemuSubsystemVendor,
                                .subsystem = pci::kQemuSubsystem,
                                .multi_function = true}),
      router_(isa_irqs, PciBus::kPirqs) {
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
  return PirqRouter::isa_irq_of(config_byte(kPirqRoute + static_cast<unsigned>(pirq)));
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
  std::array<IrqLine*, PciBus::kMaxPirqs> all{};
  std::copy(lines.begin(), lines.end(), all.begin());
  router_.set_pirq_outputs(all);
  update_outputs();
}

void Piix3::update_outputs() {
  router_.update(pirq_bus_, [this](int pirq) { return route(pirq); });
}

void Piix3::reset() {
  PciDevice::reset();
  set_config16(pci::kCommand, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster);
  for (unsigned i = 0; i < 4; ++i) set_config8(kPirqRoute + i, kRouteDisabled);
  update_outputs();
}

void Piix3::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  router_.visit_state(v);
}

}  // namespace vx86
