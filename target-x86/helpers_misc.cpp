// Helpers for port I/O, HLT/CLI/STI, CPUID, RDTSC, MSRs, control and debug
// registers, descriptor-table registers, SYSCALL/SYSRET, SYSENTER/SYSEXIT.
#include <algorithm>
#include <cinttypes>

#include "core/device_lock.h"
#include "core/log.h"
#include "target-x86/debug_breakpoints.h"
#include "target-x86/descriptors.h"
#include "target-x86/exceptions.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_system.h"
#include "target-x86/mmu.h"
#include "target-x86/msr.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/xsave.h"

namespace vx86::x86 {

namespace {

constexpr uint32_t kRW = tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault;

unsigned iopl(const CpuState& cpu) {
  return (cpu.eflags_rest & kFlagIOPL) >> 12;
}

// I/O permission: CPL <= IOPL (outside vm86), else the TSS bitmap decides.
void check_io(X86Cpu& cpu, uint32_t port, unsigned size) {
  if (!(cpu.cr0 & kCr0PE)) return;
  const bool vm86 = cpu.eflags_rest & kFlagVM;
  if (!vm86 && cpl(cpu) <= iopl(cpu)) return;
  const bool tss32 = (cpu.tr.attrs & 0xf) == 0x9 || (cpu.tr.attrs & 0xf) == 0xb;
  if (!tss32 || cpu.tr.limit < 103) raise_exception(cpu, kExcGP, 0);
  uint32_t bitmap =
      static_cast<uint32_t>(cpu_load(cpu, cpu.tr.base + 102, 2, kMemSupervisorImplicit));
  uint32_t offset = bitmap + port / 8;
  if (offset + 1 > cpu.tr.limit) raise_exception(cpu, kExcGP, 0);
  uint32_t bits =
      static_cast<uint32_t>(cpu_load(cpu, cpu.tr.base + offset, 2, kMemSupervisorImplicit));
  if ((bits >> (port & 7)) & ((1u << size) - 1)) raise_exception(cpu, kExcGP, 0);
}

uint64_t helper_port_in(CpuState* env, uint32_t port, uint32_t size) {
  X86Cpu& cpu = x86_cpu(env);
  check_io(cpu, port, size);
  return cpu.io.read(port & 0xffff, size);
}

void helper_port_out(CpuState* env, uint32_t port, uint64_t value, uint32_t size) {
  X86Cpu& cpu = x86_cpu(env);
  check_io(cpu, port, size);
  cpu.io.write(port & 0xffff, value, size);
  // A device may have asked the machine to stop (isa-debug-exit, reset).
  if (cpu.exit_request.load(std::memory_order_relaxed)) cpu.stop_after_block = true;
}

void require_cpl0(X86Cpu& cpu) {
  if ((cpu.cr0 & kCr0PE) && cpl(cpu) != 0) raise_exception(cpu, kExcGP, 0);
}

void helper_check_cpl0(CpuState* env) {
  require_cpl0(x86_cpu(env));
}

void helper_hlt(CpuState* env, uint64_t next_ip) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  cpu.rip = next_ip;
  cpu.halted = 1;
  cpu.stop_after_block = true;
}

void helper_cli(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  bool vm86 = cpu.eflags_rest & kFlagVM;
  if ((cpu.cr0 & kCr0PE) && (vm86 ? iopl(cpu) != 3 : cpl(cpu) > iopl(cpu))) {
    raise_exception(cpu, kExcGP, 0);
  }
  cpu.eflags_rest &= ~kFlagIF;
}

void helper_sti(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  bool vm86 = cpu.eflags_rest & kFlagVM;
  if ((cpu.cr0 & kCr0PE) && (vm86 ? iopl(cpu) != 3 : cpl(cpu) > iopl(cpu))) {
    raise_exception(cpu, kExcGP, 0);
  }
  // STI delays interrupts until after the next instruction, if IF was clear.
  if (!(cpu.eflags_rest & kFlagIF)) cpu.hflags |= kHfInhibitIrq;
  cpu.eflags_rest |= kFlagIF;
}

void helper_cpuid(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  const uint32_t leaf = static_cast<uint32_t>(cpu.regs[kRAX]);
  CpuidResult r = cpuid(cpu.model, leaf, static_cast<uint32_t>(cpu.regs[kRCX]), cpu.cpu_index,
                        cpu.topology, cpu.tsc_hz);
  if (leaf == 1) {
    // The machine, not the model, decides whether there is a local APIC (and
    // with it the TSC-deadline timer mode).
    constexpr uint32_t kEdxApic = 1u << 9;
    constexpr uint32_t kEcxTscDeadline = 1u << 24;
    if (cpu.local_apic) {
      r.edx |= kEdxApic;
      r.ecx |= kEcxTscDeadline;
    } else {
      r.edx &= ~kEdxApic;
      r.ecx &= ~kEcxTscDeadline;
    }
  }
  xsave_adjust_cpuid(cpu, leaf, static_cast<uint32_t>(cpu.regs[kRCX]), &r.ebx, &r.ecx);
  cpu.regs[kRAX] = r.eax, cpu.regs[kRBX] = r.ebx, cpu.regs[kRCX] = r.ecx, cpu.regs[kRDX] = r.edx;
}

void helper_rdtsc(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  constexpr uint64_t kCr4TSD = 1ull << 2;
  if ((cpu.cr4 & kCr4TSD) && cpl(cpu) != 0 && (cpu.cr0 & kCr0PE)) raise_exception(cpu, kExcGP, 0);
  uint64_t tsc = read_tsc(cpu);
  cpu.regs[kRAX] = tsc & 0xffffffffull;
  cpu.regs[kRDX] = tsc >> 32;
}

void helper_rdmsr(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  uint64_t value;
  uint32_t index = static_cast<uint32_t>(cpu.regs[kRCX]);
  if (!read_msr(cpu, index, &value)) {
    VX86_LOG(kLogUnimp, "rdmsr: unknown MSR 0x%x -> #GP\n", index);
    raise_exception(cpu, kExcGP, 0);
  }
  cpu.regs[kRAX] = value & 0xffffffffull;
  cpu.regs[kRDX] = value >> 32;
}

void helper_wrmsr(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  uint32_t index = static_cast<uint32_t>(cpu.regs[kRCX]);
  uint64_t value = (cpu.regs[kRDX] << 32) | (cpu.regs[kRAX] & 0xffffffffull);
  if (!write_msr(cpu, index, value)) {
    VX86_LOG(kLogUnimp, "wrmsr: unknown MSR 0x%x value 0x%" PRIx64 " -> #GP\n", index, value);
    raise_exception(cpu, kExcGP, 0);
  }
  update_hflags(cpu);  // FS/GS bases (and EFER) feed the segment-check flags
}

uint64_t helper_read_cr(CpuState* env, uint32_t cr) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  switch (cr) {
    case 0:
      return cpu.cr0;
    case 2:
      return cpu.cr2;
    case 3:
      return cpu.cr3;
    case 4:
      return cpu.cr4;
    case 8:
      if (cpu.local_apic) {
        DeviceLockGuard lock;
        return cpu.local_apic->read_cr8();
      }
      return cpu.cr8;
    default:
      raise_exception(cpu, kExcUD);
  }
}

