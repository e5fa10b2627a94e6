#include "hw/intc/lapic.h"

#include <algorithm>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr uint32_t kIcrWriteMask = 0x000CCFFF;
constexpr uint32_t kLvtRemoteIrr = 1u << 14;
constexpr uint32_t kLvtLevelTrigger = 1u << 15;
// Writable bits of each LVT entry (timer, thermal, perf, LINT0, LINT1, error).
constexpr std::array<uint32_t, LocalApic::kLvtCount> kLvtWriteMask = {
    0x000700FF, 0x000107FF, 0x000107FF, 0x0001A7FF, 0x0001A7FF, 0x000100FF};

uint32_t x2apic_ldr(uint32_t id) {
  return ((id >> 4) << 16) | (1u << (id & 15));
}

}  // namespace

// --- ApicBus ---

ApicBus::ApicBus() {
  mmio_region_ = MemoryRegion::io("apic-bus", 0x1000, &dispatch_, AccessLimits{1, 4, false});
}

ApicBus::~ApicBus() = default;

void ApicBus::attach(LocalApic* apic) {
  apics_.push_back(apic);
}

void ApicBus::detach(LocalApic* apic) {
  std::erase(apics_, apic);
}

LocalApic* ApicBus::find(uint32_t apic_id) const {
  for (LocalApic* apic : apics_) {
    if (apic->apic_id() == apic_id) return apic;
  }
  return nullptr;
}

void ApicBus::deliver(const ApicMessage& msg, LocalApic* source) {
  std::vector<LocalApic*> targets;
  for (LocalApic* apic : apics_) {
    if (!apic->hw_enabled()) continue;
    bool hit = false;
    switch (msg.shorthand) {
      case ApicShorthand::kNone:
        hit = apic->matches(msg);
        break;
      case ApicShorthand::kSelf:
        hit = apic == source;
        break;
      case ApicShorthand::kAllIncludingSelf:
        hit = true;
        break;
      case ApicShorthand::kAllExcludingSelf:
        hit = apic != source;
        break;
    }
    if (hit) targets.push_back(apic);
  }
  if (msg.mode == ApicDeliveryMode::kLowestPriority && targets.size() > 1) {
    // The lowest arbitration priority wins; ties go to the first attached.
    LocalApic* best =
        *std::min_element(targets.begin(), targets.end(), [](LocalApic* a, LocalApic* b) {
          return a->arbitration_priority() < b->arbitration_priority();
        });
    targets.assign(1, best);
  }
  for (LocalApic* apic : targets) apic->accept(msg);
}

void ApicBus::deliver_msi(uint64_t address, uint32_t data) {
  ApicMessage msg;
  msg.destination = (address >> 12) & 0xFF;
  msg.logical = (address >> 2) & 1;
  msg.vector = data & 0xFF;
  msg.mode = static_cast<ApicDeliveryMode>((data >> 8) & 7);
  msg.assert = (data >> 14) & 1;
  msg.level_triggered = (data >> 15) & 1;
  if (!msg.level_triggered) msg.assert = true;
  deliver(msg);
}

void ApicBus::broadcast_eoi(uint8_t vector) {
  for (auto& listener : eoi_listeners_) listener(vector);
}

LocalApic* ApicBus::current() const {
  LocalApic* apic = resolver_ ? resolver_() : nullptr;
  if (!apic && !apics_.empty()) apic = apics_.front();
  return apic;
}

uint64_t ApicBus::mmio_read(uint64_t offset, unsigned size) {
  LocalApic* apic = current();
  return apic ? apic->read(offset, size) : 0;
}

void ApicBus::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  if (LocalApic* apic = current()) apic->write(offset, value, size);
}

// --- LocalApic ---

