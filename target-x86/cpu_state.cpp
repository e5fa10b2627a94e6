// CpuState reset values and hflags.
#include "target-x86/cpu_state.h"

#include <cstring>

namespace vx86 {
namespace {

constexpr uint16_t kDataRwAttrs = kSegAttrPresent | kSegAttrS | kSegAttrWritable | kSegAttrAccessed;
constexpr uint16_t kCodeAttrs =
    kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrWritable | kSegAttrAccessed;
constexpr uint16_t kLdtType = 0x2;
constexpr uint16_t kBusyTss32Type = 0xB;
constexpr uint64_t kMtrrCapVariableCount = 8;
constexpr uint64_t kMtrrCapFixed = 1ull << 8;
constexpr uint64_t kMtrrCapWriteCombining = 1ull << 10;
constexpr uint64_t kMiscEnableFastStrings = 1ull << 0;

}  // namespace

void cpu_reset(CpuState& cpu, uint32_t signature, bool bsp) {
  std::memset(&cpu, 0, sizeof(cpu));

  cpu.cpuid_signature = signature;
  cpu.regs[kRDX] = signature;
  cpu.rip = 0xFFF0;
  cpu.cc_op = kCcOpEflags;
  cpu.eflags_rest = kFlagReserved1;

  for (auto& seg : cpu.segs) seg = SegmentCache{0, kDataRwAttrs, 0xFFFF, 0};
  cpu.segs[kSegCS] = SegmentCache{0xF000, kCodeAttrs, 0xFFFF, 0xFFFF0000ull};
  cpu.ldtr = SegmentCache{0, static_cast<uint16_t>(kSegAttrPresent | kLdtType), 0xFFFF, 0};
  cpu.tr = SegmentCache{0, static_cast<uint16_t>(kSegAttrPresent | kBusyTss32Type), 0xFFFF, 0};
  cpu.gdtr = DescriptorTableReg{0, 0xFFFF};
  cpu.idtr = DescriptorTableReg{0, 0xFFFF};

  cpu.cr0 = kCr0CD | kCr0NW | kCr0ET;  // 0x60000010
  cpu.dr[6] = 0xFFFF0FF0;
  cpu.dr[7] = 0x00000400;
  cpu.apic_base = kApicBaseDefault | kApicBaseEnable | (bsp ? kApicBaseBsp : 0);
  cpu.pat = kPatPowerOn;
  cpu.misc_enable = kMiscEnableFastStrings;
  cpu.mtrr_cap = kMtrrCapVariableCount | kMtrrCapFixed | kMtrrCapWriteCombining;
  cpu.xcr0 = 1;  // x87 state always enabled

  // x87 power-up values (FINIT would give 037F/FFFF instead).
  cpu.fpu_cw = 0x0040;
  cpu.fpu_tw = 0x5555;
  cpu.mxcsr = 0x1F80;

  cpu.exception_vector = -1;
  cpu.a20_mask = ~0ull;
  cpu.halted = bsp ? 0 : 1;  // application processors wait for INIT-SIPI
  update_hflags(cpu);
}

void update_hflags(CpuState& cpu) {
  uint32_t hf = cpu.hflags & (kHfInhibitIrq | kHfSmm);
  const bool pe = cpu.cr0 & kCr0PE;
  const bool vm86 = pe && (cpu.eflags_rest & kFlagVM);
  const bool lma = cpu.efer & kEferLMA;
  const SegmentCache& cs = cpu.segs[kSegCS];
  if (pe) hf |= kHfPe;
  if (cpu.cr0 & kCr0PG) hf |= kHfPg;
  if (lma) hf |= kHfLma;
  if (vm86) {
    hf |= kHfVm86 | 3;
  } else if (pe) {
    hf |= cs.selector & 3;
  }
  if (lma && (cs.attrs & kSegAttrL)) {
    hf |= kHfCs64 | kHfCs32 | kHfSs32;
  } else {
    if (!vm86 && (cs.attrs & kSegAttrDB)) hf |= kHfCs32;
    if (!vm86 && (cpu.segs[kSegSS].attrs & kSegAttrDB)) hf |= kHfSs32;
    if (!pe || vm86 || cpu.segs[kSegDS].base || cpu.segs[kSegES].base || cpu.segs[kSegSS].base) {
      hf |= kHfAddSegBase;
    }
    if (pe && !vm86) {
      constexpr uint16_t kTypeMask =
          kSegAttrPresent | kSegAttrS | kSegAttrCode | 0x4 /* E */ | kSegAttrWritable;
      constexpr uint16_t kFlatType = kSegAttrPresent | kSegAttrS | kSegAttrWritable;
      for (unsigned seg = 0; seg < kSegCount; ++seg) {
        const SegmentCache& c = cpu.segs[seg];
        if ((c.attrs & kTypeMask) != kFlatType || c.base != 0 || c.limit != 0xffffffffu) {
          hf |= kHfSegCheck(seg);
        }
      }
    }
  }
  cpu.hflags = hf;
}

}  // namespace vx86
