// CPUID filtering for KVM vCPUs: what KVM supports, cut down to the -cpu
// model. Runs on any host (the supported list is made up here).
#include <gtest/gtest.h>

#include <vector>

#include "accel/accel.h"
#include "accel/kvm_cpuid.h"

namespace vx86::kvm {
namespace {

constexpr uint32_t kAvx = 1u << 28, kX2apic = 1u << 21, kHypervisor = 1u << 31;
constexpr uint32_t kSse3 = 1u << 0, kXsave = 1u << 26;

kvm_cpuid_entry2 entry(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx,
                       uint32_t edx) {
  kvm_cpuid_entry2 e{};
  e.function = function;
  e.index = index;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  return e;
}

// A host with SSE3, XSAVE, AVX and x2APIC; XSAVE components x87, SSE, AVX.
std::vector<kvm_cpuid_entry2> host_like() {
  return {
      entry(0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
      entry(1, 0, 0x00a00f11, 0x00020800, kSse3 | kXsave | kAvx | kX2apic, 0x078bfbff),
      entry(0xd, 0, 0x7, 0x240, 0x340, 0),
      entry(0xd, 1, 0x1, 0, 0, 0),
      entry(0xd, 2, 0x100, 0x240, 0, 0),
      entry(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0),
      entry(0xb, 0, 1, 2, 0x100, 7),
      entry(0xb, 1, 5, 32, 0x201, 7),
  };
}

const kvm_cpuid_entry2& find(const std::vector<kvm_cpuid_entry2>& v, uint32_t f, uint32_t i) {
  for (const auto& e : v) {
    if (e.function == f && e.index == i) return e;
  }
  throw std::runtime_error("no such leaf");
}

TEST(KvmCpuid, NamedModelKeepsOnlyItsFeatures) {
  CpuidOptions options;
  options.model = "qemu64";
  options.apic_id = 2;
  options.topology.cores = 4;
  auto out = filter_cpuid(host_like(), options);
  const auto& leaf1 = find(out, 1, 0);
  EXPECT_TRUE(leaf1.ecx & kSse3);
  EXPECT_TRUE(leaf1.ecx & kXsave);
  EXPECT_FALSE(leaf1.ecx & kAvx);     // qemu64 has no AVX
  EXPECT_FALSE(leaf1.ecx & kX2apic);  // no in-kernel LAPIC
  EXPECT_TRUE(leaf1.ecx & kHypervisor);
  EXPECT_EQ(leaf1.ebx >> 24, 2u);           // APIC ID
  EXPECT_EQ((leaf1.ebx >> 16) & 0xff, 4u);  // logical processors
  const auto& xsave = find(out, 0xd, 0);
  EXPECT_EQ(xsave.eax, 3u);                     // x87 | SSE
  EXPECT_EQ(xsave.ecx, 576u);                   // the area without AVX
  EXPECT_EQ(find(out, 0, 0).ebx, 0x68747541u);  // the host's vendor
  // The vCPUs' topology (four cores, no threads), not the host's.
  EXPECT_EQ(find(out, 0xb, 0).ebx, 1u);
  EXPECT_EQ(find(out, 0xb, 0).edx, 2u);
  EXPECT_EQ(find(out, 0xb, 1).eax, 2u);
  EXPECT_EQ(find(out, 0xb, 1).ebx, 4u);
  EXPECT_EQ(find(out, 4, 0).eax >> 26, 3u);  // cores in the package - 1
}

TEST(KvmCpuid, HostModelPassesKvmFeaturesThrough) {
  CpuidOptions options;
  options.model = "host";
  auto out = filter_cpuid(host_like(), options);
  EXPECT_TRUE(find(out, 1, 0).ecx & kAvx);
  EXPECT_EQ(find(out, 0xd, 0).eax, 7u);
  EXPECT_EQ(find(out, 0xd, 0).ecx, 0x340u);
}

// The TSC keeps the host's rate under KVM (as QEMU): the guest learns it
// from the hypervisor timing leaf when the TSC is invariant.
TEST(KvmCpuid, TimingLeafReportsTheTscRate) {
  constexpr uint32_t kInvariantTsc = 1u << 8;
  std::vector<kvm_cpuid_entry2> supported = host_like();
  supported.push_back(entry(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d));
  supported.push_back(entry(0x80000007, 0, 0, 0, 0, kInvariantTsc));
  CpuidOptions options;
  options.in_kernel_lapic = true;
  options.tsc_khz = 2445422;
  auto out = filter_cpuid(supported, options);
  EXPECT_EQ(find(out, kTimingLeaf, 0).eax, 2445422u);
  EXPECT_EQ(find(out, kTimingLeaf, 0).ebx, 1'000'000u);  // the LAPIC timer's 1 GHz
  EXPECT_EQ(find(out, 0x40000000, 0).eax, kTimingLeaf);

  // Not without an invariant TSC, nor with an unknown rate.
  supported.back().edx = 0;
  EXPECT_THROW(find(filter_cpuid(supported, options), kTimingLeaf, 0), std::runtime_error);
  supported.back().edx = kInvariantTsc;
  options.tsc_khz = 0;
  EXPECT_THROW(find(filter_cpuid(supported, options), kTimingLeaf, 0), std::runtime_error);
}

TEST(KvmCpuid, UnknownModelIsRefused) {
  CpuidOptions options;
  options.model = "pentium9";
  EXPECT_THROW(filter_cpuid(host_like(), options), AccelError);
}

}  // namespace
}  // namespace vx86::kvm
