// Interrupt and exception delivery through the IVT (real mode), the 32-bit
// IDT (protected mode, with privilege changes through the TSS and from
// virtual-8086 mode) and the 64-bit IDT (long mode, with IST stacks).
#include <cinttypes>

#include "core/log.h"
#include "target-x86/descriptors.h"
#include "target-x86/exceptions.h"
#include "target-x86/helpers_system.h"
#include "target-x86/mmu.h"
#include "target-x86/stack_access.h"
#include "target-x86/task_switch.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {

constexpr uint32_t kClearOnDelivery = kFlagTF | kFlagNT | kFlagRF | kFlagVM;

uint64_t ip_of(const CpuState& cpu) {
  return cpu.rip;
}

void deliver_real(X86Cpu& cpu, int vector, uint64_t next_ip) {
  uint32_t offset = static_cast<uint32_t>(vector) * 4;
  if (offset + 3 > cpu.idtr.limit) raise_exception(cpu, kExcGP, offset + 2);
  uint64_t entry = cpu_load(cpu, cpu.idtr.base + offset, 4, kMemSupervisor);
  SegmentCache& ss = cpu.segs[kSegSS];
  StackWriter stack(cpu, ss.base, cpu.regs[kRSP], 2, kMemSupervisor);
  stack.push(compute_eflags(cpu) & 0xffff, 2);
  stack.push(cpu.segs[kSegCS].selector, 2);
  stack.push(next_ip & 0xffff, 2);
  cpu.regs[kRSP] = (cpu.regs[kRSP] & ~0xffffull) | stack.sp();
  load_eflags(cpu, compute_eflags(cpu) & ~(kFlagIF | kFlagTF | kFlagAC | kFlagRF));
  load_segment_real(cpu, kSegCS, static_cast<uint16_t>(entry >> 16));
  cpu.rip = entry & 0xffff;
}

// SS:ESP for privilege level `dpl` from the current (16- or 32-bit) TSS.
void tss_stack(X86Cpu& cpu, unsigned dpl, uint16_t* ss, uint64_t* sp) {
  const bool tss32 = (cpu.tr.attrs & 0x8) != 0;  // type 9/11 vs 1/3
  if (!(cpu.tr.attrs & kSegAttrPresent)) raise_exception(cpu, kExcTS, cpu.tr.selector & 0xfffc);
  uint32_t offset = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
  uint32_t width = tss32 ? 4 : 2;
  if (offset + 2 * width - 1 > cpu.tr.limit) raise_exception(cpu, kExcTS, cpu.tr.selector & 0xfffc);
  *sp = cpu_load(cpu, cpu.tr.base + offset, width, kMemSupervisorImplicit);
  *ss =
      static_cast<uint16_t>(cpu_load(cpu, cpu.tr.base + offset + width, 2, kMemSupervisorImplicit));
}

