#include "accel/kvm_vcpu.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <utility>

#include "accel/kvm_abi.h"
#include "accel/kvm_accel.h"
#include "accel/kvm_cpuid.h"
#include "accel/kvm_state_sync.h"
#include "core/device_lock.h"
#include "core/irq.h"
#include "core/log.h"
#include "core/memory.h"
#include "core/system_control.h"

namespace vx86 {

namespace {

// The signal that kicks a vCPU thread out of KVM_RUN (as QEMU's SIG_IPI).
constexpr int kKickSignal = SIGUSR1;
constexpr uint32_t kResetSignature = 0x00000663;
constexpr uint32_t kMsrTsc = 0x10;
constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint32_t kMsrTscDeadline = 0x6e0;
constexpr uint8_t kInt3 = 0xcc;
constexpr uint32_t kDr7GlobalEnable = 0x2;  // G0; Gn is bit 2n+1

// xAPIC register offsets in kvm_lapic_state (the APIC page's layout).
constexpr uint32_t kApicId = 0x20, kApicTpr = 0x80, kApicLdr = 0xd0, kApicDfr = 0xe0,
                   kApicSvr = 0xf0, kApicIsr = 0x100, kApicEsr = 0x280, kApicLvtCmci = 0x2f0,
                   kApicIcrHigh = 0x310, kApicLvtTimer = 0x320, kApicLvtLint0 = 0x350,
                   kApicLvtError = 0x370, kApicTimerInitial = 0x380, kApicTimerDivide = 0x3e0;
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtExtInt = 7u << 8;

void put_apic_register(kvm_lapic_state& s, uint32_t offset, uint32_t value) {
  std::memcpy(s.regs + offset, &value, sizeof(value));
}

void install_kick_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = [](int) {};  // only interrupts KVM_RUN
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    sigaction(kKickSignal, &sa, nullptr);
  });
}

// An MSR list for KVM_GET_MSRS/KVM_SET_MSRS in the C layout (kvm_abi.h).
class MsrList {
 public:
  explicit MsrList(size_t capacity)
      : buf_((sizeof(kvm::MsrsHeader) + capacity * sizeof(kvm_msr_entry)) / 8) {}
  kvm::MsrsHeader* header() { return reinterpret_cast<kvm::MsrsHeader*>(buf_.data()); }
  kvm_msr_entry* entries() { return reinterpret_cast<kvm_msr_entry*>(header() + 1); }
  void add(uint32_t index, uint64_t data) {
    kvm_msr_entry& e = entries()[header()->nmsrs++];
    e = kvm_msr_entry{};
    e.index = index;
    e.data = data;
  }

 private:
  std::vector<uint64_t> buf_;
};

// KVM_GET_MSRS/KVM_SET_MSRS on one MSR; returns the ioctl's count (1 = done).
int one_msr(int fd, unsigned long request, uint32_t index, uint64_t* data) {
  MsrList list(1);
  list.add(index, *data);
  int r = ioctl(fd, request, list.header());
  *data = list.entries()[0].data;
  return r;
}

template <typename T>
T* area_at(kvm_run* run, uint64_t offset) {
  return reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(run) + offset);
}

}  // namespace

KvmVcpu::KvmVcpu(KvmAccelerator& accel, int index, const CpuBus& bus)
    : accel_(accel),
      index_(index),
      bus_(bus),
      kernel_lapic_(accel.irqchip() != KernelIrqchip::kOff) {
  install_kick_handler();
  fd_ = ioctl(accel.vm_fd(), KVM_CREATE_VCPU, static_cast<unsigned long>(index));
  if (fd_ < 0) fail("KVM_CREATE_VCPU");
  run_size_ = accel.run_area_size();
  void* area = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (area == MAP_FAILED) fail("mmap of the kvm_run area");
  run_ = static_cast<kvm_run*>(area);
  int khz = ioctl(fd_, KVM_GET_TSC_KHZ, 0);
  tsc_khz_ = khz > 0 ? static_cast<uint32_t>(khz) : 0;
  if (const uint32_t want = accel.requested_tsc_khz(); want && want != tsc_khz_) {
    try {
      set_tsc_rate(want);
    } catch (...) {
      munmap(run_, run_size_);
      close(fd_);
      throw;
    }
  }
  if (bus_.local_apic && accel.apic_msrs_in_user_space() && tsc_khz_) {
    // vx86's LAPIC turns TSC deadlines into time at KVM's TSC rate.
    DeviceLockGuard lock;
    bus_.local_apic->set_tsc_hz(uint64_t{tsc_khz_} * 1000);
  }
  set_cpuid();
  probe_msrs();
  if (accel.has_xsave()) xsave_area_.assign(sizeof(kvm::XsaveArea), 0);
  reset();
}

