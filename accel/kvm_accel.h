// The KVM accelerator: runs vCPUs natively through /dev/kvm, one thread each,
// behind the same interface as TCG. It owns the VM (its memory slots follow
// the machine's memory map); KvmVcpu owns each vCPU's file descriptor and run
// loop.
//
// Interrupts (kvm_irqchip.h): by default KVM's in-kernel local APICs with
// vx86's 8259 and IOAPIC (kernel-irqchip=split), where the kernel has
// KVM_CAP_SPLIT_IRQCHIP; otherwise, or with kernel-irqchip=off, vx86's own
// PIC, IOAPIC and local APIC models, injected with KVM_INTERRUPT/KVM_NMI;
// with kernel-irqchip=on KVM's 8259s and IOAPIC as well.
#pragma once

#include <linux/kvm.h>

#include <memory>
#include <string>
#include <vector>

#include "accel/accel.h"
#include "accel/kvm_irqchip.h"

namespace vx86 {

namespace kvm {
class MemorySlots;
}

class KvmAccelerator : public Accelerator {
 public:
  KvmAccelerator();
  ~KvmAccelerator() override;

  std::string name() const override { return "kvm"; }
  // Opens the KVM device, checks the API version and the capabilities vx86
  // needs, and creates the VM. Throws AccelError naming what is missing.
  void init(const KeyValues* opts) override;
  std::unique_ptr<Vcpu> create_vcpu(int index, const CpuBus& bus) override;
  bool thread_per_vcpu() const override { return true; }

  void set_cpu_model(std::string model) { cpu_model_ = std::move(model); }
  // -cpu ...,tsc-frequency=: the guest's TSC rate in kHz (0: the host's).
  // Needs KVM_CAP_TSC_CONTROL unless it is the host's rate; create_vcpu
  // throws AccelError otherwise.
  void set_tsc_khz(uint32_t khz) { tsc_khz_ = khz; }
  uint32_t requested_tsc_khz() const { return tsc_khz_; }

  // What init() found (for the vCPUs and for tests).
  int vm_fd() const { return vm_fd_; }
  int check_extension(long capability) const;
  size_t run_area_size() const { return run_area_size_; }
  bool has_xsave() const { return has_xsave_; }
  bool has_xcrs() const { return has_xcrs_; }
  bool has_vcpu_events() const { return has_vcpu_events_; }
  bool has_debugregs() const { return has_debugregs_; }
  bool has_guest_debug() const { return has_guest_debug_; }
  // KVM_GUESTDBG_BLOCKIRQ (KVM_CAP_SET_GUEST_DEBUG2): single steps that take
  // no interrupt, as under TCG.
  bool has_guest_debug_block_irq() const { return has_guest_debug_block_irq_; }
  const std::vector<kvm_cpuid_entry2>& supported_cpuid() const { return supported_cpuid_; }
  const std::string& cpu_model() const { return cpu_model_; }
  // Where the interrupt controllers are; split_irqchip() is set under kSplit,
  // in_kernel_irqchip() under kOn.
  KernelIrqchip irqchip() const { return irqchip_; }
  kvm::SplitIrqchip* split_irqchip() const { return split_irqchip_.get(); }
  kvm::InKernelIrqchip* in_kernel_irqchip() const { return in_kernel_irqchip_.get(); }
  // kernel-irqchip=off: the local APIC's MSRs (IA32_APIC_BASE,
  // IA32_TSC_DEADLINE and the x2APIC range) exit to vx86 and reach its LAPIC.
  bool apic_msrs_in_user_space() const { return apic_msrs_in_user_space_; }

 private:
  void check_required_capabilities();
  void load_supported_cpuid();
  void create_irqchip(bool chosen_by_user);
  void filter_apic_msrs();

  std::string device_ = "/dev/kvm";
  int kvm_fd_ = -1;
  int vm_fd_ = -1;
  size_t run_area_size_ = 0;
  bool has_xsave_ = false;
  bool has_xcrs_ = false;
  bool has_vcpu_events_ = false;
  bool has_debugregs_ = false;
  bool has_guest_debug_ = false;
  bool has_guest_debug_block_irq_ = false;
  bool apic_msrs_in_user_space_ = false;
  std::vector<kvm_cpuid_entry2> supported_cpuid_;
  std::unique_ptr<kvm::MemorySlots> slots_;
  KernelIrqchip irqchip_ = KernelIrqchip::kSplit;
  std::unique_ptr<kvm::SplitIrqchip> split_irqchip_;
  std::unique_ptr<kvm::InKernelIrqchip> in_kernel_irqchip_;
  std::string cpu_model_ = "qemu64";
  uint32_t tsc_khz_ = 0;
};

}  // namespace vx86
