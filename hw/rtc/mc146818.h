// Motorola MC146818 real-time clock and CMOS RAM behind the PC's index/data
// ports 0x70/0x71 (bit 7 of the index masks NMI).
//
// The time of day is kept as an offset from a clock (the host clock by
// default, so the guest sees wall time in UTC); setting register B's SET bit
// freezes it and lets the guest write a new time. Flags in register C (PF,
// AF, UF) are computed from the time that passed since the last look, so a
// guest polling them sees them without interrupts enabled; a timer runs only
// while an interrupt is enabled. UIP reads 1 in the 244 us before each update.
//
// Simplifications: the day-of-week register follows the date (writes to it
// are ignored), and the century byte (0x32) is derived from the time.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"

namespace vx86 {

class Mc146818Rtc : public Device, public IoOps {
 public:
  static constexpr unsigned kCmosSize = 128;
  static constexpr uint8_t kRegA = 0x0a, kRegB = 0x0b, kRegC = 0x0c, kRegD = 0x0d, kCentury = 0x32;

  // irq (IRQ8, may be null) follows register C's IRQF. `clock` is the time
  // base: kHost for wall time; tests use kVirtual with set_time().
  Mc146818Rtc(Clocks& clocks, IrqLine* irq, ClockType clock = ClockType::kHost);

  // Maps the index and data ports (base, base + 1; normally 0x70).
  void map(MemoryRegion& io_space, uint64_t base = 0x70);
  MemoryRegion* region() { return region_.get(); }

  // CMOS contents as the guest would read/write them at `index` (0-127), but
  // with no side effects on read (register C keeps its flags). Used by the
  // machine for memory size, equipment and boot fields.
  void set_cmos(unsigned index, uint8_t value);
  uint8_t cmos(unsigned index);

  // Sets the time of day (seconds since the epoch, UTC): the host's
  // reference (-rtc base), which guest changes are measured against.
  void set_time(int64_t epoch_seconds);
  int64_t time() const;  // seconds since the epoch

  // Told when the guest sets the clock (a time field written while the
  // clock runs, or SET cleared), with the RTC's offset from the host's
  // reference in seconds: QMP's RTC_CHANGE, which libvirt keeps to give the
  // guest the same time next boot.
  void set_change_listener(std::function<void(int64_t offset_seconds)> listener) {
    change_listener_ = std::move(listener);
  }

  // -rtc driftfix=slew (QEMU's lost tick policy "slew"): periodic
  // interrupts the guest has not acknowledged before the next one are
  // counted, and each acknowledgement (a read of register C) delivers one of
  // them at once, up to kReinjectOnAck in a row, so a guest that keeps time
  // by counting them (Windows) catches up instead of drifting.
  void set_lost_tick_slew(bool slew) { slew_ = slew; }
  static constexpr int kReinjectOnAck = 20;

  bool nmi_masked() const { return nmi_masked_; }
  bool irq_level() const { return (reg_c_ & 0x80) != 0; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  int64_t raw_now() const { return clocks_.now(clock_); }
  int64_t rtc_ns(int64_t raw) const { return halted_ ? frozen_ns_ : raw + offset_ns_; }
  void set_rtc_ns(int64_t raw, int64_t ns);
  bool set_mode() const { return (reg_b_ & 0x80) != 0; }
  bool divider_running() const { return (reg_a_ & 0x60) != 0x60; }
  bool binary() const { return (reg_b_ & 0x04) != 0; }
  bool hours_24() const { return (reg_b_ & 0x02) != 0; }
  uint8_t encode(int value) const;
  int decode(uint8_t value) const;
  uint8_t encode_hour(int hour) const;
  int decode_hour(uint8_t value) const;
  uint8_t read_register(unsigned index, bool side_effects);
  void write_register(unsigned index, uint8_t value);
  void write_time_field(unsigned index, uint8_t value);
  // Time register value (0x00-0x09 except alarms) for a given epoch second.
  uint8_t time_register(unsigned index, int64_t epoch_seconds) const;
  bool alarm_matches(int64_t epoch_seconds) const;
  int64_t periodic_ticks() const;  // 32.768 kHz ticks per periodic interrupt, 0 = off
  void sync_flags(int64_t raw);
  void update_halt(int64_t raw, bool divider_was_running);
  void update_irq();
  void rearm(int64_t raw);

  Clocks& clocks_;
  IrqLine* irq_;
  ClockType clock_;
  // offset_ns_ as the host last set it (set_time); not guest state.
  int64_t reference_offset_ns_ = 0;
  std::function<void(int64_t)> change_listener_;
  void guest_set_time(int64_t raw);
  std::unique_ptr<MemoryRegion> region_;
  Timer timer_;

  // Saved state.
  std::array<uint8_t, kCmosSize> cmos_{};
  uint8_t index_ = 0;
  uint8_t nmi_masked_ = 0;
  uint8_t reg_a_ = 0x26;
  uint8_t reg_b_ = 0x02;
  uint8_t reg_c_ = 0;
  std::array<uint8_t, 3> alarm_{};  // seconds, minutes, hours as written
  int64_t offset_ns_ = 0;           // rtc time = clock + offset
  uint8_t halted_ = 0;              // SET or divider reset
  int64_t frozen_ns_ = 0;           // rtc time while halted
  int64_t synced_raw_ = 0;          // clock time up to which flags are computed
  uint8_t irq_level_ = 0;
  // Lost tick catch-up (not in the saved state: a restore drops the backlog).
  bool slew_ = false;
  int64_t coalesced_ = 0;      // periodic interrupts missed
  int reinjected_on_ack_ = 0;  // delivered by acknowledgements since the last real one
};

}  // namespace vx86
