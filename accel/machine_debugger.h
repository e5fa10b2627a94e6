// What gdb reaches of a running machine (GdbTarget), over the accelerator
// interface: vCPUs stopped and started through the CpuRunner, registers in
// gdb's x86-64 layout, memory through each vCPU's page tables, breakpoints
// and single-steps through Vcpu's debug hooks.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "accel/cpu_runner.h"
#include "core/gdbstub.h"
#include "core/memory.h"

namespace vx86 {

class MachineDebugger : public GdbTarget {
 public:
  // How the program stops and starts the whole machine (vCPUs and the
  // virtual clock), runs a monitor command, and ends.
  struct Machine {
    std::function<void()> stop;
    std::function<void()> resume;
    std::function<std::string(const std::string&)> monitor;
    std::function<void()> quit;
  };
  MachineDebugger(CpuRunner& runner, AddressSpace& memory, Machine machine);

  unsigned cpu_count() const override;
  void stop() override;
  void resume(int step_cpu) override;
  std::string target_xml() const override;
  std::vector<uint8_t> read_registers(unsigned cpu) override;
  bool write_registers(unsigned cpu, const std::vector<uint8_t>& data) override;
  bool read_register(unsigned cpu, unsigned n, std::vector<uint8_t>* out) override;
  bool write_register(unsigned cpu, unsigned n, const std::vector<uint8_t>& data) override;
  std::size_t read_memory(unsigned cpu, uint64_t addr, uint8_t* buf, std::size_t len) override;
  bool write_memory(unsigned cpu, uint64_t addr, const uint8_t* buf, std::size_t len) override;
  BreakpointResult insert_breakpoint(BreakpointType type, uint64_t addr, uint64_t len) override;
  BreakpointResult remove_breakpoint(BreakpointType type, uint64_t addr, uint64_t len) override;
  void remove_all_breakpoints() override;
  std::string monitor_command(const std::string& line) override;
  void kill() override;

  // A vCPU's kDebug exit, as gdb's stop reply describes it.
  GdbStop describe_stop(Vcpu& vcpu) const;

 private:
  struct Inserted {
    BreakpointType type;
    uint64_t addr;
    uint64_t len;
  };
  Vcpu& vcpu(unsigned cpu);
  // Calls access(paddr, offset, size) for each piece of [addr, addr + len)
  // within a page, through cpu's page tables, until one fails; returns the
  // bytes done.
  using PageAccess = std::function<bool(uint64_t paddr, std::size_t offset, std::size_t size)>;
  std::size_t access_memory(unsigned cpu, uint64_t addr, std::size_t len, const PageAccess& access);

  CpuRunner& runner_;
  AddressSpace& memory_;
  Machine machine_;
  std::vector<Inserted> inserted_;
};

}  // namespace vx86
