#include "target-x86/local_apic_events.h"

#include "core/device_lock.h"
#include "core/log.h"
#include "target-x86/cpu_exec.h"

namespace vx86::x86 {

namespace {

constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicBaseBspFlag = 1u << 8;

bool is_bsp(CpuLocalApic& apic) {
  uint64_t base = 0;
  apic.cpu_read_msr(kMsrApicBase, &base);
  return base & kApicBaseBspFlag;
}

}  // namespace

bool local_apic_wants_attention(X86Cpu& cpu) {
  CpuLocalApic* apic = cpu.local_apic;
  if (!apic) return cpu.interrupts && cpu.interrupts->interrupt_pending();
  return apic->init_pending() || apic->sipi_pending() || apic->nmi_pending() ||
         apic->interrupt_pending();
}

bool take_local_apic_events(X86Cpu& cpu) {
  CpuLocalApic* apic = cpu.local_apic;
  bool nmi = false;
  bool reset = false;
  bool started = false;
  uint8_t sipi_vector = 0;
  bool bsp = false;
  {
    DeviceLockGuard lock;
    if (apic->init_pending()) {
      apic->acknowledge_init();
      reset = true;
      bsp = is_bsp(*apic);
    }
    if (apic->sipi_pending()) {
      sipi_vector = apic->acknowledge_sipi();
      started = true;
    }
    if (apic->nmi_pending()) {
      apic->acknowledge_nmi();
      nmi = true;
    }
    cpu.intr_line.store(apic->interrupt_pending(), std::memory_order_release);
  }
  if (reset) {
    // INIT: the power-on state, except that an application processor then
    // waits for a start-up IPI instead of fetching from the reset vector.
    VX86_LOG(kLogInt, "cpu %u: INIT\n", cpu.cpu_index);
    // INIT leaves the TSC unchanged (SDM Vol. 3A, Table 9-1).
    const uint64_t tsc_offset = cpu.tsc_offset, tsc_adjust = cpu.tsc_adjust;
    cpu_reset_all(cpu, bsp);
    cpu.tsc_offset = tsc_offset;
    cpu.tsc_adjust = tsc_adjust;
  }
  if (started) {
    // SIPI: real mode at vector * 4 KiB.
    VX86_LOG(kLogInt, "cpu %u: start-up IPI, vector 0x%02x\n", cpu.cpu_index, sipi_vector);
    cpu.segs[kSegCS].selector = static_cast<uint16_t>(sipi_vector << 8);
    cpu.segs[kSegCS].base = static_cast<uint64_t>(sipi_vector) << 12;
    cpu.rip = 0;
    cpu.halted = 0;
  }
  return nmi;
}

}  // namespace vx86::x86