void deliver_protected(X86Cpu& cpu, int vector, bool software, bool has_error, uint32_t error,
                       uint64_t next_ip) {
  const uint32_t ext = software ? 0 : 1;
  const uint32_t idt_error = static_cast<uint32_t>(vector) * 8 + 2 + ext;
  uint32_t offset = static_cast<uint32_t>(vector) * 8;
  if (offset + 7 > cpu.idtr.limit) raise_exception(cpu, kExcGP, idt_error);
  uint64_t gate_addr = cpu.idtr.base + offset;
  uint32_t lo = static_cast<uint32_t>(cpu_load(cpu, gate_addr, 4, kMemSupervisorImplicit));
  uint32_t hi = static_cast<uint32_t>(cpu_load(cpu, gate_addr + 4, 4, kMemSupervisorImplicit));
  unsigned type = (hi >> 8) & 0x1f;
  unsigned gate_dpl = (hi >> 13) & 3;
  bool gate32;
  switch (type) {
    case 0x06:
    case 0x07:
      gate32 = false;
      break;
    case 0x0e:
    case 0x0f:
      gate32 = true;
      break;
    case 0x05:
      if (software && gate_dpl < vx86::cpl(cpu)) raise_exception(cpu, kExcGP, idt_error);
      if (!(hi & (1u << 15))) raise_exception(cpu, kExcNP, idt_error);
      interrupt_through_task_gate(cpu, Descriptor{lo, hi, gate_addr}, has_error, error, !software,
                                  next_ip);
      return;
    default:
      raise_exception(cpu, kExcGP, idt_error);
  }
  const unsigned cpl = vx86::cpl(cpu);
  if (software && gate_dpl < cpl) raise_exception(cpu, kExcGP, idt_error);
  if (!(hi & (1u << 15))) raise_exception(cpu, kExcNP, idt_error);
  const bool trap = type & 1;
  uint16_t selector = static_cast<uint16_t>(lo >> 16);
  uint64_t target = (lo & 0xffff) | (gate32 ? (hi & 0xffff0000u) : 0);
  if ((selector & 0xfffc) == 0) raise_exception(cpu, kExcGP, ext);
  Descriptor cs = read_descriptor(cpu, selector);
  if (!cs.code() || cs.dpl() > cpl) raise_exception(cpu, kExcGP, (selector & 0xfffc) + ext);
  if (!cs.present()) raise_exception(cpu, kExcNP, (selector & 0xfffc) + ext);

  const bool vm86 = cpu.eflags_rest & kFlagVM;
  const uint32_t old_eflags = compute_eflags(cpu);
  const SegmentCache old_ss = cpu.segs[kSegSS];
  const uint64_t old_sp = cpu.regs[kRSP];
  unsigned new_cpl = cpl;
  unsigned width = gate32 ? 4 : 2;
  if (!cs.conforming() && cs.dpl() < cpl) {
    // Inter-privilege: switch to the inner stack from the TSS.
    new_cpl = cs.dpl();
    if (vm86 && new_cpl != 0) raise_exception(cpu, kExcGP, (selector & 0xfffc) + ext);
    uint16_t new_ss_sel;
    uint64_t new_sp;
    tss_stack(cpu, new_cpl, &new_ss_sel, &new_sp);
    if ((new_ss_sel & 0xfffc) == 0) raise_exception(cpu, kExcTS, ext);
    Descriptor ss = read_descriptor(cpu, new_ss_sel);
    if ((new_ss_sel & 3) != new_cpl || ss.dpl() != new_cpl || !ss.writable_data()) {
      raise_exception(cpu, kExcTS, (new_ss_sel & 0xfffc) + ext);
    }
    if (!ss.present()) raise_exception(cpu, kExcSS, (new_ss_sel & 0xfffc) + ext);
    StackWriter stack(cpu, ss.base(), new_sp, ss.big() ? 4 : 2, kMemSupervisorImplicit);
    if (vm86) {
      stack.push(cpu.segs[kSegGS].selector, width);
      stack.push(cpu.segs[kSegFS].selector, width);
      stack.push(cpu.segs[kSegDS].selector, width);
      stack.push(cpu.segs[kSegES].selector, width);
    }
    stack.push(old_ss.selector, width);
    stack.push(old_sp & width_mask_bytes(width), width);
    stack.push(old_eflags, width);
    stack.push(cpu.segs[kSegCS].selector, width);
    stack.push(next_ip, width);
    if (has_error) stack.push(error, width);
    mark_accessed(cpu, ss);
    cpu.segs[kSegSS] = make_cache(new_ss_sel, ss);
    uint64_t sp_mask = ss.big() ? 0xffffffffull : 0xffffull;
    cpu.regs[kRSP] = (new_sp & ~sp_mask) | (stack.sp() & sp_mask);
    if (vm86) {
      for (unsigned seg : {kSegES, kSegDS, kSegFS, kSegGS})
        cpu.segs[seg] = SegmentCache{0, 0, 0, 0};
    }
  } else {
    if (vm86) raise_exception(cpu, kExcGP, (selector & 0xfffc) + ext);
    const SegmentCache& ss = cpu.segs[kSegSS];
    unsigned sp_bytes = (ss.attrs & kSegAttrDB) ? 4 : 2;
    StackWriter stack(cpu, ss.base, old_sp, sp_bytes, cpl == 3 ? kMemUser : kMemSupervisor);
    stack.push(old_eflags, width);
    stack.push(cpu.segs[kSegCS].selector, width);
    stack.push(next_ip, width);
    if (has_error) stack.push(error, width);
    uint64_t sp_mask = sp_bytes == 4 ? 0xffffffffull : 0xffffull;
    cpu.regs[kRSP] = (old_sp & ~sp_mask) | (stack.sp() & sp_mask);
  }
  mark_accessed(cpu, cs);
  uint32_t clear = kClearOnDelivery | (trap ? 0 : kFlagIF);
  load_eflags(cpu, old_eflags & ~clear);
  load_cs(cpu, selector, cs, new_cpl);
  cpu.rip = gate32 ? target : (target & 0xffff);
}

