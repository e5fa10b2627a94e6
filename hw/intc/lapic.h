// The local APIC of each vCPU (xAPIC MMIO page at 0xFEE00000 and the x2APIC
// MSRs 0x800-0x8FF), and the APIC bus that carries interrupt messages between
// local APICs, the IOAPIC and MSIs.
//
// The APIC timer counts at kTimerHz (one tick per virtual nanosecond before
// the divider); its count is computed from the virtual clock when read.
// Like every device, call it only with the global device lock held (vCPU
// threads included).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/member_io_ops.h"
#include "core/memory.h"

namespace vx86 {

class LocalApic;

enum class ApicDeliveryMode : uint8_t {
  kFixed = 0,
  kLowestPriority = 1,
  kSmi = 2,
  kNmi = 4,
  kInit = 5,
  kStartup = 6,
  kExtInt = 7,
};

enum class ApicShorthand : uint8_t {
  kNone = 0,
  kSelf = 1,
  kAllIncludingSelf = 2,
  kAllExcludingSelf = 3
};

// One interrupt message on the APIC bus (an IPI, an IOAPIC redirection or an MSI).
struct ApicMessage {
  uint8_t vector = 0;
  ApicDeliveryMode mode = ApicDeliveryMode::kFixed;
  bool logical = false;          // destination mode
  bool level_triggered = false;  // trigger mode (sets the receiver's TMR bit)
  bool assert = true;            // level: false for an INIT level de-assert
  ApicShorthand shorthand = ApicShorthand::kNone;
  // Physical APIC ID or logical destination. 8 bits (0xFF = broadcast)
  // unless x2apic_format, where it is 32 bits (0xFFFFFFFF = broadcast).
  uint32_t destination = 0;
  bool x2apic_format = false;
};

// Knows every local APIC; routes messages and end-of-interrupt broadcasts.
class ApicBus {
 public:
  ApicBus();
  ~ApicBus();
  ApicBus(const ApicBus&) = delete;
  ApicBus& operator=(const ApicBus&) = delete;

  void attach(LocalApic* apic);
  void detach(LocalApic* apic);
  const std::vector<LocalApic*>& apics() const { return apics_; }
  LocalApic* find(uint32_t apic_id) const;

  // Delivers msg to the local APICs it addresses. source is the sending local
  // APIC (needed for shorthands), or null for the IOAPIC and MSIs.
  void deliver(const ApicMessage& msg, LocalApic* source = nullptr);
  // An MSI write of data to address 0xFEExxxxx (PCI message format).
  void deliver_msi(uint64_t address, uint32_t data);

  // Level-triggered EOIs are broadcast to these (the IOAPIC).
  using EoiListener = std::function<void(uint8_t vector)>;
  void add_eoi_listener(EoiListener listener) { eoi_listeners_.push_back(std::move(listener)); }
  void broadcast_eoi(uint8_t vector);

  // With one shared memory map for all CPUs, this 4 KiB region dispatches the
  // xAPIC page to the local APIC of the CPU making the access, which resolver
  // returns (the one APIC if it returns null and only one is attached).
  void set_current_apic_resolver(std::function<LocalApic*()> resolver) {
    resolver_ = std::move(resolver);
  }
  MemoryRegion* mmio_region() { return mmio_region_.get(); }

 private:
  // The xAPIC page's accesses, passed to current().
  uint64_t mmio_read(uint64_t offset, unsigned size);
  void mmio_write(uint64_t offset, uint64_t value, unsigned size);
  LocalApic* current() const;

  std::vector<LocalApic*> apics_;
  std::vector<EoiListener> eoi_listeners_;
  std::function<LocalApic*()> resolver_;
  MemberIoOps<ApicBus, &ApicBus::mmio_read, &ApicBus::mmio_write> dispatch_{*this};
  std::unique_ptr<MemoryRegion> mmio_region_;
};

class LocalApic : public Device, public IoOps, public CpuLocalApic {
 public:
  static constexpr uint64_t kDefaultBase = 0xFEE00000;
  static constexpr uint32_t kVersion = 0x00050014;  // 6 LVT entries, integrated APIC
  static constexpr int64_t kTimerHz = 1'000'000'000;
  // MSRs the CPU forwards here.
  static constexpr uint32_t kMsrApicBase = 0x1B;
  static constexpr uint32_t kMsrTscDeadline = 0x6E0;
  static constexpr uint32_t kMsrX2apicFirst = 0x800;
  static constexpr uint32_t kMsrX2apicLast = 0x8FF;
  // IA32_APIC_BASE bits.
  static constexpr uint64_t kBaseBsp = 1u << 8;
  static constexpr uint64_t kBaseX2apic = 1u << 10;
  static constexpr uint64_t kBaseEnable = 1u << 11;

  // Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16).
  enum Reg : uint32_t {
    kRegId = 0x20,
    kRegVersion = 0x30,
    kRegTpr = 0x80,
    kRegApr = 0x90,
    kRegPpr = 0xA0,
    kRegEoi = 0xB0,
    kRegRrd = 0xC0,
    kRegLdr = 0xD0,
    kRegDfr = 0xE0,
    kRegSvr = 0xF0,
    kRegIsr = 0x100,
    kRegTmr = 0x180,
    kRegIrr = 0x200,
    kRegEsr = 0x280,
    kRegIcrLow = 0x300,
    kRegIcrHigh = 0x310,
    kRegLvtTimer = 0x320,
    kRegLvtThermal = 0x330,
    kRegLvtPerf = 0x340,
    kRegLvtLint0 = 0x350,
    kRegLvtLint1 = 0x360,
    kRegLvtError = 0x370,
    kRegTimerInitial = 0x380,
    kRegTimerCurrent = 0x390,
    kRegTimerDivide = 0x3E0,
    kRegSelfIpi = 0x3F0,  // x2APIC only
  };
  enum Lvt { kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError, kLvtCount };
  // ESR bits.
  static constexpr uint32_t kEsrSendIllegalVector = 1u << 5;
  static constexpr uint32_t kEsrReceiveIllegalVector = 1u << 6;
  static constexpr uint32_t kEsrIllegalRegister = 1u << 7;
  static constexpr uint32_t kLvtMasked = 1u << 16;

