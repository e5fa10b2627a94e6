#include "target-x86/cpu_exec.h"

#include <bit>
#include <chrono>
#include <cinttypes>
#include <cstddef>

#include "core/device_lock.h"
#include "core/log.h"
#include "core/log_filter.h"
#include "target-x86/debug_breakpoints.h"
#include "target-x86/exceptions.h"
#include "target-x86/helpers_system.h"
#include "target-x86/jit_log.h"
#include "target-x86/local_apic_events.h"
#include "target-x86/translate.h"
#include "tcg/helper.h"
#include "tcg/ir_print.h"
#include "tcg/optimizer.h"

namespace vx86::x86 {

namespace {

bool contributory(int v) {
  return v == kExcDE || v == kExcTS || v == kExcNP || v == kExcSS || v == kExcGP;
}

void log_cpu(const X86Cpu& cpu) {
  log_printf("RAX=%016" PRIx64 " RBX=%016" PRIx64 " RCX=%016" PRIx64 " RDX=%016" PRIx64
             "\n"
             "RSI=%016" PRIx64 " RDI=%016" PRIx64 " RBP=%016" PRIx64 " RSP=%016" PRIx64
             "\n"
             "RIP=%016" PRIx64 " RFL=%08x CS=%04x SS=%04x DS=%04x ES=%04x CR0=%08" PRIx64
             " CR3=%016" PRIx64 " CR4=%08" PRIx64 " EFER=%" PRIx64 "\n",
             cpu.regs[kRAX], cpu.regs[kRBX], cpu.regs[kRCX], cpu.regs[kRDX], cpu.regs[kRSI],
             cpu.regs[kRDI], cpu.regs[kRBP], cpu.regs[kRSP], cpu.rip, compute_eflags(cpu),
             cpu.segs[kSegCS].selector, cpu.segs[kSegSS].selector, cpu.segs[kSegDS].selector,
             cpu.segs[kSegES].selector, cpu.cr0, cpu.cr3, cpu.cr4, cpu.efer);
}

// Delivers the pending exception, escalating faults during delivery to #DF
// and a fault while delivering #DF to a triple fault (machine reset).
// Returns false on a triple fault.
bool deliver_pending_exception(X86Cpu& cpu) {
  int vector = cpu.exception_vector;
  bool has_error = cpu.exception_has_error_code;
  uint32_t error = cpu.exception_error_code;
  for (int depth = 0; depth < 3; ++depth) {
    cpu.exception_vector = -1;
    if (vector == kExcPF) cpu.cr2 = cpu.exception_cr2;
    try {
      deliver_interrupt(cpu, vector, false, has_error, error, cpu.rip);
      return true;
    } catch (const tcg::GuestFault&) {
      int second = cpu.exception_vector;
      if (vector == kExcDF) break;
      bool to_df = (contributory(vector) && contributory(second)) ||
                   (vector == kExcPF && (second == kExcPF || contributory(second)));
      if (to_df) {
        vector = kExcDF, has_error = true, error = 0;
      } else {
        vector = second, has_error = cpu.exception_has_error_code, error = cpu.exception_error_code;
      }
    }
  }
  VX86_LOG(kLogInt | kLogGuestErrors, "triple fault at %04x:%016" PRIx64 ": resetting\n",
           cpu.segs[kSegCS].selector, cpu.rip);
  cpu.exception_vector = -1;
  if (cpu.control) cpu.control->request_reset(ShutdownCause::kGuestReset);
  return false;
}

// A block whose last instruction crosses into the next page is keyed by its
// first page only: the second page may since have been unmapped or remapped,
// in which case the block must be translated again (and the fetch fault, if
// any, raised at that instruction).
// *global is cleared when the second page's mapping is not global.
bool second_page_still_mapped(X86Cpu& cpu, uint64_t linear_pc, const tcg::TranslationBlock& tb,
                              bool* global) {
  if (tb.pages[1] == tcg::kNoPage) return true;
  uint64_t next_page = (linear_pc & ~0xfffull) + 0x1000;
  if (!(cpu.hflags & kHfCs64)) next_page &= 0xffffffffull;
  uint64_t paddr;
  bool second_global = false;
  if (!cpu.mmu.code_paddr(next_page, &paddr, &second_global)) {
    cpu.exception_vector = -1;  // only a probe: the retranslation raises it
    return false;
  }
  *global = *global && second_global;
  return (paddr & ~0xfffull) == tb.pages[1];
}

int32_t env_offset(const X86Cpu& cpu, const void* field) {
  return static_cast<int32_t>(static_cast<const uint8_t*>(field) -
                              reinterpret_cast<const uint8_t*>(static_cast<const CpuState*>(&cpu)));
}

// The jump cache's entry for CS:rIP at this linear address, if any (the
// cache is flushed with the TLB, so the linear-to-physical translation the
// block was found under still holds).
const tcg::TbCache::JumpEntry* cached_block(const X86Cpu& cpu, uint64_t linear_pc) {
  return cpu.tb_cache.jump_cache_find(linear_pc, cpu.rip, cpu.segs[kSegCS].base, cpu.hflags);
}

// The block the JIT may jump to next, from its exits that did not find it
// in the jump cache: nullptr to return to the loop (which translates,
// delivers events, single-steps). *global: all its pages are mapped global.
tcg::TranslationBlock* jit_next_block(X86Cpu& cpu, bool* global_out = nullptr) {
  if (cpu.exception_vector >= 0 || (cpu.eflags_rest & kFlagTF) || (cpu.hflags & kHfInhibitIrq) ||
      cpu.exec_breakpoints) {
    return nullptr;
  }
  const uint64_t cs_base = cpu.segs[kSegCS].base;
  uint64_t linear_pc = cs_base + cpu.rip;
  if (!(cpu.hflags & kHfCs64)) linear_pc &= 0xffffffffull;
  // Near a debugger's breakpoint the loop runs one instruction at a time
  // (a block cached for the same physical page under another address
  // would run through it).
  if (!cpu.debugger_breakpoints.empty() && debugger_breakpoint_near(cpu, linear_pc)) return nullptr;
  if (const tcg::TbCache::JumpEntry* hit = cached_block(cpu, linear_pc)) {
    if (global_out) *global_out = hit->global;
    return hit->tb;
  }
  uint64_t phys_pc;
  bool global = false;
  if (!cpu.mmu.code_paddr(linear_pc, &phys_pc, &global)) {
    cpu.exception_vector = -1;  // only a probe: the loop raises the fault
    return nullptr;
  }
  tcg::TranslationBlock* tb = cpu.tb_cache.lookup(phys_pc, cpu.rip, cs_base, cpu.hflags);
  if (!tb || !second_page_still_mapped(cpu, linear_pc, *tb, &global)) return nullptr;
  cpu.tb_cache.jump_cache_set(tb, global);
  if (global_out) *global_out = global;
  return tb;
}

// Chains `from`'s goto_tb `slot` to `to` (same code segment). Within one
// guest page a page-table change cannot make the link stale; a link to
// another page, or to a block that reaches into the next one, lasts until a
// TLB flush reaches `to`'s pages (TbCache::link_across_pages), as its
// jump-cache entry does.
void link_blocks(X86Cpu& cpu, tcg::TranslationBlock* from, unsigned slot, tcg::TranslationBlock* to,
                 bool to_global) {
  if (to->cs_base != from->cs_base) return;
  if (to->pages[1] == tcg::kNoPage && (to->vaddr >> 12) == (from->vaddr >> 12))
    cpu.tb_cache.link(from, slot, to);
  else
    cpu.tb_cache.link_across_pages(from, slot, to, to_global);
}

// Indirect jumps (and goto_tb exits to other pages) that missed the inline
// jump-cache probe.
const void* jit_lookup(void* opaque) {
  tcg::TranslationBlock* tb = jit_next_block(*static_cast<X86Cpu*>(opaque));
  return tb ? tb->program->chain_entry() : nullptr;
}

// goto_tb exits not chained yet: find the block and chain the exit to it, so
// that the exit jumps there directly from now on. `from_block` is valid only
// if no block was dropped since the loop entered generated code.
const void* jit_goto_lookup(void* opaque, const void* from_block, uint32_t slot) {
  X86Cpu& cpu = *static_cast<X86Cpu*>(opaque);
  bool to_global = false;
  tcg::TranslationBlock* to = jit_next_block(cpu, &to_global);
  if (!to) return nullptr;
  const void* code = to->program->chain_entry();
  if (code && cpu.tb_cache.epoch() == cpu.run_epoch) {
    auto* from = static_cast<tcg::TranslationBlock*>(
        static_cast<const tcg::CompiledBlock*>(from_block)->owner);
    if (from) link_blocks(cpu, from, slot, to, to_global);
  }
  return code;
}

void ensure_jit_runtime(X86Cpu& cpu) {
  if (cpu.tcg_backend != tcg::Backend::kJit || cpu.jit) return;
  static_assert(sizeof(cpu.exit_request) == 1 && sizeof(cpu.intr_line) == 1 &&
                sizeof(cpu.stop_after_block) == 1 && sizeof(cpu.exec_breakpoints) == 1);
  tcg::JitConfig c;
  c.code_buffer_bytes = cpu.jit_code_bytes;
  // Chained blocks leave for the loop on a kick, a stop or HLT request, a
  // pending exception, single-stepping, or an interrupt.
  // Any interrupt line activity goes back to the loop, which knows what IF,
  // the interrupt shadow and the local APIC's NMI/INIT/SIPI allow.
  // Instruction breakpoints are checked by the loop before every block.
  const int32_t kick = env_offset(cpu, &cpu.exit_request);
  if (kick % 4 == 0 && env_offset(cpu, &cpu.intr_line) == kick + 1 &&
      env_offset(cpu, &cpu.stop_after_block) == kick + 2 &&
      env_offset(cpu, &cpu.exec_breakpoints) == kick + 3) {
    c.exit_checks.push_back({kick, 0xffffffffu, false});  // all four bytes at once
  } else {
    for (const void* byte :
         {static_cast<const void*>(&cpu.exit_request), static_cast<const void*>(&cpu.intr_line),
          static_cast<const void*>(&cpu.stop_after_block),
          static_cast<const void*>(&cpu.exec_breakpoints)}) {
      c.exit_checks.push_back({env_offset(cpu, byte), 0xff, false});
    }
  }
  // No check of `halted`: the loop never enters a block while halted, and
  // HLT (the one way a block halts) also sets stop_after_block above.
  c.exit_checks.push_back({env_offset(cpu, &cpu.exception_vector), 0x80000000u, true});
  c.exit_checks.push_back({env_offset(cpu, &cpu.eflags_rest), kFlagTF, false});
  c.flags_offset = env_offset(cpu, &cpu.hflags);
  c.lookup = &jit_lookup;
  c.goto_lookup = &jit_goto_lookup;
  c.lookup_opaque = &cpu;
  c.jump_cache.table = cpu.tb_cache.jump_cache_table();
  c.jump_cache.pc_offset = env_offset(cpu, &cpu.rip);
  c.jump_cache.cs_base_offset = env_offset(cpu, &cpu.segs[kSegCS].base);
  c.jump_cache.wide_address_flag = kHfCs64;
  static_assert(sizeof(cpu.rip) == 8 && sizeof(cpu.segs[kSegCS].base) == 8);
  c.tlb.enabled = true;
  c.tlb.env_offset = env_offset(cpu, cpu.mmu.tlb_table());
  c.tlb.mem_index_stride = sizeof(FastTlbEntry) * Mmu::kTlbSize;
  c.tlb.num_mem_indexes = kNumMemIndexes;
  static_assert(std::has_single_bit(Mmu::kTlbSize) && std::has_single_bit(sizeof(FastTlbEntry)));
  c.tlb.index_bits = static_cast<unsigned>(std::countr_zero(Mmu::kTlbSize));
  c.tlb.entry_shift = static_cast<unsigned>(std::countr_zero(sizeof(FastTlbEntry)));
  c.tlb.page_bits = 12;
  c.tlb.read_tag_offset = offsetof(FastTlbEntry, read_tag);
  c.tlb.write_tag_offset = offsetof(FastTlbEntry, write_tag);
  c.tlb.addend_offset = offsetof(FastTlbEntry, addend);
  c.count_stats = cpu.jit_stats;
  cpu.jit = tcg::make_jit_runtime(c);
}

// A chainable block (cached, and more than the one instruction after an
// interrupt shadow) checks for events at entry and links to others.
std::unique_ptr<tcg::CompiledBlock> compile(X86Cpu& cpu, const tcg::Block& ir, bool chainable) {
  tcg::JitBlockOptions options;
  options.key_flags = cpu.hflags;
  options.entry_checks = chainable;
  options.link = chainable && !log_enabled(kLogExec);  // -d exec sees every block
  auto program = tcg::compile_block(ir, cpu.tcg_backend, cpu.jit.get(), options);
  if (program) return program;
  // The code buffer is full: drop every translation and start it again.
  VX86_LOG(kLogExec, "tcg: code buffer full, flushing all translations\n");
  cpu.tb_cache.flush();
  tcg::jit_runtime_flush(*cpu.jit);
  program = tcg::compile_block(ir, cpu.tcg_backend, cpu.jit.get(), options);
  if (program) return program;
  return tcg::compile_block(ir, tcg::Backend::kInterpreter);  // larger than the whole buffer
}

tcg::TranslationBlock* translate_untimed(X86Cpu& cpu, uint64_t linear_pc, uint64_t phys_pc,
                                         unsigned max_insns, bool cache) {
  // One block's IR at a time per thread, its memory kept from block to block.
  static thread_local TranslatedBlock tb;
  tb.clear();
  TranslateOptions options;
  options.max_insns = max_insns;
  const bool log_this = log_address_in_filter(linear_pc);  // -dfilter
  options.log_in_asm = log_this && log_enabled(kLogInAsm);
  if (!translate_block(cpu, options, &tb)) return nullptr;
  if (log_this && log_enabled(kLogOp)) {
    log_printf("OP:\n%s\n", tcg::print_block(tb.ir).c_str());
  }
  tcg::optimize(tb.ir);
  if (log_this && log_enabled(kLogOpOpt)) {
    log_printf("OP after optimization:\n%s\n", tcg::print_block(tb.ir).c_str());
  }
  auto block = std::make_unique<tcg::TranslationBlock>();
  block->phys_pc = phys_pc;
  block->vaddr = linear_pc;
  block->pc = cpu.rip;
  block->cs_base = cpu.segs[kSegCS].base;
  block->flags = cpu.hflags;
  block->pages[0] = tb.pages[0];
  block->pages[1] = tb.pages[1];
  block->guest_bytes = tb.guest_bytes;
  block->num_insns = tb.num_insns;
  block->program = compile(cpu, tb.ir, cache && max_insns > 1);
  block->program->owner = block.get();
  if (log_this && log_enabled(kLogOutAsm)) log_host_code(*block->program);
  if (cache) {
    for (uint64_t page : block->pages) {
      if (page != tcg::kNoPage && !cpu.code_on_page(page)) cpu.drop_fast_writes_everywhere(page);
    }
  }
  if (!cache) {
    static thread_local std::unique_ptr<tcg::TranslationBlock> uncached;
    uncached = std::move(block);
    return uncached.get();
  }
  return cpu.tb_cache.insert(std::move(block));
}

// translate_untimed(), timed for -accel tcg,stats=on.
tcg::TranslationBlock* translate(X86Cpu& cpu, uint64_t linear_pc, uint64_t phys_pc,
                                 unsigned max_insns, bool cache) {
  if (!cpu.jit_stats) return translate_untimed(cpu, linear_pc, phys_pc, max_insns, cache);
  const auto start = std::chrono::steady_clock::now();
  tcg::TranslationBlock* tb = translate_untimed(cpu, linear_pc, phys_pc, max_insns, cache);
  cpu.translate_ns += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  return tb;
}

}  // namespace

void cpu_reset_all(X86Cpu& cpu, bool bsp) {
  cpu_reset(cpu, cpu.model.signature, bsp);
  cpu.mmu.flush_all();
  cpu.tb_cache.flush();
  cpu.stop_after_block = false;
  cpu.exec_breakpoints = 0;
  update_data_watches(cpu);
}

ExecExit cpu_exec(X86Cpu& cpu) {
  uint8_t* env = reinterpret_cast<uint8_t*>(static_cast<CpuState*>(&cpu));
  ensure_jit_runtime(cpu);
  // DR0-DR7 may have been set from outside (reset, state load), and a
  // debugger's watchpoints while the vCPU was stopped.
  update_data_watches(cpu);
  cpu.debugger_watch_hit = -1;
  if (cpu.debugger_breakpoint_added) {
    // Cached blocks (and the chains between them) may run through the new
    // breakpoint's address without coming back here.
    cpu.debugger_breakpoint_added = false;
    cpu.tb_cache.flush();
  }
  // A goto_tb exit waiting to be chained to the block that runs next.
  tcg::TranslationBlock* link_from = nullptr;
  unsigned link_slot = 0;
  uint64_t link_epoch = 0, link_rip = 0;
  while (true) {
    if (cpu.exit_request.exchange(false)) return ExecExit::kKicked;
    if (cpu.exception_vector >= 0) {
      if (!deliver_pending_exception(cpu)) return ExecExit::kStopped;
    }
    // A debugger's single step runs the next instruction, not an interrupt
    // handler (as QEMU's gdbstub by default), unless the CPU waits in HLT.
    const bool take_interrupts = !cpu.debugger_single_step || cpu.halted;
    // INIT, start-up IPIs and NMIs from the local APIC (IF does not mask them).
    if (take_interrupts && cpu.local_apic && cpu.intr_line.load(std::memory_order_acquire) &&
        take_local_apic_events(cpu)) {
      cpu.halted = 0;
      try {
        deliver_interrupt(cpu, kExcNMI, false, false, 0, cpu.rip);
      } catch (const tcg::GuestFault&) {
        if (!deliver_pending_exception(cpu)) return ExecExit::kStopped;
      }
    }
    // Interrupts are taken between blocks, never in an interrupt shadow.
    if (take_interrupts && cpu.intr_line.load(std::memory_order_acquire) &&
        (cpu.eflags_rest & kFlagIF) && !(cpu.hflags & kHfInhibitIrq) && cpu.interrupts) {
      int vector = -1;
      {
        DeviceLockGuard lock;
        if (cpu.interrupts->interrupt_pending()) vector = cpu.interrupts->acknowledge_interrupt();
        cpu.intr_line = cpu.interrupts->interrupt_pending();
      }
      if (vector >= 0) {
        cpu.halted = 0;
        try {
          deliver_interrupt(cpu, vector, false, false, 0, cpu.rip);
        } catch (const tcg::GuestFault&) {
          if (!deliver_pending_exception(cpu)) return ExecExit::kStopped;
        }
      }
    }
    if (cpu.halted) return ExecExit::kHalted;

    uint64_t linear_pc = cpu.segs[kSegCS].base + cpu.rip;
    if (!(cpu.hflags & kHfCs64)) linear_pc &= 0xffffffffull;
    // Instruction breakpoints (DR0-DR3): a #DB fault before the instruction
    // runs (before its fetch can fault), unless EFLAGS.RF suppresses this one
    // check. Near a breakpoint, blocks are one instruction long.
    // A debugger's single steps return here after every instruction; its
    // breakpoints do not need that: blocks near them are one instruction
    // long and never cached (so never chained to or found by the JIT), and
    // none of the blocks still cached reaches them (see jit_next_block).
    cpu.exec_breakpoints =
        ((cpu.dr[7] & 0xff) && exec_breakpoints_enabled(cpu.dr[7])) || cpu.debugger_single_step;
    bool near_breakpoint = false;
    if (!cpu.debugger_breakpoints.empty()) {
      if (debugger_breakpoint_at(cpu, linear_pc) && linear_pc != cpu.debugger_resume_pc) {
        cpu.debugger_resume_pc = linear_pc;
        return ExecExit::kDebug;
      }
      near_breakpoint = debugger_breakpoint_near(cpu, linear_pc);
    }
    cpu.debugger_resume_pc = ~0ull;
    if (cpu.exec_breakpoints) {
      const bool resume = cpu.eflags_rest & kFlagRF;
      cpu.eflags_rest &= ~kFlagRF;
      const uint32_t hits = exec_breakpoint_hits(cpu, linear_pc);
      if (hits && !resume) {
        cpu.dr[6] = (cpu.dr[6] & ~0xfull) | hits;
        VX86_LOG(kLogInt, "int: instruction breakpoint at %016" PRIx64 " (DR6 %08" PRIx64 ")\n",
                 linear_pc, cpu.dr[6]);
        try {
          deliver_interrupt(cpu, kExcDB, false, false, 0, cpu.rip);
        } catch (const tcg::GuestFault&) {
          if (!deliver_pending_exception(cpu)) return ExecExit::kStopped;
        }
        continue;
      }
      near_breakpoint = near_breakpoint || exec_breakpoint_near(cpu, linear_pc);
    }
    const bool inhibit = cpu.hflags & kHfInhibitIrq;
    // EFLAGS.TF: one instruction at a time, then a #DB trap.
    const bool single_step = cpu.eflags_rest & kFlagTF;
    const bool one_insn = inhibit || single_step || near_breakpoint || cpu.debugger_single_step;
    // The instruction after STI or MOV SS runs alone; its block is cached
    // under the flags with the shadow bit (Linux enables interrupts often).
    const bool cache_one = inhibit && !single_step && !near_breakpoint && !cpu.debugger_single_step;
    const tcg::TbCache::JumpEntry* hit = one_insn ? nullptr : cached_block(cpu, linear_pc);
    tcg::TranslationBlock* tb = hit ? hit->tb : nullptr;
    uint64_t phys_pc = tb ? tb->phys_pc : 0;
    // Whether tb's pages are mapped global, when it is known (it is in the jump cache).
    bool known_global = hit && hit->global, global_known = hit != nullptr;
    if (!tb) {
      bool global = false;
      if (!cpu.mmu.code_paddr(linear_pc, &phys_pc, &global)) continue;  // #PF pending: deliver it
      if (!one_insn || cache_one) {
        tb = cpu.tb_cache.lookup(phys_pc, cpu.rip, cpu.segs[kSegCS].base, cpu.hflags);
        if (tb && !second_page_still_mapped(cpu, linear_pc, *tb, &global)) tb = nullptr;
      }
      bool cacheable = !one_insn;
      if (!tb) {
        tb = translate(cpu, linear_pc, phys_pc, one_insn ? 1 : 512, !one_insn || cache_one);
        if (!tb) continue;  // fetch fault pending
        // The fetch has just mapped the second page, if any: is it global?
        cacheable = cacheable && second_page_still_mapped(cpu, linear_pc, *tb, &global);
      }
      if (cacheable) {
        cpu.tb_cache.jump_cache_set(tb, global);
        known_global = global;
        global_known = true;
      }
    }
    // Chain the previous block's goto_tb here when it is safe: nothing ran or
    // was dropped in between (and see link_blocks).
    if (link_from && !one_insn && global_known && cpu.tb_cache.epoch() == link_epoch &&
        cpu.rip == link_rip) {
      link_blocks(cpu, link_from, link_slot, tb, known_global);
    }
    link_from = nullptr;
    const uint64_t deliveries_before = cpu.deliveries;
    if (log_enabled(kLogCpu | kLogExec) && log_address_in_filter(tb->vaddr)) {
      if (log_enabled(kLogCpu)) log_cpu(cpu);
      VX86_LOG(kLogExec, "exec: %04x:%016" PRIx64 " (%u insns)\n", cpu.segs[kSegCS].selector,
               cpu.rip, tb->num_insns);
    }
    // A data breakpoint hit inside a block restarts its instruction alone.
    cpu.mmu.take_watch_hits();
    cpu.mmu.set_watch_restart(!one_insn);
    cpu.run_epoch = cpu.tb_cache.epoch();
    tcg::ExitRecord exit = tb->program->run(env, cpu.mmu);
    cpu.mmu.set_watch_restart(false);
    if (inhibit) cpu.hflags &= ~kHfInhibitIrq;
    if (exit.kind == tcg::ExitKind::kGotoTb && !one_insn && exit.block && exit.block->owner) {
      link_from = static_cast<tcg::TranslationBlock*>(exit.block->owner);
      link_slot = exit.slot;
      link_epoch = cpu.tb_cache.epoch();
      link_rip = cpu.rip;
    }
    if (exit.kind == tcg::ExitKind::kFault) {
      cpu.rip = exit.insn_data[0];
      if (cpu.exception_vector == kExcpSmcRestart) {
        // A store into translated code: drop those translations and run the
        // storing instruction alone, letting its store through.
        cpu.exception_vector = -1;
        cpu.mmu.set_smc_single_step(true);
        tcg::TranslationBlock* one = translate(cpu, linear_pc, phys_pc, 1, false);
        if (one) {
          tcg::ExitRecord r = one->program->run(env, cpu.mmu);
          if (r.kind == tcg::ExitKind::kFault) cpu.rip = r.insn_data[0];
        }
        cpu.mmu.set_smc_single_step(false);
      } else if (cpu.exception_vector == kExcpWatchRestart) {
        cpu.exception_vector = -1;
        tcg::TranslationBlock* one = translate(cpu, linear_pc, phys_pc, 1, false);
        if (one) {
          tcg::ExitRecord r = one->program->run(env, cpu.mmu);
          if (r.kind == tcg::ExitKind::kFault) cpu.rip = r.insn_data[0];
        }
      }
    }
    if (cpu.exception_vector == kExcpFpuFreeze) {
      // FERR# is up: wait at the x87 instruction for the IRQ 13 handler.
      cpu.exception_vector = -1;
      cpu.halted = 1;
    }
    // Data breakpoints: a #DB trap after the instruction that touched them
    // (with single-stepping, one #DB with DR6.BS as well).
    const uint32_t all_watch_hits = cpu.mmu.take_watch_hits();
    const uint32_t watch_hits = all_watch_hits & 0xf;  // DR0-DR3; 4-7 are the debugger's
    if (all_watch_hits >> 4 && cpu.exception_vector < 0) {
      // A debugger's watchpoint: stop after the instruction, before the
      // guest's own #DB (if any) is delivered.
      cpu.debugger_watch_hit = std::countr_zero(all_watch_hits >> 4);
      return ExecExit::kDebug;
    }
    if (watch_hits && cpu.exception_vector < 0 && cpu.deliveries == deliveries_before) {
      cpu.dr[6] = (cpu.dr[6] & ~0xfull) | watch_hits;
      if (!single_step) {
        VX86_LOG(kLogInt, "int: data breakpoint (DR6 %08" PRIx64 ")\n", cpu.dr[6]);
        try {
          deliver_interrupt(cpu, kExcDB, false, false, 0, cpu.rip);
        } catch (const tcg::GuestFault&) {
          if (!deliver_pending_exception(cpu)) return ExecExit::kStopped;
        }
      }
    }
    if (single_step && exit.kind != tcg::ExitKind::kFault && cpu.exception_vector < 0 &&
        cpu.deliveries == deliveries_before && !cpu.halted) {
      // The single-step trap: after the instruction, DR6.BS set.
      cpu.dr[6] |= 1u << 14;
      try {
        deliver_interrupt(cpu, kExcDB, false, false, 0, cpu.rip);
      } catch (const tcg::GuestFault&) {
        if (!deliver_pending_exception(cpu)) return ExecExit::kStopped;
      }
    }
    if (cpu.debugger_single_step) {
      // The step is over once the instruction completed or its exception
      // reached the handler (the debugger stops at the handler's first
      // instruction, as with QEMU).
      if (cpu.exception_vector >= 0 && !deliver_pending_exception(cpu)) return ExecExit::kStopped;
      cpu.stop_after_block = false;
      return ExecExit::kDebug;
    }
    if (cpu.stop_after_block) {
      cpu.stop_after_block = false;
      if (cpu.halted) continue;  // re-check interrupts before sleeping
      return ExecExit::kStopped;
    }
  }
}

}  // namespace vx86::x86