LocalApic::LocalApic(Clocks& clocks, ApicBus& bus, uint32_t apic_id, bool bsp, uint64_t tsc_hz)
    : Device("lapic"),
      clocks_(clocks),
      bus_(bus),
      initial_id_(apic_id),
      bsp_(bsp),
      tsc_hz_(tsc_hz) {
  region_ = MemoryRegion::io("lapic", 0x1000, this, AccessLimits{1, 4, false});
  timer_ = std::make_unique<Timer>(clocks_, ClockType::kVirtual, [this] { timer_expired(); });
  for (int n = 0; n < 2; ++n) {
    lint_[static_cast<std::size_t>(n)].set_handler(
        [this, n](bool level) { lint_changed(n, level); });
  }
  bus_.attach(this);
  reset();
}

LocalApic::~LocalApic() {
  bus_.detach(this);
}

void LocalApic::map(MemoryRegion& memory, uint64_t base) {
  memory.add_subregion(base, region_.get());
}

int LocalApic::highest_bit(const Bits256& b) {
  for (int i = 7; i >= 0; --i) {
    if (b[static_cast<std::size_t>(i)])
      return i * 32 + 31 - __builtin_clz(b[static_cast<std::size_t>(i)]);
  }
  return -1;
}

uint8_t LocalApic::processor_priority() const {
  int isrv = std::max(highest_bit(isr_), 0);
  if ((tpr_ >> 4) >= static_cast<uint32_t>(isrv >> 4)) return static_cast<uint8_t>(tpr_);
  return static_cast<uint8_t>(isrv & 0xF0);
}

uint8_t LocalApic::arbitration_priority() const {
  uint32_t isrv = static_cast<uint32_t>(std::max(highest_bit(isr_), 0));
  uint32_t irrv = static_cast<uint32_t>(std::max(highest_bit(irr_), 0));
  if ((tpr_ >> 4) >= (irrv >> 4) && (tpr_ >> 4) > (isrv >> 4)) return static_cast<uint8_t>(tpr_);
  return static_cast<uint8_t>(std::max({tpr_ & 0xF0, isrv & 0xF0, irrv & 0xF0}));
}

bool LocalApic::extint_pending() const {
  if (extint_message_) return true;
  if (!hw_enabled()) return lint_level_[0];  // a disabled APIC passes INTR through
  uint32_t lvt = lvt_[kLvtLint0];
  return !(lvt & kLvtMasked) && ((lvt >> 8) & 7) == 7 && lint_level_[0];
}

bool LocalApic::interrupt_pending() {
  if (extint_pending()) return true;
  if (!hw_enabled()) return false;
  int v = highest_bit(irr_);
  return v >= 0 && static_cast<uint32_t>(v & 0xF0) > (processor_priority() & 0xF0u);
}

int LocalApic::acknowledge_interrupt() {
  if (extint_pending()) {
    extint_message_ = 0;
    if (extint_source_) return extint_source_->acknowledge_interrupt();
    return static_cast<int>(svr_ & 0xFF);
  }
  int v = highest_bit(irr_);
  if (!hw_enabled() || v < 0 || static_cast<uint32_t>(v & 0xF0) <= (processor_priority() & 0xF0u)) {
    return static_cast<int>(svr_ & 0xFF);  // spurious
  }
  clear_bit(irr_, v);
  set_bit(isr_, v);
  return v;
}

void LocalApic::acknowledge_nmi() {
  nmi_pending_ = 0;
}
void LocalApic::acknowledge_smi() {
  smi_pending_ = 0;
}
void LocalApic::acknowledge_init() {
  init_pending_ = 0;
}

uint8_t LocalApic::acknowledge_sipi() {
  sipi_pending_ = 0;
  wait_for_sipi_ = 0;
  return sipi_vector_;
}

void LocalApic::write_cr8(uint64_t value) {
  tpr_ = static_cast<uint32_t>((value & 0xF) << 4);
  changed();
}

// --- IA32_APIC_BASE ---

