#include "accel/kvm_accel.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "accel/kvm_abi.h"
#include "accel/kvm_memory.h"
#include "accel/kvm_state_sync.h"
#include "accel/kvm_vcpu.h"
#include "core/options.h"

namespace vx86 {

namespace {

constexpr int kKvmApiVersion = 12;
// Where Intel's KVM keeps the TSS and identity page table it needs to run
// real-mode code without unrestricted guest (the same place as QEMU, just
// below the BIOS).
constexpr uint64_t kTssAddress = 0xfffbd000;

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

KvmAccelerator::KvmAccelerator() = default;

KvmAccelerator::~KvmAccelerator() {
  slots_.reset();
  if (vm_fd_ >= 0) close(vm_fd_);
  if (kvm_fd_ >= 0) close(kvm_fd_);
}

int KvmAccelerator::check_extension(long capability) const {
  int r = ioctl(vm_fd_ >= 0 ? vm_fd_ : kvm_fd_, KVM_CHECK_EXTENSION, capability);
  return r < 0 ? 0 : r;
}

void KvmAccelerator::init(const KeyValues* opts) {
  const bool irqchip_chosen = opts && opts->has("kernel-irqchip");
  irqchip_ = irqchip_chosen ? kvm::parse_kernel_irqchip(opts->get_string("kernel-irqchip"))
                            : KernelIrqchip::kSplit;
  if (opts && opts->has("device")) device_ = opts->get_string("device");

  kvm_fd_ = open(device_.c_str(), O_RDWR | O_CLOEXEC);
  if (kvm_fd_ < 0) {
    int err = errno;
    if (err == ENOENT) {
      throw AccelError("-accel kvm: " + device_ +
                       " does not exist: this host has no KVM (load the kvm_intel or kvm_amd "
                       "module, or use -accel tcg)");
    }
    if (err == EACCES || err == EPERM) {
      throw AccelError("-accel kvm: no permission to open " + device_ +
                       " (add your user to the group that owns it, usually 'kvm')");
    }
    throw AccelError("-accel kvm: cannot open " + device_ + ": " + std::strerror(err));
  }
  int version = ioctl(kvm_fd_, KVM_GET_API_VERSION, 0);
  if (version != kKvmApiVersion) {
    throw AccelError("-accel kvm: " + device_ + " speaks KVM API version " +
                     std::to_string(version) + ", vx86 needs " + std::to_string(kKvmApiVersion));
  }
  check_required_capabilities();
  vm_fd_ = ioctl(kvm_fd_, KVM_CREATE_VM, 0);
  if (vm_fd_ < 0) throw AccelError("-accel kvm: cannot create a VM: " + errno_text());
  // Only Intel hosts need these; elsewhere the capability is absent.
  if (check_extension(KVM_CAP_SET_TSS_ADDR)) {
    ioctl(vm_fd_, KVM_SET_TSS_ADDR, static_cast<unsigned long>(kTssAddress));
  }
  int run_size = ioctl(kvm_fd_, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) throw AccelError("-accel kvm: KVM_GET_VCPU_MMAP_SIZE failed: " + errno_text());
  run_area_size_ = static_cast<size_t>(run_size);
  has_xsave_ = check_extension(KVM_CAP_XSAVE);
  has_xcrs_ = check_extension(KVM_CAP_XCRS);
  has_vcpu_events_ = check_extension(KVM_CAP_VCPU_EVENTS);
  has_debugregs_ = check_extension(KVM_CAP_DEBUGREGS);
  has_guest_debug_ = check_extension(KVM_CAP_SET_GUEST_DEBUG);
  // KVM_CAP_SET_GUEST_DEBUG2 answers with the KVM_GUESTDBG_* flags it takes.
  has_guest_debug_block_irq_ =
      (static_cast<unsigned>(std::max(check_extension(KVM_CAP_SET_GUEST_DEBUG2), 0)) &
       KVM_GUESTDBG_BLOCKIRQ) != 0;
  load_supported_cpuid();
  create_irqchip(irqchip_chosen);
  if (irqchip_ == KernelIrqchip::kOff) filter_apic_msrs();
  int max_slots = check_extension(KVM_CAP_NR_MEMSLOTS);
  slots_ = std::make_unique<kvm::MemorySlots>(vm_fd_, max_slots > 0 ? max_slots : 32,
                                              check_extension(KVM_CAP_READONLY_MEM) != 0);
}

void KvmAccelerator::create_irqchip(bool chosen_by_user) {
  if (irqchip_ == KernelIrqchip::kOn) {
    if (!check_extension(KVM_CAP_IRQCHIP) || !check_extension(KVM_CAP_IRQ_ROUTING)) {
      throw AccelError(
          "-accel kvm: kernel-irqchip=on needs KVM_CAP_IRQCHIP and KVM_CAP_IRQ_ROUTING, which "
          "this KVM lacks (use kernel-irqchip=split or off)");
    }
    in_kernel_irqchip_ = std::make_unique<kvm::InKernelIrqchip>(vm_fd_);
    return;
  }
  if (irqchip_ != KernelIrqchip::kSplit) return;
  if (!check_extension(KVM_CAP_SPLIT_IRQCHIP) || !check_extension(KVM_CAP_IRQ_ROUTING)) {
    if (chosen_by_user) {
      throw AccelError(
          "-accel kvm: kernel-irqchip=split needs KVM_CAP_SPLIT_IRQCHIP and KVM_CAP_IRQ_ROUTING, "
          "which this KVM lacks (use kernel-irqchip=off)");
    }
    std::fprintf(stderr,
                 "vx86: kvm: no KVM_CAP_SPLIT_IRQCHIP here: interrupt controllers in user space "
                 "(kernel-irqchip=off)\n");
    irqchip_ = KernelIrqchip::kOff;
    return;
  }
  split_irqchip_ = std::make_unique<kvm::SplitIrqchip>(vm_fd_);
}

void KvmAccelerator::filter_apic_msrs() {
  // Without KVM's LAPIC, KVM keeps IA32_APIC_BASE and IA32_TSC_DEADLINE to
  // itself and refuses the x2APIC MSRs; vx86's LAPIC must see them all. The
  // first two are filtered (their accesses exit with
  // KVM_MSR_EXIT_REASON_FILTER); x2APIC MSRs cannot be
  // filtered, but KVM fails them without its LAPIC, and failed accesses exit
  // with KVM_MSR_EXIT_REASON_INVAL. A KVM without these exits keeps its own
  // behaviour (and CPUID then hides x2APIC). Some kernels answer the
  // capability check with 1 rather than the mask of reasons: enabling them is
  // the real test.
  if (check_extension(KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
      !check_extension(KVM_CAP_X86_MSR_FILTER)) {
    return;
  }
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
  cap.args[0] = KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_INVAL;
  if (ioctl(vm_fd_, KVM_ENABLE_CAP, &cap) < 0) return;
  // A range's bitmap allows an access where a bit is set: an all-zero bitmap
  // sends every access to user space; other MSRs stay KVM's.
  static uint8_t deny[1] = {};
  kvm_msr_filter filter{};
  filter.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
  constexpr uint32_t kMsrApicBase = 0x1b, kMsrTscDeadline = 0x6e0;
  filter.ranges[0] = {KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, 1, kMsrApicBase, deny};
  filter.ranges[1] = {KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, 1, kMsrTscDeadline, deny};
  if (ioctl(vm_fd_, KVM_X86_SET_MSR_FILTER, &filter) < 0) {
    std::fprintf(stderr, "vx86: kvm: KVM_X86_SET_MSR_FILTER failed (%s): x2APIC hidden\n",
                 std::strerror(errno));
    return;
  }
  apic_msrs_in_user_space_ = true;
}

void KvmAccelerator::check_required_capabilities() {
  struct Needed {
    long cap;
    const char* name;
    const char* why;
  };
  static const Needed kNeeded[] = {
      {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM in vx86's memory"},
      {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "the CPUID of -cpu"},
      {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "kicking a vCPU out of guest code"},
      {KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM", "firmware ROM"},
  };
  for (const Needed& n : kNeeded) {
    if (ioctl(kvm_fd_, KVM_CHECK_EXTENSION, n.cap) <= 0) {
      throw AccelError(std::string("-accel kvm: this KVM lacks ") + n.name + ", needed for " +
                       n.why);
    }
  }
}

void KvmAccelerator::load_supported_cpuid() {
  for (uint32_t n = 64; n <= 4096; n *= 2) {
    std::vector<uint64_t> buf((sizeof(kvm::Cpuid2Header) + n * sizeof(kvm_cpuid_entry2)) / 8 + 1);
    auto* header = reinterpret_cast<kvm::Cpuid2Header*>(buf.data());
    header->nent = n;
    if (ioctl(kvm_fd_, kvm::kGetSupportedCpuid, header) == 0) {
      auto* entries = reinterpret_cast<kvm_cpuid_entry2*>(header + 1);
      supported_cpuid_.assign(entries, entries + header->nent);
      return;
    }
    if (errno != E2BIG) break;
  }
  throw AccelError("-accel kvm: KVM_GET_SUPPORTED_CPUID failed: " + errno_text());
}

std::unique_ptr<Vcpu> KvmAccelerator::create_vcpu(int index, const CpuBus& bus) {
  if (vm_fd_ < 0) throw AccelError("-accel kvm: create_vcpu before init");
  slots_->attach(*bus.memory);
  return std::make_unique<KvmVcpu>(*this, index, bus);
}

}  // namespace vx86
