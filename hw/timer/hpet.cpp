#include "hw/timer/hpet.h"

#include "core/log.h"

namespace vx86 {

namespace {

constexpr uint64_t kTimerConfigWriteMask =
    0x3F4E;  // type, enable, periodic, val-set, 32-bit, route
constexpr uint64_t kRouteMask = uint64_t{0x1F} << Hpet::kTimerRouteShift;
// Comparator distances beyond this (centuries) are never armed.
constexpr uint64_t kMaxArmTicks = uint64_t{1} << 56;

}  // namespace

Hpet::Hpet(Clocks& clocks) : Device("hpet"), clocks_(clocks) {
  region_ = MemoryRegion::io("hpet", 0x400, this, AccessLimits{4, 8, false});
  for (int n = 0; n < kTimers; ++n) {
    timers_[static_cast<std::size_t>(n)].timer =
        std::make_unique<Timer>(clocks_, ClockType::kVirtual, [this, n] { fire(n); });
  }
  reset();
}

void Hpet::map(MemoryRegion& memory, uint64_t base) {
  memory.add_subregion(base, region_.get());
}

uint64_t Hpet::main_counter() const {
  if (!enabled()) return counter_base_;
  return counter_base_ + static_cast<uint64_t>((now() - counter_ref_ns_) / kNsPerTick);
}

uint64_t Hpet::timer_capabilities(int n) const {
  uint64_t caps = kTimerSize64Cap | uint64_t{kRouteCapability} << 32;
  if (n == 0) caps |= kTimerPeriodicCap;
  return caps;
}

IrqLine* Hpet::route(int n) const {
  if (legacy_mode() && n == 0) return legacy_irq0_;
  if (legacy_mode() && n == 1) return legacy_irq8_;
  uint64_t pin = (timers_[static_cast<std::size_t>(n)].config & kRouteMask) >> kTimerRouteShift;
  return gsi_[pin];
}

void Hpet::update_output(int n) {
  HpetTimer& t = timers_[static_cast<std::size_t>(n)];
  IrqLine* line = route(n);
  bool level = (t.config & kTimerLevel) && (t.config & kTimerIntEnable) && (status_ >> n & 1);
  if (t.output != line && t.output_level) {
    if (t.output) t.output->lower();
    t.output_level = 0;
  }
  t.output = line;
  if (level != static_cast<bool>(t.output_level)) {
    t.output_level = level;
    if (line) line->set(level);
  }
}

void Hpet::arm(int n, bool after_match) {
  HpetTimer& t = timers_[static_cast<std::size_t>(n)];
  t.timer->del();
  if (!enabled()) return;
  uint64_t counter = main_counter();
  uint64_t distance;
  if (t.config & kTimer32Bit) {
    distance = static_cast<uint32_t>(t.comparator - counter);
    if (distance == 0 && after_match) distance = uint64_t{1} << 32;  // next match after the wrap
  } else {
    distance = t.comparator - counter;
    if (distance == 0 && after_match) return;  // the 64-bit counter never wraps in practice
  }
  if (distance > kMaxArmTicks) return;
  // The first instant the counter reads counter + distance.
  __int128 ticks = static_cast<__int128>(counter - counter_base_) + distance;
  t.timer->mod(static_cast<int64_t>(counter_ref_ns_ + ticks * kNsPerTick));
}

void Hpet::arm_all() {
  for (int n = 0; n < kTimers; ++n) arm(n, false);
}

void Hpet::fire(int n) {
  HpetTimer& t = timers_[static_cast<std::size_t>(n)];
  if (t.config & kTimerLevel) {
    status_ |= uint64_t{1} << n;
    update_output(n);
  } else if ((t.config & kTimerIntEnable) && route(n)) {
    route(n)->pulse();
  }
  if ((t.config & kTimerPeriodic) && t.period != 0) {
    bool narrow = t.config & kTimer32Bit;
    uint64_t mask = narrow ? 0xFFFFFFFF : ~uint64_t{0};
    uint64_t next = (t.comparator + t.period) & mask;
    // How far the counter already is past the next match (a host stall):
    // skip the missed periods instead of waiting for the counter to wrap.
    uint64_t counter = main_counter();
    int64_t lag = narrow ? -int64_t{static_cast<int32_t>(static_cast<uint32_t>(next - counter))}
                         : -static_cast<int64_t>(next - counter);
    if (lag >= 0 && t.period < (uint64_t{1} << 31)) {
      next = (next + (static_cast<uint64_t>(lag) / t.period + 1) * t.period) & mask;
    }
    t.comparator = next;
    arm(n, false);
  } else {
    arm(n, true);
  }
}

void Hpet::write_timer_config(int n, uint64_t value) {
  HpetTimer& t = timers_[static_cast<std::size_t>(n)];
  uint64_t old = t.config;
  uint64_t updated = (old & ~kTimerConfigWriteMask) | (value & kTimerConfigWriteMask);
  if (!(timer_capabilities(n) & kTimerPeriodicCap)) updated &= ~kTimerPeriodic;
  uint64_t pin = (updated & kRouteMask) >> kTimerRouteShift;
  if (!((kRouteCapability >> pin) & 1)) {
    updated = (updated & ~kRouteMask) | (old & kRouteMask);  // unsupported route: not taken
  }
  t.config = updated;
  if (updated & kTimer32Bit) {
    t.comparator &= 0xFFFFFFFF;
    t.period &= 0xFFFFFFFF;
  }
  if (!(updated & kTimerLevel)) status_ &= ~(uint64_t{1} << n);
  update_output(n);
  arm(n, false);
}

void Hpet::write_comparator(int n, uint64_t value) {
  HpetTimer& t = timers_[static_cast<std::size_t>(n)];
  if (t.config & kTimer32Bit) value &= 0xFFFFFFFF;
  if (t.config & kTimerPeriodic) {
    // Periodic: the write sets the period; with Tn_VAL_SET also the
    // comparator (the time of the first interrupt).
    if (t.config & kTimerValueSet) t.comparator = value;
    t.period = value;
  } else {
    t.comparator = value;
  }
  t.config &= ~kTimerValueSet;
  arm(n, false);
}

uint64_t Hpet::read64(uint64_t reg) {
  switch (reg) {
    case kRegCapabilities:
      return kPeriodFs << 32 | 0x8086u << 16 | 1u << 15 /* legacy route */ |
             1u << 13 /* 64-bit counter */ | (kTimers - 1) << 8 | 0x01 /* revision */;
    case kRegConfig:
      return config_;
    case kRegInterruptStatus:
      return status_;
    case kRegMainCounter:
      return main_counter();
    default:
      break;
  }
  if (reg >= 0x100 && reg < kRegTimerConfig(kTimers)) {
    int n = static_cast<int>((reg - 0x100) / 0x20);
    const HpetTimer& t = timers_[static_cast<std::size_t>(n)];
    switch (reg & 0x1F) {
      case 0x00:
        return t.config | timer_capabilities(n);
      case 0x08:
        return t.comparator;
      default:
        return 0;  // FSB route: not supported
    }
  }
  return 0;
}

void Hpet::write64(uint64_t reg, uint64_t value, uint64_t mask) {
  switch (reg) {
    case kRegCapabilities:
      return;
    case kRegConfig: {
      uint64_t old = config_;
      uint64_t updated = ((old & ~mask) | (value & mask)) & (kConfigEnable | kConfigLegacy);
      if ((old ^ updated) & kConfigEnable) {
        counter_base_ = main_counter();  // halt or restart from the current value
        counter_ref_ns_ = now();
      }
      config_ = updated;
      if ((old ^ updated) & kConfigLegacy) {
        for (int n = 0; n < kTimers; ++n) update_output(n);
        if (legacy_listener_) legacy_listener_(legacy_mode());
      }
      arm_all();
      return;
    }
    case kRegInterruptStatus:
      status_ &= ~(value & mask);  // write 1 to clear
      for (int n = 0; n < kTimers; ++n) update_output(n);
      return;
    case kRegMainCounter:
      if (enabled()) VX86_LOG(kLogGuestErrors, "hpet: main counter written while running\n");
      counter_base_ = (main_counter() & ~mask) | (value & mask);
      counter_ref_ns_ = now();
      arm_all();
      return;
    default:
      break;
  }
  if (reg >= 0x100 && reg < kRegTimerConfig(kTimers)) {
    int n = static_cast<int>((reg - 0x100) / 0x20);
    HpetTimer& t = timers_[static_cast<std::size_t>(n)];
    switch (reg & 0x1F) {
      case 0x00:
        write_timer_config(n, (t.config & ~mask) | (value & mask));
        return;
      case 0x08: {
        // In periodic mode the merge base is the last value written (period).
        uint64_t base =
            (t.config & kTimerPeriodic) && !(t.config & kTimerValueSet) ? t.period : t.comparator;
        if ((t.config & kTimer32Bit) && !(mask & 0xFFFFFFFF))
          return;  // high half of a 32-bit timer
        write_comparator(n, (base & ~mask) | (value & mask));
        return;
      }
      default:
        return;
    }
  }
  VX86_LOG(kLogGuestErrors, "hpet: write to reserved offset 0x%x\n", static_cast<unsigned>(reg));
}

uint64_t Hpet::read(uint64_t offset, unsigned size) {
  uint64_t value = read64(offset & ~uint64_t{7}) >> (8 * (offset & 7));
  return size == 8 ? value : value & ((uint64_t{1} << (8 * size)) - 1);
}

void Hpet::write(uint64_t offset, uint64_t value, unsigned size) {
  unsigned shift = 8 * (offset & 7);
  uint64_t mask = size == 8 ? ~uint64_t{0} : ((uint64_t{1} << (8 * size)) - 1) << shift;
  write64(offset & ~uint64_t{7}, value << shift, mask);
}

void Hpet::reset() {
  bool was_legacy = legacy_mode();
  config_ = 0;
  status_ = 0;
  counter_base_ = 0;
  counter_ref_ns_ = now();
  for (int n = 0; n < kTimers; ++n) {
    HpetTimer& t = timers_[static_cast<std::size_t>(n)];
    t.timer->del();
    t.config = uint64_t{20} << kTimerRouteShift;  // a supported route; interrupts disabled
    t.comparator = ~uint64_t{0};
    t.period = 0;
    update_output(n);
  }
  if (was_legacy && legacy_listener_) legacy_listener_(false);
}

void Hpet::visit_state(StateVisitor& v) {
  v.begin("hpet");
  v.field("config", config_);
  v.field("status", status_);
  v.field("counter_base", counter_base_);
  v.field("counter_ref_ns", counter_ref_ns_);
  for (int n = 0; n < kTimers; ++n) {
    HpetTimer& t = timers_[static_cast<std::size_t>(n)];
    v.begin("timer" + std::to_string(n));
    v.field("config", t.config);
    v.field("comparator", t.comparator);
    v.field("period", t.period);
    v.end();
  }
  v.end();
  if (v.loading()) {
    for (int n = 0; n < kTimers; ++n) update_output(n);
    if (legacy_listener_) legacy_listener_(legacy_mode());
    arm_all();
  }
}

}  // namespace vx86
