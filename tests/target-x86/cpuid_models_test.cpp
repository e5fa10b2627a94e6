// The -cpu models: qemu64 (the default) keeps its feature words; max adds
// every feature vx86 implements beyond it, and nothing it does not (AVX,
// BMI1/2, MOVBE, FSGSBASE, XSAVEC stay off in both).
#include <gtest/gtest.h>

#include "target-x86/cpuid.h"

namespace vx86::x86 {
namespace {

constexpr uint32_t bit(unsigned n) {
  return 1u << n;
}

TEST(CpuModels, NamesAndDefault) {
  ASSERT_NE(find_cpu_model("qemu64"), nullptr);
  ASSERT_NE(find_cpu_model("max"), nullptr);
  EXPECT_EQ(find_cpu_model("pentium9000"), nullptr);
  EXPECT_EQ(find_cpu_model("host"), nullptr);  // only KVM can describe the host
  EXPECT_EQ(CpuModel{}.name, "qemu64");
  ASSERT_EQ(cpu_models().size(), 2u);
  EXPECT_EQ(cpu_models()[0]->name, "qemu64");
}

TEST(CpuModels, Qemu64FeatureWords) {
  const CpuModel& m = *find_cpu_model("qemu64");
  CpuidResult r = cpuid(m, 1, 0, 0, {});
  EXPECT_EQ(r.edx, 0x078bb979u);  // FPU ... SSE2, no HTT with one CPU
  EXPECT_EQ(r.ecx, 0xC4980201u);  // SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT XSAVE RDRAND hypervisor
  EXPECT_EQ(cpuid(m, 7, 0, 0, {}).ebx, bit(1) | bit(18));  // TSC_ADJUST, RDSEED
  r = cpuid(m, 0x80000001, 0, 0, {});
  EXPECT_EQ(r.ecx, bit(0));
  EXPECT_EQ(r.edx, bit(11) | bit(20) | bit(29));
  EXPECT_EQ(cpuid(m, 1, 0, 0, {.cores = 2}).edx & bit(28), bit(28));  // HTT with two CPUs
}

TEST(CpuModels, MaxAddsWhatIsImplemented) {
  const CpuModel& q = *find_cpu_model("qemu64");
  const CpuModel& m = *find_cpu_model("max");
  for (uint32_t leaf : {1u, 7u, 0x80000001u}) {
    CpuidResult a = cpuid(q, leaf, 0, 0, {}), b = cpuid(m, leaf, 0, 0, {});
    EXPECT_EQ(a.ecx & ~b.ecx, 0u) << std::hex << leaf;  // max includes qemu64
    EXPECT_EQ(a.edx & ~b.edx, 0u) << std::hex << leaf;
    EXPECT_EQ(a.ebx & ~b.ebx, 0u) << std::hex << leaf;
  }
  CpuidResult l1 = cpuid(m, 1, 0, 0, {});
  EXPECT_TRUE(l1.ecx & bit(13));  // CMPXCHG16B
  EXPECT_EQ(l1.ecx & (bit(25) | bit(22) | bit(1)),
            bit(25) | bit(22) | bit(1));                       // AES MOVBE PCLMULQDQ
  EXPECT_TRUE(l1.ecx & bit(28));                               // AVX
  EXPECT_EQ(l1.ecx & (bit(12) | bit(29)), bit(12) | bit(29));  // FMA F16C
  EXPECT_FALSE(cpuid(q, 1, 0, 0, {}).ecx & bit(28));
  CpuidResult l7 = cpuid(m, 7, 0, 0, {});
  EXPECT_EQ(l7.ebx, bit(1) | bit(3) | bit(5) | bit(7) | bit(8) | bit(18) | bit(19) | bit(20) |
                        bit(23) | bit(29));  // TSC_ADJUST BMI1 AVX2 SMEP BMI2 RDSEED ADX SMAP
                                             // CLFLUSHOPT SHA
  EXPECT_EQ(l7.ecx, 0u);
  EXPECT_EQ(l7.edx, bit(29));  // IA32_ARCH_CAPABILITIES
  CpuidResult e1 = cpuid(m, 0x80000001, 0, 0, {});
  EXPECT_EQ(e1.ecx, bit(0) | bit(5) | bit(8));                         // LAHF-64, LZCNT, PREFETCHW
  EXPECT_EQ(e1.edx, bit(11) | bit(20) | bit(26) | bit(27) | bit(29));  // +1G pages, RDTSCP
  // XSAVE with XCR0 = x87|SSE (qemu64) or x87|SSE|AVX (max), XSAVEOPT only.
  EXPECT_EQ(cpuid(q, 0xd, 0, 0, {}).eax, 3u);
  EXPECT_EQ(cpuid(q, 0xd, 0, 0, {}).ecx, 576u);
  EXPECT_EQ(cpuid(m, 0xd, 0, 0, {}).eax, 7u);
  EXPECT_EQ(cpuid(m, 0xd, 0, 0, {}).ecx, 832u);
  EXPECT_EQ(cpuid(m, 0xd, 2, 0, {}).eax, 256u);  // YMM_Hi128: 256 bytes at 576
  EXPECT_EQ(cpuid(m, 0xd, 2, 0, {}).ebx, 576u);
  EXPECT_EQ(cpuid(q, 0xd, 2, 0, {}).eax, 0u);
  for (const CpuModel* model : cpu_models()) {
    EXPECT_EQ(cpuid(*model, 0xd, 1, 0, {}).eax, 1u) << model->name;
  }
}

// Leaves 0x15/0x16: TSC = crystal (the APIC timer's 1 GHz) * EBX / EAX, as
// Linux reads them instead of calibrating.
TEST(CpuModels, TscRateLeaves) {
  const CpuModel& m = *find_cpu_model("qemu64");
  CpuidResult r = cpuid(m, 0x15, 0, 0, {});
  EXPECT_EQ(r.ecx, 1'000'000'000u);
  EXPECT_EQ(r.ebx, r.eax);  // the default TSC is 1 GHz too
  r = cpuid(m, 0x15, 0, 0, {}, 2'500'000'000);
  EXPECT_EQ(r.eax, 2u);
  EXPECT_EQ(r.ebx, 5u);
  EXPECT_EQ(r.ecx, 1'000'000'000u);
  r = cpuid(m, 0x15, 0, 0, {}, 2'345'678'901);
  EXPECT_EQ(uint64_t{r.ecx} * r.ebx / r.eax, 2'345'678'901u);
  r = cpuid(m, 0x16, 0, 0, {}, 2'500'000'000);
  EXPECT_EQ(r.eax, 2500u);
  EXPECT_EQ(r.ebx, 2500u);
  EXPECT_EQ(r.ecx, 1000u);
  // A ratio too large for the registers leaves leaf 0x15 empty.
  r = cpuid(m, 0x15, 0, 0, {}, 99'999'999'999);
  EXPECT_EQ(r.eax | r.ebx | r.ecx, 0u);
}

// -smp's topology in leaves 1, 4 and 0BH, and the APIC IDs it lays out:
// what Linux reads to tell sockets, cores and threads (SmpTopologyTest
// compares the guest's view with QEMU's).
TEST(CpuTopology, LeavesDescribeSocketsCoresAndThreads) {
  const CpuModel& m = *find_cpu_model("qemu64");
  const CpuTopology t{.sockets = 2, .cores = 2, .threads = 2};
  EXPECT_EQ(t.cpus(), 8u);
  EXPECT_EQ(t.package_shift(), 2u);
  EXPECT_TRUE(t.apic_ids_are_indices());
  EXPECT_EQ(cpuid(m, 1, 0, 5, t).ebx >> 16, 0x0504u);  // APIC ID 5, 4 per package
  EXPECT_TRUE(cpuid(m, 1, 0, 5, t).edx & (1u << 28));  // HTT
  // Leaf 0BH: two threads at the SMT level, four per package at the core level.
  CpuidResult smt = cpuid(m, 0xb, 0, 5, t), core = cpuid(m, 0xb, 1, 5, t);
  EXPECT_EQ(smt.eax, 1u);
  EXPECT_EQ(smt.ebx, 2u);
  EXPECT_EQ(smt.ecx, 0x100u);
  EXPECT_EQ(smt.edx, 5u);
  EXPECT_EQ(core.eax, 2u);
  EXPECT_EQ(core.ebx, 4u);
  EXPECT_EQ(core.ecx, 0x201u);
  EXPECT_EQ(cpuid(m, 0xb, 2, 5, t).ecx, 2u);  // no further level
  // Leaf 4: L1 per thread, L2 per core, L3 per package; 2 cores per package.
  auto sharing = [&](uint32_t index) { return (cpuid(m, 4, index, 0, t).eax >> 14 & 0xfff) + 1; };
  EXPECT_EQ(sharing(0), 1u);
  EXPECT_EQ(sharing(2), 2u);
  EXPECT_EQ(sharing(3), 4u);
  EXPECT_EQ(cpuid(m, 4, 0, 0, t).eax >> 26, 1u);
  EXPECT_EQ(cpuid(m, 4, 3, 0, t).ecx + 1, 16384u);  // 16 MiB: 16 ways of 64-byte lines
  EXPECT_EQ(cpuid(m, 4, 4, 0, t).eax, 0u);          // no fifth cache
  // Three cores leave a gap after APIC ID 2 in the second socket.
  const CpuTopology gaps{.sockets = 2, .cores = 3};
  EXPECT_EQ(gaps.apic_id(3), 4u);
  EXPECT_FALSE(gaps.apic_ids_are_indices());
  EXPECT_TRUE((CpuTopology{.cores = 3}).apic_ids_are_indices());
}

}  // namespace
}  // namespace vx86::x86