bool LocalApic::write_apic_base_msr(uint64_t value) {
  constexpr uint64_t kReserved = 0xFF | (1u << 9) | (~uint64_t{0} << 52);
  if (value & kReserved) return false;
  bool old_en = hw_enabled(), old_x2 = x2apic_mode();
  bool new_en = value & kBaseEnable, new_x2 = value & kBaseX2apic;
  if (new_x2 && !new_en) return false;            // invalid state
  if (old_x2 && new_en && !new_x2) return false;  // x2APIC -> xAPIC
  if (!old_en && new_x2) return false;            // disabled -> x2APIC
  uint64_t new_base = value & ~uint64_t{0xFFF};
  if (new_base != (base_msr_ & ~uint64_t{0xFFF}) && region_->parent()) {
    try {
      region_->set_offset(new_base);
    } catch (const MemoryMapError&) {
      VX86_LOG(kLogGuestErrors, "lapic: cannot move the APIC page over another region\n");
      return false;
    }
  }
  base_msr_ = new_base | (value & (kBaseEnable | kBaseX2apic)) | (bsp_ ? kBaseBsp : 0);
  if (old_en && !new_en) {
    // Globally disabled: software-disabled state; the ID reverts to its initial value.
    id_ = initial_id_ << 24;
    svr_ &= ~0x100u;
    for (auto& lvt : lvt_) lvt |= kLvtMasked;
    timer_->del();
    timer_armed_ = 0;
  }
  if (!old_x2 && new_x2) ldr_ = x2apic_ldr(initial_id_);
  changed();
  return true;
}

// --- Register file ---

bool LocalApic::read_register(uint32_t offset, uint32_t* value) {
  uint32_t index = (offset >> 4) & 7;
  switch (offset) {
    case kRegId:
      *value = x2apic_mode() ? initial_id_ : id_;
      return true;
    case kRegVersion:
      *value = kVersion;
      return true;
    case kRegTpr:
      *value = tpr_;
      return true;
    case kRegApr:
      *value = arbitration_priority();
      return true;
    case kRegPpr:
      *value = processor_priority();
      return true;
    case kRegEoi:
    case kRegRrd:
      *value = 0;
      return true;
    case kRegLdr:
      *value = ldr_;
      return true;
    case kRegDfr:
      *value = dfr_;
      return true;
    case kRegSvr:
      *value = svr_;
      return true;
    case kRegEsr:
      *value = esr_;
      return true;
    case kRegIcrLow:
      *value = icr_low_;
      return true;
    case kRegIcrHigh:
      *value = icr_high_;
      return true;
    case kRegTimerInitial:
      *value = timer_initial_;
      return true;
    case kRegTimerCurrent:
      *value = timer_current_count();
      return true;
    case kRegTimerDivide:
      *value = timer_divide_;
      return true;
    default:
      break;
  }
  if (offset >= kRegIsr && offset < kRegIsr + 0x80) {
    *value = isr_[index];
    return true;
  }
  if (offset >= kRegTmr && offset < kRegTmr + 0x80) {
    *value = tmr_[index];
    return true;
  }
  if (offset >= kRegIrr && offset < kRegIrr + 0x80) {
    *value = irr_[index];
    return true;
  }
  if (offset >= kRegLvtTimer && offset <= kRegLvtError) {
    *value = lvt_[(offset - kRegLvtTimer) >> 4];
    return true;
  }
  return false;
}

