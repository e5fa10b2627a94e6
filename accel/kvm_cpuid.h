// The CPUID a KVM vCPU presents: what KVM supports (KVM_GET_SUPPORTED_CPUID)
// filtered through the -cpu model. "host" passes KVM's features through; a
// named model keeps only the features it lists (and vx86 implements), so the
// guest sees the same feature set under TCG and KVM.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "target-x86/cpuid.h"

namespace vx86::kvm {

struct CpuidOptions {
  std::string model = "qemu64";  // or "host"
  unsigned apic_id = 0;
  x86::CpuTopology topology;
  bool in_kernel_lapic = false;  // x2APIC and the TSC deadline timer need it
  // ...or vx86's LAPIC with its MSRs routed to user space (and, for the TSC
  // deadline timer, told KVM's TSC rate).
  bool user_space_apic_msrs = false;
  bool user_space_tsc_deadline = false;
  // The vCPU's TSC rate (KVM_GET_TSC_KHZ); 0 if unknown.
  uint32_t tsc_khz = 0;
};

// The hypervisor timing leaf (0x40000010, as QEMU and VMware): EAX the TSC
// and EBX the local APIC timer's bus clock, in kHz.
inline constexpr uint32_t kTimingLeaf = 0x40000010;
inline constexpr uint32_t kApicBusKhz = 1'000'000;  // KVM's LAPIC timer: 1 ns per tick

// Entries for KVM_SET_CPUID2. Like QEMU, the TSC keeps the host's rate (no
// KVM_SET_TSC_KHZ) and is reported in the timing leaf when KVM exposes its
// 0x40000000 signature and the TSC is invariant (CPUID.80000007H:EDX[8]).
std::vector<kvm_cpuid_entry2> filter_cpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                           const CpuidOptions& options);

}  // namespace vx86::kvm