void helper_write_cr(CpuState* env, uint32_t cr, uint64_t value) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  switch (cr) {
    case 0:
      write_cr0(cpu, value);
      break;
    case 2:
      cpu.cr2 = value;
      break;
    case 3:
      cpu.cr3 = value;
      cpu.mmu.flush_nonglobal();
      break;
    case 4:
      write_cr4(cpu, value);
      break;
    case 8:
      if (value & ~0xfull) raise_exception(cpu, kExcGP, 0);
      cpu.cr8 = value;
      if (cpu.local_apic) {
        // CR8 is the APIC's TPR: lowering it may unmask a pending interrupt.
        DeviceLockGuard lock;
        cpu.local_apic->write_cr8(value);
        cpu.intr_line.store(cpu.local_apic->interrupt_pending(), std::memory_order_release);
      }
      break;
    default:
      raise_exception(cpu, kExcUD);
  }
}

// The checks every MOV to or from a debug register makes: CPL 0, DR4/DR5
// (#UD with CR4.DE, else aliases of DR6/DR7) and DR7.GD, which turns the
// access into a #DB fault with DR6.BD set. Returns the register index.
uint32_t check_debug_register_access(X86Cpu& cpu, uint32_t dr) {
  require_cpl0(cpu);
  if (dr == 4 || dr == 5) {
    if (cpu.cr4 & kCr4DebugExtensions) raise_exception(cpu, kExcUD);
    dr += 2;
  }
  if (cpu.dr[7] & kDr7GeneralDetect) {
    cpu.dr[7] &= ~kDr7GeneralDetect;
    cpu.dr[6] |= kDr6BreakpointDetected;
    raise_exception(cpu, kExcDB);
  }
  return dr & 7;
}