bool LocalApic::write_register(uint32_t offset, uint32_t value) {
  switch (offset) {
    case kRegId:
      if (!x2apic_mode()) id_ = value & 0xFF000000;
      return true;
    case kRegTpr:
      tpr_ = value & 0xFF;
      changed();
      return true;
    case kRegEoi:
      end_of_interrupt();
      return true;
    case kRegLdr:
      if (!x2apic_mode()) ldr_ = value & 0xFF000000;
      return true;
    case kRegDfr:
      dfr_ = value | 0x0FFFFFFF;
      return true;
    case kRegSvr:
      write_svr(value);
      return true;
    case kRegEsr:
      esr_ = esr_pending_;
      esr_pending_ = 0;
      return true;
    case kRegIcrLow:
      icr_low_ = value & kIcrWriteMask;
      write_icr(icr_low_, icr_high_);
      return true;
    case kRegIcrHigh:
      icr_high_ = value & 0xFF000000;
      return true;
    case kRegTimerInitial:
      if (timer_mode() == kTimerTscDeadline) return true;  // ignored in TSC-deadline mode
      timer_initial_ = value;
      timer_start();
      return true;
    case kRegTimerDivide: {
      uint32_t remaining = timer_current_count();
      timer_divide_ = value & 0xB;
      if (timer_armed_ && timer_mode() != kTimerTscDeadline) {
        // Keep counting from the current value at the new rate.
        int64_t div = timer_divisor();
        timer_start_ns_ = now() - int64_t{timer_initial_ - remaining} * div;
        timer_expiry_ns_ = now() + int64_t{remaining} * div;
        timer_->mod(timer_expiry_ns_);
      }
      return true;
    }
    case kRegSelfIpi:
      if (x2apic_mode()) {
        ApicMessage msg;
        msg.vector = value & 0xFF;
        msg.shorthand = ApicShorthand::kSelf;
        bus_.deliver(msg, this);
      }
      return true;
    case kRegVersion:
    case kRegApr:
    case kRegPpr:
    case kRegRrd:
    case kRegTimerCurrent:
      return true;  // read-only: writes ignored
    default:
      break;
  }
  if (offset >= kRegIsr && offset < kRegIrr + 0x80) return true;  // ISR/TMR/IRR read-only
  if (offset >= kRegLvtTimer && offset <= kRegLvtError) {
    write_lvt(static_cast<int>((offset - kRegLvtTimer) >> 4), value);
    return true;
  }
  return false;
}

void LocalApic::write_lvt(int lvt, uint32_t value) {
  auto i = static_cast<std::size_t>(lvt);
  uint32_t old = lvt_[i];
  uint32_t v = (value & kLvtWriteMask[i]) | (old & kLvtRemoteIrr & ~kLvtWriteMask[i]);
  if (!sw_enabled()) v |= kLvtMasked;
  lvt_[i] = v;
  if (lvt == kLvtTimer) {
    bool was_deadline = ((old >> 17) & 3) == kTimerTscDeadline;
    bool is_deadline = timer_mode() == kTimerTscDeadline;
    if (was_deadline != is_deadline) {
      // Switching to or from TSC-deadline mode disarms the timer.
      timer_->del();
      timer_armed_ = 0;
      timer_initial_ = 0;
      tsc_deadline_ = 0;
    }
  }
  if (lvt == kLvtLint0 || lvt == kLvtLint1) changed();
}

void LocalApic::write_svr(uint32_t value) {
  svr_ = value & 0x3FF;  // vector, APIC software enable, focus check
  if (!sw_enabled()) {
    for (auto& lvt : lvt_) lvt |= kLvtMasked;
  }
  changed();
}

void LocalApic::write_icr(uint32_t low, uint32_t high) {
  ApicMessage msg;
  msg.vector = low & 0xFF;
  uint32_t mode = (low >> 8) & 7;
  if (mode == 3) {
    VX86_LOG(kLogGuestErrors, "lapic: reserved ICR delivery mode\n");
    return;
  }
  msg.mode = static_cast<ApicDeliveryMode>(mode);
  msg.logical = (low >> 11) & 1;
  msg.assert = (low >> 14) & 1;
  msg.level_triggered = (low >> 15) & 1;
  if (!msg.level_triggered) msg.assert = true;
  msg.shorthand = static_cast<ApicShorthand>((low >> 18) & 3);
  msg.x2apic_format = x2apic_mode();
  msg.destination = x2apic_mode() ? high : high >> 24;
  if ((msg.mode == ApicDeliveryMode::kFixed || msg.mode == ApicDeliveryMode::kLowestPriority) &&
      msg.vector < 16) {
    signal_error(kEsrSendIllegalVector);
    return;
  }
  bus_.deliver(msg, this);
}

void LocalApic::end_of_interrupt() {
  int v = highest_bit(isr_);
  if (v < 0) return;
  clear_bit(isr_, v);
  if (test_bit(tmr_, v)) {
    bus_.broadcast_eoi(static_cast<uint8_t>(v));
    // A level-triggered local interrupt on LINT0/1 re-arms its remote IRR.
    for (int n = 0; n < 2; ++n) {
      uint32_t& lvt = lvt_[static_cast<std::size_t>(kLvtLint0 + n)];
      if ((lvt & kLvtRemoteIrr) && (lvt & 0xFF) == static_cast<uint32_t>(v)) {
        lvt &= ~kLvtRemoteIrr;
        if (lint_level_[static_cast<std::size_t>(n)]) lint_changed(n, true);
      }
    }
  }
  changed();
}

