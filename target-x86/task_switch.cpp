#include "target-x86/task_switch.h"

#include <cinttypes>

#include "core/log.h"
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helpers_system.h"
#include "target-x86/stack_access.h"
#include "target-x86/x86_cpu.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

// Where a TSS keeps each field: 32-bit TSSs hold 32-bit registers and all six
// segment registers, 16-bit (80286) TSSs 16-bit registers, ES/CS/SS/DS and no CR3.
struct TssLayout {
  unsigned width;  // register size in bytes, also the stride of the GPRs and selectors
  unsigned cr3, ip, flags, gprs, segs, num_segs, ldt, min_limit;
};
constexpr TssLayout kTss32{4, 0x1c, 0x20, 0x24, 0x28, 0x48, 6, 0x60, 0x67};
constexpr TssLayout kTss16{2, 0, 0x0e, 0x10, 0x12, 0x22, 4, 0x2a, 0x2b};
constexpr unsigned kTssBackLink = 0x00;
constexpr unsigned kTypeTss32Available = 9, kTypeTss16Available = 1, kTypeTaskGate = 5;
constexpr uint32_t kBusyBit = 1u << 9;  // in the descriptor's high word

uint32_t selector_error(uint16_t selector, bool external) {
  return (selector & 0xfffc) | (external ? 1 : 0);
}

void set_busy(X86Cpu& cpu, Descriptor& d, bool busy) {
  d.hi = busy ? (d.hi | kBusyBit) : (d.hi & ~kBusyBit);
  cpu_store(cpu, d.address + 4, d.hi, 4, kMemSupervisorImplicit);
}

// What the new TSS holds, read completely before anything changes. Fields a
// 16-bit TSS lacks keep the current values.
struct TaskImage {
  uint32_t cr3, eip, eflags;
  uint32_t gprs[8];
  uint16_t segs[kSegCount];  // ES CS SS DS FS GS, as SegReg
  uint16_t ldt;
};

TaskImage read_task_image(X86Cpu& cpu, uint64_t base, const TssLayout& l) {
  auto rd = [&](unsigned off, unsigned size) {
    return static_cast<uint32_t>(cpu_load(cpu, base + off, size, kMemSupervisorImplicit));
  };
  const uint32_t keep = l.width == 4 ? 0 : 0xffff0000u;  // upper halves stay
  TaskImage t{};
  t.cr3 = l.width == 4 ? rd(l.cr3, 4) : static_cast<uint32_t>(cpu.cr3);
  t.eip = rd(l.ip, l.width);
  t.eflags = (compute_eflags(cpu) & keep) | rd(l.flags, l.width);
  for (unsigned i = 0; i < 8; ++i) {
    t.gprs[i] = (static_cast<uint32_t>(cpu.regs[i]) & keep) | rd(l.gprs + l.width * i, l.width);
  }
  for (unsigned i = 0; i < kSegCount; ++i) {
    t.segs[i] =
        i < l.num_segs ? static_cast<uint16_t>(rd(l.segs + l.width * i, 2)) : cpu.segs[i].selector;
  }
  t.ldt = static_cast<uint16_t>(rd(l.ldt, 2));
  return t;
}

void save_task_image(X86Cpu& cpu, uint64_t base, const TssLayout& l, uint32_t eip,
                     uint32_t eflags) {
  auto wr = [&](unsigned off, uint64_t v, unsigned size) {
    cpu_store(cpu, base + off, v, size, kMemSupervisorImplicit);
  };
  wr(l.ip, eip, l.width);
  wr(l.flags, eflags, l.width);
  for (unsigned i = 0; i < 8; ++i) wr(l.gprs + l.width * i, cpu.regs[i], l.width);
  for (unsigned i = 0; i < l.num_segs; ++i) wr(l.segs + l.width * i, cpu.segs[i].selector, 2);
}

