#include "hw/isa/ich9_lpc.h"

#include "core/log.h"
#include "hw/acpi/acpi_pm.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {

constexpr unsigned kPmBaseMask = 0xff80;  // a 128-byte block
constexpr uint32_t kRcbaEnable = 1;
constexpr uint32_t kRcbaWriteMask = 0xffffc001;
constexpr unsigned kGenPmcon1 = 0xa0;      // GEN_PMCON_1..3 (0xa0-0xa4): kept to read back
constexpr unsigned kFirstSharedSlot = 25;  // D25IR-D31IR: PIRQ A-D by pin

}  // namespace

Ich9Lpc::Ich9Lpc(const std::array<IrqLine*, 16>& isa_irqs, AcpiPm& pm, MemoryRegion& io_space)
    : PciDevice("ICH9-LPC", PciIds{.vendor = 0x8086,
                                   .device = 0x2918,
                                   .class_code = 0x060100,
                                   .revision = 0x02,
                                   .subsystem_vendor = pci::kQemuSubsystemVendor,
                                   .subsystem = pci::kQemuSubsystem,
                                   .multi_function = true}),
      router_(isa_irqs, PciBus::kMaxPirqs),
      pm_(pm),
      io_space_(io_space),
      smi_ops_(*this) {
  for (int pirq = 0; pirq < PciBus::kMaxPirqs; ++pirq) {
    set_write_mask(route_register(pirq), 0x8f);
    set_config8(route_register(pirq), kRouteDisabled);
  }
  // PMBASE bits 15:7; bit 0 reads 1 (an I/O base).
  set_write_mask(kPmBase, 0x80);
  set_write_mask(kPmBase + 1, 0xff);
  set_write_mask(kAcpiControl, 0x87);
  for (unsigned i = 0; i < 4; ++i) {
    set_write_mask(kRcba + i, static_cast<uint8_t>(kRcbaWriteMask >> (8 * i)));
  }
  for (unsigned i = 0; i < 6; ++i) set_write_mask(kGenPmcon1 + i, 0xff);
  smi_region_ = MemoryRegion::io("ich9-smi", 8, &smi_ops_, {1, 4, false});
}

Ich9Lpc::~Ich9Lpc() {
  if (mapped_base_) {
    pm_.unmap(io_space_);
    pm_.unmap_gpe(io_space_);
    io_space_.remove_subregion(smi_region_.get());
  }
}

unsigned Ich9Lpc::route_register(int pirq) {
  return pirq < 4 ? kPirqARoute + static_cast<unsigned>(pirq)
                  : kPirqERoute + static_cast<unsigned>(pirq - 4);
}

int Ich9Lpc::pirq_of(unsigned slot, unsigned pin) {
  if (slot >= kFirstSharedSlot) return static_cast<int>((pin - 1) % 4);
  return static_cast<int>((slot + pin - 1) % 4 + 4);
}

void Ich9Lpc::connect(PciBus& bus) {
  pirq_bus_ = &bus;
  bus.set_pirq_map(&Ich9Lpc::pirq_of);
  bus.set_intx_router([this](int, bool) { update_outputs(); });
  update_outputs();
}

int Ich9Lpc::route(int pirq) const {
  return PirqRouter::isa_irq_of(config_byte(route_register(pirq)));
}

void Ich9Lpc::set_route(int pirq, uint8_t value) {
  set_config8(route_register(pirq), value & 0x8f);
  update_outputs();
}

void Ich9Lpc::set_pirq_outputs(const std::array<IrqLine*, PciBus::kMaxPirqs>& lines) {
  router_.set_pirq_outputs(lines);
  update_outputs();
}

void Ich9Lpc::update_outputs() {
  router_.update(pirq_bus_, [this](int pirq) { return route(pirq); });
}

void Ich9Lpc::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  auto touches = [&](unsigned reg, unsigned len) { return addr < reg + len && reg < addr + size; };
  if (touches(kPirqARoute, 4) || touches(kPirqERoute, 4)) update_outputs();
  if (touches(kPmBase, 4) || touches(kAcpiControl, 1)) update_mapping();
  if (touches(kAcpiControl, 1) && (config_byte(kAcpiControl) & 7) != 0) {
    VX86_LOG(kLogUnimp, "ich9-lpc: the SCI stays on IRQ 9 (ACPI_CNTL SCI_IRQ_SEL %u)\n",
             config_byte(kAcpiControl) & 7u);
  }
  if (touches(kRcba, 4) && (config32(kRcba) & kRcbaEnable) && !rcba_logged_) {
    rcba_logged_ = true;
    VX86_LOG(kLogUnimp, "ich9-lpc: no root complex register block at 0x%x (RCBA)\n",
             config32(kRcba) & ~kRcbaEnable);
  }
}

void Ich9Lpc::update_mapping() {
  const uint16_t want = (config_byte(kAcpiControl) & kAcpiEnable)
                            ? static_cast<uint16_t>(config32(kPmBase) & kPmBaseMask)
                            : 0;
  if (want == mapped_base_) return;
  if (mapped_base_) {
    pm_.unmap(io_space_);
    pm_.unmap_gpe(io_space_);
    io_space_.remove_subregion(smi_region_.get());
  }
  mapped_base_ = 0;
  if (!want) return;
  if (pm_.map(io_space_, want) && pm_.map_gpe(io_space_, want + kGpe0Offset) &&
      io_space_.try_add_subregion(want + kSmiOffset, smi_region_.get())) {
    mapped_base_ = want;
    return;
  }
  // The guest put the block over another device's ports: it stays away.
  pm_.unmap(io_space_);
  pm_.unmap_gpe(io_space_);
  VX86_LOG(kLogGuestErrors, "ich9-lpc: PMBASE 0x%x overlaps other ports, not decoded\n", want);
}

uint64_t Ich9Lpc::smi_read(uint64_t offset, unsigned size) {
  const uint64_t both = smi_enable_ | uint64_t{smi_status_} << 32;
  return (both >> (offset * 8)) & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
}

void Ich9Lpc::smi_write(uint64_t offset, uint64_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t at = offset + i;
    const uint32_t byte = static_cast<uint32_t>(value >> (8 * i)) & 0xff;
    const unsigned shift = static_cast<unsigned>(at % 4) * 8;
    if (at < 4) {
      smi_enable_ = (smi_enable_ & ~(0xffu << shift)) | byte << shift;
    } else {
      smi_status_ &= ~(byte << shift);  // write 1 to clear
    }
  }
}

void Ich9Lpc::reset() {
  PciDevice::reset();
  for (int pirq = 0; pirq < PciBus::kMaxPirqs; ++pirq)
    set_config8(route_register(pirq), kRouteDisabled);
  set_config32(kRcba, 0);
  for (unsigned i = 0; i < 6; ++i) set_config8(kGenPmcon1 + i, 0);
  // As SeaBIOS leaves it (see the header).
  set_config32(kPmBase, kDefaultPmBase | 1u);
  set_config8(kAcpiControl, kAcpiEnable);
  smi_enable_ = kSmiApmcEnable;
  smi_status_ = 0;
  update_outputs();
  update_mapping();
}

void Ich9Lpc::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  router_.visit_state(v);
  v.field("smi_enable", smi_enable_);
  v.field("smi_status", smi_status_);
  if (v.loading()) update_mapping();
}

}  // namespace vx86