void LocalApic::signal_error(uint32_t esr_bit) {
  esr_pending_ |= esr_bit;
  uint32_t lvt = lvt_[kLvtError];
  if (lvt & kLvtMasked) return;
  uint8_t vector = lvt & 0xFF;
  if (vector < 16) {
    esr_pending_ |= kEsrReceiveIllegalVector;  // no recursion through set_irr
    return;
  }
  set_irr(vector, false);
}

void LocalApic::set_irr(uint8_t vector, bool level) {
  if (vector < 16) {
    signal_error(kEsrReceiveIllegalVector);
    return;
  }
  set_bit(irr_, vector);
  if (level) {
    set_bit(tmr_, vector);
  } else {
    clear_bit(tmr_, vector);
  }
  changed();
}

void LocalApic::deliver_local(int lvt) {
  uint32_t entry = lvt_[static_cast<std::size_t>(lvt)];
  if (entry & kLvtMasked) return;
  uint32_t mode = (lvt == kLvtTimer || lvt == kLvtError) ? 0 : (entry >> 8) & 7;
  switch (mode) {
    case 0:
      set_irr(entry & 0xFF, (lvt == kLvtLint0 || lvt == kLvtLint1) && (entry & kLvtLevelTrigger));
      break;
    case 2:
      smi_pending_ = 1;
      changed();
      break;
    case 4:
      nmi_pending_ = 1;
      changed();
      break;
    case 5: {
      ApicMessage msg;
      msg.mode = ApicDeliveryMode::kInit;
      accept(msg);
      break;
    }
    case 7:
      changed();  // ExtINT follows the pin level (see extint_pending)
      break;
    default:
      VX86_LOG(kLogGuestErrors, "lapic: reserved LVT delivery mode %u\n", mode);
      break;
  }
}

void LocalApic::lint_changed(int n, bool level) {
  auto i = static_cast<std::size_t>(n);
  bool rising = level && !lint_level_[i];
  lint_level_[i] = level;
  if (!hw_enabled()) {
    // Disabled APIC: LINT0 is the CPU's INTR, LINT1 its NMI.
    if (n == 1 && rising) nmi_pending_ = 1;
    changed();
    return;
  }
  uint32_t& lvt = lvt_[static_cast<std::size_t>(kLvtLint0 + n)];
  uint32_t mode = (lvt >> 8) & 7;
  if (mode == 7) {
    changed();
    return;
  }
  if (lvt & kLvtMasked) return;
  if (mode == 0 && (lvt & kLvtLevelTrigger)) {
    if (level && !(lvt & kLvtRemoteIrr)) {
      lvt |= kLvtRemoteIrr;
      deliver_local(kLvtLint0 + n);
    }
    return;
  }
  if (rising) deliver_local(kLvtLint0 + n);
}

bool LocalApic::matches(const ApicMessage& msg) const {
  if (!hw_enabled()) return false;
  uint32_t dest = msg.destination;
  if (!msg.logical) {
    if (dest == (msg.x2apic_format ? 0xFFFFFFFFu : 0xFFu)) return true;
    return dest == apic_id();
  }
  if (x2apic_mode()) {
    if (!msg.x2apic_format) return (dest & 0xFF) == 0xFF;
    if (dest == 0xFFFFFFFF) return true;
    return (dest >> 16) == (ldr_ >> 16) && (dest & ldr_ & 0xFFFF) != 0;
  }
  uint32_t mda = dest & 0xFF;
  uint32_t ldr = ldr_ >> 24;
  if (mda == 0xFF) return true;
  if ((dfr_ >> 28) == 0xF) return (mda & ldr) != 0;  // flat model
  // Cluster model: cluster in bits 7-4 (15 = all clusters), members in 3-0.
  return ((mda >> 4) == 0xF || (mda >> 4) == (ldr >> 4)) && (mda & ldr & 0xF) != 0;
}

