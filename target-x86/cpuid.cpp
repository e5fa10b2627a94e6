#include "target-x86/cpuid.h"

#include <cstring>

namespace vx86::x86 {

namespace {

// CPUID.1:EDX — FPU, TSC, MSR, CX8, CMOV, PSE, PAE, PGE, PAT, PSE36, SEP, MTRR,
// MCE/MCA off, APIC off until the APIC lands, MMX/FXSR/SSE/SSE2 (AVX stays
// off; SSE3 to SSE4.2 are in ECX).
constexpr uint32_t kLeaf1Edx = (1u << 0)      // FPU
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
                               | (1u << 26);  // SSE2
constexpr uint32_t kLeaf1Ecx = (1u << 0)      // SSE3
                               | (1u << 9)    // SSSE3
                               | (1u << 19)   // SSE4.1
                               | (1u << 20)   // SSE4.2
                               | (1u << 23)   // POPCNT
                               | (1u << 26)   // XSAVE (OSXSAVE, bit 27, follows CR4)
                               | (1u << 30);  // RDRAND
constexpr uint32_t kLeaf7Ebx = (1u << 18);    // RDSEED

// CPUID.0DH: XCR0 may hold x87|SSE; both live in the 512-byte legacy region,
// so the area is 576 bytes whatever XCR0 enables. Sub-leaf 1: XSAVEOPT only.
constexpr uint32_t kXsaveFeatures = 0x3, kXsaveAreaBytes = 576, kXsaveSubleaf1Eax = 0x1;

constexpr uint32_t kExt1Edx = (1u << 11)     // SYSCALL
                              | (1u << 20)   // NX
                              | (1u << 29);  // LM
constexpr uint32_t kExt1Ecx = (1u << 0);     // LAHF in 64-bit mode

const CpuModel kQemu64{};

uint32_t pack(const char* s) {
  uint32_t v;
  std::memcpy(&v, s, 4);
  return v;
}

}  // namespace

const CpuModel* find_cpu_model(const std::string& name) {
  if (name == "qemu64") return &kQemu64;
  return nullptr;
}

CpuidResult cpuid(const CpuModel& model, uint32_t leaf, uint32_t subleaf, unsigned apic_id,
                  unsigned cpu_count) {
  CpuidResult r;
  if (leaf >= 0x80000000u) {
    if (leaf > model.max_ext_leaf) leaf = model.max_leaf;  // as Intel: highest basic leaf
  } else if (leaf > model.max_leaf) {
    leaf = model.max_leaf;
  }
  switch (leaf) {
    case 0:
      r.eax = model.max_leaf;
      r.ebx = pack(model.vendor);
      r.edx = pack(model.vendor + 4);
      r.ecx = pack(model.vendor + 8);
      break;
    case 1:
      r.eax = model.signature;
      r.ebx = (apic_id << 24) | (cpu_count << 16) | (8u << 8);  // CLFLUSH line 64 bytes
      r.ecx = kLeaf1Ecx;
      r.edx = kLeaf1Edx | (cpu_count > 1 ? (1u << 28) : 0);
      break;
    case 7:
      if (subleaf == 0) r.ebx = kLeaf7Ebx;  // EAX=0: no further subleaves
      break;
    case 0xd:
      if (subleaf == 0) {
        r.eax = kXsaveFeatures;
        r.ebx = r.ecx = kXsaveAreaBytes;
      } else if (subleaf == 1) {
        r.eax = kXsaveSubleaf1Eax;
      }
      break;
    case 0x80000000:
      r.eax = model.max_ext_leaf;
      r.ebx = pack(model.vendor);
      r.edx = pack(model.vendor + 4);
      r.ecx = pack(model.vendor + 8);
      break;
    case 0x80000001:
      r.eax = model.signature;
      r.ecx = kExt1Ecx;
      r.edx = kExt1Edx;
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      char brand[48] = {};
      std::strncpy(brand, model.brand.c_str(), sizeof(brand) - 1);
      const char* p = brand + (leaf - 0x80000002) * 16;
      r.eax = pack(p), r.ebx = pack(p + 4), r.ecx = pack(p + 8), r.edx = pack(p + 12);
      break;
    }
    case 0x80000008:
      r.eax = 40 | (48u << 8);  // physical / linear address bits
      break;
    default:
      break;  // reserved leaves read as zero
  }
  (void)subleaf;
  return r;
}

}  // namespace vx86::x86