KvmVcpu::~KvmVcpu() {
  if (run_) munmap(run_, run_size_);
  if (fd_ >= 0) close(fd_);
}

void KvmVcpu::fail(const char* what) {
  throw AccelError(std::string("kvm: vCPU ") + std::to_string(index_) + ": " + what +
                   " failed: " + std::strerror(errno));
}

void KvmVcpu::set_tsc_rate(uint32_t khz) {
  const std::string what = "-cpu tsc-frequency=" + std::to_string(uint64_t{khz} * 1000) + ": ";
  if (accel_.check_extension(KVM_CAP_TSC_CONTROL) <= 0) {
    throw AccelError(what +
                     "this KVM cannot change the TSC rate (no KVM_CAP_TSC_CONTROL); the "
                     "host's TSC runs at " +
                     std::to_string(uint64_t{tsc_khz_} * 1000) + " Hz");
  }
  if (ioctl(fd_, KVM_SET_TSC_KHZ, static_cast<unsigned long>(khz)) < 0) {
    throw AccelError(what + "KVM refused the rate: " + std::strerror(errno));
  }
  tsc_khz_ = khz;
}

void KvmVcpu::set_cpuid() {
  kvm::CpuidOptions options;
  options.model = accel_.cpu_model();
  options.apic_id = static_cast<unsigned>(index_);
  options.topology = bus_.topology;
  options.in_kernel_lapic = kernel_lapic_;
  options.user_space_apic_msrs = accel_.apic_msrs_in_user_space() && bus_.local_apic;
  options.user_space_tsc_deadline = options.user_space_apic_msrs && tsc_khz_ != 0;
  options.tsc_khz = tsc_khz_;
  std::vector<kvm_cpuid_entry2> entries = kvm::filter_cpuid(accel_.supported_cpuid(), options);
  std::vector<uint64_t> buf(
      (sizeof(kvm::Cpuid2Header) + entries.size() * sizeof(kvm_cpuid_entry2)) / 8);
  auto* cpuid = reinterpret_cast<kvm::Cpuid2Header*>(buf.data());
  cpuid->nent = static_cast<uint32_t>(entries.size());
  std::memcpy(cpuid + 1, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
  if (ioctl(fd_, kvm::kSetCpuid2, cpuid) < 0) fail("KVM_SET_CPUID2");
}

void KvmVcpu::probe_msrs() {
  unsigned count = 0;
  const kvm::MsrBinding* wanted = kvm::synced_msrs(&count);
  for (unsigned i = 0; i < count; ++i) {
    uint64_t value = 0;
    if (one_msr(fd_, kvm::kGetMsrs, wanted[i].index, &value) == 1) msrs_.push_back(wanted[i].index);
  }
}

void KvmVcpu::sync_from_accel() {
  kvm_regs regs{};
  if (ioctl(fd_, KVM_GET_REGS, &regs) < 0) fail("KVM_GET_REGS");
  kvm::regs_from_kvm(regs, &state_);
  kvm_sregs sregs{};
  if (ioctl(fd_, KVM_GET_SREGS, &sregs) < 0) fail("KVM_GET_SREGS");
  kvm::sregs_from_kvm(sregs, &state_);
  if (accel_.has_xsave()) {
    auto* xsave = reinterpret_cast<kvm_xsave*>(xsave_area_.data());
    if (ioctl(fd_, kvm::kGetXsave, xsave) < 0) fail("KVM_GET_XSAVE");
    kvm::fpu_from_xsave(*xsave, &state_);
  } else {
    kvm_fpu fpu{};
    if (ioctl(fd_, KVM_GET_FPU, &fpu) < 0) fail("KVM_GET_FPU");
    kvm::fpu_from_kvm(fpu, &state_);
  }
  if (accel_.has_xcrs()) {
    kvm_xcrs xcrs{};
    if (ioctl(fd_, KVM_GET_XCRS, &xcrs) < 0) fail("KVM_GET_XCRS");
    for (uint32_t i = 0; i < xcrs.nr_xcrs; ++i) {
      if (xcrs.xcrs[i].xcr == 0) state_.xcr0 = xcrs.xcrs[i].value;
    }
  }
  if (accel_.has_debugregs()) {
    kvm_debugregs dregs{};
    if (ioctl(fd_, KVM_GET_DEBUGREGS, &dregs) < 0) fail("KVM_GET_DEBUGREGS");
    for (int i = 0; i < 4; ++i) state_.dr[i] = dregs.db[i];
    state_.dr[6] = dregs.dr6;
    state_.dr[7] = dregs.dr7;
  }
  if (!msrs_.empty()) {
    MsrList list(msrs_.size());
    for (uint32_t index : msrs_) list.add(index, 0);
    if (ioctl(fd_, kvm::kGetMsrs, list.header()) < 0) fail("KVM_GET_MSRS");
    unsigned count = 0;
    const kvm::MsrBinding* bindings = kvm::synced_msrs(&count);
    for (uint32_t i = 0; i < list.header()->nmsrs; ++i) {
      for (unsigned b = 0; b < count; ++b) {
        if (bindings[b].index == list.entries()[i].index) {
          state_.*bindings[b].field = list.entries()[i].data;
        }
      }
    }
  }
  uint32_t shadow = 0;
  if (accel_.has_vcpu_events()) {
    kvm_vcpu_events events{};
    if (ioctl(fd_, KVM_GET_VCPU_EVENTS, &events) < 0) fail("KVM_GET_VCPU_EVENTS");
    shadow = events.interrupt.shadow;
  }
  update_hflags(state_);
  if (shadow) state_.hflags |= kHfInhibitIrq;
  if (kernel_lapic_) {
    uint32_t mp = mp_state();
    state_.halted = mp != KVM_MP_STATE_RUNNABLE ? 1 : 0;
  } else {
    state_.halted = halted_ ? 1 : 0;
  }
}

void KvmVcpu::sync_to_accel() {
  kvm_regs regs{};
  kvm::regs_to_kvm(state_, &regs);
  if (ioctl(fd_, KVM_SET_REGS, &regs) < 0) fail("KVM_SET_REGS");
  kvm_sregs sregs{};
  kvm::sregs_to_kvm(state_, &sregs);
  if (ioctl(fd_, KVM_SET_SREGS, &sregs) < 0) fail("KVM_SET_SREGS");
  if (accel_.has_xsave()) {
    auto* xsave = reinterpret_cast<kvm_xsave*>(xsave_area_.data());
    kvm::fpu_to_xsave(state_, xsave);
    if (ioctl(fd_, kvm::kSetXsave, xsave) < 0) fail("KVM_SET_XSAVE");
  } else {
    kvm_fpu fpu{};
    kvm::fpu_to_kvm(state_, &fpu);
    if (ioctl(fd_, KVM_SET_FPU, &fpu) < 0) fail("KVM_SET_FPU");
  }
  // XCR0 must always have x87; a state from before any XSETBV has 1 there.
  if (accel_.has_xcrs() && (state_.xcr0 & 1)) {
    kvm_xcrs xcrs{};
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = state_.xcr0;
    if (ioctl(fd_, KVM_SET_XCRS, &xcrs) < 0) fail("KVM_SET_XCRS");
  }
  if (accel_.has_debugregs()) {
    kvm_debugregs dregs{};
    for (int i = 0; i < 4; ++i) dregs.db[i] = state_.dr[i];
    dregs.dr6 = state_.dr[6];
    dregs.dr7 = state_.dr[7];
    if (ioctl(fd_, KVM_SET_DEBUGREGS, &dregs) < 0) fail("KVM_SET_DEBUGREGS");
  }
  if (!msrs_.empty()) {
    MsrList list(msrs_.size());
    unsigned count = 0;
    const kvm::MsrBinding* bindings = kvm::synced_msrs(&count);
    for (uint32_t index : msrs_) {
      for (unsigned b = 0; b < count; ++b) {
        if (bindings[b].index == index) list.add(index, state_.*bindings[b].field);
      }
    }
    // KVM_SET_MSRS returns how many it took; a refused value stops there.
    int taken = ioctl(fd_, kvm::kSetMsrs, list.header());
    if (taken < 0) fail("KVM_SET_MSRS");
    if (static_cast<uint32_t>(taken) != list.header()->nmsrs) {
      VX86_LOG(kLogGuestErrors, "kvm: MSR 0x%x refused\n", list.entries()[taken].index);
    }
  }
  if (accel_.has_vcpu_events()) {
    kvm_vcpu_events events{};
    if (ioctl(fd_, KVM_GET_VCPU_EVENTS, &events) < 0) fail("KVM_GET_VCPU_EVENTS");
    events.interrupt.shadow = (state_.hflags & kHfInhibitIrq) ? 1 : 0;
    events.flags = KVM_VCPUEVENT_VALID_SHADOW;
    if (ioctl(fd_, KVM_SET_VCPU_EVENTS, &events) < 0) fail("KVM_SET_VCPU_EVENTS");
  }
  // With KVM's LAPIC the halt state lives in KVM (KVM_MP_STATE); an AP
  // waiting for INIT/SIPI stays so unless state.halted is cleared.
  if (kernel_lapic_ && (mp_state() != KVM_MP_STATE_RUNNABLE) != (state_.halted != 0)) {
    set_mp_state(state_.halted ? KVM_MP_STATE_HALTED : KVM_MP_STATE_RUNNABLE);
  }
  halted_ = !kernel_lapic_ && state_.halted != 0;
  stopped_ = false;
}

kvm_lapic_state KvmVcpu::get_lapic() {
  kvm_lapic_state s{};
  if (ioctl(fd_, KVM_GET_LAPIC, &s) < 0) fail("KVM_GET_LAPIC");
  return s;
}

void KvmVcpu::set_lapic(const kvm_lapic_state& state) {
  if (ioctl(fd_, KVM_SET_LAPIC, &state) < 0) fail("KVM_SET_LAPIC");
}

uint32_t KvmVcpu::mp_state() {
  kvm_mp_state mp{};
  if (ioctl(fd_, KVM_GET_MP_STATE, &mp) < 0) fail("KVM_GET_MP_STATE");
  return mp.mp_state;
}

void KvmVcpu::set_mp_state(uint32_t state) {
  kvm_mp_state mp{state};
  if (ioctl(fd_, KVM_SET_MP_STATE, &mp) < 0) fail("KVM_SET_MP_STATE");
}

void KvmVcpu::reset_kernel_lapic(bool bsp) {
  // IA32_APIC_BASE (enabled, BSP flag) came with the segment registers.
  kvm_lapic_state s = get_lapic();
  for (uint32_t offset = kApicIsr; offset <= kApicIcrHigh; offset += 0x10) {
    put_apic_register(s, offset, 0);  // ISR, TMR, IRR, ESR, ICR
  }
  put_apic_register(s, kApicId, static_cast<uint32_t>(index_) << 24);
  put_apic_register(s, kApicTpr, 0);
  put_apic_register(s, kApicLdr, 0);
  put_apic_register(s, kApicDfr, 0xffffffff);
  put_apic_register(s, kApicSvr, 0xff);  // software-disabled
  put_apic_register(s, kApicEsr, 0);
  put_apic_register(s, kApicLvtCmci, kLvtMasked);
  for (uint32_t offset = kApicLvtTimer; offset <= kApicLvtError; offset += 0x10) {
    put_apic_register(s, offset, kLvtMasked);
  }
  // As QEMU: the BSP's LINT0 starts in virtual-wire mode (ExtINT), what the
  // BIOS would set, so the 8259 reaches CPU 0 before the guest sets up APICs.
  if (bsp) put_apic_register(s, kApicLvtLint0, kLvtExtInt);
  for (uint32_t offset = kApicTimerInitial; offset <= kApicTimerDivide; offset += 0x10) {
    put_apic_register(s, offset, 0);
  }
  set_lapic(s);
  save_lapic_snapshot(s);
  // An application processor sleeps in KVM until INIT and a start-up IPI.
  set_mp_state(bsp ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED);
}

void KvmVcpu::reset() {
  // The machine resets every vCPU; KVM's 8259s and IOAPIC go with the BSP.
  if (index_ == 0 && accel_.in_kernel_irqchip()) accel_.in_kernel_irqchip()->reset();
  reset_as(index_ == 0);
  // A machine reset starts the TSC from 0 (KVM keeps the vCPUs' TSCs in step
  // when they are all written 0 at once); INIT leaves it alone.
  uint64_t tsc = 0;
  one_msr(fd_, kvm::kSetMsrs, kMsrTsc, &tsc);
}

void KvmVcpu::reset_as(bool bsp) {
  state_ = CpuState{};
  cpu_reset(state_, kResetSignature, bsp);
  sync_to_accel();  // an application processor comes out halted
  if (kernel_lapic_) reset_kernel_lapic(bsp);
  waiting_for_sipi_ = !bsp && !kernel_lapic_;
}

void KvmVcpu::kick() {
  kick_requested_.store(true);
  // Makes a KVM_RUN that has not started yet return at once...
  __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST);
  // ...and one already in guest code return with EINTR.
  if (thread_known_.load()) pthread_kill(thread_.load(), kKickSignal);
}

