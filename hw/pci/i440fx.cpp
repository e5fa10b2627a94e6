#include "hw/pci/i440fx.h"

namespace vx86 {

namespace {

constexpr unsigned kPam0 = 0x59;  // PAM0-6: 0x59-0x5f
constexpr unsigned kSmram = 0x72;
constexpr uint8_t kSmramDefault = 0x02;

}  // namespace

I440fxHost::I440fxHost()
    : PciHostBridge("i440FX-pcihost", PciIds{.vendor = 0x8086,
                                             .device = 0x1237,
                                             .class_code = 0x060000,
                                             .revision = 0x02,
                                             .subsystem_vendor = pci::kQemuSubsystemVendor,
                                             .subsystem = pci::kQemuSubsystem}) {
  for (unsigned r = kPam0; r < kPam0 + PamShadow::kRegisters; ++r) set_write_mask(r, 0xff);
  set_write_mask(kSmram, 0x78);
  set_config8(kSmram, kSmramDefault);
}

void I440fxHost::connect_pam(MemoryRegion& system_memory, MemoryRegion& ram) {
  pam_.connect(system_memory, ram);
  update_pam();
}

void I440fxHost::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  if (addr < kPam0 + PamShadow::kRegisters && addr + size > kPam0) update_pam();
}

void I440fxHost::update_pam() {
  std::array<uint8_t, PamShadow::kRegisters> regs;
  for (unsigned i = 0; i < regs.size(); ++i) regs[i] = config_byte(kPam0 + i);
  pam_.update(regs);
}

void I440fxHost::reset() {
  PciHostBridge::reset();
  for (unsigned r = kPam0; r < kPam0 + PamShadow::kRegisters; ++r) set_config8(r, 0);
  set_config8(kSmram, kSmramDefault);
  update_pam();
}

void I440fxHost::visit_state(StateVisitor& v) {
  PciHostBridge::visit_state(v);
  if (v.loading()) update_pam();
}

}  // namespace vx86
