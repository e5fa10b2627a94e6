#include "accel/machine_debugger.h"

#include <algorithm>

#include "core/device_lock.h"
#include "target-x86/gdb_registers.h"

namespace vx86 {

namespace {

BreakpointKind kind_of(GdbTarget::BreakpointType type) {
  switch (type) {
    case GdbTarget::BreakpointType::kSoftware:
      return BreakpointKind::kSoftware;
    case GdbTarget::BreakpointType::kHardware:
      return BreakpointKind::kHardware;
    case GdbTarget::BreakpointType::kWatchWrite:
      return BreakpointKind::kWatchWrite;
    case GdbTarget::BreakpointType::kWatchRead:
      return BreakpointKind::kWatchRead;
    case GdbTarget::BreakpointType::kWatchAccess:
      break;
  }
  return BreakpointKind::kWatchAccess;
}

bool is_watchpoint(GdbTarget::BreakpointType type) {
  return type != GdbTarget::BreakpointType::kSoftware &&
         type != GdbTarget::BreakpointType::kHardware;
}

}  // namespace

MachineDebugger::MachineDebugger(CpuRunner& runner, AddressSpace& memory, Machine machine)
    : runner_(runner), memory_(memory), machine_(std::move(machine)) {}

Vcpu& MachineDebugger::vcpu(unsigned cpu) {
  return *runner_.vcpus().at(cpu);
}

unsigned MachineDebugger::cpu_count() const {
  return static_cast<unsigned>(runner_.vcpus().size());
}

void MachineDebugger::stop() {
  machine_.stop();
}

void MachineDebugger::resume(int step_cpu) {
  for (auto& v : runner_.vcpus()) v->set_single_step(v->index() == step_cpu);
  machine_.resume();
}

std::string MachineDebugger::target_xml() const {
  return x86::gdb_target_xml();
}

std::vector<uint8_t> MachineDebugger::read_registers(unsigned cpu) {
  return x86::gdb_read_registers(vcpu(cpu).state());
}

bool MachineDebugger::write_registers(unsigned cpu, const std::vector<uint8_t>& data) {
  Vcpu& v = vcpu(cpu);
  if (!x86::gdb_write_registers(v.state(), data.data(), data.size())) return false;
  v.sync_to_accel();
  return true;
}

bool MachineDebugger::read_register(unsigned cpu, unsigned n, std::vector<uint8_t>* out) {
  return x86::gdb_read_register(vcpu(cpu).state(), n, out);
}

bool MachineDebugger::write_register(unsigned cpu, unsigned n, const std::vector<uint8_t>& data) {
  Vcpu& v = vcpu(cpu);
  if (!x86::gdb_write_register(v.state(), n, data.data(), data.size())) return false;
  v.sync_to_accel();
  return true;
}

std::size_t MachineDebugger::access_memory(unsigned cpu, uint64_t addr, std::size_t len,
                                           const PageAccess& access) {
  Vcpu& v = vcpu(cpu);
  std::size_t done = 0;
  DeviceLockGuard lock;  // device memory (MMIO) may be in the range
  while (done < len) {
    const uint64_t vaddr = addr + done;
    const std::size_t chunk = std::min<std::size_t>(len - done, 0x1000 - (vaddr & 0xfff));
    uint64_t paddr = 0;
    if (!v.debug_translate(vaddr, &paddr) || !access(paddr, done, chunk)) break;
    done += chunk;
  }
  return done;
}

std::size_t MachineDebugger::read_memory(unsigned cpu, uint64_t addr, uint8_t* buf,
                                         std::size_t len) {
  return access_memory(cpu, addr, len, [&](uint64_t paddr, std::size_t offset, std::size_t n) {
    return memory_.read_buffer(paddr, buf + offset, n) == MemTxResult::kOk;
  });
}

bool MachineDebugger::write_memory(unsigned cpu, uint64_t addr, const uint8_t* buf,
                                   std::size_t len) {
  auto write = [&](uint64_t paddr, std::size_t offset, std::size_t n) {
    // As QEMU's debugger writes, ROM is written too (a patch in firmware).
    if (memory_.write_rom_buffer(paddr, buf + offset, n) != MemTxResult::kOk) return false;
    for (auto& v : runner_.vcpus()) v->debugger_wrote_memory(paddr, n);
    return true;
  };
  return access_memory(cpu, addr, len, write) == len;
}

GdbTarget::BreakpointResult MachineDebugger::insert_breakpoint(BreakpointType type, uint64_t addr,
                                                               uint64_t len) {
  auto& vcpus = runner_.vcpus();
  for (std::size_t i = 0; i < vcpus.size(); ++i) {
    if (vcpus[i]->insert_breakpoint(kind_of(type), addr, len)) continue;
    while (i-- > 0) vcpus[i]->remove_breakpoint(kind_of(type), addr, len);
    return is_watchpoint(type) ? BreakpointResult::kUnsupported : BreakpointResult::kFailed;
  }
  inserted_.push_back({type, addr, len});
  return BreakpointResult::kOk;
}

GdbTarget::BreakpointResult MachineDebugger::remove_breakpoint(BreakpointType type, uint64_t addr,
                                                               uint64_t len) {
  auto it = std::find_if(inserted_.begin(), inserted_.end(), [&](const Inserted& b) {
    return b.type == type && b.addr == addr && b.len == len;
  });
  if (it == inserted_.end()) return BreakpointResult::kFailed;
  inserted_.erase(it);
  // In the reverse order of insertion: KVM's software breakpoints patch
  // memory, and each vCPU restores the byte it found (the next one found
  // the int3 the previous one wrote).
  auto& vcpus = runner_.vcpus();
  for (std::size_t i = vcpus.size(); i-- > 0;)
    vcpus[i]->remove_breakpoint(kind_of(type), addr, len);
  return BreakpointResult::kOk;
}

void MachineDebugger::remove_all_breakpoints() {
  while (!inserted_.empty()) {
    const Inserted b = inserted_.back();
    remove_breakpoint(b.type, b.addr, b.len);
  }
  for (auto& v : runner_.vcpus()) v->set_single_step(false);
}

std::string MachineDebugger::monitor_command(const std::string& line) {
  return machine_.monitor(line);
}

void MachineDebugger::kill() {
  machine_.quit();
}

GdbStop MachineDebugger::describe_stop(Vcpu& v) const {
  GdbStop stop;
  stop.cpu = static_cast<unsigned>(v.index());
  uint64_t addr = 0;
  if (!v.stopped_by_watchpoint(&addr)) return stop;
  // Which kind of watchpoint it was, from the ones gdb inserted there.
  for (const Inserted& b : inserted_) {
    if (!is_watchpoint(b.type) || addr < b.addr || addr >= b.addr + std::max<uint64_t>(b.len, 1))
      continue;
    stop.watch_kind = b.type == BreakpointType::kWatchWrite  ? "watch"
                      : b.type == BreakpointType::kWatchRead ? "rwatch"
                                                             : "awatch";
    stop.watch_addr = b.addr;
    break;
  }
  return stop;
}

}  // namespace vx86
