#include "target-x86/msr.h"

#include "core/device_lock.h"

#include "core/clock.h"
#include "target-x86/exceptions.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {

enum Msr : uint32_t {
  kMsrTsc = 0x10,
  kMsrTscAdjust = 0x3b,
  kMsrPlatformId = 0x17,
  kMsrApicBase = 0x1b,
  kMsrFeatureControl = 0x3a,
  kMsrBiosSignId = 0x8b,
  kMsrMtrrCap = 0xfe,
  kMsrArchCapabilities = 0x10a,
  kMsrSysenterCs = 0x174,
  kMsrSysenterEsp = 0x175,
  kMsrSysenterEip = 0x176,
  kMsrMcgCap = 0x179,
  kMsrMcgStatus = 0x17a,
  kMsrMiscEnable = 0x1a0,
  kMsrMtrrPhysBase0 = 0x200,
  kMsrMtrrFix64k = 0x250,
  kMsrMtrrFix16k80000 = 0x258,
  kMsrMtrrFix16kA0000 = 0x259,
  kMsrMtrrFix4kC0000 = 0x268,
  kMsrPat = 0x277,
  kMsrMtrrDefType = 0x2ff,
  kMsrEfer = 0xc0000080,
  kMsrStar = 0xc0000081,
  kMsrLstar = 0xc0000082,
  kMsrCstar = 0xc0000083,
  kMsrSfmask = 0xc0000084,
  kMsrFsBase = 0xc0000100,
  kMsrGsBase = 0xc0000101,
  kMsrKernelGsBase = 0xc0000102,
  kMsrTscAux = 0xc0000103,
};

constexpr uint64_t kCr0Reserved = ~0xe005003full;
constexpr uint64_t kCr4Known = (1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) |
                               (1ull << 5) | (1ull << 6) | (1ull << 7) | (1ull << 8) | (1ull << 9) |
                               (1ull << 10) | (1ull << 16) | (1ull << 18) | (1ull << 20) |
                               (1ull << 21);
constexpr uint64_t kCr4PAE = 1ull << 5;
constexpr uint64_t kCr4Flushing =
    (1ull << 4) | (1ull << 5) | (1ull << 7) | (1ull << 20) | (1ull << 21);

bool canonical(uint64_t v) {
  return static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16) == v;
}

uint64_t* mtrr_fixed_slot(X86Cpu& cpu, uint32_t index) {
  if (index == kMsrMtrrFix64k) return &cpu.mtrr_fixed[0];
  if (index == kMsrMtrrFix16k80000) return &cpu.mtrr_fixed[1];
  if (index == kMsrMtrrFix16kA0000) return &cpu.mtrr_fixed[2];
  if (index >= kMsrMtrrFix4kC0000 && index < kMsrMtrrFix4kC0000 + 8) {
    return &cpu.mtrr_fixed[3 + (index - kMsrMtrrFix4kC0000)];
  }
  return nullptr;
}

}  // namespace

uint64_t read_tsc(X86Cpu& cpu) {
  int64_t ns = cpu.clocks ? cpu.clocks->now(ClockType::kVirtual) : 0;
  const auto ticks = static_cast<unsigned __int128>(ns) * cpu.tsc_hz / kNsPerSec;
  return static_cast<uint64_t>(ticks) + cpu.tsc_offset;
}

