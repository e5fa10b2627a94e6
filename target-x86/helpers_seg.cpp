// Segment loads and far control transfers: MOV/POP Sreg, far JMP/CALL/RET
// (code segments and call gates), IRET in every mode, INT n.
#include "core/log.h"
#include "target-x86/descriptors.h"
#include "target-x86/exceptions.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_system.h"
#include "target-x86/mmu.h"
#include "target-x86/stack_access.h"
#include "target-x86/task_switch.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {

bool protected_mode(const CpuState& cpu) {
  return (cpu.cr0 & kCr0PE) && !(cpu.eflags_rest & kFlagVM);
}

unsigned data_mem_index(const CpuState& cpu) {
  return cpl(cpu) == 3 ? kMemUser : kMemSupervisor;
}

StackWriter current_stack(X86Cpu& cpu) {
  const SegmentCache& ss = cpu.segs[kSegSS];
  unsigned bytes = (cpu.hflags & kHfCs64) ? 8 : (ss.attrs & kSegAttrDB) ? 4 : 2;
  return StackWriter(cpu, (cpu.hflags & kHfCs64) ? 0 : ss.base, cpu.regs[kRSP], bytes,
                     data_mem_index(cpu));
}

void commit_sp(X86Cpu& cpu, const StackWriter& stack, unsigned bytes) {
  uint64_t mask = width_mask_bytes(bytes);
  cpu.regs[kRSP] = (cpu.regs[kRSP] & ~mask) | (stack.sp() & mask);
}

unsigned current_sp_bytes(const CpuState& cpu) {
  if (cpu.hflags & kHfCs64) return 8;
  return (cpu.segs[kSegSS].attrs & kSegAttrDB) ? 4 : 2;
}

void check_code_target(X86Cpu& cpu, const Descriptor& d, uint16_t selector, unsigned cpl) {
  uint32_t error = selector & 0xfffc;
  if (!d.code()) raise_exception(cpu, kExcGP, error);
  if (d.conforming()) {
    if (d.dpl() > cpl) raise_exception(cpu, kExcGP, error);
  } else if ((selector & 3) > cpl || d.dpl() != cpl) {
    raise_exception(cpu, kExcGP, error);
  }
  if (!d.present()) raise_exception(cpu, kExcNP, error);
}

void set_ip_checked(X86Cpu& cpu, uint64_t ip, unsigned size) {
  if (!(cpu.hflags & kHfCs64) && ip > cpu.segs[kSegCS].limit) raise_exception(cpu, kExcGP, 0);
  cpu.rip = ip & width_mask_bytes(size);
}

// Nulls data segment registers the new (outer) privilege may not use.
void invalidate_inner_segments(X86Cpu& cpu, unsigned new_cpl) {
  for (unsigned seg : {kSegES, kSegDS, kSegFS, kSegGS}) {
    const SegmentCache& c = cpu.segs[seg];
    bool code_conforming = (c.attrs & kSegAttrCode) && (c.attrs & 4);
    unsigned dpl = (c.attrs >> kSegAttrDplShift) & 3;
    if ((c.attrs & kSegAttrS) && !code_conforming && dpl < new_cpl) {
      cpu.segs[seg] = SegmentCache{0, 0, 0, 0};
    }
  }
}

// ---- helpers ----

void helper_load_segment(CpuState* env, uint32_t seg, uint32_t selector) {
  X86Cpu& cpu = x86_cpu(env);
  if (protected_mode(cpu)) {
    load_segment_protected(cpu, seg, static_cast<uint16_t>(selector));
  } else {
    load_segment_real(cpu, seg, static_cast<uint16_t>(selector));
  }
  update_hflags(cpu);
}

void helper_inhibit_interrupts(CpuState* env) {
  env->hflags |= kHfInhibitIrq;
}

// Pushes CS and the return IP on the current stack (a same-privilege far call).
void push_return_address(X86Cpu& cpu, uint64_t next_ip, unsigned size) {
  StackWriter stack = current_stack(cpu);
  stack.push(cpu.segs[kSegCS].selector, size);
  stack.push(next_ip, size);
  commit_sp(cpu, stack, current_sp_bytes(cpu));
}

