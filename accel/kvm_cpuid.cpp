#include "accel/kvm_cpuid.h"

#include <algorithm>

#include "accel/accel.h"
#include "target-x86/cpuid.h"

namespace vx86::kvm {

namespace {

constexpr uint32_t kLeaf1EcxX2apic = 1u << 21;
constexpr uint32_t kLeaf1EcxTscDeadline = 1u << 24;
constexpr uint32_t kLeaf1EcxHypervisor = 1u << 31;
constexpr uint32_t kHypervisorLeaf = 0x40000000;
constexpr uint32_t kKvmSignatureEbx = 0x4b4d564b;  // "KVMK" of "KVMKVMKVM"
constexpr uint32_t kLeaf80000007EdxInvariantTsc = 1u << 8;

// Registers that hold feature bits, per leaf/subleaf; the rest (vendor,
// signature, cache and topology, XSAVE sizes) stay as KVM reports them.
struct FeatureRegs {
  uint32_t leaf, subleaf;
  bool eax, ebx, ecx, edx;
};
constexpr FeatureRegs kFeatureLeaves[] = {
    {1, 0, false, false, true, true},          {7, 0, false, true, true, true},
    {0xd, 0, true, false, false, true},        {0xd, 1, true, false, false, false},
    {0x80000001, 0, false, false, true, true},
};

constexpr uint32_t kLegacyXsaveSize = 512 + 64;  // legacy region and header

// CPUID.0DH.0 ECX is the area size for every component the CPU supports;
// once the model has removed some (AVX for qemu64), it must shrink with them
// (KVM recomputes EBX from XCR0 itself, but not ECX).
void limit_xsave_size(std::vector<kvm_cpuid_entry2>& entries) {
  kvm_cpuid_entry2* main = nullptr;
  for (kvm_cpuid_entry2& e : entries) {
    if (e.function == 0xd && e.index == 0) main = &e;
  }
  if (!main) return;
  uint32_t size = kLegacyXsaveSize;
  for (const kvm_cpuid_entry2& e : entries) {
    if (e.function != 0xd || e.index < 2 || e.index >= 32) continue;
    if (!(main->eax & (1u << e.index))) continue;
    size = std::max(size, e.ebx + e.eax);  // offset + size of the component
  }
  main->ecx = size;
}

kvm_cpuid_entry2* find_leaf(std::vector<kvm_cpuid_entry2>& entries, uint32_t function) {
  for (kvm_cpuid_entry2& e : entries) {
    if (e.function == function && e.index == 0) return &e;
  }
  return nullptr;
}

// Guests that read the leaf learn the TSC rate without calibrating it; the
// rate must be stable for that (invariant TSC), as QEMU requires.
void add_timing_leaf(std::vector<kvm_cpuid_entry2>& entries, uint32_t tsc_khz) {
  kvm_cpuid_entry2* hypervisor = find_leaf(entries, kHypervisorLeaf);
  kvm_cpuid_entry2* power = find_leaf(entries, 0x80000007);
  if (!tsc_khz || !hypervisor || hypervisor->ebx != kKvmSignatureEbx || !power ||
      !(power->edx & kLeaf80000007EdxInvariantTsc) || find_leaf(entries, kTimingLeaf)) {
    return;
  }
  kvm_cpuid_entry2 timing{};
  timing.function = kTimingLeaf;
  timing.eax = tsc_khz;
  timing.ebx = kApicBusKhz;
  hypervisor->eax = std::max(hypervisor->eax, kTimingLeaf);
  entries.push_back(timing);
}

}  // namespace

std::vector<kvm_cpuid_entry2> filter_cpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                           const CpuidOptions& options) {
  const bool host = options.model == "host";
  const x86::CpuModel* model = host ? nullptr : x86::find_cpu_model(options.model);
  if (!host && !model) {
    throw AccelError("-cpu " + options.model + ": unknown CPU model ('-cpu help')");
  }
  std::vector<kvm_cpuid_entry2> out = supported;
  for (kvm_cpuid_entry2& e : out) {
    if (model) {
      for (const FeatureRegs& f : kFeatureLeaves) {
        if (f.leaf != e.function || f.subleaf != e.index) continue;
        x86::CpuidResult m =
            x86::cpuid(*model, e.function, e.index, options.apic_id, options.topology);
        if (f.eax) e.eax &= m.eax;
        if (f.ebx) e.ebx &= m.ebx;
        if (f.ecx) e.ecx &= m.ecx;
        if (f.edx) e.edx &= m.edx;
      }
    }
    if (e.function == 1) {
      const unsigned per_package = options.topology.cpus() / options.topology.sockets;
      e.ebx = (e.ebx & 0x0000ffff) | (options.apic_id << 24) | ((per_package & 0xff) << 16);
      e.ecx |= kLeaf1EcxHypervisor;
      if (!options.in_kernel_lapic && !options.user_space_tsc_deadline) {
        e.ecx &= ~kLeaf1EcxTscDeadline;
      }
      if (!options.in_kernel_lapic && !options.user_space_apic_msrs) e.ecx &= ~kLeaf1EcxX2apic;
    }
    if (e.function == 0xb || (model && e.function == 4)) {
      // The guest's topology, not the host's (and a named model's caches).
      const x86::CpuidResult r = x86::cpuid(model ? *model : *x86::find_cpu_model("qemu64"),
                                            e.function, e.index, options.apic_id, options.topology);
      e.eax = r.eax, e.ebx = r.ebx, e.ecx = r.ecx, e.edx = r.edx;
    }
    if (e.function == 0x1f) e.edx = options.apic_id;
  }
  limit_xsave_size(out);
  add_timing_leaf(out, options.tsc_khz);
  return out;
}

}  // namespace vx86::kvm