void KvmVcpu::interrupt_changed() {
  // Called with the device lock held: the run loop re-checks the interrupt
  // controller before entering the guest again.
  __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST);
  if (thread_known_.load()) pthread_kill(thread_.load(), kKickSignal);
}

void KvmVcpu::clear_kick() {
  __atomic_store_n(&run_->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

void KvmVcpu::take_init_and_sipi() {
  CpuLocalApic* apic = bus_.local_apic;
  if (!apic) return;
  bool init = false, sipi = false, bsp = false;
  uint8_t vector = 0;
  {
    DeviceLockGuard lock;
    if (apic->init_pending()) {
      apic->acknowledge_init();
      uint64_t base = 0;
      apic->cpu_read_msr(kMsrApicBase, &base);
      bsp = base & kApicBaseBsp;
      init = true;
    }
    if (apic->sipi_pending()) {
      vector = apic->acknowledge_sipi();
      sipi = true;
    }
  }
  if (init) {
    VX86_LOG(kLogInt, "kvm: vCPU %d: INIT\n", index_);
    reset_as(bsp);
  }
  if (sipi && waiting_for_sipi_) {
    // Real mode at vector * 4 KiB.
    VX86_LOG(kLogInt, "kvm: vCPU %d: start-up IPI, vector 0x%02x\n", index_, vector);
    state_.segs[kSegCS].selector = static_cast<uint16_t>(vector << 8);
    state_.segs[kSegCS].base = static_cast<uint64_t>(vector) << 12;
    state_.rip = 0;
    state_.halted = 0;
    sync_to_accel();
    waiting_for_sipi_ = false;
  }
}

bool KvmVcpu::can_wake_from_halt() {
  if (waiting_for_sipi_ || !bus_.interrupts) return false;
  DeviceLockGuard lock;
  if (bus_.local_apic && bus_.local_apic->nmi_pending()) return true;
  return run_->if_flag && bus_.interrupts->interrupt_pending();
}

void KvmVcpu::inject_interrupts() {
  if (!bus_.interrupts) return;
  // A debugger's step runs the next instruction, not an interrupt handler
  // (KVM_GUESTDBG_BLOCKIRQ does this for KVM's own LAPIC), unless the CPU
  // waits in HLT.
  if ((single_step_ || stepping_over_breakpoint_) && !halted_) {
    run_->request_interrupt_window = 0;
    return;
  }
  DeviceLockGuard lock;
  CpuLocalApic* apic = bus_.local_apic;
  if (apic) {
    if (apic->nmi_pending()) {
      apic->acknowledge_nmi();
      if (ioctl(fd_, KVM_NMI) < 0) fail("KVM_NMI");
    }
    cr8_given_ = apic->read_cr8();
    run_->cr8 = cr8_given_;
  }
  bool pending = bus_.interrupts->interrupt_pending();
  if (pending && run_->ready_for_interrupt_injection && run_->if_flag) {
    int vector = bus_.interrupts->acknowledge_interrupt();
    if (vector >= 0) {
      kvm_interrupt irq{static_cast<uint32_t>(vector)};
      if (ioctl(fd_, KVM_INTERRUPT, &irq) < 0) fail("KVM_INTERRUPT");
    }
    pending = bus_.interrupts->interrupt_pending();
  }
  // KVM exits with KVM_EXIT_IRQ_WINDOW_OPEN once the guest can take one.
  run_->request_interrupt_window = pending ? 1 : 0;
}

void KvmVcpu::handle_port_io() {
  const auto& io = run_->io;
  uint8_t* data = area_at<uint8_t>(run_, io.data_offset);
  for (uint32_t i = 0; i < io.count; ++i, data += io.size) {
    if (io.direction == KVM_EXIT_IO_OUT) {
      uint64_t value = 0;
      std::memcpy(&value, data, io.size);
      bus_.io->write(io.port, value, io.size);
    } else {
      uint64_t value = bus_.io->read(io.port, io.size);
      std::memcpy(data, &value, io.size);
    }
  }
}

void KvmVcpu::handle_apic_msr() {
  // IA32_APIC_BASE (filtered) and every access KVM failed come here
  // (kvm_accel.cpp); vx86's LAPIC takes its own, the rest are the #GP KVM
  // would have raised (KVM raises it when error is set).
  auto& msr = run_->msr;
  const bool write = run_->exit_reason == KVM_EXIT_X86_WRMSR;
  const bool apic_msr = msr.index == kMsrApicBase || msr.index == kMsrTscDeadline ||
                        (msr.index >= 0x800 && msr.index <= 0x8ff);
  // A deadline is a TSC value: the LAPIC needs the guest's TSC of now.
  uint64_t tsc = 0;
  if (write && msr.index == kMsrTscDeadline) one_msr(fd_, kvm::kGetMsrs, kMsrTsc, &tsc);
  CpuLocalApic::MsrAccess result = CpuLocalApic::MsrAccess::kNotMine;
  if (CpuLocalApic* apic = bus_.local_apic; apic && apic_msr) {
    DeviceLockGuard lock;
    uint64_t value = msr.data;
    result =
        write ? apic->cpu_write_msr(msr.index, value, tsc) : apic->cpu_read_msr(msr.index, &value);
    msr.data = value;
  }
  msr.error = result == CpuLocalApic::MsrAccess::kDone ? 0 : 1;
  if (msr.error) {
    VX86_LOG(kLogGuestErrors, "kvm: vCPU %d: %s of MSR 0x%x -> #GP\n", index_,
             write ? "wrmsr" : "rdmsr", msr.index);
  }
}

void KvmVcpu::handle_mmio() {
  auto& mmio = run_->mmio;
  const unsigned len = mmio.len;
  const bool scalar = len == 1 || len == 2 || len == 4 || len == 8;
  if (mmio.is_write) {
    if (scalar) {
      uint64_t value = 0;
      std::memcpy(&value, mmio.data, len);
      bus_.memory->write(mmio.phys_addr, value, len);
    } else {
      bus_.memory->write_buffer(mmio.phys_addr, mmio.data, len);
    }
  } else if (scalar) {
    uint64_t value = bus_.memory->read(mmio.phys_addr, len);
    std::memcpy(mmio.data, &value, len);
  } else {
    bus_.memory->read_buffer(mmio.phys_addr, mmio.data, len);
  }
}

VcpuExit KvmVcpu::leave(VcpuExit exit) {
  sync_from_accel();
  if (kernel_lapic_) save_lapic_snapshot(get_lapic());
  return exit;
}

void KvmVcpu::save_lapic_snapshot(const kvm_lapic_state& s) {
  std::lock_guard lock(lapic_snapshot_mutex_);
  for (uint32_t i = 0; i < lapic_snapshot_.size(); ++i)
    std::memcpy(&lapic_snapshot_[i], s.regs + 16 * i, sizeof(uint32_t));
}

bool KvmVcpu::kernel_local_apic(std::array<uint32_t, 64>* regs) {
  if (!kernel_lapic_) return false;
  std::lock_guard lock(lapic_snapshot_mutex_);
  *regs = lapic_snapshot_;  // as of the last exit, or the reset
  return true;
}

VcpuExit KvmVcpu::run() {
  thread_.store(pthread_self());
  thread_known_.store(true);
  if (stopped_) return VcpuExit::kHalted;
  take_init_and_sipi();
  if (halted_) {
    if (!can_wake_from_halt()) return VcpuExit::kHalted;
    halted_ = false;
  }
  if (std::exchange(resume_past_breakpoint_, false)) {
    // Stopped at a hardware instruction breakpoint and resumed there: step
    // that instruction with the breakpoints off, then put them back (as TCG
    // resumes; EFLAGS.RF would do it on hardware, but not on every host).
    kvm_regs regs{};
    if (ioctl(fd_, KVM_GET_REGS, &regs) < 0) fail("KVM_GET_REGS");
    stepping_over_breakpoint_ = regs.rip + state_.segs[kSegCS].base == last_debug_.pc;
    if (stepping_over_breakpoint_) update_guest_debug();
  }
  while (true) {
    if (kick_requested_.exchange(false)) {
      clear_kick();
      return leave(VcpuExit::kKicked);
    }
    inject_interrupts();
    int r = ioctl(fd_, KVM_RUN, 0);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        clear_kick();
        continue;  // a kick (checked above) or an interrupt to inject
      }
      std::fprintf(stderr, "vx86: kvm: KVM_RUN failed on vCPU %d: %s\n", index_,
                   std::strerror(errno));
      stopped_ = true;
      bus_.control->request_exit(1);
      return VcpuExit::kHalted;
    }
    if (bus_.local_apic && run_->cr8 != cr8_given_) {
      DeviceLockGuard lock;
      bus_.local_apic->write_cr8(run_->cr8);
    }
    switch (run_->exit_reason) {
      case KVM_EXIT_IO:
        handle_port_io();
        break;
      case KVM_EXIT_MMIO:
        handle_mmio();
        break;
      case KVM_EXIT_X86_RDMSR:
      case KVM_EXIT_X86_WRMSR:
        handle_apic_msr();
        break;
      case KVM_EXIT_IRQ_WINDOW_OPEN:
      case KVM_EXIT_INTR:
        break;
      case KVM_EXIT_IOAPIC_EOI:
        // KVM's LAPIC EOI'd a level-triggered vector of vx86's IOAPIC.
        if (kvm::SplitIrqchip* irqchip = accel_.split_irqchip()) {
          DeviceLockGuard lock;
          irqchip->ioapic_eoi(run_->eoi.vector);
        }
        break;
      case KVM_EXIT_HLT:
        // KVM has already moved RIP past the HLT.
        if (can_wake_from_halt()) break;
        halted_ = true;
        return leave(VcpuExit::kHalted);
      case KVM_EXIT_DEBUG:
        if (stepping_over_breakpoint_) {
          stepping_over_breakpoint_ = false;
          update_guest_debug();
          if (!single_step_) break;  // the breakpoint's instruction ran: go on
        }
        last_debug_ = run_->debug.arch;
        resume_past_breakpoint_ = stopped_by_instruction_breakpoint();
        return leave(VcpuExit::kDebug);
      case KVM_EXIT_SHUTDOWN:
        // A triple fault: the machine resets, as under TCG.
        VX86_LOG(kLogReset, "kvm: vCPU %d triple fault\n", index_);
        stopped_ = true;
        bus_.control->request_reset(ShutdownCause::kGuestReset);
        return leave(VcpuExit::kHalted);
      case KVM_EXIT_SYSTEM_EVENT:
        stopped_ = true;
        if (run_->system_event.type == KVM_SYSTEM_EVENT_RESET) {
          bus_.control->request_reset(ShutdownCause::kGuestReset);
        } else {
          bus_.control->request_shutdown(ShutdownCause::kGuestPowerOff);
        }
        return leave(VcpuExit::kHalted);
      case KVM_EXIT_FAIL_ENTRY:
        std::fprintf(stderr,
                     "vx86: kvm: vCPU %d: the host refused to enter the guest (hardware reason "
                     "0x%" PRIx64 ")\n",
                     index_, static_cast<uint64_t>(run_->fail_entry.hardware_entry_failure_reason));
        stopped_ = true;
        bus_.control->request_exit(1);
        return leave(VcpuExit::kHalted);
      case KVM_EXIT_INTERNAL_ERROR:
        std::fprintf(stderr, "vx86: kvm: vCPU %d: KVM internal error, suberror %u\n", index_,
                     run_->internal.suberror);
        stopped_ = true;
        bus_.control->request_exit(1);
        return leave(VcpuExit::kHalted);
      default:
        std::fprintf(stderr, "vx86: kvm: vCPU %d: unexpected exit reason %u\n", index_,
                     run_->exit_reason);
        stopped_ = true;
        bus_.control->request_exit(1);
        return leave(VcpuExit::kHalted);
    }
  }
}