void far_jump_or_call(X86Cpu& cpu, uint16_t selector, uint64_t offset, unsigned size,
                      uint64_t next_ip, bool call) {
  if (!protected_mode(cpu)) {
    if (call) push_return_address(cpu, next_ip, size);
    load_segment_real(cpu, kSegCS, selector);
    cpu.rip = offset & width_mask_bytes(size);
    update_hflags(cpu);
    return;
  }
  const unsigned cpl = vx86::cpl(cpu);
  if ((selector & 0xfffc) == 0) raise_exception(cpu, kExcGP, 0);
  Descriptor d = read_descriptor(cpu, selector);
  if (d.s()) {
    check_code_target(cpu, d, selector, cpl);
    if (call) push_return_address(cpu, next_ip, size);
    mark_accessed(cpu, d);
    load_cs(cpu, selector, d, cpl);
    set_ip_checked(cpu, offset, size);
    return;
  }
  // System descriptor: call gates (16/32-bit, or 64-bit in long mode).
  const bool lma = cpu.efer & kEferLMA;
  unsigned type = d.type();
  bool gate64 = lma && type == 0xc;
  bool gate32 = !lma && type == 0xc;
  bool gate16 = !lma && type == 0x4;
  const bool task =
      !lma && (type == 0x1 || type == 0x3 || type == 0x5 || type == 0x9 || type == 0xb);
  if (task) return far_transfer_to_task(cpu, selector, d, call, next_ip);
  if (!gate64 && !gate32 && !gate16) raise_exception(cpu, kExcGP, selector & 0xfffc);
  if (d.dpl() < cpl || d.dpl() < (selector & 3)) raise_exception(cpu, kExcGP, selector & 0xfffc);
  if (!d.present()) raise_exception(cpu, kExcNP, selector & 0xfffc);
  uint16_t target_sel = static_cast<uint16_t>(d.lo >> 16);
  uint64_t target = (d.lo & 0xffff) | (gate16 ? 0 : (d.hi & 0xffff0000u));
  if (gate64) target |= static_cast<uint64_t>(read_descriptor_high(cpu, d)) << 32;
  unsigned param_count = d.hi & 0x1f;
  if ((target_sel & 0xfffc) == 0) raise_exception(cpu, kExcGP, 0);
  Descriptor cs = read_descriptor(cpu, target_sel);
  if (!cs.code() || cs.dpl() > cpl) raise_exception(cpu, kExcGP, target_sel & 0xfffc);
  if (!cs.present()) raise_exception(cpu, kExcNP, target_sel & 0xfffc);
  unsigned width = gate64 ? 8 : gate32 ? 4 : 2;
  if (!call || cs.conforming() || cs.dpl() == cpl) {
    if (!call && !cs.conforming() && cs.dpl() != cpl) {
      raise_exception(cpu, kExcGP, target_sel & 0xfffc);
    }
    if (call) push_return_address(cpu, next_ip, width);
    mark_accessed(cpu, cs);
    load_cs(cpu, target_sel, cs, cpl);
    set_ip_checked(cpu, target, width);
    return;
  }
  // CALL to an inner privilege level: new stack from the TSS, parameters copied.
  unsigned new_cpl = cs.dpl();
  uint16_t new_ss_sel;
  uint64_t new_sp;
  Descriptor ss;
  unsigned new_sp_bytes = 8;
  if (gate64) {
    new_sp = cpu_load(cpu, cpu.tr.base + 4 + new_cpl * 8, 8, kMemSupervisorImplicit);
    new_ss_sel = static_cast<uint16_t>(new_cpl);
  } else {
    bool tss32 = (cpu.tr.attrs & 0x8) != 0;
    uint32_t off = tss32 ? 4 + new_cpl * 8 : 2 + new_cpl * 4;
    unsigned w = tss32 ? 4 : 2;
    new_sp = cpu_load(cpu, cpu.tr.base + off, w, kMemSupervisorImplicit);
    new_ss_sel =
        static_cast<uint16_t>(cpu_load(cpu, cpu.tr.base + off + w, 2, kMemSupervisorImplicit));
    if ((new_ss_sel & 0xfffc) == 0) raise_exception(cpu, kExcTS, 0);
    ss = read_descriptor(cpu, new_ss_sel);
    if ((new_ss_sel & 3) != new_cpl || ss.dpl() != new_cpl || !ss.writable_data()) {
      raise_exception(cpu, kExcTS, new_ss_sel & 0xfffc);
    }
    if (!ss.present()) raise_exception(cpu, kExcSS, new_ss_sel & 0xfffc);
    new_sp_bytes = ss.big() ? 4 : 2;
  }
  const SegmentCache old_ss = cpu.segs[kSegSS];
  const uint64_t old_sp = cpu.regs[kRSP];
  StackWriter stack(cpu, gate64 ? 0 : ss.base(), new_sp, new_sp_bytes, kMemSupervisorImplicit);
  stack.push(old_ss.selector, width);
  stack.push(old_sp, width);
  if (!gate64) {
    unsigned old_sp_bytes = (old_ss.attrs & kSegAttrDB) ? 4 : 2;
    for (int i = static_cast<int>(param_count) - 1; i >= 0; --i) {
      uint64_t addr = old_ss.base + ((old_sp + i * width) & width_mask_bytes(old_sp_bytes));
      stack.push(cpu_load(cpu, addr & 0xffffffffull, width, data_mem_index(cpu)), width);
    }
  }
  stack.push(cpu.segs[kSegCS].selector, width);
  stack.push(next_ip, width);
  if (gate64) {
    cpu.segs[kSegSS] = SegmentCache{new_ss_sel, 0, 0, 0};
  } else {
    mark_accessed(cpu, ss);
    cpu.segs[kSegSS] = make_cache(new_ss_sel, ss);
  }
  cpu.regs[kRSP] = gate64 ? stack.sp() : (new_sp & ~width_mask_bytes(new_sp_bytes)) | stack.sp();
  mark_accessed(cpu, cs);
  load_cs(cpu, target_sel, cs, new_cpl);
  set_ip_checked(cpu, target, width);
}