bool read_msr(X86Cpu& cpu, uint32_t index, uint64_t* value) {
  if (cpu.local_apic) {
    CpuLocalApic::MsrAccess access;
    {
      DeviceLockGuard lock;
      access = cpu.local_apic->cpu_read_msr(index, value);
    }
    if (access != CpuLocalApic::MsrAccess::kNotMine)
      return access == CpuLocalApic::MsrAccess::kDone;
  }
  if (index >= kMsrMtrrPhysBase0 && index < kMsrMtrrPhysBase0 + 2 * kNumVariableMtrrs) {
    unsigned n = (index - kMsrMtrrPhysBase0) / 2;
    *value = (index & 1) ? cpu.mtrr_var_mask[n] : cpu.mtrr_var_base[n];
    return true;
  }
  if (uint64_t* slot = mtrr_fixed_slot(cpu, index)) {
    *value = *slot;
    return true;
  }
  switch (index) {
    case kMsrTscAdjust:
      *value = cpu.tsc_adjust;
      return true;
    case kMsrTsc:
      *value = read_tsc(cpu);
      return true;
    case kMsrPlatformId:
    case kMsrFeatureControl:
    case kMsrBiosSignId:
    case kMsrMcgCap:
    case kMsrMcgStatus:
      *value = 0;
      return true;
    case kMsrApicBase:
      *value = cpu.apic_base;
      return true;
    case kMsrMtrrCap:
      *value = cpu.mtrr_cap;
      return true;
    case kMsrArchCapabilities:
      if (!(cpu.model.features.leaf7_edx & (1u << 29))) return false;
      *value = kArchCapabilities;
      return true;
    case kMsrSysenterCs:
      *value = cpu.sysenter_cs;
      return true;
    case kMsrSysenterEsp:
      *value = cpu.sysenter_esp;
      return true;
    case kMsrSysenterEip:
      *value = cpu.sysenter_eip;
      return true;
    case kMsrMiscEnable:
      *value = cpu.misc_enable;
      return true;
    case kMsrPat:
      *value = cpu.pat;
      return true;
    case kMsrMtrrDefType:
      *value = cpu.mtrr_def_type;
      return true;
    case kMsrEfer:
      *value = cpu.efer;
      return true;
    case kMsrStar:
      *value = cpu.star;
      return true;
    case kMsrLstar:
      *value = cpu.lstar;
      return true;
    case kMsrCstar:
      *value = cpu.cstar;
      return true;
    case kMsrSfmask:
      *value = cpu.sfmask;
      return true;
    case kMsrFsBase:
      *value = cpu.segs[kSegFS].base;
      return true;
    case kMsrGsBase:
      *value = cpu.segs[kSegGS].base;
      return true;
    case kMsrKernelGsBase:
      *value = cpu.kernel_gs_base;
      return true;
    case kMsrTscAux:
      *value = cpu.tsc_aux;
      return true;
    default:
      return false;
  }
}