uint64_t helper_read_dr(CpuState* env, uint32_t dr) {
  X86Cpu& cpu = x86_cpu(env);
  return cpu.dr[check_debug_register_access(cpu, dr)];
}

void helper_write_dr(CpuState* env, uint32_t dr, uint64_t value) {
  X86Cpu& cpu = x86_cpu(env);
  dr = check_debug_register_access(cpu, dr);
  if ((dr == 6 || dr == 7) && (cpu.hflags & kHfLma) && (value >> 32))
    raise_exception(cpu, kExcGP, 0);
  // DR6 and DR7 have fixed bits: DR6 reads 1 in bits 4-11 and 16-31, 0 in
  // bit 12; DR7 reads 1 in bit 10 and 0 in bits 11, 12, 14 and 15.
  if (dr == 6) value = (value & 0xe00full) | 0xffff0ff0ull;
  if (dr == 7) value = (value & 0xffff23ffull) | 0x400ull;
  cpu.dr[dr] = value;
  cpu.exec_breakpoints = exec_breakpoints_enabled(cpu.dr[7]);
  update_data_watches(cpu);
}

void helper_load_dtr(CpuState* env, uint32_t which, uint64_t linear, uint32_t op_size) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  unsigned mem_index = kMemSupervisor;
  uint32_t limit = static_cast<uint32_t>(cpu_load(cpu, linear, 2, mem_index));
  unsigned base_size = (cpu.hflags & kHfCs64) ? 8 : 4;
  uint64_t base = cpu_load(cpu, linear + 2, base_size, mem_index);
  if (op_size == 2 && base_size == 4) base &= 0x00ffffffull;  // 16-bit operand: 24-bit base
  DescriptorTableReg& reg = which == 0 ? cpu.gdtr : cpu.idtr;
  reg.base = base;
  reg.limit = limit;
}

void helper_store_dtr(CpuState* env, uint32_t which, uint64_t linear, uint32_t op_size) {
  X86Cpu& cpu = x86_cpu(env);
  unsigned mem_index = cpl(cpu) == 3 ? kMemUser : kMemSupervisor;
  const DescriptorTableReg& reg = which == 0 ? cpu.gdtr : cpu.idtr;
  unsigned base_size = (cpu.hflags & kHfCs64) ? 8 : 4;
  // Check both parts first: a fault must not leave half the value written.
  uint64_t p;
  if (!cpu.mmu.translate(linear, Access::kWrite, mem_index, &p) ||
      !cpu.mmu.translate(linear + 1 + base_size, Access::kWrite, mem_index, &p)) {
    throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
  }
  cpu_store(cpu, linear, reg.limit & 0xffff, 2, mem_index);
  cpu_store(cpu, linear + 2, reg.base, base_size, mem_index);
  (void)op_size;
}

void helper_lldt(CpuState* env, uint32_t selector) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  if ((selector & 0xfffc) == 0) {
    cpu.ldtr = SegmentCache{static_cast<uint16_t>(selector), 0, 0, 0};
    return;
  }
  if (selector & 4) raise_exception(cpu, kExcGP, selector & 0xfffc);
  Descriptor d = read_descriptor(cpu, static_cast<uint16_t>(selector));
  if (d.s() || d.type() != 2) raise_exception(cpu, kExcGP, selector & 0xfffc);
  if (!d.present()) raise_exception(cpu, kExcNP, selector & 0xfffc);
  SegmentCache c = make_cache(static_cast<uint16_t>(selector), d);
  if (cpu.efer & kEferLMA) c.base |= static_cast<uint64_t>(read_descriptor_high(cpu, d)) << 32;
  cpu.ldtr = c;
}