void helper_far_jump(CpuState* env, uint32_t selector, uint64_t offset, uint32_t size,
                     uint64_t next_ip) {
  far_jump_or_call(x86_cpu(env), static_cast<uint16_t>(selector), offset, size, next_ip, false);
}

void helper_far_call(CpuState* env, uint32_t selector, uint64_t offset, uint32_t size,
                     uint64_t next_ip) {
  far_jump_or_call(x86_cpu(env), static_cast<uint16_t>(selector), offset, size, next_ip, true);
}

void helper_far_return(CpuState* env, uint32_t size, uint32_t imm) {
  X86Cpu& cpu = x86_cpu(env);
  StackWriter stack = current_stack(cpu);
  uint64_t ip = stack.pop(size);
  uint16_t selector = static_cast<uint16_t>(stack.pop(size));
  if (!protected_mode(cpu)) {
    load_segment_real(cpu, kSegCS, selector);
    cpu.rip = ip & width_mask_bytes(size);
    commit_sp(cpu, StackWriter(cpu, 0, stack.sp() + imm, current_sp_bytes(cpu), 0),
              current_sp_bytes(cpu));
    update_hflags(cpu);
    return;
  }
  const unsigned cpl = vx86::cpl(cpu);
  unsigned rpl = selector & 3;
  if ((selector & 0xfffc) == 0 || rpl < cpl) raise_exception(cpu, kExcGP, selector & 0xfffc);
  Descriptor cs = read_descriptor(cpu, selector);
  if (!cs.code()) raise_exception(cpu, kExcGP, selector & 0xfffc);
  if (cs.conforming() ? cs.dpl() > rpl : cs.dpl() != rpl) {
    raise_exception(cpu, kExcGP, selector & 0xfffc);
  }
  if (!cs.present()) raise_exception(cpu, kExcNP, selector & 0xfffc);
  unsigned sp_bytes = current_sp_bytes(cpu);
  if (rpl == cpl) {
    mark_accessed(cpu, cs);
    load_cs(cpu, selector, cs, cpl);
    set_ip_checked(cpu, ip, size);
    uint64_t sp = (stack.sp() + imm) & width_mask_bytes(sp_bytes);
    cpu.regs[kRSP] = (cpu.regs[kRSP] & ~width_mask_bytes(sp_bytes)) | sp;
    return;
  }
  // Return to an outer level: SS:rSP follow on the stack.
  StackWriter outer(cpu, (cpu.hflags & kHfCs64) ? 0 : cpu.segs[kSegSS].base, stack.sp() + imm,
                    sp_bytes, data_mem_index(cpu));
  uint64_t new_sp = outer.pop(size);
  uint16_t new_ss_sel = static_cast<uint16_t>(outer.pop(size));
  Descriptor ss;
  bool null_ss_ok = (cpu.efer & kEferLMA) && cs.long_mode() && rpl != 3;
  if ((new_ss_sel & 0xfffc) == 0 && !null_ss_ok) raise_exception(cpu, kExcGP, 0);
  if ((new_ss_sel & 0xfffc) != 0) {
    ss = read_descriptor(cpu, new_ss_sel);
    if ((new_ss_sel & 3) != rpl || ss.dpl() != rpl || !ss.writable_data()) {
      raise_exception(cpu, kExcGP, new_ss_sel & 0xfffc);
    }
    if (!ss.present()) raise_exception(cpu, kExcSS, new_ss_sel & 0xfffc);
    mark_accessed(cpu, ss);
    cpu.segs[kSegSS] = make_cache(new_ss_sel, ss);
  } else {
    cpu.segs[kSegSS] =
        SegmentCache{new_ss_sel, static_cast<uint16_t>(rpl << kSegAttrDplShift), 0, 0};
  }
  mark_accessed(cpu, cs);
  load_cs(cpu, selector, cs, rpl);
  set_ip_checked(cpu, ip, size);
  unsigned new_sp_bytes = (cpu.hflags & kHfCs64)                  ? 8
                          : (cpu.segs[kSegSS].attrs & kSegAttrDB) ? 4
                                                                  : 2;
  cpu.regs[kRSP] = new_sp_bytes == 8 ? new_sp + imm
                                     : (cpu.regs[kRSP] & ~width_mask_bytes(new_sp_bytes)) |
                                           ((new_sp + imm) & width_mask_bytes(new_sp_bytes));
  invalidate_inner_segments(cpu, rpl);
  update_hflags(cpu);
}

