#include "hw/timer/i8254.h"

#include "core/log.h"

namespace vx86 {

namespace {

uint32_t from_bcd(uint32_t v) {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

uint16_t to_bcd(uint32_t v) {
  return static_cast<uint16_t>(((v / 1000) % 10) << 12 | ((v / 100) % 10) << 8 |
                               ((v / 10) % 10) << 4 | (v % 10));
}

}  // namespace

I8254::I8254(Clocks& clocks, IrqLine* irq0) : Device("i8254"), clocks_(clocks) {
  region_ = MemoryRegion::io("pit", 4, this, AccessLimits{1, 1, false});
  for (std::size_t i = 0; i < counters_.size(); ++i) {
    counters_[i].timer = std::make_unique<Timer>(clocks_, ClockType::kVirtual,
                                                 [this, i] { update_output(static_cast<int>(i)); });
  }
  counters_[0].line = irq0;
  reset();
}

void I8254::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

int64_t I8254::now_ticks() const {
  __int128 ns = clocks_.now(ClockType::kVirtual);
  return static_cast<int64_t>(ns * kFrequencyHz / kNsPerSec);
}

int64_t I8254::ticks_to_ns(int64_t ticks) {
  // Rounded up so that now_ticks() at that time has reached `ticks`.
  __int128 t = ticks;
  return static_cast<int64_t>((t * kNsPerSec + kFrequencyHz - 1) / kFrequencyHz);
}

int64_t I8254::elapsed(const Counter& c, int64_t now) const {
  if (!c.counting) return 0;
  if (c.frozen) return c.frozen_elapsed;
  return now - c.start_tick;
}

uint16_t I8254::value_at(const Counter& c, int64_t now) const {
  uint32_t value;
  if (!c.counting) {
    value = c.count;
  } else {
    int64_t n = initial(c);
    int64_t d = elapsed(c, now);
    int64_t m = modulus(c);
    switch (c.mode) {
      case 2:
        value = static_cast<uint32_t>(n - d % n);
        break;
      case 3:  // counts down by two, twice per period
        value = static_cast<uint32_t>((n - (2 * d) % n) & ~int64_t{1});
        break;
      default:  // 0, 1, 4, 5: one pass down, then wraps through the modulus
        value = static_cast<uint32_t>(((n - d) % m + m) % m);
        break;
    }
    value %= static_cast<uint32_t>(m);
  }
  return c.bcd ? to_bcd(value) : static_cast<uint16_t>(value);
}

bool I8254::output_at(const Counter& c, int64_t now) const {
  if ((c.mode == 2 || c.mode == 3) && !c.gate) return true;  // GATE low forces OUT high
  if (!c.counting) return c.mode != 0;
  int64_t n = initial(c);
  int64_t d = elapsed(c, now);
  switch (c.mode) {
    case 0:  // interrupt on terminal count
    case 1:  // hardware one-shot
      return d >= n;
    case 2:  // rate generator: low for the last clock of each period
      return d % n != n - 1;
    case 3:  // square wave: high for the first (n + 1) / 2 clocks
      return d % n < (n + 1) / 2;
    default:  // 4, 5: strobe low for one clock at terminal count
      return d != n;
  }
}

int64_t I8254::next_transition(const Counter& c, int64_t now) const {
  if (!c.counting || c.frozen) return -1;
  int64_t n = initial(c);
  int64_t d = now - c.start_tick;
  switch (c.mode) {
    case 0:
    case 1:
      return d < n ? c.start_tick + n : -1;
    case 2: {
      if (n < 2) return -1;
      int64_t period_start = now - d % n;
      return d % n < n - 1 ? period_start + n - 1 : period_start + n;
    }
    case 3: {
      if (n < 2) return -1;
      int64_t period_start = now - d % n;
      return d % n < (n + 1) / 2 ? period_start + (n + 1) / 2 : period_start + n;
    }
    default:
      if (d < n) return c.start_tick + n;
      if (d == n) return c.start_tick + n + 1;
      return -1;
  }
}

uint8_t I8254::status(const Counter& c, int64_t now) const {
  return static_cast<uint8_t>((output_at(c, now) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) |
                              (c.access << 4) | (c.mode << 1) | c.bcd);
}

bool I8254::output(int counter) {
  return output_at(counters_.at(static_cast<std::size_t>(counter)), now_ticks());
}

void I8254::set_output_line(int counter, IrqLine* line) {
  Counter& c = counters_.at(static_cast<std::size_t>(counter));
  c.line = line;
  if (line) {
    c.out_level = output_at(c, now_ticks());
    line->set(c.out_level);
  }
  update_output(counter);
}

bool I8254::has_one_clock_low_pulse(const Counter& c) {
  return c.mode == 2 || c.mode == 4 || c.mode == 5;
}

void I8254::update_output(int index) {
  Counter& c = counters_[static_cast<std::size_t>(index)];
  if (!c.line) {
    c.timer->del();
    return;
  }
  int64_t now = now_ticks();
  uint8_t out = output_at(c, now);
  if (has_one_clock_low_pulse(c) && c.low_tick >= 0 && now > c.low_tick && out && c.out_level) {
    // The low pulse of the rate generator and of the strobes lasts one clock
    // (838 ns), shorter than any host timer's latency: when the timer ran
    // late and the output is already high again, still give the PIC the
    // edge it would have seen. (Linux's PIT clock event device in one-shot
    // mode is a mode 4 strobe; a lost edge is a lost tick that never comes.)
    c.line->set(false);
    c.line->set(true);
  }
  c.low_tick = -1;
  if (out != c.out_level) {
    c.out_level = out;
    c.line->set(out);
  }
  int64_t next = next_transition(c, now);
  if (next >= 0) {
    if (has_one_clock_low_pulse(c) && !output_at(c, next)) c.low_tick = next;
    c.timer->mod(ticks_to_ns(next));
  } else {
    c.timer->del();
  }
}

void I8254::set_gate(int counter, bool level) {
  Counter& c = counters_.at(static_cast<std::size_t>(counter));
  bool old = c.gate;
  c.gate = level;
  if (old == level) return;
  int64_t now = now_ticks();
  switch (c.mode) {
    case 0:
    case 4:  // GATE low suspends counting
      if (!c.counting) break;
      if (!level) {
        c.frozen_elapsed = elapsed(c, now);
        c.frozen = 1;
      } else {
        c.start_tick = now - c.frozen_elapsed;
        c.frozen = 0;
      }
      break;
    case 2:
    case 3:  // GATE low stops counting; a rising edge reloads the count
      if (!level) {
        if (c.counting) {
          c.frozen_elapsed = elapsed(c, now);
          c.frozen = 1;
        }
      } else if (c.loaded) {
        c.counting = 1;
        c.frozen = 0;
        c.start_tick = now;
      }
      break;
    default:  // 1, 5: a rising edge (re)triggers
      if (level && c.loaded) {
        c.counting = 1;
        c.frozen = 0;
        c.start_tick = now;
      }
      break;
  }
  update_output(counter);
}

void I8254::load_count(Counter& c, uint32_t raw) {
  c.count = c.bcd ? from_bcd(raw) : raw;
  c.null_count = 0;
  c.loaded = 1;
  if (c.mode == 1 || c.mode == 5) return;  // waits for a GATE trigger
  c.counting = 1;
  c.start_tick = now_ticks();
  c.frozen = c.gate ? 0 : 1;
  c.frozen_elapsed = 0;
}

void I8254::latch_count(Counter& c) {
  if (c.count_latched) return;  // the first latch holds until read
  c.latched_count = value_at(c, now_ticks());
  c.count_latched = c.access == 3 ? 2 : 1;
}

void I8254::read_back(uint8_t value) {
  int64_t now = now_ticks();
  for (int i = 0; i < 3; ++i) {
    if (!(value & (2 << i))) continue;
    Counter& c = counters_[static_cast<std::size_t>(i)];
    if (!(value & 0x20)) latch_count(c);
    if (!(value & 0x10) && !c.status_latched) {
      c.latched_status = status(c, now);
      c.status_latched = 1;
    }
  }
}

void I8254::control_word(uint8_t value) {
  unsigned select = value >> 6;
  if (select == 3) {
    read_back(value);
    return;
  }
  Counter& c = counters_[select];
  unsigned access = (value >> 4) & 3;
  if (access == 0) {
    latch_count(c);
    return;
  }
  unsigned mode = (value >> 1) & 7;
  if (mode > 5) mode -= 4;  // 6 and 7 are aliases of 2 and 3
  c.mode = static_cast<uint8_t>(mode);
  c.access = static_cast<uint8_t>(access);
  c.bcd = value & 1;
  c.write_msb_next = c.read_msb_next = 0;
  c.null_count = 1;
  c.count_latched = c.status_latched = 0;
  c.loaded = c.counting = c.frozen = 0;
  update_output(static_cast<int>(select));
}

uint64_t I8254::read(uint64_t offset, unsigned size) {
  if (offset == 3) return 0xff;  // the control word register is write-only
  Counter& c = counters_[offset];
  if (c.status_latched) {
    c.status_latched = 0;
    return c.latched_status;
  }
  if (c.count_latched) {
    uint16_t v = c.latched_count;
    switch (c.access) {
      case 1:
        c.count_latched = 0;
        return v & 0xff;
      case 2:
        c.count_latched = 0;
        return v >> 8;
      default:
        if (c.count_latched == 2) {
          c.count_latched = 1;
          return v & 0xff;
        }
        c.count_latched = 0;
        return v >> 8;
    }
  }
  uint16_t v = value_at(c, now_ticks());
  switch (c.access) {
    case 1:
      return v & 0xff;
    case 2:
      return v >> 8;
    default:
      c.read_msb_next ^= 1;
      return c.read_msb_next ? (v & 0xff) : (v >> 8);
  }
}

void I8254::write(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t v = static_cast<uint8_t>(value);
  if (offset == 3) {
    control_word(v);
    return;
  }
  Counter& c = counters_[offset];
  switch (c.access) {
    case 1:
      load_count(c, v);
      break;
    case 2:
      load_count(c, uint32_t{v} << 8);
      break;
    default:
      if (!c.write_msb_next) {
        c.write_lsb = v;
        c.write_msb_next = 1;
        // Mode 0: writing the first byte stops the count.
        if (c.mode == 0) c.counting = 0;
      } else {
        c.write_msb_next = 0;
        load_count(c, c.write_lsb | (uint32_t{v} << 8));
      }
      break;
  }
  update_output(static_cast<int>(offset));
}

void I8254::reset() {
  for (std::size_t i = 0; i < counters_.size(); ++i) {
    Counter& c = counters_[i];
    c.mode = 0;
    c.access = 3;
    c.bcd = 0;
    c.count = 0;
    c.write_lsb = c.write_msb_next = c.read_msb_next = 0;
    c.null_count = 1;
    c.count_latched = c.status_latched = 0;
    c.latched_count = 0;
    c.latched_status = 0;
    c.gate = i != 2;  // counter 2's GATE comes from port 0x61
    c.loaded = c.counting = c.frozen = 0;
    c.start_tick = c.frozen_elapsed = 0;
    update_output(static_cast<int>(i));
  }
}

void I8254::visit_state(StateVisitor& v) {
  v.begin("i8254");
  for (std::size_t i = 0; i < counters_.size(); ++i) {
    Counter& c = counters_[i];
    v.begin("counter" + std::to_string(i));
    v.field("mode", c.mode);
    v.field("access", c.access);
    v.field("bcd", c.bcd);
    v.field("count", c.count);
    v.field("write_lsb", c.write_lsb);
    v.field("write_msb_next", c.write_msb_next);
    v.field("read_msb_next", c.read_msb_next);
    v.field("null_count", c.null_count);
    v.field("count_latched", c.count_latched);
    v.field("latched_count", c.latched_count);
    v.field("status_latched", c.status_latched);
    v.field("latched_status", c.latched_status);
    v.field("gate", c.gate);
    v.field("loaded", c.loaded);
    v.field("counting", c.counting);
    v.field("frozen", c.frozen);
    v.field("start_tick", c.start_tick);
    v.field("frozen_elapsed", c.frozen_elapsed);
    v.field("out_level", c.out_level);
    v.end();
  }
  v.end();
  if (v.loading()) {
    for (std::size_t i = 0; i < counters_.size(); ++i) {
      Counter& c = counters_[i];
      if (c.line) c.line->set(c.out_level);
      update_output(static_cast<int>(i));
    }
  }
}

}  // namespace vx86