void helper_ltr(CpuState* env, uint32_t selector) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  if ((selector & 0xfffc) == 0 || (selector & 4)) raise_exception(cpu, kExcGP, selector & 0xfffc);
  Descriptor d = read_descriptor(cpu, static_cast<uint16_t>(selector));
  bool lma = cpu.efer & kEferLMA;
  bool available = d.type() == 9 || (!lma && d.type() == 1);
  if (d.s() || !available) raise_exception(cpu, kExcGP, selector & 0xfffc);
  if (!d.present()) raise_exception(cpu, kExcNP, selector & 0xfffc);
  SegmentCache c = make_cache(static_cast<uint16_t>(selector), d);
  if (lma) c.base |= static_cast<uint64_t>(read_descriptor_high(cpu, d)) << 32;
  // Mark the TSS busy.
  d.hi |= 0x200;
  cpu_store(cpu, d.address + 4, d.hi, 4, kMemSupervisorImplicit);
  c.attrs |= 0x2;
  cpu.tr = c;
}

void helper_lmsw(CpuState* env, uint32_t value) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  // LMSW sets PE (never clears it) and loads MP, EM, TS.
  uint64_t cr0 = (cpu.cr0 & ~0xeull) | (value & 0xf) | (cpu.cr0 & 1);
  write_cr0(cpu, cr0);
}

void helper_clts(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  cpu.cr0 &= ~(1ull << 3);
}

void helper_invlpg(CpuState* env, uint64_t linear) {
  X86Cpu& cpu = x86_cpu(env);
  require_cpl0(cpu);
  cpu.mmu.flush_page(linear);
}

// VERR/VERW: ZF=1 when the segment is readable/writable at the current CPL
// and RPL; never faults on a bad selector (only on the descriptor read).
void helper_verify_segment(CpuState* env, uint32_t selector, uint32_t is_write) {
  X86Cpu& cpu = x86_cpu(env);
  if (!(cpu.cr0 & kCr0PE) || (cpu.eflags_rest & kFlagVM)) raise_exception(cpu, kExcUD);
  bool ok = false;
  uint16_t sel = static_cast<uint16_t>(selector);
  bool ldt = sel & 4;
  uint32_t limit = ldt ? cpu.ldtr.limit : cpu.gdtr.limit;
  if ((sel & 0xfffc) != 0 && (sel & 0xfff8) + 7u <= limit) {
    Descriptor d = read_descriptor(cpu, sel);
    unsigned level = std::max(vx86::cpl(cpu), static_cast<unsigned>(sel & 3));
    if (d.s() && (d.conforming() || d.dpl() >= level)) {
      ok = is_write ? d.writable_data() : d.readable();
    }
  }
  uint32_t flags = compute_eflags(cpu);
  load_eflags(cpu, ok ? (flags | kFlagZF) : (flags & ~kFlagZF), kFlagsArith);
}

void helper_swapgs(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  if (cpl(cpu) != 0) raise_exception(cpu, kExcGP, 0);
  std::swap(cpu.segs[kSegGS].base, cpu.kernel_gs_base);
}

void helper_syscall(CpuState* env, uint64_t next_ip) {
  X86Cpu& cpu = x86_cpu(env);
  if (!(cpu.efer & kEferSCE)) raise_exception(cpu, kExcUD);
  uint16_t sel = static_cast<uint16_t>(cpu.star >> 32);
  constexpr uint16_t kCode64 = kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrWritable |
                               kSegAttrAccessed | kSegAttrL | kSegAttrG;
  constexpr uint16_t kCode32 = kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrWritable |
                               kSegAttrAccessed | kSegAttrDB | kSegAttrG;
  constexpr uint16_t kData =
      kSegAttrPresent | kSegAttrS | kSegAttrWritable | kSegAttrAccessed | kSegAttrDB | kSegAttrG;
  uint32_t flags = compute_eflags(cpu);
  if (cpu.efer & kEferLMA) {
    cpu.regs[kRCX] = next_ip;
    cpu.regs[kR11] = flags & ~kFlagRF;
    bool to64 = true;
    cpu.segs[kSegCS] =
        SegmentCache{static_cast<uint16_t>(sel & 0xfffc), to64 ? kCode64 : kCode32, 0xffffffff, 0};
    cpu.rip = (cpu.hflags & kHfCs64) ? cpu.lstar : cpu.cstar;
    load_eflags(cpu, flags & ~static_cast<uint32_t>(cpu.sfmask) & ~kFlagRF);
  } else {
    cpu.regs[kRCX] = next_ip & 0xffffffffull;
    cpu.segs[kSegCS] = SegmentCache{static_cast<uint16_t>(sel & 0xfffc), kCode32, 0xffffffff, 0};
    cpu.rip = cpu.star & 0xffffffffull;
    load_eflags(cpu, flags & ~(kFlagIF | kFlagVM | kFlagRF));
  }
  cpu.segs[kSegSS] = SegmentCache{static_cast<uint16_t>((sel + 8) & 0xfffc), kData, 0xffffffff, 0};
  update_hflags(cpu);
}