// EFLAGS bits IRET/POPF may change at this privilege.
uint32_t writable_flags(const CpuState& cpu, unsigned size) {
  uint32_t mask = kFlagsDefined & ~(kFlagVM | kFlagVIF | kFlagVIP);
  unsigned c = cpl(cpu);
  unsigned iopl = (cpu.eflags_rest & kFlagIOPL) >> 12;
  if ((cpu.cr0 & kCr0PE) && c > 0) mask &= ~kFlagIOPL;
  if ((cpu.cr0 & kCr0PE) && c > iopl) mask &= ~kFlagIF;
  if (size == 2) mask &= 0xffff;
  return mask;
}

void helper_iret(CpuState* env, uint32_t size, uint64_t next_ip) {
  X86Cpu& cpu = x86_cpu(env);
  const bool vm86 = cpu.eflags_rest & kFlagVM;
  if (!(cpu.cr0 & kCr0PE) || vm86) {
    if (vm86 && ((cpu.eflags_rest & kFlagIOPL) >> 12) != 3) raise_exception(cpu, kExcGP, 0);
    StackWriter stack = current_stack(cpu);
    uint64_t ip = stack.pop(size);
    uint16_t cs = static_cast<uint16_t>(stack.pop(size));
    uint32_t flags = static_cast<uint32_t>(stack.pop(size));
    commit_sp(cpu, stack, current_sp_bytes(cpu));
    uint32_t mask = kFlagsDefined & ~(kFlagVM | kFlagVIF | kFlagVIP);
    if (vm86) mask &= ~kFlagIOPL;
    if (size == 2) mask &= 0xffff;
    load_eflags(cpu, flags, mask);
    load_segment_real(cpu, kSegCS, cs);
    cpu.rip = ip & width_mask_bytes(size);
    update_hflags(cpu);
    return;
  }
  if (cpu.eflags_rest & kFlagNT) {
    if (cpu.efer & kEferLMA) raise_exception(cpu, kExcGP, 0);
    return iret_to_previous_task(cpu, next_ip);
  }
  const bool mode64 = cpu.hflags & kHfCs64;
  StackWriter stack = current_stack(cpu);
  uint64_t ip = stack.pop(size);
  uint16_t selector = static_cast<uint16_t>(stack.pop(size));
  uint32_t flags = static_cast<uint32_t>(stack.pop(size));
  const unsigned cpl = vx86::cpl(cpu);
  if ((flags & kFlagVM) && cpl == 0 && !(cpu.efer & kEferLMA)) {
    // Return to virtual-8086 mode: ESP, SS, ES, DS, FS, GS follow (32-bit).
    uint64_t new_sp = stack.pop(4);
    uint16_t ss = static_cast<uint16_t>(stack.pop(4));
    uint16_t es = static_cast<uint16_t>(stack.pop(4));
    uint16_t ds = static_cast<uint16_t>(stack.pop(4));
    uint16_t fs = static_cast<uint16_t>(stack.pop(4));
    uint16_t gs = static_cast<uint16_t>(stack.pop(4));
    load_eflags(cpu, flags, kFlagsDefined);
    for (auto [seg, sel] : {std::pair{kSegCS, selector},
                            {kSegSS, ss},
                            {kSegES, es},
                            {kSegDS, ds},
                            {kSegFS, fs},
                            {kSegGS, gs}}) {
      load_segment_real(cpu, seg, sel);
    }
    cpu.rip = ip & 0xffff;
    cpu.regs[kRSP] = new_sp & 0xffffffffull;
    update_hflags(cpu);
    return;
  }
  unsigned rpl = selector & 3;
  if ((selector & 0xfffc) == 0 || rpl < cpl) raise_exception(cpu, kExcGP, selector & 0xfffc);
  Descriptor cs = read_descriptor(cpu, selector);
  if (!cs.code()) raise_exception(cpu, kExcGP, selector & 0xfffc);
  if (cs.conforming() ? cs.dpl() > rpl : cs.dpl() != rpl) {
    raise_exception(cpu, kExcGP, selector & 0xfffc);
  }
  if (!cs.present()) raise_exception(cpu, kExcNP, selector & 0xfffc);
  uint32_t mask = writable_flags(cpu, size);
  if (rpl == cpl && !mode64) {
    commit_sp(cpu, stack, current_sp_bytes(cpu));
    mark_accessed(cpu, cs);
    load_cs(cpu, selector, cs, cpl);
    set_ip_checked(cpu, ip, size);
    load_eflags(cpu, flags, mask);
    update_hflags(cpu);
    return;
  }
  // Outer level (or any 64-bit IRET): rSP and SS follow.
  uint64_t new_sp = stack.pop(size);
  uint16_t new_ss_sel = static_cast<uint16_t>(stack.pop(size));
  bool null_ss_ok = (cpu.efer & kEferLMA) && cs.long_mode() && rpl != 3;
  if ((new_ss_sel & 0xfffc) == 0) {
    if (!null_ss_ok) raise_exception(cpu, kExcGP, 0);
    cpu.segs[kSegSS] =
        SegmentCache{new_ss_sel, static_cast<uint16_t>(rpl << kSegAttrDplShift), 0, 0};
  } else {
    Descriptor ss = read_descriptor(cpu, new_ss_sel);
    if ((new_ss_sel & 3) != rpl || ss.dpl() != rpl || !ss.writable_data()) {
      raise_exception(cpu, kExcGP, new_ss_sel & 0xfffc);
    }
    if (!ss.present()) raise_exception(cpu, kExcSS, new_ss_sel & 0xfffc);
    mark_accessed(cpu, ss);
    cpu.segs[kSegSS] = make_cache(new_ss_sel, ss);
  }
  mark_accessed(cpu, cs);
  load_eflags(cpu, flags, mask);
  load_cs(cpu, selector, cs, rpl);
  set_ip_checked(cpu, ip, size);
  unsigned sp_bytes = (cpu.hflags & kHfCs64) ? 8 : (cpu.segs[kSegSS].attrs & kSegAttrDB) ? 4 : 2;
  cpu.regs[kRSP] = sp_bytes == 8 ? new_sp
                                 : (cpu.regs[kRSP] & ~width_mask_bytes(sp_bytes)) |
                                       (new_sp & width_mask_bytes(sp_bytes));
  if (rpl > cpl) invalidate_inner_segments(cpu, rpl);
  update_hflags(cpu);
}