void LocalApic::accept(const ApicMessage& msg) {
  if (!hw_enabled()) return;
  switch (msg.mode) {
    case ApicDeliveryMode::kFixed:
    case ApicDeliveryMode::kLowestPriority:
      if (!sw_enabled()) return;
      set_irr(msg.vector, msg.level_triggered);
      break;
    case ApicDeliveryMode::kSmi:
      smi_pending_ = 1;
      changed();
      break;
    case ApicDeliveryMode::kNmi:
      nmi_pending_ = 1;
      changed();
      break;
    case ApicDeliveryMode::kInit:
      if (msg.level_triggered && !msg.assert) return;  // INIT level de-assert
      init_reset();
      init_pending_ = 1;
      wait_for_sipi_ = bsp_ ? 0 : 1;  // the BSP restarts at the reset vector instead
      sipi_pending_ = 0;
      changed();
      break;
    case ApicDeliveryMode::kStartup:
      if (wait_for_sipi_ && !sipi_pending_) {
        sipi_vector_ = msg.vector;
        sipi_pending_ = 1;
        changed();
      }
      break;
    case ApicDeliveryMode::kExtInt:
      extint_message_ = 1;
      changed();
      break;
  }
}

// --- Timer ---

int64_t LocalApic::timer_divisor() const {
  uint32_t v = (timer_divide_ & 3) | ((timer_divide_ >> 1) & 4);
  return int64_t{1} << ((v + 1) & 7);
}

uint32_t LocalApic::timer_current_count() const {
  if (timer_mode() == kTimerTscDeadline || timer_initial_ == 0) return 0;
  int64_t elapsed = (now() - timer_start_ns_) / timer_divisor();
  if (timer_mode() == kTimerPeriodic) {
    return static_cast<uint32_t>(timer_initial_ - elapsed % timer_initial_);
  }
  return elapsed >= timer_initial_ ? 0 : static_cast<uint32_t>(timer_initial_ - elapsed);
}

void LocalApic::timer_start() {
  timer_->del();
  timer_armed_ = 0;
  timer_start_ns_ = now();
  if (timer_initial_ == 0) return;
  timer_expiry_ns_ = timer_start_ns_ + int64_t{timer_initial_} * timer_divisor();
  timer_armed_ = 1;
  timer_->mod(timer_expiry_ns_);
}

void LocalApic::timer_expired() {
  if (timer_mode() == kTimerTscDeadline) {
    tsc_deadline_ = 0;
    timer_armed_ = 0;
    deliver_local(kLvtTimer);
    return;
  }
  deliver_local(kLvtTimer);
  if (timer_mode() == kTimerPeriodic && timer_initial_ != 0) {
    int64_t period = int64_t{timer_initial_} * timer_divisor();
    timer_expiry_ns_ += period;
    int64_t t = now();
    if (timer_expiry_ns_ <= t) {
      // Far behind (host stall): skip the missed periods rather than storm.
      timer_expiry_ns_ = timer_start_ns_ + ((t - timer_start_ns_) / period + 1) * period;
    }
    timer_->mod(timer_expiry_ns_);
  } else {
    timer_armed_ = 0;
  }
}

CpuLocalApic::MsrAccess LocalApic::cpu_read_msr(uint32_t index, uint64_t* value) {
  if (index == kMsrApicBase) {
    *value = apic_base_msr();
    return MsrAccess::kDone;
  }
  if (index == kMsrTscDeadline) {
    *value = tsc_deadline();
    return MsrAccess::kDone;
  }
  if (index >= kMsrX2apicFirst && index <= kMsrX2apicLast)
    return read_msr(index, value) ? MsrAccess::kDone : MsrAccess::kFault;
  return MsrAccess::kNotMine;
}

