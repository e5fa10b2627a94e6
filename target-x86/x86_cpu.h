// One x86 vCPU under TCG: the architectural state (CpuState, the base, whose
// address is the `env` of generated code), its soft MMU, the devices it reaches
// and its translation cache. Helpers called from IR get the CpuState* and
// reach the rest with x86_cpu(env).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "target-x86/code_cache_group.h"
#include "target-x86/cpu_state.h"
#include "target-x86/cpuid.h"
#include "target-x86/mmu.h"
#include "tcg/jit_runtime.h"
#include "tcg/tb_cache.h"

namespace vx86::x86 {

struct DebuggerWatchpoint {
  enum class Kind { kWrite, kRead, kAccess };
  uint64_t addr;  // linear
  uint64_t len;
  Kind kind;
};

struct X86Cpu : CpuState {
  X86Cpu(AddressSpace& memory, AddressSpace& io, CpuInterruptSource* interrupts,
         SystemControl* control, const CpuModel& model);
  ~X86Cpu();
  X86Cpu(const X86Cpu&) = delete;
  X86Cpu& operator=(const X86Cpu&) = delete;

  CpuState& state() { return *this; }

  AddressSpace& memory;
  AddressSpace& io;
  CpuInterruptSource* interrupts;
  // The CPU's local APIC when the machine has one (then also `interrupts`).
  CpuLocalApic* local_apic = nullptr;
  SystemControl* control;
  CpuModel model;
  Mmu mmu;
  tcg::TbCache tb_cache;

  // Joins the machine's other vCPUs for self-modifying code (stores into
  // code any of them translated drop it in all); alone otherwise.
  void join_code_group(std::shared_ptr<CodeCacheGroup> group);
  bool code_on_page(uint64_t ppage) const {
    return code_group_ ? code_group_->page_has_code(ppage) : tb_cache.page_has_code(ppage);
  }
  // Drops the translations of the bytes in every vCPU of the group.
  void invalidate_code(uint64_t paddr, uint64_t size) {
    code_group_ ? code_group_->invalidate(paddr, size) : tb_cache.invalidate_range(paddr, size);
  }
  // Before translating code on a page no vCPU had code on.
  void drop_fast_writes_everywhere(uint64_t ppage) {
    code_group_ ? code_group_->drop_fast_writes(ppage) : mmu.drop_fast_writes(ppage);
  }

  // Four bytes that send chained JIT blocks back to the execution loop, kept
  // in one aligned word so that a block's entry tests them at once.
  // Set from any thread to make the execution loop return (kick).
  alignas(4) std::atomic<bool> exit_request{false};
  // The interrupt controller's INTR output (level).
  std::atomic<bool> intr_line{false};
  // Set by helpers that end the run loop (shutdown/reset requests, triple fault).
  bool stop_after_block = false;
  // Nonzero while DR7 enables an instruction breakpoint: chained JIT blocks
  // then return to the execution loop, which checks each block's address.
  uint8_t exec_breakpoints = 0;
  // A debugger's (the gdbstub's) breakpoints, as linear addresses, and its
  // single-step request: cpu_exec returns kDebug before running an
  // instruction at such an address, or after one instruction. Unlike DR0-DR7
  // they are invisible to the guest. Set them while the vCPU is not running,
  // and debugger_breakpoint_added after adding one (the next cpu_exec drops
  // the translations, which may contain its address).
  std::vector<uint64_t> debugger_breakpoints;
  bool debugger_breakpoint_added = false;
  bool debugger_single_step = false;
  // A debugger's watchpoints (at most kMaxDebuggerWatchpoints): cpu_exec
  // returns kDebug after an instruction that touched one, with its index in
  // debugger_watch_hit (-1 for other stops).
  static constexpr std::size_t kMaxDebuggerWatchpoints = 4;
  std::vector<DebuggerWatchpoint> debugger_watchpoints;
  int debugger_watch_hit = -1;
  // After a stop at a debugger breakpoint: the linear address not to stop at
  // on the next entry (the debugger resumes from there), or ~0.
  uint64_t debugger_resume_pc = ~0ull;
  // The virtual clock RDTSC counts (null in unit tests: the TSC reads 0),
  // at tsc_hz ticks per second (-cpu ...,tsc-frequency=).
  Clocks* clocks = nullptr;
  uint64_t tsc_hz = kTscHz;
  unsigned cpu_index = 0;
  CpuTopology topology;  // -smp's, for CPUID
  // Which tcg backend compiles this CPU's blocks (set by the accelerator).
  tcg::Backend tcg_backend = tcg::Backend::kInterpreter;
  // The JIT's code buffer for this vCPU (made by the first cpu_exec), its size
  // (-accel tcg,tb-size=N MiB) and whether generated code counts statistics.
  std::shared_ptr<tcg::JitRuntime> jit;
  size_t jit_code_bytes = size_t{64} << 20;
  bool jit_stats = false;
  uint64_t translate_ns = 0;  // time spent translating, counted with jit_stats
  // The TbCache epoch when the loop last entered a block: blocks that chained
  // or looked each other up since are all alive while it still holds.
  uint64_t run_epoch = 0;
  // Interrupts and exceptions delivered so far: single-stepping (EFLAGS.TF)
  // raises no #DB after an instruction that itself went through the IDT.
  uint64_t deliveries = 0;
  // FERR#, the x87 error output the PC routes to IRQ 13. With CR0.NE=0 an
  // unmasked x87 error raises it at the next waiting instruction, which then
  // waits (as in HLT, for the IRQ 13 handler) unless IGNNE# is asserted; it
  // falls when FNINIT, FNSAVE, FLDENV or FRSTOR replace the x87 state, and
  // after FNCLEX at the first waiting instruction. Null when the machine
  // does not connect it: then #MF, as with CR0.NE=1.
  IrqLine* ferr = nullptr;
  // IGNNE#, owned by the machine (the PC asserts it when software writes
  // port 0xF0 while FERR# is up, and negates it when FERR# falls). Null:
  // never asserted. Both lines are used under the device lock.
  const IrqLine* ignne = nullptr;

 private:
  int memory_listener_ = -1;
  std::shared_ptr<CodeCacheGroup> code_group_;
};

inline X86Cpu& x86_cpu(CpuState* env) {
  return *static_cast<X86Cpu*>(env);
}

}  // namespace vx86::x86