void helper_software_interrupt(CpuState* env, uint32_t vector, uint32_t kind, uint64_t next_ip) {
  X86Cpu& cpu = x86_cpu(env);
  if ((cpu.eflags_rest & kFlagVM) && kind == 0 && ((cpu.eflags_rest & kFlagIOPL) >> 12) != 3) {
    raise_exception(cpu, kExcGP, 0);
  }
  deliver_interrupt(cpu, static_cast<int>(vector), kind != 2, false, 0, next_ip);
}

uint64_t helper_pushf_value(CpuState* env) {
  X86Cpu& cpu = x86_cpu(env);
  if ((cpu.eflags_rest & kFlagVM) && ((cpu.eflags_rest & kFlagIOPL) >> 12) != 3) {
    raise_exception(cpu, kExcGP, 0);
  }
  return compute_eflags(cpu) & ~(kFlagVM | kFlagRF);
}

void helper_popf(CpuState* env, uint32_t value, uint32_t size) {
  X86Cpu& cpu = x86_cpu(env);
  if ((cpu.eflags_rest & kFlagVM) && ((cpu.eflags_rest & kFlagIOPL) >> 12) != 3) {
    raise_exception(cpu, kExcGP, 0);
  }
  uint32_t mask = writable_flags(cpu, size) & ~kFlagRF;
  if (cpu.eflags_rest & kFlagVM) mask &= ~kFlagIOPL;
  load_eflags(cpu, value, mask);
  update_hflags(cpu);
}

