#include "accel/kvm_irqchip.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "accel/accel.h"
#include "accel/kvm_abi.h"

namespace vx86::kvm {

namespace {

// Device models send interrupts from any thread and cannot take an
// exception; a KVM that refuses one is reported (and the interrupt lost).
void report_failure(const char* what) {
  std::fprintf(stderr, "vx86: kvm: %s failed: %s\n", what, std::strerror(errno));
}

}  // namespace

KernelIrqchip parse_kernel_irqchip(const std::string& value) {
  if (value == "off") return KernelIrqchip::kOff;
  if (value == "split") return KernelIrqchip::kSplit;
  if (value == "on") return KernelIrqchip::kOn;
  throw AccelError("-accel kvm: parameter 'kernel-irqchip' expects on, split or off, not '" +
                   value + "'");
}

SplitIrqchip::SplitIrqchip(int vm_fd) : vm_fd_(vm_fd) {
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_SPLIT_IRQCHIP;
  cap.args[0] = kIoapicPins;
  if (ioctl(vm_fd_, KVM_ENABLE_CAP, &cap) < 0) {
    throw AccelError(std::string("-accel kvm: KVM refused kernel-irqchip=split: ") +
                     std::strerror(errno));
  }
}

void SplitIrqchip::commit_routes() {
  std::vector<uint64_t> buf(
      (sizeof(IrqRoutingHeader) + kIoapicPins * sizeof(kvm_irq_routing_entry)) / sizeof(uint64_t));
  auto* header = reinterpret_cast<IrqRoutingHeader*>(buf.data());
  auto* entries = reinterpret_cast<kvm_irq_routing_entry*>(header + 1);
  for (int pin = 0; pin < kIoapicPins; ++pin) {
    if (!routed_[static_cast<size_t>(pin)]) continue;
    const MsiMessage& msg = routes_[static_cast<size_t>(pin)];
    kvm_irq_routing_entry& e = entries[header->nr++];
    e = kvm_irq_routing_entry{};
    e.gsi = static_cast<uint32_t>(pin);
    e.type = KVM_IRQ_ROUTING_MSI;
    e.u.msi.address_lo = static_cast<uint32_t>(msg.address);
    e.u.msi.address_hi = static_cast<uint32_t>(msg.address >> 32);
    e.u.msi.data = msg.data;
  }
  if (ioctl(vm_fd_, kSetGsiRouting, header) < 0) report_failure("KVM_SET_GSI_ROUTING");
  ++route_updates_;
}

void SplitIrqchip::send_ioapic_message(int pin, const MsiMessage& msg) {
  if (pin < 0 || pin >= kIoapicPins) return;
  auto i = static_cast<size_t>(pin);
  if (!routed_[i] || !(routes_[i] == msg)) {
    routes_[i] = msg;
    routed_[i] = true;
    commit_routes();
  }
  // An MSI route fires on level 1; there is nothing to lower.
  kvm_irq_level line{};
  line.irq = static_cast<uint32_t>(pin);
  line.level = 1;
  if (ioctl(vm_fd_, KVM_IRQ_LINE, &line) < 0) report_failure("KVM_IRQ_LINE");
}

void signal_msi(int vm_fd, const MsiMessage& msg) {
  kvm_msi msi{};
  msi.address_lo = static_cast<uint32_t>(msg.address);
  msi.address_hi = static_cast<uint32_t>(msg.address >> 32);
  msi.data = msg.data;
  // 0 means the guest's APICs did not take it (none addressed, or disabled),
  // as a real message would be lost.
  if (ioctl(vm_fd, KVM_SIGNAL_MSI, &msi) < 0) report_failure("KVM_SIGNAL_MSI");
}

void SplitIrqchip::send_msi(const MsiMessage& msg) {
  signal_msi(vm_fd_, msg);
}

void SplitIrqchip::ioapic_eoi(uint8_t vector) {
  if (eoi_listener_) eoi_listener_(vector);
}

void InKernelIrqchip::send_msi(const MsiMessage& msg) {
  signal_msi(vm_fd_, msg);
}

InKernelIrqchip::InKernelIrqchip(int vm_fd) : vm_fd_(vm_fd) {
  if (ioctl(vm_fd_, KVM_CREATE_IRQCHIP, 0) < 0) {
    throw AccelError(std::string("-accel kvm: KVM refused kernel-irqchip=on: ") +
                     std::strerror(errno));
  }
  std::vector<kvm_irq_routing_entry> routes;
  auto add = [&](uint32_t gsi, uint32_t chip, uint32_t pin) {
    kvm_irq_routing_entry e{};
    e.gsi = gsi;
    e.type = KVM_IRQ_ROUTING_IRQCHIP;
    e.u.irqchip.irqchip = chip;
    e.u.irqchip.pin = pin;
    routes.push_back(e);
  };
  for (uint32_t gsi = 0; gsi < 16; ++gsi) {
    if (gsi == 2) continue;  // the cascade
    add(gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
  }
  for (uint32_t gsi = 0; gsi < SplitIrqchip::kIoapicPins; ++gsi) {
    if (gsi != 2) add(gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
  }
  std::vector<uint64_t> buf(
      (sizeof(IrqRoutingHeader) + routes.size() * sizeof(kvm_irq_routing_entry)) / 8);
  auto* header = reinterpret_cast<IrqRoutingHeader*>(buf.data());
  header->nr = static_cast<uint32_t>(routes.size());
  std::memcpy(header + 1, routes.data(), routes.size() * sizeof(kvm_irq_routing_entry));
  if (ioctl(vm_fd_, kSetGsiRouting, header) < 0) {
    throw AccelError(std::string("-accel kvm: KVM_SET_GSI_ROUTING failed: ") +
                     std::strerror(errno));
  }
}

void InKernelIrqchip::set_ioapic_input(int pin, bool level) {
  if (pin <= 0 || pin >= SplitIrqchip::kIoapicPins) return;  // nothing drives input 0
  kvm_irq_level line{};
  line.irq = pin == 2 ? 0 : static_cast<uint32_t>(pin);
  line.level = level ? 1 : 0;
  if (ioctl(vm_fd_, KVM_IRQ_LINE, &line) < 0) report_failure("KVM_IRQ_LINE");
}

void InKernelIrqchip::set_elcr(uint8_t master, uint8_t slave) {
  for (auto [chip, value] :
       {std::pair{KVM_IRQCHIP_PIC_MASTER, master}, std::pair{KVM_IRQCHIP_PIC_SLAVE, slave}}) {
    kvm_irqchip state{};
    state.chip_id = static_cast<uint32_t>(chip);
    if (ioctl(vm_fd_, KVM_GET_IRQCHIP, &state) < 0) report_failure("KVM_GET_IRQCHIP");
    state.chip.pic.elcr = static_cast<uint8_t>(value & state.chip.pic.elcr_mask);
    if (ioctl(vm_fd_, KVM_SET_IRQCHIP, &state) < 0) report_failure("KVM_SET_IRQCHIP");
  }
}

void InKernelIrqchip::reset() {
  for (uint32_t chip : {KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE}) {
    kvm_irqchip state{};
    state.chip_id = chip;
    if (ioctl(vm_fd_, KVM_GET_IRQCHIP, &state) < 0) report_failure("KVM_GET_IRQCHIP");
    // The input levels (last_irr) are what the devices drive and stay, and
    // so do the level-triggered requests; as on a PC the ELCR survives.
    const kvm_pic_state old = state.chip.pic;
    state.chip.pic = kvm_pic_state{};
    state.chip.pic.last_irr = old.last_irr;
    state.chip.pic.irr = static_cast<uint8_t>(old.last_irr & old.elcr);
    state.chip.pic.elcr = old.elcr;
    state.chip.pic.elcr_mask = old.elcr_mask;
    if (ioctl(vm_fd_, KVM_SET_IRQCHIP, &state) < 0) report_failure("KVM_SET_IRQCHIP");
  }
  kvm_irqchip state{};
  state.chip_id = KVM_IRQCHIP_IOAPIC;
  if (ioctl(vm_fd_, KVM_GET_IRQCHIP, &state) < 0) report_failure("KVM_GET_IRQCHIP");
  kvm_ioapic_state& io = state.chip.ioapic;
  const uint64_t base = io.base_address;
  const uint32_t levels = io.irr;  // the input levels the devices drive
  io = kvm_ioapic_state{};
  io.base_address = base;
  io.id = ioapic_id_;
  io.irr = levels;
  for (auto& entry : io.redirtbl) entry.bits = 1u << 16;  // masked
  if (ioctl(vm_fd_, KVM_SET_IRQCHIP, &state) < 0) report_failure("KVM_SET_IRQCHIP");
}

}  // namespace vx86::kvm