// Loads LDTR, CS, SS and the data segments of the new task. Faults the SDM
// gives as #TS(selector) arrive from the shared loaders as #GP(selector).
void load_task_segments(X86Cpu& cpu, const TaskImage& t) {
  try {
    if (t.ldt & 0xfffc) {
      if (t.ldt & 4) raise_exception(cpu, kExcTS, t.ldt & 0xfffc);
      Descriptor d = read_descriptor(cpu, t.ldt);
      if (d.s() || d.type() != 2) raise_exception(cpu, kExcTS, t.ldt & 0xfffc);
      if (!d.present()) raise_exception(cpu, kExcTS, t.ldt & 0xfffc);
      cpu.ldtr = make_cache(t.ldt, d);
    } else {
      cpu.ldtr = SegmentCache{t.ldt, 0, 0, 0};
    }
    if (cpu.eflags_rest & kFlagVM) {
      for (unsigned seg = 0; seg < kSegCount; ++seg) load_segment_real(cpu, seg, t.segs[seg]);
      update_hflags(cpu);
      return;
    }
    const uint16_t cs_sel = t.segs[kSegCS];
    if ((cs_sel & 0xfffc) == 0) raise_exception(cpu, kExcTS, 0);
    Descriptor cs = read_descriptor(cpu, cs_sel);
    const unsigned rpl = cs_sel & 3;
    if (!cs.code() || (cs.conforming() ? cs.dpl() > rpl : cs.dpl() != rpl)) {
      raise_exception(cpu, kExcTS, cs_sel & 0xfffc);
    }
    if (!cs.present()) raise_exception(cpu, kExcNP, cs_sel & 0xfffc);
    mark_accessed(cpu, cs);
    load_cs(cpu, cs_sel, cs, rpl);
    for (unsigned seg : {kSegSS, kSegDS, kSegES, kSegFS, kSegGS}) {
      load_segment_protected(cpu, seg, t.segs[seg]);
    }
  } catch (const tcg::GuestFault&) {
    if (cpu.exception_vector == kExcGP) cpu.exception_vector = kExcTS;
    throw;
  }
  update_hflags(cpu);
}

// The switch itself (SDM "Task Switching", steps 3-13) to the TSS `tss`.
void switch_task(X86Cpu& cpu, uint16_t selector, Descriptor tss, TaskSwitchSource source,
                 uint64_t next_ip, bool external) {
  const uint32_t error = selector_error(selector, external);
  const unsigned type = tss.type();
  if (tss.s() || (type & 5) != 1) raise_exception(cpu, kExcGP, error);  // types 1, 3, 9, 11
  const TssLayout& layout = (type & 8) ? kTss32 : kTss16;
  const TssLayout& old_layout = (cpu.tr.attrs & 8) ? kTss32 : kTss16;
  const bool busy = type & 2;
  if (source == TaskSwitchSource::kIret ? !busy : busy) {
    raise_exception(cpu, source == TaskSwitchSource::kIret ? kExcTS : kExcGP, error);
  }
  if (!tss.present()) raise_exception(cpu, kExcNP, error);
  if (tss.limit() < layout.min_limit) raise_exception(cpu, kExcTS, error);
  if (cpu.tr.limit < old_layout.min_limit) raise_exception(cpu, kExcTS, cpu.tr.selector & 0xfffc);

  const TaskImage next = read_task_image(cpu, tss.base(), layout);
  uint32_t old_eflags = compute_eflags(cpu);
  if (source == TaskSwitchSource::kIret) old_eflags &= ~kFlagNT;
  VX86_LOG(kLogInt, "task switch: %04x -> %04x (%s) eip %08x\n", cpu.tr.selector, selector,
           source == TaskSwitchSource::kJmp    ? "jmp"
           : source == TaskSwitchSource::kCall ? "call"
           : source == TaskSwitchSource::kIret ? "iret"
                                               : "interrupt",
           next.eip);
  save_task_image(cpu, cpu.tr.base, old_layout, static_cast<uint32_t>(next_ip), old_eflags);
  if (source == TaskSwitchSource::kJmp || source == TaskSwitchSource::kIret) {
    Descriptor old = read_descriptor(cpu, cpu.tr.selector);
    set_busy(cpu, old, false);
  }
  uint32_t new_eflags = next.eflags;
  if (source == TaskSwitchSource::kCall || source == TaskSwitchSource::kInterrupt) {
    cpu_store(cpu, tss.base() + kTssBackLink, cpu.tr.selector, 2, kMemSupervisorImplicit);
    new_eflags |= kFlagNT;
  }
  if (source != TaskSwitchSource::kIret) set_busy(cpu, tss, true);

  // From here on, faults belong to the new task.
  cpu.tr = make_cache(selector, tss);
  cpu.cr0 |= kCr0TS;
  if (cpu.cr0 & kCr0PG) {
    cpu.cr3 = next.cr3;
    cpu.mmu.flush_nonglobal();
  }
  load_eflags(cpu, new_eflags, kFlagsDefined);
  for (unsigned i = 0; i < 8; ++i) cpu.regs[i] = next.gprs[i];
  cpu.rip = next.eip;
  // Selectors first, so a fault while loading a descriptor names the new
  // task's values; then the checked loads.
  for (unsigned seg = 0; seg < kSegCount; ++seg) {
    cpu.segs[seg].selector = next.segs[seg];
  }
  load_task_segments(cpu, next);
  if (cpu.segs[kSegCS].limit < cpu.rip) raise_exception(cpu, kExcGP, 0);
}

}  // namespace

