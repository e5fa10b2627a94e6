// The CPU model vx86 presents (-cpu): vendor, signature and the features
// CPUID advertises — exactly what is implemented.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target-x86/msr.h"

namespace vx86::x86 {

// CPUID feature words: leaf 1 ECX/EDX, leaf 7 EBX/EDX, leaf 0x80000001 ECX/EDX.
struct CpuFeatures {
  uint32_t leaf1_ecx = 0, leaf1_edx = 0, leaf7_ebx = 0, leaf7_edx = 0, ext1_ecx = 0, ext1_edx = 0;
};

// IA32_ARCH_CAPABILITIES (MSR 0x10A, CPUID.7:EDX[29]): the "not affected" bits
// for the speculative-execution bugs. vx86 executes nothing speculatively, so
// they are true; without them Linux on a GenuineIntel CPU turns on page-table
// isolation (a CR3 switch and TLB flush on every kernel entry), VERW buffer
// clearing and return thunks, which cost a translating emulator dearly.
inline constexpr uint64_t kArchCapabilities = (1ull << 0)      // RDCL_NO (Meltdown)
                                              | (1ull << 3)    // SKIP_L1DFL_VMENTRY
                                              | (1ull << 4)    // SSB_NO
                                              | (1ull << 5)    // MDS_NO
                                              | (1ull << 6)    // PSCHANGE_MC_NO
                                              | (1ull << 8)    // TAA_NO
                                              | (1ull << 13)   // SBDR_SSDP_NO
                                              | (1ull << 14)   // FBSDP_NO
                                              | (1ull << 15)   // PSDP_NO
                                              | (1ull << 20)   // BHI_NO
                                              | (1ull << 24)   // PBRSB_NO
                                              | (1ull << 26)   // GDS_NO
                                              | (1ull << 27)   // RFDS_NO
                                              | (1ull << 62);  // ITS_NO

// qemu64's feature words (OSXSAVE and HTT are added at run time).
inline constexpr CpuFeatures kQemu64Features{
    .leaf1_ecx = (1u << 0)      // SSE3
                 | (1u << 9)    // SSSE3
                 | (1u << 19)   // SSE4.1
                 | (1u << 20)   // SSE4.2
                 | (1u << 23)   // POPCNT
                 | (1u << 26)   // XSAVE (OSXSAVE, bit 27, follows CR4)
                 | (1u << 30),  // RDRAND
    .leaf1_edx = (1u << 0)      // FPU
                 | (1u << 3)    // PSE
                 | (1u << 4)    // TSC
                 | (1u << 5)    // MSR
                 | (1u << 6)    // PAE
                 | (1u << 8)    // CX8
                 | (1u << 11)   // SEP
                 | (1u << 12)   // MTRR
                 | (1u << 13)   // PGE
                 | (1u << 15)   // CMOV
                 | (1u << 16)   // PAT
                 | (1u << 17)   // PSE36
                 | (1u << 19)   // CLFSH
                 | (1u << 23)   // MMX
                 | (1u << 24)   // FXSR
                 | (1u << 25)   // SSE
                 | (1u << 26),  // SSE2
    .leaf7_ebx = (1u << 1)      // IA32_TSC_ADJUST
                 | (1u << 18),  // RDSEED
    .leaf7_edx = 1u << 29,      // IA32_ARCH_CAPABILITIES
    .ext1_ecx = 1u << 0,        // LAHF/SAHF in 64-bit mode
    .ext1_edx = (1u << 11)      // SYSCALL
                | (1u << 20)    // NX
                | (1u << 29),   // LM
};

// max adds what vx86 implements beyond qemu64: CMPXCHG16B, SMEP, SMAP,
// CLFLUSHOPT, LZCNT, PREFETCHW, 1 GiB pages, RDTSCP, the crypto extensions,
// BMI1/BMI2, ADX, MOVBE, AVX, AVX2, FMA and F16C (with LZCNT and XSAVE,
// x86-64-v3).
inline constexpr CpuFeatures kMaxFeatures{
    .leaf1_ecx = kQemu64Features.leaf1_ecx | (1u << 1)  // PCLMULQDQ
                 | (1u << 12)                           // FMA
                 | (1u << 13)                           // CX16
                 | (1u << 22)                           // MOVBE
                 | (1u << 25)                           // AES
                 | (1u << 28)                           // AVX
                 | (1u << 29),                          // F16C
    .leaf1_edx = kQemu64Features.leaf1_edx,
    .leaf7_ebx = kQemu64Features.leaf7_ebx | (1u << 3)  // BMI1
                 | (1u << 5)                            // AVX2
                 | (1u << 7)                            // SMEP
                 | (1u << 8)                            // BMI2
                 | (1u << 19)                           // ADX
                 | (1u << 20)                           // SMAP
                 | (1u << 23)                           // CLFLUSHOPT
                 | (1u << 29),                          // SHA
    .leaf7_edx = kQemu64Features.leaf7_edx,
    .ext1_ecx = kQemu64Features.ext1_ecx | (1u << 5) | (1u << 8),    // LZCNT, PREFETCHW
    .ext1_edx = kQemu64Features.ext1_edx | (1u << 26) | (1u << 27),  // 1G pages, RDTSCP
};

struct CpuModel {
  std::string name = "qemu64";
  std::string description = "QEMU-compatible 64-bit model (default)";
  CpuFeatures features = kQemu64Features;
  char vendor[13] = "GenuineIntel";  // AMD would make Linux use x87 FILD on every FPU restore
  uint32_t signature = 0x00000663;   // family 6 model 6 stepping 3, as QEMU's qemu64
  uint32_t max_leaf = 0x16;          // up to the TSC and frequency leaves
  uint32_t max_ext_leaf = 0x8000000a;
  std::string brand = "vx86 Virtual CPU version 0.1";
};

// The models -cpu accepts: qemu64 (the default) and max (every feature vx86
// implements); nullptr for another name.
const CpuModel* find_cpu_model(const std::string& name);
const std::vector<const CpuModel*>& cpu_models();

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// -smp's topology: sockets, dies per socket, cores per die, threads per core.
// An APIC ID holds each level's number in a field of the fewest bits that
// fit its count (SDM, leaf 0BH), threads lowest.
struct CpuTopology {
  unsigned sockets = 1, dies = 1, cores = 1, threads = 1;

  unsigned cpus() const { return sockets * dies * cores * threads; }
  static unsigned field_bits(unsigned count);
  unsigned thread_bits() const { return field_bits(threads); }
  unsigned core_bits() const { return field_bits(cores); }
  unsigned package_shift() const { return thread_bits() + core_bits() + field_bits(dies); }
  // The APIC ID of the vCPU with that index (vCPUs are numbered threads first).
  unsigned apic_id(unsigned index) const;
  // Whether every vCPU's APIC ID is its index (the machine numbers APICs so).
  bool apic_ids_are_indices() const;
};

// apic_id and topology describe the vCPU's place in the machine (leaves 1,
// 4 and 0BH); tsc_hz is the TSC's rate (leaves 0x15 and 0x16).
CpuidResult cpuid(const CpuModel& model, uint32_t leaf, uint32_t subleaf, unsigned apic_id,
                  const CpuTopology& topology, uint64_t tsc_hz = kTscHz);

}  // namespace vx86::x86