void deliver_long(X86Cpu& cpu, int vector, bool software, bool has_error, uint32_t error,
                  uint64_t next_ip) {
  const uint32_t ext = software ? 0 : 1;
  const uint32_t idt_error = static_cast<uint32_t>(vector) * 8 + 2 + ext;
  uint32_t offset = static_cast<uint32_t>(vector) * 16;
  if (offset + 15 > cpu.idtr.limit) raise_exception(cpu, kExcGP, idt_error);
  uint64_t gate_addr = cpu.idtr.base + offset;
  uint64_t lo = cpu_load(cpu, gate_addr, 8, kMemSupervisorImplicit);
  uint64_t hi = cpu_load(cpu, gate_addr + 8, 8, kMemSupervisorImplicit);
  unsigned type = (lo >> 40) & 0x1f;
  unsigned gate_dpl = (lo >> 45) & 3;
  if (type != 0x0e && type != 0x0f) raise_exception(cpu, kExcGP, idt_error);
  const unsigned cpl = vx86::cpl(cpu);
  if (software && gate_dpl < cpl) raise_exception(cpu, kExcGP, idt_error);
  if (!(lo & (1ull << 47))) raise_exception(cpu, kExcNP, idt_error);
  uint16_t selector = static_cast<uint16_t>(lo >> 16);
  uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);
  unsigned ist = (lo >> 32) & 7;
  if ((selector & 0xfffc) == 0) raise_exception(cpu, kExcGP, ext);
  Descriptor cs = read_descriptor(cpu, selector);
  if (!cs.code() || !cs.long_mode() || cs.big() || cs.dpl() > cpl) {
    raise_exception(cpu, kExcGP, (selector & 0xfffc) + ext);
  }
  if (!cs.present()) raise_exception(cpu, kExcNP, (selector & 0xfffc) + ext);
  unsigned new_cpl = cs.conforming() ? cpl : cs.dpl();
  uint64_t new_sp = cpu.regs[kRSP];
  if (new_cpl < cpl || ist) {
    uint32_t tss_off = ist ? 36 + (ist - 1) * 8 : 4 + new_cpl * 8;
    if (tss_off + 7 > cpu.tr.limit) raise_exception(cpu, kExcTS, cpu.tr.selector & 0xfffc);
    new_sp = cpu_load(cpu, cpu.tr.base + tss_off, 8, kMemSupervisorImplicit);
  }
  new_sp &= ~0xfull;  // the 64-bit frame is 16-byte aligned
  const uint32_t old_eflags = compute_eflags(cpu);
  StackWriter stack(cpu, 0, new_sp, 8, kMemSupervisorImplicit);
  stack.push(cpu.segs[kSegSS].selector, 8);
  stack.push(cpu.regs[kRSP], 8);
  stack.push(old_eflags, 8);
  stack.push(cpu.segs[kSegCS].selector, 8);
  stack.push(next_ip, 8);
  if (has_error) stack.push(error, 8);
  if (new_cpl != cpl) {
    cpu.segs[kSegSS] = SegmentCache{static_cast<uint16_t>(new_cpl), 0, 0, 0};
  }
  cpu.regs[kRSP] = stack.sp();
  mark_accessed(cpu, cs);
  bool trap = type & 1;
  load_eflags(cpu, old_eflags & ~(kClearOnDelivery | (trap ? 0 : kFlagIF)));
  load_cs(cpu, selector, cs, new_cpl);
  cpu.rip = target;
}

}  // namespace

uint64_t width_mask_bytes(unsigned bytes) {
  return bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

void deliver_interrupt(X86Cpu& cpu, int vector, bool software, bool has_error_code,
                       uint32_t error_code, uint64_t next_ip) {
  if (log_enabled(kLogInt)) {
    // A software interrupt runs inside its block, where RIP is not yet
    // synced: show the return address instead.
    log_printf("int: vector 0x%02x%s error 0x%x %s %04x:%016" PRIx64 " cr2 %016" PRIx64 "\n",
               vector, software ? " (software)" : "", has_error_code ? error_code : 0,
               software ? "returning to" : "at", cpu.segs[kSegCS].selector,
               software ? next_ip : ip_of(cpu), static_cast<uint64_t>(cpu.cr2));
  }
  if (!(cpu.cr0 & kCr0PE)) {
    deliver_real(cpu, vector, next_ip);
  } else if (cpu.efer & kEferLMA) {
    deliver_long(cpu, vector, software, has_error_code, error_code, next_ip);
  } else {
    deliver_protected(cpu, vector, software, has_error_code, error_code, next_ip);
  }
  cpu.hflags &= ~kHfInhibitIrq;
  ++cpu.deliveries;
  update_hflags(cpu);
}

}  // namespace vx86::x86
