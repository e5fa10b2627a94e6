#include "hw/rtc/mc146818.h"

#include <algorithm>
#include <ctime>
#include <limits>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr int64_t kUipWindowNs = 244'000;
constexpr int64_t kTimeBaseHz = 32768;
// Alarm checks after a long pause look at most one day back.
constexpr int64_t kMaxAlarmScanSeconds = 86400;
// driftfix=slew keeps at most this many missed periodic interrupts (8 s at 8192 Hz).
constexpr int64_t kMaxCoalesced = 65536;

int64_t to_ticks(int64_t ns) {
  return static_cast<int64_t>(static_cast<__int128>(ns) * kTimeBaseHz / kNsPerSec);
}

int64_t ticks_to_ns(int64_t ticks) {
  return static_cast<int64_t>((static_cast<__int128>(ticks) * kNsPerSec + kTimeBaseHz - 1) /
                              kTimeBaseHz);
}

std::tm broken_down(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

bool is_time_field(unsigned index) {
  return index == 0x00 || index == 0x02 || index == 0x04 || index == 0x06 || index == 0x07 ||
         index == 0x08 || index == 0x09 || index == Mc146818Rtc::kCentury;
}

}  // namespace

Mc146818Rtc::Mc146818Rtc(Clocks& clocks, IrqLine* irq, ClockType clock)
    : Device("mc146818rtc"),
      clocks_(clocks),
      irq_(irq),
      clock_(clock),
      timer_(clocks, clock, [this] {
        int64_t raw = raw_now();
        sync_flags(raw);
        update_irq();
        rearm(raw);
      }) {
  region_ = MemoryRegion::io("rtc", 2, this, AccessLimits{1, 1, false});
  // Start at the host's wall time whatever the time base.
  offset_ns_ = clock == ClockType::kHost ? 0 : clocks.now(ClockType::kHost) - raw_now();
  reference_offset_ns_ = offset_ns_;
  synced_raw_ = raw_now();
}

void Mc146818Rtc::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

uint8_t Mc146818Rtc::encode(int value) const {
  if (binary()) return static_cast<uint8_t>(value);
  return static_cast<uint8_t>(((value / 10) % 10) << 4 | (value % 10));
}

int Mc146818Rtc::decode(uint8_t value) const {
  if (binary()) return value;
  return (value >> 4) * 10 + (value & 0x0f);
}

uint8_t Mc146818Rtc::encode_hour(int hour) const {
  if (hours_24()) return encode(hour);
  int h12 = hour % 12 == 0 ? 12 : hour % 12;
  return static_cast<uint8_t>(encode(h12) | (hour >= 12 ? 0x80 : 0));
}

int Mc146818Rtc::decode_hour(uint8_t value) const {
  if (hours_24()) return decode(value);
  int hour = decode(value & 0x7f) % 12;
  return (value & 0x80) ? hour + 12 : hour;
}

uint8_t Mc146818Rtc::time_register(unsigned index, int64_t epoch_seconds) const {
  std::tm tm = broken_down(epoch_seconds);
  int year = tm.tm_year + 1900;
  switch (index) {
    case 0x00:
      return encode(tm.tm_sec);
    case 0x02:
      return encode(tm.tm_min);
    case 0x04:
      return encode_hour(tm.tm_hour);
    case 0x06:
      return encode(tm.tm_wday + 1);  // Sunday = 1
    case 0x07:
      return encode(tm.tm_mday);
    case 0x08:
      return encode(tm.tm_mon + 1);
    case 0x09:
      return encode(year % 100);
    default:  // kCentury
      return encode(year / 100);
  }
}

void Mc146818Rtc::set_rtc_ns(int64_t raw, int64_t ns) {
  if (halted_) {
    frozen_ns_ = ns;
  } else {
    offset_ns_ = ns - raw;
  }
}

void Mc146818Rtc::set_time(int64_t epoch_seconds) {
  int64_t raw = raw_now();
  sync_flags(raw);
  set_rtc_ns(raw, epoch_seconds * kNsPerSec);
  synced_raw_ = raw;
  reference_offset_ns_ = epoch_seconds * kNsPerSec - raw;
  rearm(raw);
}

int64_t Mc146818Rtc::time() const {
  return rtc_ns(raw_now()) / kNsPerSec;
}