  // tsc_hz: the rate of the CPU's TSC, for the TSC-deadline timer.
  LocalApic(Clocks& clocks, ApicBus& bus, uint32_t apic_id, bool bsp,
            uint64_t tsc_hz = 1'000'000'000);
  ~LocalApic() override;
  void set_tsc_hz(uint64_t hz) override { tsc_hz_ = hz; }
  uint64_t tsc_hz() const { return tsc_hz_; }

  // This APIC's own xAPIC page, for machines with a memory view per CPU (see
  // ApicBus::mmio_region() for a shared one).
  MemoryRegion* region() { return region_.get(); }
  void map(MemoryRegion& memory, uint64_t base = kDefaultBase);

  // --- CPU side ---
  // The PIC's INTR (ExtINT on LINT0, or the APIC globally disabled) is
  // acknowledged through this source.
  void set_extint_source(CpuInterruptSource* pic) { extint_source_ = pic; }
  // Called whenever something the CPU should look at may have changed
  // (interrupt, NMI, SMI, INIT, SIPI): wake or kick the vCPU.
  void set_output_changed(std::function<void()> cb) { output_changed_ = std::move(cb); }

  // Maskable interrupts (subject to the CPU's IF).
  bool interrupt_pending() override;
  // Moves the highest pending vector from IRR to ISR and returns it (or the
  // PIC's vector for ExtINT, or the spurious vector if nothing is pending).
  int acknowledge_interrupt() override;
  bool nmi_pending() const override { return nmi_pending_; }
  void acknowledge_nmi() override;
  bool smi_pending() const { return smi_pending_; }
  void acknowledge_smi();
  // INIT: the APIC has already done its INIT reset; the CPU resets and waits for SIPI.
  bool init_pending() const override { return init_pending_; }
  void acknowledge_init() override;
  // A start-up IPI received while waiting for one (after INIT).
  bool sipi_pending() const override { return sipi_pending_; }
  uint8_t acknowledge_sipi() override;

  // The CPU's RDMSR/WRMSR of IA32_APIC_BASE, TSC_DEADLINE and x2APIC MSRs.
  MsrAccess cpu_read_msr(uint32_t index, uint64_t* value) override;
  MsrAccess cpu_write_msr(uint32_t index, uint64_t value, uint64_t tsc) override;
  // IA32_APIC_BASE (MSR 0x1B). write returns false for #GP (reserved bits,
  // invalid mode transitions).
  uint64_t apic_base_msr() const { return base_msr_; }
  bool write_apic_base_msr(uint64_t value);
  // x2APIC MSRs 0x800-0x8FF. false means #GP (not in x2APIC mode, reserved
  // register, read of write-only / write of read-only, reserved bits).
  bool read_msr(uint32_t index, uint64_t* value);
  bool write_msr(uint32_t index, uint64_t value);
  // IA32_TSC_DEADLINE (MSR 0x6E0). The CPU's TSC is
  // virtual_ns * tsc_hz / 1e9 + tsc_offset.
  uint64_t tsc_deadline() const { return tsc_deadline_; }
  void write_tsc_deadline(uint64_t deadline, int64_t tsc_offset = 0);
  // CR8 is TPR[7:4].
  uint64_t read_cr8() const override { return tpr_ >> 4; }
  void write_cr8(uint64_t value) override;

  // LINT0 and LINT1 pins (the PIC's INTR and the NMI line on a PC).
  IrqLine& lint(int n) { return lint_.at(static_cast<std::size_t>(n)); }
  // A local event (performance counter overflow, thermal sensor) raises the
  // interrupt its LVT entry describes, unless masked.
  void signal_local(Lvt lvt) { deliver_local(lvt); }

  // --- Bus side ---
  bool hw_enabled() const { return (base_msr_ & kBaseEnable) != 0; }
  bool sw_enabled() const { return (svr_ & 0x100) != 0; }
  bool x2apic_mode() const { return (base_msr_ & kBaseX2apic) != 0; }
  uint32_t apic_id() const { return x2apic_mode() ? initial_id_ : id_ >> 24; }
  bool matches(const ApicMessage& msg) const;
  uint8_t arbitration_priority() const;
  // A message addressed to this APIC.
  void accept(const ApicMessage& msg);

  // --- Inspection (tests, monitor) ---
  bool irr_bit(int vector) const { return test_bit(irr_, vector); }
  bool isr_bit(int vector) const { return test_bit(isr_, vector); }
  bool tmr_bit(int vector) const { return test_bit(tmr_, vector); }
  uint8_t tpr() const { return static_cast<uint8_t>(tpr_); }
  // A register of the xAPIC page as the guest would read it (0 for none).
  uint32_t peek_register(uint32_t offset) {
    uint32_t value = 0;
    return read_register(offset, &value) ? value : 0;
  }
  uint8_t processor_priority() const;

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  // INIT reset: like reset, but the APIC ID and base MSR are kept.
  void init_reset();
  void visit_state(StateVisitor& v) override;

 private:
  using Bits256 = std::array<uint32_t, 8>;
  static bool test_bit(const Bits256& b, int v) { return (b[v >> 5] >> (v & 31)) & 1; }
  static void set_bit(Bits256& b, int v) { b[v >> 5] |= 1u << (v & 31); }
  static void clear_bit(Bits256& b, int v) { b[v >> 5] &= ~(1u << (v & 31)); }
  static int highest_bit(const Bits256& b);

  // Register file access shared by MMIO and MSRs; false = no such register.
  bool read_register(uint32_t offset, uint32_t* value);
  bool write_register(uint32_t offset, uint32_t value);
  void write_lvt(int lvt, uint32_t value);
  void write_svr(uint32_t value);
  void write_icr(uint32_t low, uint32_t high);
  void end_of_interrupt();
  void signal_error(uint32_t esr_bit);
  // Raises the interrupt an LVT entry describes (fixed, NMI, SMI, INIT, ExtINT).
  void deliver_local(int lvt);
  void set_irr(uint8_t vector, bool level);
  void lint_changed(int n, bool level);
  void register_reset();
  void changed() {
    if (output_changed_) output_changed_();
  }
  bool extint_pending() const;

  // Timer.
  enum TimerMode : uint32_t { kTimerOneShot = 0, kTimerPeriodic = 1, kTimerTscDeadline = 2 };
  uint32_t timer_mode() const { return (lvt_[kLvtTimer] >> 17) & 3; }
  int64_t timer_divisor() const;
  uint32_t timer_current_count() const;
  void timer_start();
  void timer_expired();
  void arm_tsc_deadline();
  int64_t now() const { return clocks_.now(ClockType::kVirtual); }

  Clocks& clocks_;
  ApicBus& bus_;
  const uint32_t initial_id_;
  const bool bsp_;
  uint64_t tsc_hz_;
  std::unique_ptr<MemoryRegion> region_;
  std::unique_ptr<Timer> timer_;
  std::array<IrqLine, 2> lint_;
  CpuInterruptSource* extint_source_ = nullptr;
  std::function<void()> output_changed_;

  // Saved state.
  uint64_t base_msr_ = 0;
  uint32_t id_ = 0;  // xAPIC ID register (ID in bits 24-31)
  uint32_t tpr_ = 0;
  uint32_t ldr_ = 0;
  uint32_t dfr_ = 0xFFFFFFFF;
  uint32_t svr_ = 0xFF;
  Bits256 isr_{};
  Bits256 tmr_{};
  Bits256 irr_{};
  uint32_t esr_ = 0;          // as read
  uint32_t esr_pending_ = 0;  // errors since the last ESR write
  uint32_t icr_low_ = 0;
  uint32_t icr_high_ = 0;
  std::array<uint32_t, kLvtCount> lvt_{};
  uint32_t timer_initial_ = 0;
  uint32_t timer_divide_ = 0;
  int64_t timer_start_ns_ = 0;   // when the current count was last loaded
  int64_t timer_expiry_ns_ = 0;  // next expiry while armed
  uint8_t timer_armed_ = 0;
  uint64_t tsc_deadline_ = 0;
  int64_t tsc_offset_ = 0;
  std::array<uint8_t, 2> lint_level_{};
  uint8_t extint_message_ = 0;  // an ExtINT message awaits acknowledgement
  uint8_t nmi_pending_ = 0;
  uint8_t smi_pending_ = 0;
  uint8_t init_pending_ = 0;
  uint8_t wait_for_sipi_ = 0;
  uint8_t sipi_pending_ = 0;
  uint8_t sipi_vector_ = 0;
};

}  // namespace vx86
