// A vCPU run by KVM: its file descriptor, the shared kvm_run area, the
// KVM_RUN loop that sends port I/O and MMIO exits into the machine's address
// spaces, interrupt injection from vx86's own interrupt controllers, and the
// state synchronisation with CpuState (kvm_state_sync.h).
//
// With KVM's in-kernel local APIC (kernel-irqchip=split or on) the bus has no
// local_apic: KVM handles the APIC page and MSRs, HLT (the vCPU sleeps
// inside KVM_RUN until an interrupt, so run() returns only when kicked, for
// a debug event or a reset), INIT and start-up IPIs; bus.interrupts, if
// set, is the 8259 whose ExtINT the vCPU injects when KVM's LAPIC takes it.
//
// state() holds what KVM had when run() last returned (run() reads the state
// back on every return), so the monitor and the gdbstub see the current
// registers; whoever changes it calls sync_to_accel() before the next run().
#pragma once

#include <linux/kvm.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "accel/accel.h"
#include "target-x86/cpu_state.h"

namespace vx86 {

class KvmAccelerator;

class KvmVcpu : public Vcpu {
 public:
  KvmVcpu(KvmAccelerator& accel, int index, const CpuBus& bus);
  ~KvmVcpu() override;
  KvmVcpu(const KvmVcpu&) = delete;
  KvmVcpu& operator=(const KvmVcpu&) = delete;

  int index() const override { return index_; }
  CpuState& state() override { return state_; }
  void sync_from_accel() override;
  void sync_to_accel() override;
  VcpuExit run() override;
  void kick() override;
  void reset() override;
  void interrupt_changed() override;
  bool insert_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) override;
  bool remove_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) override;
  void set_single_step(bool enabled) override;
  bool stopped_by_watchpoint(uint64_t* addr) const override;
  bool debug_translate(uint64_t vaddr, uint64_t* paddr) override { return translate(vaddr, paddr); }
  bool kernel_local_apic(std::array<uint32_t, 64>* regs) override;

  // The TSC frequency KVM gives this vCPU, in kHz (0 if unknown).
  uint32_t tsc_khz() const { return tsc_khz_; }
  // The in-kernel local APIC's registers (kernel-irqchip=split or on).
  kvm_lapic_state get_lapic();
  void set_lapic(const kvm_lapic_state& state);
  // KVM_MP_STATE_* (RUNNABLE, HALTED, UNINITIALIZED, ...).
  uint32_t mp_state();
  void set_mp_state(uint32_t state);
  // The debug exit that made run() return kDebug.
  const kvm_debug_exit_arch& last_debug_exit() const { return last_debug_; }

 private:
  // KVM_SET_TSC_KHZ; throws AccelError where KVM cannot.
  void set_tsc_rate(uint32_t khz);
  // The architectural state after RESET or INIT (neither touches the TSC here).
  void reset_as(bool bsp);
  // Power-on state of the in-kernel LAPIC, and the AP's wait for INIT/SIPI.
  void reset_kernel_lapic(bool bsp);
  void set_cpuid();
  void probe_msrs();
  // Guest virtual -> physical through the vCPU's page tables; false if unmapped.
  bool translate(uint64_t vaddr, uint64_t* paddr);
  void handle_port_io();
  void handle_mmio();
  void handle_apic_msr();
  // Injects what the interrupt controller has, or asks KVM for an exit
  // when the guest can take it.
  void inject_interrupts();
  bool can_wake_from_halt();
  // INIT and start-up IPIs from the local APIC (user-space APIC model).
  void take_init_and_sipi();
  void update_guest_debug();
  // The last debug exit was one of hw_breakpoints_' instruction breakpoints.
  bool stopped_by_instruction_breakpoint() const;
  void clear_kick();
  [[noreturn]] void fail(const char* what);
  VcpuExit leave(VcpuExit exit);

  KvmAccelerator& accel_;
  int index_;
  CpuBus bus_;
  int fd_ = -1;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
  CpuState state_{};
  std::vector<uint8_t> xsave_area_;  // last KVM_GET_XSAVE: keeps state vx86 does not model
  std::vector<uint32_t> msrs_;       // synced MSRs this KVM accepts
  uint32_t tsc_khz_ = 0;
  uint64_t cr8_given_ = 0;

  // The in-kernel LAPIC's registers at the last exit to vx86 (for the monitor).
  std::mutex lapic_snapshot_mutex_;
  std::array<uint32_t, 64> lapic_snapshot_{};
  void save_lapic_snapshot(const kvm_lapic_state& s);

  std::atomic<bool> kick_requested_{false};
  std::atomic<pthread_t> thread_{};
  std::atomic<bool> thread_known_{false};
  bool halted_ = false;
  const bool kernel_lapic_;        // kernel-irqchip=split or on
  bool stopped_ = false;           // triple fault or a KVM error: wait for a reset
  bool waiting_for_sipi_ = false;  // an application processor after reset or INIT

  // Guest debugging.
  bool resume_past_breakpoint_ = false;    // stopped at an instruction breakpoint
  bool stepping_over_breakpoint_ = false;  // its instruction runs alone, breakpoints off
  bool single_step_ = false;
  struct SoftwareBreakpoint {
    uint64_t paddr;
    uint8_t saved;
  };
  std::map<uint64_t, SoftwareBreakpoint> sw_breakpoints_;  // by guest virtual address
  struct HardwareBreakpoint {
    uint64_t addr;
    uint64_t len;
    BreakpointKind kind;
  };
  std::vector<HardwareBreakpoint> hw_breakpoints_;
  kvm_debug_exit_arch last_debug_{};
};

}  // namespace vx86