void Mc146818Rtc::write_time_field(unsigned index, uint8_t value) {
  if (index == 0x06) {
    VX86_LOG(kLogUnimp, "rtc: day of week follows the date; write ignored\n");
    return;
  }
  int64_t raw = raw_now();
  sync_flags(raw);
  int64_t ns = rtc_ns(raw);
  int64_t seconds = ns / kNsPerSec;
  int64_t sub = ns % kNsPerSec;
  std::tm tm = broken_down(seconds);
  int year = tm.tm_year + 1900;
  switch (index) {
    case 0x00:
      tm.tm_sec = decode(value);
      break;
    case 0x02:
      tm.tm_min = decode(value);
      break;
    case 0x04:
      tm.tm_hour = decode_hour(value);
      break;
    case 0x07:
      tm.tm_mday = decode(value);
      break;
    case 0x08:
      tm.tm_mon = decode(value) - 1;
      break;
    case 0x09:
      tm.tm_year = year / 100 * 100 + decode(value) - 1900;
      break;
    default:  // kCentury
      tm.tm_year = decode(value) * 100 + year % 100 - 1900;
      break;
  }
  int64_t updated = timegm(&tm);
  set_rtc_ns(raw, updated * kNsPerSec + sub);
  if (!halted_) guest_set_time(raw);
  synced_raw_ = raw;
  rearm(raw);
}

bool Mc146818Rtc::alarm_matches(int64_t epoch_seconds) const {
  static constexpr unsigned kTimeRegs[3] = {0x00, 0x02, 0x04};
  for (int i = 0; i < 3; ++i) {
    uint8_t a = alarm_[static_cast<std::size_t>(i)];
    if ((a & 0xc0) == 0xc0) continue;  // "don't care"
    if (a != time_register(kTimeRegs[i], epoch_seconds)) return false;
  }
  return true;
}

int64_t Mc146818Rtc::periodic_ticks() const {
  unsigned rs = reg_a_ & 0x0f;
  if (rs == 0) return 0;
  if (rs <= 2) return int64_t{1} << (rs + 6);  // 256 Hz and 128 Hz
  return int64_t{1} << (rs - 1);               // 8192 Hz down to 2 Hz
}

void Mc146818Rtc::sync_flags(int64_t raw) {
  if (raw < synced_raw_) synced_raw_ = raw;  // the host clock stepped back
  if (raw > synced_raw_) {
    int64_t p = periodic_ticks();
    const int64_t edges =
        p && divider_running() ? to_ticks(raw) / p - to_ticks(synced_raw_) / p : 0;
    if (edges > 0) {
      if (slew_ && (reg_b_ & 0x40)) {
        // The guest takes one interrupt; the rest, and one still pending, are missed.
        const bool pending = reg_c_ & 0x40;
        coalesced_ = std::min<int64_t>(coalesced_ + (pending ? edges : edges - 1), kMaxCoalesced);
        if (!pending) reinjected_on_ack_ = 0;
      }
      reg_c_ |= 0x40;  // PF
    }
    if (!halted_) {
      int64_t s0 = (synced_raw_ + offset_ns_) / kNsPerSec;
      int64_t s1 = (raw + offset_ns_) / kNsPerSec;
      if (s1 > s0) {
        reg_c_ |= 0x10;  // UF
        for (int64_t s = std::max(s0 + 1, s1 - kMaxAlarmScanSeconds); s <= s1; ++s) {
          if (alarm_matches(s)) {
            reg_c_ |= 0x20;  // AF
            break;
          }
        }
      }
    }
    synced_raw_ = raw;
  }
  // IRQF = PF.PIE + AF.AIE + UF.UIE
  reg_c_ = static_cast<uint8_t>((reg_c_ & 0x70) | ((reg_c_ & reg_b_ & 0x70) ? 0x80 : 0));
}

void Mc146818Rtc::update_irq() {
  uint8_t level = (reg_c_ & 0x80) ? 1 : 0;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_->set(level);
}

void Mc146818Rtc::rearm(int64_t raw) {
  int64_t next = std::numeric_limits<int64_t>::max();
  int64_t p = periodic_ticks();
  if ((reg_b_ & 0x40) && p && divider_running()) {
    next = std::min(next, ticks_to_ns((to_ticks(raw) / p + 1) * p));
  }
  if ((reg_b_ & 0x30) && !halted_) {
    int64_t s = (raw + offset_ns_) / kNsPerSec;
    next = std::min(next, (s + 1) * kNsPerSec - offset_ns_);
  }
  if (next == std::numeric_limits<int64_t>::max()) {
    timer_.del();
  } else {
    timer_.mod(next);
  }
}

void Mc146818Rtc::guest_set_time(int64_t raw) {
  if (!change_listener_) return;
  // Whole seconds of each, as QEMU counts them.
  const int64_t guest = rtc_ns(raw), reference = raw + reference_offset_ns_;
  auto seconds = [](int64_t ns) { return ns >= 0 ? ns / kNsPerSec : (ns + 1) / kNsPerSec - 1; };
  change_listener_(seconds(guest) - seconds(reference));
}

