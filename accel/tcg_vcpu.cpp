#include "accel/tcg_vcpu.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "core/irq.h"
#include "core/log.h"
#include "target-x86/cpu_exec.h"
#include "target-x86/local_apic_events.h"

namespace vx86 {

TcgVcpu::TcgVcpu(int index, const CpuBus& bus, const x86::CpuModel& model, Clocks* clocks)
    : index_(index),
      cpu_(
          std::make_unique<x86::X86Cpu>(*bus.memory, *bus.io, bus.interrupts, bus.control, model)) {
  cpu_->clocks = clocks;
  cpu_->local_apic = bus.local_apic;
  cpu_->topology = bus.topology;
  cpu_->ferr = bus.ferr;
  cpu_->ignne = bus.ignne;
  if (bus.local_apic) cpu_->interrupts = bus.local_apic;
  cpu_->cpu_index = static_cast<unsigned>(index);
  x86::cpu_reset_all(*cpu_, index == 0);
}

TcgVcpu::~TcgVcpu() {
  if (!cpu_->jit_stats) return;
  const x86::Mmu::Stats& tlb = cpu_->mmu.stats();
  std::fprintf(
      stderr,
      "tcg stats (vcpu %d): %" PRIu64 " blocks translated, %" PRIu64 " invalidated, %zu live\n",
      index_, cpu_->tb_cache.translations(), cpu_->tb_cache.invalidations(), cpu_->tb_cache.size());
  const uint64_t translations = cpu_->tb_cache.translations();
  std::fprintf(stderr, "  translation: %.1f ms (%.1f us per block)\n",
               static_cast<double>(cpu_->translate_ns) / 1e6,
               translations ? static_cast<double>(cpu_->translate_ns) / 1e3 /
                                  static_cast<double>(translations)
                            : 0.0);
  if (cpu_->jit) {
    tcg::JitStats s = tcg::jit_runtime_stats(*cpu_->jit);
    const uint64_t probes = s.tlb_fast;
    std::fprintf(
        stderr,
        "  jit: %" PRIu64 " blocks, %" PRIu64 " bytes of host code, %" PRIu64
        " chains made, %" PRIu64 " buffer flushes, %" PRIu64
        " helper calls\n"
        "  inline TLB: %" PRIu64 " probes, %" PRIu64 " hits (%.2f%%)\n",
        s.blocks, s.code_bytes, s.chains, s.flushes, s.helper_calls, probes, probes - s.tlb_slow,
        probes ? 100.0 * static_cast<double>(probes - s.tlb_slow) / static_cast<double>(probes)
               : 0.0);
  }
  std::fprintf(stderr,
               "  soft-MMU lookups: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
               " page walks\n"
               "  block lookups by key: %" PRIu64 ", jump-cache flushes: %" PRIu64 "\n",
               tlb.hits, tlb.misses, tlb.walks, cpu_->tb_cache.keyed_lookups(),
               cpu_->tb_cache.jump_cache_flushes());
}

void TcgVcpu::sync_to_accel() {
  // The translator reads CpuState directly; drop what depended on the old state.
  update_hflags(*cpu_);
  cpu_->mmu.flush_all();
}

VcpuExit TcgVcpu::run() {
  switch (x86::cpu_exec(*cpu_)) {
    case x86::ExecExit::kKicked:
      return VcpuExit::kKicked;
    case x86::ExecExit::kHalted:
      return VcpuExit::kHalted;
    case x86::ExecExit::kStopped:
      return VcpuExit::kKicked;
    case x86::ExecExit::kDebug:
      return VcpuExit::kDebug;
  }
  return VcpuExit::kKicked;
}

void TcgVcpu::kick() {
  cpu_->exit_request.store(true);
}

void TcgVcpu::reset() {
  x86::cpu_reset_all(*cpu_, index_ == 0);
}

void TcgVcpu::interrupt_changed() {
  // Called by the interrupt controller with the device lock held.
  bool pending = x86::local_apic_wants_attention(*cpu_);
  cpu_->intr_line.store(pending, std::memory_order_release);
}

void TcgVcpu::set_a20(bool enabled) {
  uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
  if (cpu_->a20_mask == mask) return;
  cpu_->a20_mask = mask;
  cpu_->mmu.flush_all();
}

namespace {

bool is_watchpoint(BreakpointKind kind) {
  return kind != BreakpointKind::kSoftware && kind != BreakpointKind::kHardware;
}

x86::DebuggerWatchpoint::Kind watch_kind(BreakpointKind kind) {
  if (kind == BreakpointKind::kWatchWrite) return x86::DebuggerWatchpoint::Kind::kWrite;
  if (kind == BreakpointKind::kWatchRead) return x86::DebuggerWatchpoint::Kind::kRead;
  return x86::DebuggerWatchpoint::Kind::kAccess;
}

}  // namespace

// The debugger's breakpoints are checked by the execution loop before each
// block it runs (target-x86/cpu_exec.cpp), so hardware and software ones are
// the same here and memory is never patched. Watchpoints use the soft MMU's
// data watches, beside the guest's DR0-DR3.
bool TcgVcpu::insert_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) {
  if (is_watchpoint(kind)) {
    auto& watches = cpu_->debugger_watchpoints;
    if (watches.size() >= x86::X86Cpu::kMaxDebuggerWatchpoints || len == 0) return false;
    watches.push_back({addr, len, watch_kind(kind)});
    return true;
  }
  std::vector<uint64_t>& list = cpu_->debugger_breakpoints;
  if (std::find(list.begin(), list.end(), addr) == list.end()) {
    list.push_back(addr);
    cpu_->debugger_breakpoint_added = true;
  }
  return true;
}

bool TcgVcpu::remove_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) {
  if (is_watchpoint(kind)) {
    auto& watches = cpu_->debugger_watchpoints;
    auto it = std::find_if(watches.begin(), watches.end(), [&](const auto& w) {
      return w.addr == addr && w.len == len && w.kind == watch_kind(kind);
    });
    if (it == watches.end()) return false;
    watches.erase(it);
    return true;
  }
  std::vector<uint64_t>& list = cpu_->debugger_breakpoints;
  auto it = std::find(list.begin(), list.end(), addr);
  if (it == list.end()) return false;
  list.erase(it);
  return true;
}

bool TcgVcpu::stopped_by_watchpoint(uint64_t* addr) const {
  const int hit = cpu_->debugger_watch_hit;
  if (hit < 0 || static_cast<std::size_t>(hit) >= cpu_->debugger_watchpoints.size()) return false;
  *addr = cpu_->debugger_watchpoints[static_cast<std::size_t>(hit)].addr;
  return true;
}

void TcgVcpu::set_single_step(bool enabled) {
  cpu_->debugger_single_step = enabled;
}

bool TcgVcpu::debug_translate(uint64_t vaddr, uint64_t* paddr) {
  if (!cpu_->mmu.debug_translate(vaddr, paddr)) return false;
  *paddr &= cpu_->a20_mask;
  return true;
}

void TcgVcpu::debugger_wrote_memory(uint64_t paddr, uint64_t len) {
  cpu_->invalidate_code(paddr, len);
}

}  // namespace vx86
