#include "accel/tcg_vcpu.h"

#include "core/irq.h"
#include "core/log.h"
#include "target-x86/cpu_exec.h"

namespace vx86 {

TcgVcpu::TcgVcpu(int index, const CpuBus& bus, const x86::CpuModel& model, Clocks* clocks)
    : index_(index),
      cpu_(
          std::make_unique<x86::X86Cpu>(*bus.memory, *bus.io, bus.interrupts, bus.control, model)) {
  cpu_->clocks = clocks;
  cpu_->cpu_index = static_cast<unsigned>(index);
  x86::cpu_reset_all(*cpu_, index == 0);
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
  bool pending = cpu_->interrupts && cpu_->interrupts->interrupt_pending();
  cpu_->intr_line.store(pending, std::memory_order_release);
}

void TcgVcpu::set_a20(bool enabled) {
  uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
  if (cpu_->a20_mask == mask) return;
  cpu_->a20_mask = mask;
  cpu_->mmu.flush_all();
}

bool TcgVcpu::insert_breakpoint(BreakpointKind, uint64_t, uint64_t) {
  VX86_LOG(kLogUnimp, "tcg: breakpoints are not available yet\n");
  return false;
}

bool TcgVcpu::remove_breakpoint(BreakpointKind, uint64_t, uint64_t) {
  return false;
}

void TcgVcpu::set_single_step(bool) {
  VX86_LOG(kLogUnimp, "tcg: single-step is not available yet\n");
}

}  // namespace vx86
