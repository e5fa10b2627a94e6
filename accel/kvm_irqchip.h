// Where a KVM VM's interrupt controllers live (-accel kvm,kernel-irqchip=),
// the split irqchip's link from vx86's IOAPIC to KVM's in-kernel local
// APICs, and the full in-kernel irqchip.
//
// Under kernel-irqchip=split (QEMU's name) each vCPU's local APIC is KVM's;
// the 8259, the IOAPIC and every device model stay vx86's, so one set of
// device models serves TCG and KVM. An IOAPIC pin's redirection entry
// becomes an MSI (address 0xFEE00000 | destination << 12 | destination mode
// << 2, data vector | delivery mode << 8 | trigger << 15) installed as that
// pin's GSI route and raised with KVM_IRQ_LINE. KVM reads the trigger bit of
// those routes to know which vectors are level-triggered, and when a local
// APIC EOIs one it exits with KVM_EXIT_IOAPIC_EOI: ioapic_eoi() hands the
// vector back to the IOAPIC, which clears Remote IRR (and sends again if the
// pin is still asserted). The 8259's ExtINT is injected by the vCPU with
// KVM_INTERRUPT when KVM says its LAPIC takes one (LINT0 in ExtINT mode).
//
// Under kernel-irqchip=on KVM also has the 8259 pair and the IOAPIC (the PIT
// stays vx86's): they take the guest's port and MMIO accesses before vx86's
// models would, and every interrupt line reaches them as a GSI level with
// KVM_IRQ_LINE. The lines are read at vx86's IOAPIC inputs, which see every
// one of them (ISA IRQ n on input n, IRQ 0 on input 2, PCI and HPET on
// 16-23); GSI n then goes to KVM's 8259 pin n (n < 16, not 2) and IOAPIC
// input n (GSI 0 to input 2), QEMU's PC routing.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace vx86 {

enum class KernelIrqchip {
  kOff,    // every interrupt controller in vx86 (KVM_INTERRUPT/KVM_NMI)
  kSplit,  // local APICs in KVM, the 8259 and IOAPIC in vx86
  kOn,     // the 8259 pair and IOAPIC in KVM too
};

namespace kvm {

// "on", "split" or "off"; throws AccelError for anything else.
KernelIrqchip parse_kernel_irqchip(const std::string& value);

// An MSI as the local APICs receive it.
struct MsiMessage {
  uint64_t address = 0;
  uint32_t data = 0;
  bool operator==(const MsiMessage&) const = default;
};

// KVM_SIGNAL_MSI: a device's message to the in-kernel local APICs.
void signal_msi(int vm_fd, const MsiMessage& msg);

class SplitIrqchip {
 public:
  // The GSIs KVM reserves for the user-space IOAPIC's pins (QEMU's count).
  static constexpr int kIoapicPins = 24;

  // Turns on KVM_CAP_SPLIT_IRQCHIP on vm_fd; before any vCPU exists.
  // Throws AccelError when KVM refuses.
  explicit SplitIrqchip(int vm_fd);
  SplitIrqchip(const SplitIrqchip&) = delete;
  SplitIrqchip& operator=(const SplitIrqchip&) = delete;

  // An IOAPIC pin's message: updates the pin's GSI route when the message
  // changed, then raises it. Called with the device lock held.
  void send_ioapic_message(int pin, const MsiMessage& msg);
  // Any other MSI (a PCI device's; no EOI comes back).
  void send_msi(const MsiMessage& msg);

  // Who gets the EOIs of level-triggered IOAPIC vectors (vx86's IOAPIC).
  void set_eoi_listener(std::function<void(uint8_t vector)> listener) {
    eoi_listener_ = std::move(listener);
  }
  // A vCPU's KVM_EXIT_IOAPIC_EOI; called with the device lock held.
  void ioapic_eoi(uint8_t vector);

  // For tests: how often the routing table was replaced.
  unsigned route_updates() const { return route_updates_; }

 private:
  void commit_routes();

  int vm_fd_;
  std::array<MsiMessage, kIoapicPins> routes_{};
  std::array<bool, kIoapicPins> routed_{};
  std::function<void(uint8_t)> eoi_listener_;
  unsigned route_updates_ = 0;
};

class InKernelIrqchip {
 public:
  // KVM_CREATE_IRQCHIP and the PC's GSI routes on vm_fd; before any vCPU.
  // Throws AccelError when KVM refuses.
  explicit InKernelIrqchip(int vm_fd);
  InKernelIrqchip(const InKernelIrqchip&) = delete;
  InKernelIrqchip& operator=(const InKernelIrqchip&) = delete;

  // The level of vx86's IOAPIC input pin (see above for the GSI it drives).
  void set_ioapic_input(int pin, bool level);
  // KVM's IOAPIC ID register (vx86 gives the IOAPIC the ID after the CPUs').
  void set_ioapic_id(uint8_t id) { ioapic_id_ = id; }
  // The 8259s' edge/level control registers, as vx86's 8259 model has them
  // (the machine sets PCI's IRQs level-triggered, as firmware does); bits
  // KVM's ELCR masks do not allow stay edge.
  void set_elcr(uint8_t master, uint8_t slave);
  // Power-on state of KVM's 8259s (ELCR kept) and IOAPIC (entries masked).
  void reset();
  // A PCI device's MSI, to KVM's local APICs.
  void send_msi(const MsiMessage& msg);

 private:
  int vm_fd_;
  uint8_t ioapic_id_ = 0;
};

}  // namespace kvm
}  // namespace vx86
