#include "target-x86/debug_breakpoints.h"

#include <algorithm>

#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {

// DR7: L0/G0 in bits 0-1 (two bits per breakpoint), R/W0 in bits 16-17 and
// LEN0 in bits 18-19 (four bits per breakpoint).
bool exec_breakpoint_enabled(uint64_t dr7, unsigned i) {
  const bool enabled = (dr7 >> (i * 2)) & 3;
  const unsigned rw = (dr7 >> (16 + i * 4)) & 3;
  return enabled && rw == 0;
}

}  // namespace

bool exec_breakpoints_enabled(uint64_t dr7) {
  for (unsigned i = 0; i < 4; ++i) {
    if (exec_breakpoint_enabled(dr7, i)) return true;
  }
  return false;
}

uint32_t exec_breakpoint_hits(const CpuState& cpu, uint64_t linear_pc) {
  uint32_t hits = 0;
  for (unsigned i = 0; i < 4; ++i) {
    if (exec_breakpoint_enabled(cpu.dr[7], i) && cpu.dr[i] == linear_pc) hits |= 1u << i;
  }
  return hits;
}

bool exec_breakpoint_near(const CpuState& cpu, uint64_t linear_pc) {
  const uint64_t page = linear_pc >> 12;
  for (unsigned i = 0; i < 4; ++i) {
    if (!exec_breakpoint_enabled(cpu.dr[7], i)) continue;
    const uint64_t bp_page = cpu.dr[i] >> 12;
    if (bp_page == page || bp_page == page + 1) return true;
  }
  return false;
}

bool debugger_breakpoint_at(const X86Cpu& cpu, uint64_t linear_pc) {
  return std::find(cpu.debugger_breakpoints.begin(), cpu.debugger_breakpoints.end(), linear_pc) !=
         cpu.debugger_breakpoints.end();
}

bool debugger_breakpoint_near(const X86Cpu& cpu, uint64_t linear_pc) {
  const uint64_t page = linear_pc >> 12;
  return std::any_of(cpu.debugger_breakpoints.begin(), cpu.debugger_breakpoints.end(),
                     [page](uint64_t bp) { return bp >> 12 == page || bp >> 12 == page + 1; });
}

void update_data_watches(X86Cpu& cpu) {
  DataWatches watches{};
  unsigned enabled = 0;
  const uint64_t dr7 = cpu.dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned rw = (dr7 >> (16 + i * 4)) & 3;
    if (!((dr7 >> (i * 2)) & 3) || rw == 0 || rw == 2) continue;
    static constexpr uint64_t kLenBytes[4] = {1, 2, 8, 4};  // LEN 00, 01, 10, 11
    const uint64_t len = kLenBytes[(dr7 >> (18 + i * 4)) & 3];
    watches[i].start = cpu.dr[i] & ~(len - 1);
    watches[i].end = watches[i].start + len;
    watches[i].writes_only = rw == 1;
    enabled |= 1u << i;
  }
  for (std::size_t i = 0; i < cpu.debugger_watchpoints.size() && i < 4; ++i) {
    const DebuggerWatchpoint& d = cpu.debugger_watchpoints[i];
    watches[4 + i].start = d.addr;
    watches[4 + i].end = d.addr + std::max<uint64_t>(d.len, 1);
    watches[4 + i].writes_only = d.kind == DebuggerWatchpoint::Kind::kWrite;
    watches[4 + i].reads_only = d.kind == DebuggerWatchpoint::Kind::kRead;
    enabled |= 1u << (4 + i);
  }
  cpu.mmu.set_data_watches(watches, enabled);
}

}  // namespace vx86::x86