void helper_sysret(CpuState* env, uint32_t size) {
  X86Cpu& cpu = x86_cpu(env);
  if (!(cpu.efer & kEferSCE)) raise_exception(cpu, kExcUD);
  if (!(cpu.cr0 & kCr0PE) || cpl(cpu) != 0) raise_exception(cpu, kExcGP, 0);
  uint16_t sel = static_cast<uint16_t>(cpu.star >> 48);
  constexpr uint16_t kUser =
      (3u << kSegAttrDplShift) | kSegAttrPresent | kSegAttrS | kSegAttrAccessed | kSegAttrG;
  if (cpu.efer & kEferLMA) {
    if (size == 8) {
      if (!Mmu::is_canonical(cpu.regs[kRCX])) raise_exception(cpu, kExcGP, 0);
      cpu.segs[kSegCS] =
          SegmentCache{static_cast<uint16_t>((sel + 16) | 3),
                       static_cast<uint16_t>(kUser | kSegAttrCode | kSegAttrWritable | kSegAttrL),
                       0xffffffff, 0};
      cpu.rip = cpu.regs[kRCX];
    } else {
      cpu.segs[kSegCS] =
          SegmentCache{static_cast<uint16_t>(sel | 3),
                       static_cast<uint16_t>(kUser | kSegAttrCode | kSegAttrWritable | kSegAttrDB),
                       0xffffffff, 0};
      cpu.rip = cpu.regs[kRCX] & 0xffffffffull;
    }
    load_eflags(cpu, static_cast<uint32_t>(cpu.regs[kR11]) | kFlagReserved1,
                kFlagsDefined & ~kFlagVM);
  } else {
    cpu.segs[kSegCS] = SegmentCache{
        static_cast<uint16_t>(sel | 3),
        static_cast<uint16_t>(kUser | kSegAttrCode | kSegAttrWritable | kSegAttrDB), 0xffffffff, 0};
    cpu.rip = cpu.regs[kRCX] & 0xffffffffull;
    cpu.eflags_rest |= kFlagIF;
  }
  cpu.segs[kSegSS].selector = static_cast<uint16_t>((sel + 8) | 3);
  cpu.segs[kSegSS].attrs = static_cast<uint16_t>(kUser | kSegAttrWritable | kSegAttrDB);
  update_hflags(cpu);
}

void helper_sysenter(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  if (!(cpu.cr0 & kCr0PE) || (cpu.sysenter_cs & 0xfffc) == 0) raise_exception(cpu, kExcGP, 0);
  bool lma = cpu.efer & kEferLMA;
  uint16_t cs = static_cast<uint16_t>(cpu.sysenter_cs & 0xfffc);
  uint16_t code = kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrWritable | kSegAttrAccessed |
                  kSegAttrG | (lma ? kSegAttrL : kSegAttrDB);
  cpu.eflags_rest &= ~(kFlagVM | kFlagIF | kFlagRF);
  cpu.segs[kSegCS] = SegmentCache{cs, code, 0xffffffff, 0};
  cpu.segs[kSegSS] =
      SegmentCache{static_cast<uint16_t>(cs + 8),
                   static_cast<uint16_t>(kSegAttrPresent | kSegAttrS | kSegAttrWritable |
                                         kSegAttrAccessed | kSegAttrDB | kSegAttrG),
                   0xffffffff, 0};
  cpu.regs[kRSP] = lma ? cpu.sysenter_esp : cpu.sysenter_esp & 0xffffffffull;
  cpu.rip = lma ? cpu.sysenter_eip : cpu.sysenter_eip & 0xffffffffull;
  update_hflags(cpu);
}