void far_transfer_to_task(X86Cpu& cpu, uint16_t selector, const Descriptor& d, bool call,
                          uint64_t next_ip) {
  const unsigned cpl = vx86::cpl(cpu);
  const uint32_t error = selector & 0xfffc;
  if (d.dpl() < cpl || d.dpl() < (selector & 3u)) raise_exception(cpu, kExcGP, error);
  const TaskSwitchSource source = call ? TaskSwitchSource::kCall : TaskSwitchSource::kJmp;
  if (d.type() != kTypeTaskGate) return switch_task(cpu, selector, d, source, next_ip, false);
  if (!d.present()) raise_exception(cpu, kExcNP, error);
  const uint16_t tss_sel = static_cast<uint16_t>(d.lo >> 16);
  if (tss_sel & 4) raise_exception(cpu, kExcGP, tss_sel & 0xfffc);
  Descriptor tss = read_descriptor(cpu, tss_sel);
  if (tss.s() || (tss.type() != kTypeTss32Available && tss.type() != kTypeTss16Available)) {
    raise_exception(cpu, kExcGP, tss_sel & 0xfffc);
  }
  switch_task(cpu, tss_sel, tss, source, next_ip, false);
}

void interrupt_through_task_gate(X86Cpu& cpu, const Descriptor& gate, bool has_error,
                                 uint32_t error, bool external, uint64_t next_ip) {
  const uint16_t tss_sel = static_cast<uint16_t>(gate.lo >> 16);
  if (tss_sel & 4) raise_exception(cpu, kExcTS, selector_error(tss_sel, external));
  Descriptor tss = read_descriptor(cpu, tss_sel);
  if (tss.s()) raise_exception(cpu, kExcTS, selector_error(tss_sel, external));
  switch_task(cpu, tss_sel, tss, TaskSwitchSource::kInterrupt, next_ip, external);
  if (!has_error) return;
  // The error code goes on the new task's stack, sized by its TSS.
  const SegmentCache& ss = cpu.segs[kSegSS];
  const unsigned sp_bytes = (ss.attrs & kSegAttrDB) ? 4 : 2;
  StackWriter stack(cpu, ss.base, cpu.regs[kRSP], sp_bytes, kMemSupervisorImplicit);
  stack.push(error, (cpu.tr.attrs & 8) ? 4 : 2);
  const uint64_t mask = sp_bytes == 4 ? 0xffffffffull : 0xffffull;
  cpu.regs[kRSP] = (cpu.regs[kRSP] & ~mask) | (stack.sp() & mask);
}

void iret_to_previous_task(X86Cpu& cpu, uint64_t next_ip) {
  const uint16_t link =
      static_cast<uint16_t>(cpu_load(cpu, cpu.tr.base + kTssBackLink, 2, kMemSupervisorImplicit));
  if ((link & 0xfffc) == 0 || (link & 4)) raise_exception(cpu, kExcTS, link & 0xfffc);
  Descriptor tss = read_descriptor(cpu, link);
  if (tss.s()) raise_exception(cpu, kExcTS, link & 0xfffc);
  switch_task(cpu, link, tss, TaskSwitchSource::kIret, next_ip, false);
}

}  // namespace vx86::x86