void Mc146818Rtc::update_halt(int64_t raw, bool divider_was_running) {
  bool should_halt = set_mode() || !divider_running();
  if (should_halt && !halted_) {
    frozen_ns_ = raw + offset_ns_;
    halted_ = 1;
  } else if (!should_halt && halted_) {
    int64_t ns = frozen_ns_;
    // Releasing the divider chain: the first update comes 500 ms later.
    if (!divider_was_running) ns = ns / kNsPerSec * kNsPerSec + kNsPerSec / 2;
    halted_ = 0;
    offset_ns_ = ns - raw;
    synced_raw_ = raw;
  }
}

uint8_t Mc146818Rtc::read_register(unsigned index, bool side_effects) {
  int64_t raw = raw_now();
  if (is_time_field(index)) return time_register(index, rtc_ns(raw) / kNsPerSec);
  switch (index) {
    case 0x01:
    case 0x03:
    case 0x05:
      return alarm_[index / 2];
    case kRegA: {
      uint8_t v = reg_a_;
      if (!halted_ && (raw + offset_ns_) % kNsPerSec >= kNsPerSec - kUipWindowNs) v |= 0x80;
      return v;
    }
    case kRegB:
      return reg_b_;
    case kRegC: {
      if (!side_effects) return reg_c_;
      sync_flags(raw);
      uint8_t v = reg_c_;
      reg_c_ = 0;  // reading clears every flag and the interrupt
      update_irq();
      if (slew_ && coalesced_ > 0 && (reg_b_ & 0x40) && reinjected_on_ack_ < kReinjectOnAck) {
        // driftfix=slew: the acknowledgement brings the next missed tick.
        --coalesced_;
        ++reinjected_on_ack_;
        reg_c_ = 0xc0;  // IRQF | PF
        update_irq();
      }
      return v;
    }
    case kRegD:
      return 0x80;  // valid RAM and time
    default:
      return cmos_[index];
  }
}

void Mc146818Rtc::write_register(unsigned index, uint8_t value) {
  if (is_time_field(index)) {
    write_time_field(index, value);
    return;
  }
  int64_t raw = raw_now();
  switch (index) {
    case 0x01:
    case 0x03:
    case 0x05:
      sync_flags(raw);
      alarm_[index / 2] = value;
      break;
    case kRegA: {
      sync_flags(raw);
      bool was_running = divider_running();
      const bool was_halted = halted_;
      reg_a_ = value & 0x7f;  // UIP is read-only
      update_halt(raw, was_running);
      // The clock starts from what the guest set while it stood.
      if (was_halted && !halted_) guest_set_time(raw);
      break;
    }
    case kRegB: {
      sync_flags(raw);
      const bool was_halted = halted_;
      reg_b_ = value;
      if (value & 0x80) reg_b_ &= ~0x10;  // SET clears UIE
      update_halt(raw, divider_running());
      if (was_halted && !halted_) guest_set_time(raw);
      sync_flags(raw);
      update_irq();
      break;
    }
    case kRegC:
    case kRegD:
      VX86_LOG(kLogGuestErrors, "rtc: write to read-only register 0x%x\n", index);
      return;
    default:
      cmos_[index] = value;
      return;
  }
  rearm(raw);
}

void Mc146818Rtc::set_cmos(unsigned index, uint8_t value) {
  write_register(index & 0x7f, value);
}

uint8_t Mc146818Rtc::cmos(unsigned index) {
  return read_register(index & 0x7f, false);
}

uint64_t Mc146818Rtc::read(uint64_t offset, unsigned size) {
  if (offset == 0) return 0xff;  // the index register is write-only
  return read_register(index_, true);
}

void Mc146818Rtc::write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0) {
    index_ = value & 0x7f;
    nmi_masked_ = (value >> 7) & 1;
    return;
  }
  write_register(index_, static_cast<uint8_t>(value));
}

void Mc146818Rtc::reset() {
  // The RESET pin clears the interrupt enables, SQWE and the flags; the time,
  // register A and the data mode survive.
  int64_t raw = raw_now();
  sync_flags(raw);
  reg_b_ &= ~0x78;
  reg_c_ = 0;
  coalesced_ = 0;
  reinjected_on_ack_ = 0;
  update_irq();
  rearm(raw);
}

void Mc146818Rtc::visit_state(StateVisitor& v) {
  v.begin("mc146818rtc");
  v.array("cmos", std::span<uint8_t>(cmos_));
  v.field("index", index_);
  v.field("nmi_masked", nmi_masked_);
  v.field("reg_a", reg_a_);
  v.field("reg_b", reg_b_);
  v.field("reg_c", reg_c_);
  v.array("alarm", std::span<uint8_t>(alarm_));
  v.field("offset_ns", offset_ns_);
  v.field("halted", halted_);
  v.field("frozen_ns", frozen_ns_);
  v.field("synced_raw", synced_raw_);
  v.end();
  if (v.loading()) {
    irq_level_ = (reg_c_ & 0x80) ? 1 : 0;
    if (irq_) irq_->set(irq_level_);
    rearm(raw_now());
  }
}

}  // namespace vx86