bool write_msr(X86Cpu& cpu, uint32_t index, uint64_t value) {
  if (cpu.local_apic) {
    CpuLocalApic::MsrAccess access;
    {
      DeviceLockGuard lock;
      access = cpu.local_apic->cpu_write_msr(index, value, read_tsc(cpu));
      cpu.intr_line.store(cpu.local_apic->interrupt_pending(), std::memory_order_release);
    }
    if (access != CpuLocalApic::MsrAccess::kNotMine)
      return access == CpuLocalApic::MsrAccess::kDone;
  }
  if (index >= kMsrMtrrPhysBase0 && index < kMsrMtrrPhysBase0 + 2 * kNumVariableMtrrs) {
    unsigned n = (index - kMsrMtrrPhysBase0) / 2;
    ((index & 1) ? cpu.mtrr_var_mask[n] : cpu.mtrr_var_base[n]) = value;
    return true;
  }
  if (uint64_t* slot = mtrr_fixed_slot(cpu, index)) {
    *slot = value;
    return true;
  }
  auto require_canonical = [&] {
    if (!canonical(value)) raise_exception(cpu, kExcGP, 0);
  };
  switch (index) {
    case kMsrTscAdjust:  // SDM 17.17.3: moves the TSC by the change
      cpu.tsc_offset += value - cpu.tsc_adjust;
      cpu.tsc_adjust = value;
      return true;
    case kMsrTsc:
      cpu.tsc_adjust += value - read_tsc(cpu);  // a TSC write shows in IA32_TSC_ADJUST too
      cpu.tsc_offset = value - (read_tsc(cpu) - cpu.tsc_offset);
      return true;
    case kMsrPlatformId:
    case kMsrFeatureControl:
    case kMsrBiosSignId:
    case kMsrMcgStatus:
      return true;
    case kMsrApicBase:
      cpu.apic_base = value;
      return true;
    case kMsrSysenterCs:
      cpu.sysenter_cs = value & 0xffff;
      return true;
    case kMsrSysenterEsp:
      require_canonical();
      cpu.sysenter_esp = value;
      return true;
    case kMsrSysenterEip:
      require_canonical();
      cpu.sysenter_eip = value;
      return true;
    case kMsrMiscEnable:
      cpu.misc_enable = value;
      return true;
    case kMsrPat:
      cpu.pat = value;
      return true;
    case kMsrMtrrDefType:
      cpu.mtrr_def_type = value;
      return true;
    case kMsrEfer: {
      constexpr uint64_t kWritable = kEferSCE | kEferLME | kEferNXE;
      if (value & ~(kWritable | kEferLMA)) raise_exception(cpu, kExcGP, 0);
      // LME cannot change while paging is on.
      if ((cpu.cr0 & kCr0PG) && ((value ^ cpu.efer) & kEferLME)) raise_exception(cpu, kExcGP, 0);
      cpu.efer = (cpu.efer & kEferLMA) | (value & kWritable);
      cpu.mmu.flush_all();
      update_hflags(cpu);
      return true;
    }
    case kMsrStar:
      cpu.star = value;
      return true;
    case kMsrLstar:
      require_canonical();
      cpu.lstar = value;
      return true;
    case kMsrCstar:
      require_canonical();
      cpu.cstar = value;
      return true;
    case kMsrSfmask:
      cpu.sfmask = value & 0xffffffffull;
      return true;
    case kMsrFsBase:
      require_canonical();
      cpu.segs[kSegFS].base = value;
      return true;
    case kMsrGsBase:
      require_canonical();
      cpu.segs[kSegGS].base = value;
      return true;
    case kMsrKernelGsBase:
      require_canonical();
      cpu.kernel_gs_base = value;
      return true;
    case kMsrTscAux:
      cpu.tsc_aux = value & 0xffffffffull;
      return true;
    default:
      return false;
  }
}

void write_cr0(X86Cpu& cpu, uint64_t value) {
  if (value & kCr0Reserved) raise_exception(cpu, kExcGP, 0);
  if ((value & kCr0PG) && !(value & kCr0PE)) raise_exception(cpu, kExcGP, 0);
  if ((value & kCr0NW) && !(value & kCr0CD)) raise_exception(cpu, kExcGP, 0);
  bool paging_on = (value & kCr0PG) && !(cpu.cr0 & kCr0PG);
  bool paging_off = !(value & kCr0PG) && (cpu.cr0 & kCr0PG);
  if (paging_on && (cpu.efer & kEferLME)) {
    if (!(cpu.cr4 & kCr4PAE)) raise_exception(cpu, kExcGP, 0);
    cpu.efer |= kEferLMA;
  }
  if (paging_off) {
    if (cpu.hflags & kHfCs64) raise_exception(cpu, kExcGP, 0);
    cpu.efer &= ~kEferLMA;
  }
  cpu.cr0 = value | kCr0ET;
  cpu.mmu.flush_all();
  update_hflags(cpu);
}

void write_cr4(X86Cpu& cpu, uint64_t value) {
  if (value & ~kCr4Known) raise_exception(cpu, kExcGP, 0);
  if ((cpu.efer & kEferLMA) && !(value & kCr4PAE)) raise_exception(cpu, kExcGP, 0);
  if ((value ^ cpu.cr4) & kCr4Flushing) cpu.mmu.flush_all();
  cpu.cr4 = value;
  update_hflags(cpu);
}

}  // namespace vx86::x86