void helper_sysexit(CpuState* env, uint32_t size) {
  X86Cpu& cpu = x86_cpu(env);
  if (!(cpu.cr0 & kCr0PE) || cpl(cpu) != 0 || (cpu.sysenter_cs & 0xfffc) == 0) {
    raise_exception(cpu, kExcGP, 0);
  }
  uint16_t base = static_cast<uint16_t>(cpu.sysenter_cs & 0xfffc);
  uint16_t user =
      (3u << kSegAttrDplShift) | kSegAttrPresent | kSegAttrS | kSegAttrAccessed | kSegAttrG;
  if (size == 8) {
    cpu.segs[kSegCS] = SegmentCache{
        static_cast<uint16_t>((base + 32) | 3),
        static_cast<uint16_t>(user | kSegAttrCode | kSegAttrWritable | kSegAttrL), 0xffffffff, 0};
    cpu.segs[kSegSS].selector = static_cast<uint16_t>((base + 40) | 3);
    cpu.regs[kRSP] = cpu.regs[kRCX];
    cpu.rip = cpu.regs[kRDX];
  } else {
    cpu.segs[kSegCS] = SegmentCache{
        static_cast<uint16_t>((base + 16) | 3),
        static_cast<uint16_t>(user | kSegAttrCode | kSegAttrWritable | kSegAttrDB), 0xffffffff, 0};
    cpu.segs[kSegSS].selector = static_cast<uint16_t>((base + 24) | 3);
    cpu.regs[kRSP] = cpu.regs[kRCX] & 0xffffffffull;
    cpu.rip = cpu.regs[kRDX] & 0xffffffffull;
  }
  cpu.segs[kSegSS].attrs = static_cast<uint16_t>(user | kSegAttrWritable | kSegAttrDB);
  cpu.segs[kSegSS].base = 0;
  cpu.segs[kSegSS].limit = 0xffffffff;
  update_hflags(cpu);
}

}  // namespace

VX86_HELPER(port_in, helper_port_in, kRW)
VX86_HELPER(port_out, helper_port_out, kRW)
VX86_HELPER(check_cpl0, helper_check_cpl0, kRW)
VX86_HELPER(hlt, helper_hlt, kRW)
VX86_HELPER(cli, helper_cli, kRW)
VX86_HELPER(sti, helper_sti, kRW)
VX86_HELPER(cpuid, helper_cpuid, kRW)
VX86_HELPER(rdtsc, helper_rdtsc, kRW)
VX86_HELPER(rdmsr, helper_rdmsr, kRW)
VX86_HELPER(wrmsr, helper_wrmsr, kRW)
VX86_HELPER(read_cr, helper_read_cr, kRW)
VX86_HELPER(write_cr, helper_write_cr, kRW)
VX86_HELPER(read_dr, helper_read_dr, kRW)
VX86_HELPER(write_dr, helper_write_dr, kRW)
VX86_HELPER(load_dtr, helper_load_dtr, kRW)
VX86_HELPER(store_dtr, helper_store_dtr, kRW)
VX86_HELPER(lldt, helper_lldt, kRW)
VX86_HELPER(ltr, helper_ltr, kRW)
VX86_HELPER(lmsw, helper_lmsw, kRW)
VX86_HELPER(clts, helper_clts, kRW)
VX86_HELPER(invlpg, helper_invlpg, kRW)
VX86_HELPER(swapgs, helper_swapgs, kRW)
VX86_HELPER(verify_segment, helper_verify_segment, kRW)
VX86_HELPER(syscall, helper_syscall, kRW)
VX86_HELPER(sysret, helper_sysret, kRW)
VX86_HELPER(sysenter, helper_sysenter, kRW)
VX86_HELPER(sysexit, helper_sysexit, kRW)

}  // namespace vx86::x86
