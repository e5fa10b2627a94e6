// The CPUID a KVM vCPU presents: what KVM supports (KVM_GET_SUPPORTED_CPUID)
// filtered through the -cpu model. "host" passes KVM's features through; a
// named model keeps only the features it lists (and vx86 implements), so the
// guest sees the same feature set under TCG and KVM.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vx86::kvm {

struct CpuidOptions {
  std::string model = "qemu64";  // or "host"
  unsigned apic_id = 0;
  unsigned cpu_count = 1;
  bool in_kernel_lapic = false;  // x2APIC and the TSC deadline timer need it
};

// Entries for KVM_SET_CPUID2.
std::vector<kvm_cpuid_entry2> filter_cpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                           const CpuidOptions& options);

}  // namespace vx86::kvm