bool KvmVcpu::translate(uint64_t vaddr, uint64_t* paddr) {
  kvm_translation t{};
  t.linear_address = vaddr;
  if (ioctl(fd_, KVM_TRANSLATE, &t) < 0 || !t.valid) return false;
  *paddr = t.physical_address;
  return true;
}

void KvmVcpu::update_guest_debug() {
  kvm_guest_debug dbg{};
  if (stepping_over_breakpoint_) {
    dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    if (accel_.has_guest_debug_block_irq()) dbg.control |= KVM_GUESTDBG_BLOCKIRQ;
    if (ioctl(fd_, KVM_SET_GUEST_DEBUG, &dbg) < 0) fail("KVM_SET_GUEST_DEBUG");
    return;
  }
  if (single_step_ || !sw_breakpoints_.empty() || !hw_breakpoints_.empty()) {
    dbg.control = KVM_GUESTDBG_ENABLE;
  }
  if (single_step_) dbg.control |= KVM_GUESTDBG_SINGLESTEP;
  // A step runs the next instruction, not an interrupt handler (QEMU does the same).
  if (single_step_ && accel_.has_guest_debug_block_irq()) dbg.control |= KVM_GUESTDBG_BLOCKIRQ;
  if (!sw_breakpoints_.empty()) dbg.control |= KVM_GUESTDBG_USE_SW_BP;
  if (!hw_breakpoints_.empty()) {
    dbg.control |= KVM_GUESTDBG_USE_HW_BP;
    uint64_t dr7 = 0;
    for (size_t i = 0; i < hw_breakpoints_.size(); ++i) {
      const HardwareBreakpoint& bp = hw_breakpoints_[i];
      dbg.arch.debugreg[i] = bp.addr;
      uint64_t rw = 0;  // execute
      if (bp.kind == BreakpointKind::kWatchWrite) rw = 1;
      if (bp.kind == BreakpointKind::kWatchRead || bp.kind == BreakpointKind::kWatchAccess) rw = 3;
      uint64_t len = bp.kind == BreakpointKind::kHardware ? 0 : bp.len == 8 ? 2 : (bp.len - 1) & 3;
      dr7 |= uint64_t{kDr7GlobalEnable} << (2 * i);
      dr7 |= (rw | (len << 2)) << (16 + 4 * i);
    }
    dbg.arch.debugreg[7] = dr7;
  }
  if (ioctl(fd_, KVM_SET_GUEST_DEBUG, &dbg) < 0) fail("KVM_SET_GUEST_DEBUG");
}

