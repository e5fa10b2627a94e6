// A vCPU run by TCG: target-x86's X86Cpu and execution loop behind the
// accelerator interface.
#pragma once

#include <memory>

#include "accel/accel.h"
#include "target-x86/x86_cpu.h"

namespace vx86 {

class Clocks;

class TcgVcpu : public Vcpu {
 public:
  TcgVcpu(int index, const CpuBus& bus, const x86::CpuModel& model, Clocks* clocks);
  ~TcgVcpu() override;  // prints the JIT statistics with -accel tcg,stats=on

  int index() const override { return index_; }
  CpuState& state() override { return *cpu_; }
  void sync_from_accel() override {}
  void sync_to_accel() override;
  VcpuExit run() override;
  void kick() override;
  void reset() override;
  void interrupt_changed() override;
  bool insert_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) override;
  bool remove_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) override;
  void set_single_step(bool enabled) override;
  bool stopped_by_watchpoint(uint64_t* addr) const override;
  bool debug_translate(uint64_t vaddr, uint64_t* paddr) override;
  void debugger_wrote_memory(uint64_t paddr, uint64_t len) override;

  x86::X86Cpu& cpu() { return *cpu_; }
  // A20 gate from the machine (port 0x92, i8042).
  void set_a20(bool enabled);

 private:
  int index_;
  std::unique_ptr<x86::X86Cpu> cpu_;
};

}  // namespace vx86