CpuLocalApic::MsrAccess LocalApic::cpu_write_msr(uint32_t index, uint64_t value, uint64_t tsc) {
  if (index == kMsrApicBase)
    return write_apic_base_msr(value) ? MsrAccess::kDone : MsrAccess::kFault;
  if (index == kMsrTscDeadline) {
    // The CPU's TSC is virtual_ns * tsc_hz / 1e9 + offset; recover the offset.
    __int128 ticks_from_clock = static_cast<__int128>(now()) * tsc_hz_ / kNsPerSec;
    write_tsc_deadline(value, static_cast<int64_t>(static_cast<__int128>(tsc) - ticks_from_clock));
    return MsrAccess::kDone;
  }
  if (index >= kMsrX2apicFirst && index <= kMsrX2apicLast)
    return write_msr(index, value) ? MsrAccess::kDone : MsrAccess::kFault;
  return MsrAccess::kNotMine;
}

void LocalApic::write_tsc_deadline(uint64_t deadline, int64_t tsc_offset) {
  tsc_offset_ = tsc_offset;
  if (timer_mode() != kTimerTscDeadline) return;  // ignored in other modes
  tsc_deadline_ = deadline;
  arm_tsc_deadline();
}

void LocalApic::arm_tsc_deadline() {
  timer_->del();
  timer_armed_ = 0;
  if (tsc_deadline_ == 0) return;
  __int128 ticks = static_cast<__int128>(tsc_deadline_) - tsc_offset_;
  __int128 ns = (ticks * kNsPerSec + static_cast<__int128>(tsc_hz_) - 1) / tsc_hz_;
  if (ns <= now()) {
    timer_expired();
    return;
  }
  timer_expiry_ns_ = static_cast<int64_t>(ns);
  timer_armed_ = 1;
  timer_->mod(timer_expiry_ns_);
}

// --- MMIO and MSR access ---

uint64_t LocalApic::read(uint64_t offset, unsigned size) {
  if (!hw_enabled() || x2apic_mode()) return 0;
  uint32_t reg = static_cast<uint32_t>(offset & ~uint64_t{0xF});
  unsigned byte = offset & 0xF;
  if (byte + size > 4) return 0;
  uint32_t value = 0;
  if (reg == kRegSelfIpi || !read_register(reg, &value)) {
    signal_error(kEsrIllegalRegister);
    return 0;
  }
  value >>= 8 * byte;
  return size == 4 ? value : value & ((1u << (8 * size)) - 1);
}

void LocalApic::write(uint64_t offset, uint64_t value, unsigned size) {
  if (!hw_enabled() || x2apic_mode()) return;
  uint32_t reg = static_cast<uint32_t>(offset & ~uint64_t{0xF});
  if (size != 4 || (offset & 0xF)) {
    VX86_LOG(kLogGuestErrors, "lapic: %u-byte write at offset 0x%x ignored\n", size,
             static_cast<unsigned>(offset));
    return;
  }
  if (reg == kRegSelfIpi || !write_register(reg, static_cast<uint32_t>(value))) {
    signal_error(kEsrIllegalRegister);
  }
}

bool LocalApic::read_msr(uint32_t index, uint64_t* value) {
  if (!x2apic_mode() || index < kMsrX2apicFirst || index > kMsrX2apicLast) return false;
  uint32_t reg = (index - kMsrX2apicFirst) << 4;
  switch (reg) {
    case kRegEoi:
    case kRegSelfIpi:  // write-only
    case kRegApr:
    case kRegRrd:
    case kRegDfr:
    case kRegIcrHigh:  // not in x2APIC mode
      return false;
    case kRegIcrLow:
      *value = uint64_t{icr_high_} << 32 | icr_low_;
      return true;
    default:
      break;
  }
  uint32_t v;
  if (!read_register(reg, &v)) return false;
  *value = v;
  return true;
}