bool KvmVcpu::insert_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) {
  if (!accel_.has_guest_debug()) return false;
  if (kind == BreakpointKind::kSoftware) {
    if (sw_breakpoints_.count(addr)) return true;
    uint64_t paddr = 0;
    if (!translate(addr, &paddr)) return false;
    uint8_t saved = 0;
    if (bus_.memory->read_buffer(paddr, &saved, 1) != MemTxResult::kOk) return false;
    bus_.memory->write_rom_buffer(paddr, &kInt3, 1);  // firmware code is ROM
    sw_breakpoints_[addr] = SoftwareBreakpoint{paddr, saved};
  } else {
    if (hw_breakpoints_.size() >= 4) return false;
    if (kind != BreakpointKind::kHardware && len != 1 && len != 2 && len != 4 && len != 8) {
      return false;
    }
    hw_breakpoints_.push_back(HardwareBreakpoint{addr, len, kind});
  }
  update_guest_debug();
  return true;
}

bool KvmVcpu::remove_breakpoint(BreakpointKind kind, uint64_t addr, uint64_t len) {
  if (kind == BreakpointKind::kSoftware) {
    auto it = sw_breakpoints_.find(addr);
    if (it == sw_breakpoints_.end()) return false;
    bus_.memory->write_rom_buffer(it->second.paddr, &it->second.saved, 1);
    sw_breakpoints_.erase(it);
  } else {
    auto it = std::find_if(hw_breakpoints_.begin(), hw_breakpoints_.end(), [&](const auto& bp) {
      return bp.kind == kind && bp.addr == addr &&
             (kind == BreakpointKind::kHardware || bp.len == len);
    });
    if (it == hw_breakpoints_.end()) return false;
    hw_breakpoints_.erase(it);
  }
  update_guest_debug();
  return true;
}

void KvmVcpu::set_single_step(bool enabled) {
  single_step_ = enabled;
  if (accel_.has_guest_debug()) update_guest_debug();
}

bool KvmVcpu::stopped_by_instruction_breakpoint() const {
  for (size_t i = 0; i < hw_breakpoints_.size(); ++i) {
    if (((last_debug_.dr6 >> i) & 1) && hw_breakpoints_[i].kind == BreakpointKind::kHardware)
      return true;
  }
  return false;
}

bool KvmVcpu::stopped_by_watchpoint(uint64_t* addr) const {
  // DR6.B0-B3 name the debug register that hit; hw_breakpoints_[i] is in DRi.
  for (size_t i = 0; i < hw_breakpoints_.size(); ++i) {
    if (!((last_debug_.dr6 >> i) & 1) || hw_breakpoints_[i].kind == BreakpointKind::kHardware)
      continue;
    *addr = hw_breakpoints_[i].addr;
    return true;
  }
  return false;
}

}  // namespace vx86
