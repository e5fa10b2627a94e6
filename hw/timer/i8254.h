// Intel 8254 programmable interval timer: three 16-bit counters clocked at
// 1.193182 MHz, ports 0x40-0x42 (counters) and 0x43 (control word).
//
// Counters are not ticked: each one remembers the PIT clock tick at which it
// started counting, and its value and output are computed from the virtual
// clock when read. A timer is armed only for counters whose output drives a
// line (counter 0 -> IRQ0), at the next output transition.
//
// Simplifications: a count is loaded at the write itself (the real chip needs
// one more CLK edge), and in modes 2 and 3 a new count restarts the period at
// once instead of at the next reload.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"

namespace vx86 {

class I8254 : public Device, public IoOps {
 public:
  static constexpr int64_t kFrequencyHz = 1'193'182;

  // irq0 (may be null) follows counter 0's OUT.
  I8254(Clocks& clocks, IrqLine* irq0);

  // Maps ports base..base+3 (normally 0x40).
  void map(MemoryRegion& io_space, uint64_t base = 0x40);
  MemoryRegion* region() { return region_.get(); }

  // Any counter's OUT may drive a line; the line is updated at transitions.
  void set_output_line(int counter, IrqLine* line);
  // GATE inputs: 0 and 1 are wired high on the PC; 2 comes from port 0x61.
  void set_gate(int counter, bool level);
  bool gate(int counter) const { return counters_.at(static_cast<std::size_t>(counter)).gate; }
  // OUT of a counter now (port 0x61 bit 5 reads counter 2's).
  bool output(int counter);

  Clocks& clocks() { return clocks_; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  struct Counter {
    // Programming.
    uint8_t mode = 0;    // 0-5
    uint8_t access = 3;  // 1 = LSB, 2 = MSB, 3 = LSB then MSB
    uint8_t bcd = 0;
    uint32_t count = 0;     // initial count in binary; 0 is not stored (modulus instead)
    uint8_t write_lsb = 0;  // LSB held until the MSB arrives
    uint8_t write_msb_next = 0;
    uint8_t read_msb_next = 0;
    uint8_t null_count = 1;
    // Latches.
    uint8_t count_latched = 0;  // 1 = LSB or MSB pending (access 1/2), 2 = both pending
    uint16_t latched_count = 0;
    uint8_t status_latched = 0;
    uint8_t latched_status = 0;
    // Counting.
    uint8_t gate = 1;
    uint8_t loaded = 0;      // a count has been written since the control word
    uint8_t counting = 0;    // counting started (modes 1/5: triggered by GATE)
    uint8_t frozen = 0;      // GATE low halts counting in modes 0, 2, 3, 4
    int64_t start_tick = 0;  // PIT tick when counting (re)started
    int64_t frozen_elapsed = 0;
    uint8_t out_level = 0;  // last level driven on `line`
    int64_t low_tick = -1;  // modes 2, 4, 5: the one-clock low pulse the timer is armed for
    IrqLine* line = nullptr;
    std::unique_ptr<Timer> timer;
  };

  int64_t now_ticks() const;
  static int64_t ticks_to_ns(int64_t ticks);
  int64_t elapsed(const Counter& c, int64_t now) const;
  uint32_t modulus(const Counter& c) const { return c.bcd ? 10000 : 65536; }
  uint32_t initial(const Counter& c) const { return c.count ? c.count : modulus(c); }
  uint16_t value_at(const Counter& c, int64_t now) const;  // as the guest reads it
  bool output_at(const Counter& c, int64_t now) const;
  // Tick of the next OUT transition after now, or -1.
  int64_t next_transition(const Counter& c, int64_t now) const;
  uint8_t status(const Counter& c, int64_t now) const;
  void control_word(uint8_t value);
  void read_back(uint8_t value);
  void latch_count(Counter& c);
  void load_count(Counter& c, uint32_t raw);
  static bool has_one_clock_low_pulse(const Counter& c);
  void update_output(int index);

  Clocks& clocks_;
  std::unique_ptr<MemoryRegion> region_;
  std::array<Counter, 3> counters_;
};

}  // namespace vx86