bool LocalApic::write_msr(uint32_t index, uint64_t value) {
  if (!x2apic_mode() || index < kMsrX2apicFirst || index > kMsrX2apicLast) return false;
  uint32_t reg = (index - kMsrX2apicFirst) << 4;
  if (reg == kRegIcrLow) {
    if (value & ~(uint64_t{0xFFFFFFFF} << 32 | kIcrWriteMask)) return false;
    icr_low_ = static_cast<uint32_t>(value);
    icr_high_ = static_cast<uint32_t>(value >> 32);
    write_icr(icr_low_, icr_high_);
    return true;
  }
  if (value >> 32) return false;
  switch (reg) {
    case kRegTpr:
    case kRegSvr:
    case kRegTimerInitial:
    case kRegTimerDivide:
    case kRegSelfIpi:
      break;
    case kRegEoi:
    case kRegEsr:
      if (value != 0) return false;
      break;
    default:
      if (reg >= kRegLvtTimer && reg <= kRegLvtError) break;
      return false;  // read-only or reserved
  }
  return write_register(reg, static_cast<uint32_t>(value));
}

// --- Reset and state ---

void LocalApic::register_reset() {
  timer_->del();
  tpr_ = 0;
  ldr_ = x2apic_mode() ? x2apic_ldr(initial_id_) : 0;
  dfr_ = 0xFFFFFFFF;
  svr_ = 0xFF;
  isr_ = {};
  tmr_ = {};
  irr_ = {};
  esr_ = 0;
  esr_pending_ = 0;
  icr_low_ = 0;
  icr_high_ = 0;
  lvt_.fill(kLvtMasked);
  timer_initial_ = 0;
  timer_divide_ = 0;
  timer_start_ns_ = 0;
  timer_expiry_ns_ = 0;
  timer_armed_ = 0;
  tsc_deadline_ = 0;
  extint_message_ = 0;
  nmi_pending_ = 0;
  smi_pending_ = 0;
  init_pending_ = 0;
  wait_for_sipi_ = 0;
  sipi_pending_ = 0;
  sipi_vector_ = 0;
}

void LocalApic::reset() {
  base_msr_ = kDefaultBase | kBaseEnable | (bsp_ ? kBaseBsp : 0);
  if (region_->parent() && region_->offset() != kDefaultBase) region_->set_offset(kDefaultBase);
  id_ = initial_id_ << 24;
  register_reset();
  // Application processors come out of power-on waiting for a start-up IPI.
  wait_for_sipi_ = bsp_ ? 0 : 1;
  // Firmware puts the BSP in virtual-wire mode (LINT0 = ExtINT) so the 8259 reaches it; with
  // no firmware (direct kernel boot, bare-metal guests) reset does it.
  if (bsp_) lvt_[kLvtLint0] = 7u << 8;
  changed();
}

void LocalApic::init_reset() {
  register_reset();
}

void LocalApic::visit_state(StateVisitor& v) {
  v.begin("lapic");
  v.field("base_msr", base_msr_);
  v.field("id", id_);
  v.field("tpr", tpr_);
  v.field("ldr", ldr_);
  v.field("dfr", dfr_);
  v.field("svr", svr_);
  v.field("isr", isr_);
  v.field("tmr", tmr_);
  v.field("irr", irr_);
  v.field("esr", esr_);
  v.field("esr_pending", esr_pending_);
  v.field("icr_low", icr_low_);
  v.field("icr_high", icr_high_);
  v.field("lvt", lvt_);
  v.field("timer_initial", timer_initial_);
  v.field("timer_divide", timer_divide_);
  v.field("timer_start_ns", timer_start_ns_);
  v.field("timer_expiry_ns", timer_expiry_ns_);
  v.field("timer_armed", timer_armed_);
  v.field("tsc_deadline", tsc_deadline_);
  v.field("tsc_offset", tsc_offset_);
  v.field("lint_level", lint_level_);
  v.field("extint_message", extint_message_);
  v.field("nmi_pending", nmi_pending_);
  v.field("smi_pending", smi_pending_);
  v.field("init_pending", init_pending_);
  v.field("wait_for_sipi", wait_for_sipi_);
  v.field("sipi_pending", sipi_pending_);
  v.field("sipi_vector", sipi_vector_);
  v.end();
  if (v.loading()) {
    if (timer_armed_) {
      timer_->mod(timer_expiry_ns_);
    } else {
      timer_->del();
    }
    if (region_->parent()) region_->set_offset(base_msr_ & ~uint64_t{0xFFF});
    changed();
  }
}

}  // namespace vx86
