#include "target-x86/cpuid.h"

#include <cstring>
#include <iterator>
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

unsigned CpuTopology::field_bits(unsigned count) {
  unsigned bits = 0;
  while ((1u << bits) < count) ++bits;
  return bits;
}

unsigned CpuTopology::apic_id(unsigned index) const {
  const unsigned thread = index % threads;
  const unsigned core = index / threads % cores;
  const unsigned die = index / (threads * cores) % dies;
  const unsigned socket = index / (threads * cores * dies);
  return socket << package_shift() | die << (thread_bits() + core_bits()) | core << thread_bits() |
         thread;
}

bool CpuTopology::apic_ids_are_indices() const {
  for (unsigned i = 0; i < cpus(); ++i) {
    if (apic_id(i) != i) return false;
  }
  return true;
}

namespace {

// Leaf 4's caches, as QEMU's legacy Intel ones (what its models report
// without a cache model): 32 KiB L1 data and instruction caches, a 4 MiB L2
// per core, a 16 MiB L3 per package; 64-byte lines.
struct CacheLevel {
  unsigned type;  // 1 data, 2 instruction, 3 unified
  unsigned level;
  unsigned ways;
  unsigned sets;
};
constexpr CacheLevel kCaches[] = {
    {1, 1, 8, 64}, {2, 1, 8, 64}, {3, 2, 16, 4096}, {3, 3, 16, 16384}};

CpuidResult cache_leaf(uint32_t subleaf, const CpuTopology& topology) {
  CpuidResult r;
  if (subleaf >= std::size(kCaches)) return r;  // type 0: no more caches
  const CacheLevel& c = kCaches[subleaf];
  // How many APIC IDs share the cache: L1 its own (as QEMU's), L2 the core's
  // threads, L3 the package.
  const unsigned sharing = c.level == 1   ? 1
                           : c.level == 2 ? topology.threads
                                          : 1u << topology.package_shift();
  const unsigned cores_in_package = topology.cores * topology.dies;
  r.eax = c.type | c.level << 5 | 1u << 8 /* self-initialising */ | (sharing - 1) << 14 |
          (cores_in_package - 1) << 26;
  r.ebx = (64 - 1) | 0u << 12 /* one partition */ | (c.ways - 1) << 22;
  r.ecx = c.sets - 1;
  r.edx = c.level == 3 ? (1u << 0 | 1u << 2) : 1u << 0;  // WBINVD scope; L3 complex indexing
  return r;
}

}  // namespace

CpuidResult cpuid(const CpuModel& model, uint32_t leaf, uint32_t subleaf, unsigned apic_id,
                  const CpuTopology& topology, uint64_t tsc_hz) {
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
      {
        // Logical processors per package, and HTT when there is more than one.
        const unsigned per_package = topology.cpus() / topology.sockets;
        r.ebx = (apic_id << 24) | ((per_package & 0xff) << 16) | (8u << 8);  // CLFLUSH: 64 bytes
        // The hypervisor bit, as QEMU sets it: Linux then expects no performance counters.
        r.ecx = model.features.leaf1_ecx | (1u << 31);
        r.edx = model.features.leaf1_edx | (per_package > 1 ? (1u << 28) : 0);
        break;
      }
    case 4:
      r = cache_leaf(subleaf, topology);
      break;
    case 7:
      if (subleaf == 0) {  // EAX=0: no further subleaves
        r.ebx = model.features.leaf7_ebx;
        r.edx = model.features.leaf7_edx;
      }
      break;
    case 0xb:
      // Extended topology: the SMT level, then the core level (dies are
      // folded into it, as QEMU does without leaf 1FH).
      r.edx = apic_id;
      r.ecx = subleaf & 0xff;
      if (subleaf == 0) {
        r.eax = topology.thread_bits();
        r.ebx = topology.threads;
        r.ecx |= 1u << 8;
      } else if (subleaf == 1) {
        r.eax = topology.package_shift();
        r.ebx = topology.cpus() / topology.sockets;
        r.ecx |= 2u << 8;
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
  return r;
}

}  // namespace vx86::x86
