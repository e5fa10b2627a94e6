#include "hw/pci/q35_host.h"

#include "core/log.h"

namespace vx86 {

namespace {

constexpr unsigned kPam0 = 0x90;  // PAM0-6: 0x90-0x96
constexpr unsigned kSmram = 0x9d;
constexpr unsigned kEsmramc = 0x9e;
constexpr uint8_t kSmramDefault = 0x02;    // C_BASE_SEG: compatible SMRAM at 0xA0000
constexpr uint8_t kEsmramcDefault = 0x38;  // the TSEG size bits' reset value
// PCIEXBAR: enable, length, and base bits 35:26 (the length decides how
// many of the low ones count).
constexpr uint64_t kPciexbarWriteMask = 0xffc000007ull;

}  // namespace

Q35Host::Q35Host(PciBus& bus, MemoryRegion& system_memory)
    : PciHostBridge("mch", PciIds{.vendor = 0x8086,
                                  .device = 0x29c0,
                                  .class_code = 0x060000,
                                  .subsystem_vendor = pci::kQemuSubsystemVendor,
                                  .subsystem = pci::kQemuSubsystem}),
      system_memory_(system_memory),
      ecam_(bus) {
  for (unsigned r = kPam0; r < kPam0 + PamShadow::kRegisters; ++r) set_write_mask(r, 0xff);
  for (unsigned i = 0; i < 8; ++i) {
    set_write_mask(kPciexbar + i, static_cast<uint8_t>(kPciexbarWriteMask >> (8 * i)));
  }
  set_write_mask(kSmram, 0x78);
  set_write_mask(kEsmramc, 0x0f);
  set_config8(kSmram, kSmramDefault);
  set_config8(kEsmramc, kEsmramcDefault);
}

void Q35Host::connect_pam(MemoryRegion& ram) {
  pam_.connect(system_memory_, ram);
  update_pam();
}

void Q35Host::enable_ecam(uint64_t base) {
  set_config32(kPciexbar, static_cast<uint32_t>(base | kPciexbarEnable));
  set_config32(kPciexbar + 4, static_cast<uint32_t>(base >> 32));
  update_ecam();
}

void Q35Host::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  if (addr < kPam0 + PamShadow::kRegisters && addr + size > kPam0) update_pam();
  if (addr < kPciexbar + 8 && addr + size > kPciexbar) update_ecam();
}

void Q35Host::update_pam() {
  std::array<uint8_t, PamShadow::kRegisters> regs;
  for (unsigned i = 0; i < regs.size(); ++i) regs[i] = config_byte(kPam0 + i);
  pam_.update(regs);
}

void Q35Host::update_ecam() {
  const uint64_t bar = config32(kPciexbar) | uint64_t{config32(kPciexbar + 4)} << 32;
  const unsigned length = (bar >> 1) & 3;
  if (!(bar & kPciexbarEnable) || length == 3) {
    if (length == 3) VX86_LOG(kLogGuestErrors, "q35: PCIEXBAR length 3 is reserved\n");
    if (ecam_.mapped()) ecam_.place(system_memory_, 0, 0);
    return;
  }
  const uint64_t size = kEcamMaxSize >> length;
  const uint64_t base = bar & 0xfffffffffull & ~(size - 1);
  if (ecam_.mapped() && ecam_.base() == base && ecam_.size() == size) return;
  ecam_.place(system_memory_, base, size);
}

void Q35Host::reset() {
  PciHostBridge::reset();
  for (unsigned r = kPam0; r < kPam0 + PamShadow::kRegisters; ++r) set_config8(r, 0);
  set_config32(kPciexbar, 0);
  set_config32(kPciexbar + 4, 0);
  set_config8(kSmram, kSmramDefault);
  set_config8(kEsmramc, kEsmramcDefault);
  update_pam();
  update_ecam();
}

void Q35Host::visit_state(StateVisitor& v) {
  PciHostBridge::visit_state(v);
  if (v.loading()) {
    update_pam();
    update_ecam();
  }
}

}  // namespace vx86
