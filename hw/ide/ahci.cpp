#include "hw/ide/ahci.h"

#include <string>

#include "core/log.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {

constexpr unsigned kPortBase = 0x100;
constexpr unsigned kPortSize = 0x80;
constexpr uint32_t kVersion = 0x00010000;  // AHCI 1.0, as QEMU's
// CAP: 64-bit addressing, Gen 1 speed, AHCI only, 32 command slots, six
// ports; no NCQ, staggered spin-up, port multipliers or power management.
constexpr uint32_t kCap = 1u << 31 | 1u << 20 | 1u << 18 | 31u << 8 | (AhciHba::kPorts - 1);
constexpr uint8_t kSataCapability = 0x12;
constexpr uint64_t kIdpSize = 0x20;

}  // namespace

AhciHba::AhciHba()
    : PciDevice("ich9-ahci", PciIds{.vendor = 0x8086,
                                    .device = 0x2922,
                                    .class_code = 0x010601,
                                    .revision = 0x02,
                                    .subsystem_vendor = pci::kQemuSubsystemVendor,
                                    .subsystem = pci::kQemuSubsystem,
                                    .interrupt_pin = 1}),
      abar_ops_(*this),
      idp_ops_(*this) {
  for (unsigned n = 0; n < kPorts; ++n) ports_[n] = std::make_unique<AhciPort>(*this, n);
  abar_ = MemoryRegion::io("ahci", kAbarSize, &abar_ops_, {1, 4, false});
  idp_ = MemoryRegion::io("ahci-idp", kIdpSize, &idp_ops_, {1, 4, false});
  register_bar(kIdpBar, PciBarType::kIo, idp_.get());
  register_bar(kAbarBar, PciBarType::kMem32, abar_.get());
  // QEMU's offsets: MSI at 0x80, the SATA capability (revision 1.0; the
  // index/data pair is in BAR 4) at 0xa8, MSI heading the list.
  const uint8_t sata = add_capability(kSataCapability, 8, 0xa8);
  set_config16(sata + 2, 0x0010);
  set_config32(sata + 4, 0x00000008);
  init_msi(0x80);
}

AhciHba::~AhciHba() = default;

IdeChannel::Media AhciHba::media(unsigned bus, unsigned unit) const {
  return bus < kPorts && unit == 0 ? ports_[bus]->media() : IdeChannel::Media::kNone;
}

void AhciHba::attach(unsigned bus, unsigned unit, DriveBackend* drive, IdeChannel::Media media) {
  if (bus < kPorts && unit == 0) ports_[bus]->attach(drive, media);
}

void AhciHba::port_interrupt(unsigned, bool) {
  update_intx();
}

// INTx follows the ports' pending interrupts; with MSI, each update that
// leaves one pending sends a message, as QEMU's AHCI does (the guest's
// handler, which reads IS once, would miss a level that never dropped).
void AhciHba::update_intx() {
  is_ = 0;
  for (unsigned n = 0; n < kPorts; ++n) {
    if (ports_[n]->interrupt_pending()) is_ |= 1u << n;
  }
  const bool pending = (ghc_ & kGhcInterruptEnable) && is_ != 0;
  set_irq(pending);
  if (pending && msi_enabled()) msi_notify();
}

uint64_t AhciHba::abar_read(uint64_t offset, unsigned size) {
  const unsigned reg = static_cast<unsigned>(offset & ~3ull);
  uint32_t value = 0;
  if (reg >= kPortBase && reg < kPortBase + kPorts * kPortSize) {
    value = ports_[(reg - kPortBase) / kPortSize]->read((reg - kPortBase) % kPortSize);
  } else {
    switch (reg) {
      case 0x00:
        value = kCap;
        break;
      case 0x04:
        value = ghc_;
        break;
      case 0x08:
        value = is_;
        break;
      case 0x0c:
        value = (1u << kPorts) - 1;  // PI: every port implemented
        break;
      case 0x10:
        value = kVersion;
        break;
      default:
        break;  // CCC, enclosure management, CAP2, BOHC: none
    }
  }
  const unsigned shift = static_cast<unsigned>(offset & 3) * 8;
  return size == 4 ? value : (value >> shift) & ((1u << (size * 8)) - 1);
}

void AhciHba::abar_write(uint64_t offset, uint64_t value, unsigned size) {
  if (size != 4 || (offset & 3)) {
    // Several registers clear bits written as 1: a partial write is ambiguous.
    VX86_LOG(kLogGuestErrors, "ahci: %u-byte write at 0x%llx ignored (registers are dwords)\n",
             size, static_cast<unsigned long long>(offset));
    return;
  }
  const unsigned reg = static_cast<unsigned>(offset);
  const uint32_t v = static_cast<uint32_t>(value);
  if (reg >= kPortBase && reg < kPortBase + kPorts * kPortSize) {
    ports_[(reg - kPortBase) / kPortSize]->write((reg - kPortBase) % kPortSize, v);
    return;
  }
  switch (reg) {
    case 0x04:
      if (v & kGhcReset) {
        reset_hba();  // the registers and ports, not the PCI function
        return;
      }
      ghc_ = kGhcAhciEnable | (v & kGhcInterruptEnable);
      update_intx();
      return;
    case 0x08:
      // Write 1 to clear; a port with an interrupt still pending sets it again.
      update_intx();
      return;
    default:
      return;
  }
}

// The index/data pair: the dword at 0 picks an ABAR register, the dword at
// 4 reads or writes it.
uint64_t AhciHba::idp_read(uint64_t offset, unsigned size) {
  if (offset == 0 && size == 4) return idp_index_;
  if (offset == 4 && size == 4) return abar_read(idp_index_, 4);
  return 0;
}

void AhciHba::idp_write(uint64_t offset, uint64_t value, unsigned size) {
  if (size != 4) return;
  if (offset == 0) idp_index_ = static_cast<uint32_t>(value) & (kAbarSize - 4);
  if (offset == 4) abar_write(idp_index_, value, 4);
}

void AhciHba::reset() {
  PciDevice::reset();
  idp_index_ = 0;
  reset_hba();
}

void AhciHba::reset_hba() {
  ghc_ = kGhcAhciEnable;
  for (auto& port : ports_) port->reset();
  update_intx();
}

void AhciHba::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("ghc", ghc_);
  v.field("idp_index", idp_index_);
  for (unsigned n = 0; n < kPorts; ++n) {
    v.begin("port" + std::to_string(n));
    ports_[n]->visit_state(v);
    v.end();
  }
  if (v.loading()) update_intx();
}

}  // namespace vx86