constexpr uint32_t kSeg = tcg::kHelperReadsState | tcg::kHelperWritesState | tcg::kHelperMayFault;

}  // namespace

void load_segment_real(CpuState& cpu, unsigned seg, uint16_t selector) {
  SegmentCache& c = cpu.segs[seg];
  c.selector = selector;
  c.base = static_cast<uint64_t>(selector) << 4;
  if (cpu.eflags_rest & kFlagVM) {
    c.limit = 0xffff;
    c.attrs = kSegAttrPresent | kSegAttrS | kSegAttrWritable | kSegAttrAccessed |
              (3u << kSegAttrDplShift) | (seg == kSegCS ? kSegAttrCode : 0);
  } else if (seg == kSegCS) {
    // Real mode keeps the cached limit; CS is a 16-bit code segment.
    c.attrs = static_cast<uint16_t>((c.attrs & ~(kSegAttrDB | kSegAttrL)) | kSegAttrCode |
                                    kSegAttrS | kSegAttrPresent);
  }
}

uint64_t cpu_load(X86Cpu& cpu, uint64_t linear, unsigned size, unsigned mem_index) {
  uint64_t v;
  if (!cpu.mmu.load(linear, size, mem_index, &v)) {
    throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
  }
  return v;
}

void cpu_store(X86Cpu& cpu, uint64_t linear, uint64_t value, unsigned size, unsigned mem_index) {
  if (!cpu.mmu.store(linear, size, mem_index, value)) {
    throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
  }
}

VX86_HELPER(load_segment, helper_load_segment, kSeg)
VX86_HELPER(inhibit_interrupts, helper_inhibit_interrupts, kSeg)
VX86_HELPER(far_jump, helper_far_jump, kSeg)
VX86_HELPER(far_call, helper_far_call, kSeg)
VX86_HELPER(far_return, helper_far_return, kSeg)
VX86_HELPER(iret, helper_iret, kSeg)
VX86_HELPER(software_interrupt, helper_software_interrupt, kSeg)
VX86_HELPER(pushf_value, helper_pushf_value, kSeg)
VX86_HELPER(popf, helper_popf, kSeg)

}  // namespace vx86::x86
