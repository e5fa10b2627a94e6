#include "target-x86/cpuid.h"

#include <cstring>
#include <numeric>

#include "target-x86/msr.h"

namespace vx86::x86 {

namespace {

// The local APIC timer's clock (hw/intc LocalApic::kTimerHz), given as the crystal of leaf 0x15.
constexpr uint64_t kApicClockHz = 1'000'000'000;

// CPUID.0DH: XCR0 may hold x87|SSE, and AVX where the model has it. x87 and
// SSE live in the 512-byte legacy region, so the area is 576 bytes, or 832
// with AVX's upper YMM halves at 576 (sub-leaf 2). Sub-leaf 1: XSAVEOPT only.
// (helper_cpuid gives EBX for the XCR0 in force.)
constexpr uint32_t kXsaveLegacyFeatures = 0x3, kXsaveAvxFeature = 0x4, kXsaveSubleaf1Eax = 0x1;
constexpr uint32_t kXsaveBaseBytes = 576, kXsaveAvxOffset = 576, kXsaveAvxBytes = 256;
constexpr uint32_t kLeaf1EcxAvx = 1u << 28;

const CpuModel kQemu64{};
const CpuModel kMax{.name = "max",
                    .description = "Enables every feature vx86 implements",
                    .features = kMaxFeatures};

uint32_t pack(const char* s) {
  uint32_t v;
  std::memcpy(&v, s, 4);
  return v;
}

}  // namespace

const std::vector<const CpuModel*>& cpu_models() {
  static const std::vector<const CpuModel*> models = {&kQemu64, &kMax};
  return models;
}

const CpuModel* find_cpu_model(const std::string& name) {
  for (const CpuModel* m : cpu_models()) {
    if (m->name == name) return m;
  }
  return nullptr;
}

CpuidResult cpuid(const CpuModel& model, uint32_t leaf, uint32_t subleaf, unsigned apic_id,
                  unsigned cpu_count, uint64_t tsc_hz) {
  CpuidResult r;
  if (leaf >= 0x40000000u && leaf < 0x50000000u) return r;  // no hypervisor interface
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
      // The hypervisor bit, as QEMU sets it: Linux then expects no performance counters.
      r.ecx = model.features.leaf1_ecx | (1u << 31);
      r.edx = model.features.leaf1_edx | (cpu_count > 1 ? (1u << 28) : 0);
      break;
    case 7:
      if (subleaf == 0) {  // EAX=0: no further subleaves
        r.ebx = model.features.leaf7_ebx;
        r.edx = model.features.leaf7_edx;
      }
      break;
    case 0xd: {
      const bool avx = model.features.leaf1_ecx & kLeaf1EcxAvx;
      if (subleaf == 0) {
        r.eax = kXsaveLegacyFeatures | (avx ? kXsaveAvxFeature : 0);
        r.ebx = kXsaveBaseBytes;
        r.ecx = avx ? kXsaveAvxOffset + kXsaveAvxBytes : kXsaveBaseBytes;
      } else if (subleaf == 1) {
        r.eax = kXsaveSubleaf1Eax;
      } else if (subleaf == 2 && avx) {
        r.eax = kXsaveAvxBytes;
        r.ebx = kXsaveAvxOffset;
      }
      break;
    }
    case 0x15: {
      // TSC = crystal * EBX / EAX. The crystal is the local APIC timer's 1 GHz clock, so
      // Linux takes both rates from here without calibration. A ratio that does not fit in
      // 32 bits leaves the leaf empty (the guest calibrates).
      const uint64_t g = std::gcd(tsc_hz, kApicClockHz);
      if (kApicClockHz / g <= UINT32_MAX && tsc_hz / g <= UINT32_MAX) {
        r.eax = static_cast<uint32_t>(kApicClockHz / g);
        r.ebx = static_cast<uint32_t>(tsc_hz / g);
        r.ecx = static_cast<uint32_t>(kApicClockHz);
      }
      break;
    }
    case 0x16:  // base and maximum frequencies (the TSC's), bus frequency, in MHz
      r.eax = r.ebx = static_cast<uint32_t>(tsc_hz / 1'000'000);
      r.ecx = static_cast<uint32_t>(kApicClockHz / 1'000'000);
      break;
    case 0x80000000:
      r.eax = model.max_ext_leaf;
      r.ebx = pack(model.vendor);
      r.edx = pack(model.vendor + 4);
      r.ecx = pack(model.vendor + 8);
      break;
    case 0x80000001:
      r.eax = model.signature;
      r.ecx = model.features.ext1_ecx;
      r.edx = model.features.ext1_edx;
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
    case 0x80000007:
      r.edx = 1u << 8;  // invariant TSC: it counts virtual time at one rate, halted or not
      break;
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
