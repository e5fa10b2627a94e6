// The accelerator interface: how a machine runs its vCPUs, whatever runs them
// (the TCG translator or KVM). The gdbstub and the monitor use it too and
// never know which accelerator is behind it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/options.h"
#include "target-x86/cpuid.h"

namespace vx86 {

struct CpuState;
class AddressSpace;
class CpuInterruptSource;
class CpuLocalApic;
class SystemControl;
class Clocks;
class IrqLine;

// What the machine gives each vCPU: memory, ports, its interrupt controller
// and the life-cycle requests (triple fault resets the machine).
struct CpuBus {
  AddressSpace* memory = nullptr;
  AddressSpace* io = nullptr;
  CpuInterruptSource* interrupts = nullptr;
  // This vCPU's local APIC, when the machine has APICs (it is then also
  // the interrupt source: it passes the PIC's ExtINT through).
  CpuLocalApic* local_apic = nullptr;
  x86::CpuTopology topology;  // the machine's vCPUs (-smp; CPUID reports it)
  SystemControl* control = nullptr;
  Clocks* clocks = nullptr;  // the virtual clock the TSC follows
  // FERR# (driven by the CPU) and IGNNE# (read by it), when the machine
  // reports x87 errors with CR0.NE=0 through an interrupt (the PC's IRQ 13);
  // without them such an error is #MF. KVM leaves them to the hardware.
  IrqLine* ferr = nullptr;
  const IrqLine* ignne = nullptr;
};

// A user-facing reason an accelerator cannot start (no /dev/kvm, no translator).
class AccelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class BreakpointKind { kSoftware, kHardware, kWatchWrite, kWatchRead, kWatchAccess };

enum class VcpuExit {
  kKicked,    // kick() was called: the machine wants control
  kHalted,    // HLT with no interrupt pending
  kDebug,     // breakpoint, watchpoint or single-step completed
  kShutdown,  // the CPU asked for reset or shutdown through SystemControl
};

class Vcpu {
 public:
  virtual ~Vcpu() = default;
  virtual int index() const = 0;
  // The architectural state. Valid after sync_from_accel(); write it back
  // with sync_to_accel() before run().
  virtual CpuState& state() = 0;
  virtual void sync_from_accel() = 0;
  virtual void sync_to_accel() = 0;
  // Runs guest code until one of the VcpuExit events.
  virtual VcpuExit run() = 0;
  // From any thread: make run() return kKicked soon.
  virtual void kick() = 0;
  // Power-on (reset) state; for the bootstrap processor or an INIT'd AP.
  virtual void reset() = 0;
  // Tells the vCPU its interrupt controller's output changed (wakes HLT).
  virtual void interrupt_changed() = 0;
  virtual bool insert_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) = 0;
  virtual bool remove_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) = 0;
  virtual void set_single_step(bool enabled) = 0;
  // After a kDebug exit: true, with the watched address, when a watchpoint
  // (not a breakpoint or a step) made it.
  virtual bool stopped_by_watchpoint(uint64_t* addr) const {
    (void)addr;
    return false;
  }
  // For a debugger, while the vCPU is not running: the guest-physical
  // address of virtual address vaddr through this vCPU's page tables (no
  // fault is raised); false when it is not mapped.
  virtual bool debug_translate(uint64_t vaddr, uint64_t* paddr) = 0;
  // A debugger wrote guest memory at paddr: an accelerator that keeps
  // translations of guest code drops those of it.
  virtual void debugger_wrote_memory(uint64_t paddr, uint64_t len) {
    (void)paddr;
    (void)len;
  }
  // An accelerator that keeps the local APIC itself (KVM's in-kernel one)
  // fills regs with its xAPIC register page, one 32-bit register per 16
  // bytes, as of the vCPU's last exit to vx86 (as state()), and returns
  // true; false means the machine's LAPIC model is this vCPU's.
  virtual bool kernel_local_apic(std::array<uint32_t, 64>* regs) {
    (void)regs;
    return false;
  }
};

class Accelerator {
 public:
  virtual ~Accelerator() = default;
  virtual std::string name() const = 0;
  // Checks the host and the options; throws AccelError with the reason.
  virtual void init(const KeyValues* opts) = 0;
  virtual std::unique_ptr<Vcpu> create_vcpu(int index, const CpuBus& bus) = 0;
  // Whether each vCPU gets its own thread (KVM) rather than sharing one (TCG).
  virtual bool thread_per_vcpu() const { return false; }
};

struct AccelInfo {
  const char* name;
  const char* help;
};
const std::vector<AccelInfo>& accelerator_list();

// "tcg" or "kvm". Throws AccelError for an unknown name.
std::unique_ptr<Accelerator> create_accelerator(const std::string& name);

}  // namespace vx86
