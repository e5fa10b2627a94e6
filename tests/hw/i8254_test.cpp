#include "hw/timer/i8254.h"

#include <gtest/gtest.h>

#include "hw/timer/port61.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

// Virtual time of PIT tick t (the first nanosecond at which t ticks passed).
int64_t tick_ns(int64_t t) {
  return static_cast<int64_t>((static_cast<__int128>(t) * kNsPerSec + I8254::kFrequencyHz - 1) /
                              I8254::kFrequencyHz);
}

class I8254Test : public ::testing::Test {
 protected:
  I8254Test() {
    clocks.set_manual_virtual(true);
    irq0.set_handler([this](bool level) {
      if (level) rising_edges += 1;
    });
    pit.map(*bus.root);
    port61.map(*bus.root);
  }
  // Moves the virtual clock to PIT tick t (absolute).
  void to_tick(int64_t t) {
    int64_t target = tick_ns(t);
    clocks.advance_virtual(target - clocks.now(ClockType::kVirtual));
  }
  // The same, with the timers that come due on the way running only at t.
  void to_tick_late(int64_t t) {
    clocks.advance_virtual_late(tick_ns(t) - clocks.now(ClockType::kVirtual));
  }
  void program(int counter, uint8_t mode, uint16_t count, bool bcd = false) {
    bus.outb(0x43, static_cast<uint8_t>(counter << 6 | 0x30 | mode << 1 | (bcd ? 1 : 0)));
    bus.outb(0x40 + counter, count & 0xff);
    bus.outb(0x40 + counter, count >> 8);
  }
  uint16_t read_count(int counter) {
    uint8_t lo = bus.inb(0x40 + counter);
    uint8_t hi = bus.inb(0x40 + counter);
    return static_cast<uint16_t>(lo | hi << 8);
  }
  Clocks clocks;
  test::IoBus bus;
  IrqLine irq0;
  int rising_edges = 0;
  I8254 pit{clocks, &irq0};
  Port61 port61{pit};
};

TEST_F(I8254Test, Mode0InterruptOnTerminalCount) {
  program(0, 0, 100);
  EXPECT_FALSE(irq0.level());
  to_tick(10);
  EXPECT_EQ(read_count(0), 90);
  to_tick(99);
  EXPECT_FALSE(irq0.level());
  to_tick(100);
  EXPECT_TRUE(irq0.level());
  EXPECT_EQ(rising_edges, 1);
  // The counter wraps and OUT stays high.
  to_tick(300);
  EXPECT_TRUE(irq0.level());
  EXPECT_EQ(read_count(0), static_cast<uint16_t>(100 - 300));
  // A new control word drives OUT low.
  bus.outb(0x43, 0x30);
  EXPECT_FALSE(irq0.level());
}

TEST_F(I8254Test, Mode0FirstByteStopsCount) {
  program(0, 0, 50);
  to_tick(20);
  bus.outb(0x40, 10);  // LSB only: counting stops, OUT low
  to_tick(80);
  EXPECT_FALSE(irq0.level());
  bus.outb(0x40, 0);  // count 10 loaded now
  to_tick(89);
  EXPECT_FALSE(irq0.level());
  to_tick(90);
  EXPECT_TRUE(irq0.level());
}

TEST_F(I8254Test, Mode1HardwareOneShot) {
  program(2, 1, 50);
  EXPECT_TRUE(pit.output(2));  // waiting for a trigger
  to_tick(100);
  EXPECT_TRUE(pit.output(2));
  bus.outb(0x61, 0x01);  // GATE2 rising edge
  EXPECT_FALSE(pit.output(2));
  EXPECT_EQ(bus.inb(0x61) & 0x20, 0x00);
  to_tick(149);
  EXPECT_FALSE(pit.output(2));
  to_tick(150);
  EXPECT_TRUE(pit.output(2));
  EXPECT_EQ(bus.inb(0x61) & 0x20, 0x20);
  // Retrigger.
  bus.outb(0x61, 0x00);
  bus.outb(0x61, 0x01);
  EXPECT_FALSE(pit.output(2));
  to_tick(200);
  EXPECT_TRUE(pit.output(2));
}

TEST_F(I8254Test, Mode2RateGenerator) {
  program(0, 2, 10);
  EXPECT_TRUE(irq0.level());
  to_tick(8);
  EXPECT_TRUE(irq0.level());
  EXPECT_EQ(read_count(0), 2);
  to_tick(9);
  EXPECT_FALSE(irq0.level());
  EXPECT_EQ(read_count(0), 1);
  to_tick(10);
  EXPECT_TRUE(irq0.level());
  EXPECT_EQ(read_count(0), 10);
  to_tick(1000);
  EXPECT_EQ(rising_edges, 1 + 100);  // the control word raised OUT once
}

TEST_F(I8254Test, Mode3SquareWave) {
  program(0, 3, 10);
  EXPECT_TRUE(irq0.level());
  to_tick(4);
  EXPECT_TRUE(irq0.level());
  to_tick(5);
  EXPECT_FALSE(irq0.level());
  to_tick(9);
  EXPECT_FALSE(irq0.level());
  to_tick(10);
  EXPECT_TRUE(irq0.level());
  to_tick(1000);
  EXPECT_EQ(rising_edges, 1 + 100);
  // Odd count: high one clock longer than low.
  program(0, 3, 11);
  int64_t start = 1000;
  to_tick(start + 5);
  EXPECT_TRUE(irq0.level());
  to_tick(start + 6);
  EXPECT_FALSE(irq0.level());
  to_tick(start + 11);
  EXPECT_TRUE(irq0.level());
}

TEST_F(I8254Test, Mode3Alias7AndCountsDownByTwo) {
  bus.outb(0x43, 0x3e);  // mode 7 == mode 3
  bus.outb(0x40, 100);
  bus.outb(0x40, 0);
  bus.outb(0x43, 0xe2);  // read back status of counter 0
  EXPECT_EQ(bus.inb(0x40) & 0x0e, 3 << 1);
  to_tick(10);
  EXPECT_EQ(read_count(0), 80);
}

TEST_F(I8254Test, Mode4SoftwareStrobe) {
  program(0, 4, 20);
  EXPECT_TRUE(irq0.level());
  to_tick(19);
  EXPECT_TRUE(irq0.level());
  to_tick(20);
  EXPECT_FALSE(irq0.level());
  to_tick(21);
  EXPECT_TRUE(irq0.level());
  to_tick(500);
  EXPECT_TRUE(irq0.level());
  EXPECT_EQ(rising_edges, 2);  // control word, then the end of the strobe
}

// Linux's PIT clock event device in one-shot mode: one mode 4 control word,
// then a new count for each event. The strobe's one-clock low pulse ends
// long before a host timer can run, yet each expiry must still give the
// PIC its rising edge (a lost edge was a timer that never fired: the Debian
// guest hung in its first msleep with acpi=off).
TEST_F(I8254Test, Mode4StrobeIsNotLostWhenTheTimerRunsLate) {
  bus.outb(0x43, 0x38);  // counter 0, LSB then MSB, mode 4
  EXPECT_EQ(rising_edges, 1);
  int64_t now = 0;
  for (int event = 0; event < 5; ++event) {
    bus.outb(0x40, 100);
    bus.outb(0x40, 0);
    now += 100 + 37;  // the timer runs well after the pulse
    to_tick_late(now);
    EXPECT_TRUE(irq0.level());
    EXPECT_EQ(rising_edges, 2 + event) << "event " << event;
  }
  // A count replaced before it expires gives one edge, at the new expiry.
  bus.outb(0x40, 100);
  bus.outb(0x40, 0);
  to_tick_late(now + 50);
  bus.outb(0x40, 200);
  bus.outb(0x40, 0);
  to_tick_late(now + 50 + 199);
  EXPECT_EQ(rising_edges, 6);
  to_tick_late(now + 50 + 400);
  EXPECT_EQ(rising_edges, 7);
}

TEST_F(I8254Test, Mode5HardwareStrobe) {
  program(2, 5, 30);
  bus.outb(0x61, 0x01);
  to_tick(29);
  EXPECT_TRUE(pit.output(2));
  to_tick(30);
  EXPECT_FALSE(pit.output(2));
  to_tick(31);
  EXPECT_TRUE(pit.output(2));
}

TEST_F(I8254Test, GateLowStopsModes2And0) {
  program(2, 2, 100);
  EXPECT_TRUE(pit.output(2));  // GATE2 is low after reset: forced high, not counting
  to_tick(150);
  EXPECT_EQ(read_count(2), 100);
  bus.outb(0x61, 0x01);  // rising edge reloads
  to_tick(180);
  EXPECT_EQ(read_count(2), 70);
  bus.outb(0x61, 0x00);
  to_tick(260);
  EXPECT_EQ(read_count(2), 70);  // held
  // Mode 0: GATE low suspends, high resumes from where it stopped.
  program(2, 0, 100);
  bus.outb(0x61, 0x01);
  to_tick(300);
  EXPECT_EQ(read_count(2), 60);
  bus.outb(0x61, 0x00);
  to_tick(400);
  EXPECT_EQ(read_count(2), 60);
  bus.outb(0x61, 0x01);
  to_tick(459);
  EXPECT_FALSE(pit.output(2));
  to_tick(460);
  EXPECT_TRUE(pit.output(2));
}

TEST_F(I8254Test, AccessModesLsbMsbWord) {
  bus.outb(0x43, 0x50);  // counter 1, LSB only, mode 0
  bus.outb(0x41, 0x80);
  to_tick(0x10);
  EXPECT_EQ(bus.inb(0x41), 0x70);
  EXPECT_EQ(bus.inb(0x41), 0x70);  // LSB mode: every read is the LSB
  bus.outb(0x43, 0x60);            // counter 1, MSB only
  bus.outb(0x41, 0x02);            // count 0x200
  to_tick(0x10 + 0x100);
  EXPECT_EQ(bus.inb(0x41), 0x01);
  bus.outb(0x43, 0x70);  // word access: LSB then MSB
  bus.outb(0x41, 0x34);
  bus.outb(0x41, 0x12);
  EXPECT_EQ(bus.inb(0x41), 0x34);
  EXPECT_EQ(bus.inb(0x41), 0x12);
}

TEST_F(I8254Test, CounterLatchCommand) {
  program(0, 2, 1000);
  to_tick(100);
  bus.outb(0x43, 0x00);  // latch counter 0
  to_tick(300);
  bus.outb(0x43, 0x00);  // ignored: a latch is pending
  EXPECT_EQ(read_count(0), 900);
  EXPECT_EQ(read_count(0), 700);  // live again
}

TEST_F(I8254Test, ReadBackCountAndStatus) {
  bus.outb(0x43, 0xb4);                                 // counter 2, word, mode 2, binary
  bus.outb(0x43, 0xe8);                                 // read-back status of counter 2
  EXPECT_EQ(bus.inb(0x42), 0x40 | 0x80 | 0x30 | 0x04);  // null count, OUT high, mode 2
  bus.outb(0x42, 0x00);
  bus.outb(0x42, 0x01);
  bus.outb(0x61, 0x01);
  to_tick(16);
  bus.outb(0x43, 0xc8);  // read-back count and status of counter 2
  to_tick(32);
  EXPECT_EQ(bus.inb(0x42), 0x80 | 0x30 | 0x04);  // status first, count loaded
  EXPECT_EQ(read_count(2), 0x100 - 16);
  // Count only, several counters.
  program(0, 0, 500);
  bus.outb(0x43, 0xda);  // count of 0 and 2, latched at tick 32
  to_tick(100);
  EXPECT_EQ(read_count(0), 500);
  EXPECT_EQ(read_count(2), 0x100 - 32);
  EXPECT_EQ(read_count(0), 500 - 68);
  // Status only of counter 0 (mode 0, OUT low).
  bus.outb(0x43, 0xe2);
  EXPECT_EQ(bus.inb(0x40), 0x30);
}

TEST_F(I8254Test, BcdCounting) {
  program(0, 2, 0x1000, true);  // 1000 decimal
  to_tick(1);
  EXPECT_EQ(read_count(0), 0x0999);
  to_tick(999);
  EXPECT_EQ(read_count(0), 0x0001);
  EXPECT_FALSE(irq0.level());
  to_tick(1000);
  EXPECT_TRUE(irq0.level());
  // Count 0 in BCD is 10000.
  program(0, 0, 0x0000, true);
  int64_t start = 1000;
  to_tick(start + 1);
  EXPECT_EQ(read_count(0), 0x9999);
  to_tick(start + 9999);
  EXPECT_FALSE(irq0.level());
  to_tick(start + 10000);
  EXPECT_TRUE(irq0.level());
}

TEST_F(I8254Test, ZeroCountIs65536) {
  program(0, 2, 0);
  to_tick(65535);
  EXPECT_FALSE(irq0.level());
  to_tick(65536);
  EXPECT_TRUE(irq0.level());
}

TEST_F(I8254Test, Port61Bits) {
  bus.outb(0x61, 0x0f);
  EXPECT_EQ(bus.inb(0x61) & 0x0f, 0x0f);
  EXPECT_TRUE(port61.speaker_enabled());
  EXPECT_TRUE(pit.gate(2));
  bus.outb(0x61, 0x02);
  EXPECT_FALSE(pit.gate(2));
  EXPECT_FALSE(port61.speaker_enabled());
  // Refresh toggles every 15.085 us.
  uint8_t a = bus.inb(0x61) & 0x10;
  clocks.advance_virtual(15085);
  uint8_t b = bus.inb(0x61) & 0x10;
  EXPECT_NE(a, b);
  // OUT2 follows counter 2 (mode 0 is low until terminal count).
  program(2, 0, 10);
  bus.outb(0x61, 0x01);
  EXPECT_EQ(bus.inb(0x61) & 0x20, 0);
  clocks.advance_virtual(tick_ns(20));
  EXPECT_EQ(bus.inb(0x61) & 0x20, 0x20);
}

TEST_F(I8254Test, ControlPortReadsOnesAndWordAccessSplits) {
  EXPECT_EQ(bus.inb(0x43), 0xff);
  bus.outb(0x43, 0x34);
  bus.outw(0x40, 0x0302);  // 0x40 <- 0x02, 0x41 <- 0x03 (counter 1, not counter 0's MSB)
  bus.outb(0x40, 0x01);    // counter 0 count is 0x0102
  to_tick(0x100);
  EXPECT_TRUE(irq0.level());
  to_tick(0x101);
  EXPECT_FALSE(irq0.level());
  to_tick(0x102);
  EXPECT_TRUE(irq0.level());
}

TEST_F(I8254Test, TwoInstancesAreIndependent) {
  IrqLine other_irq;
  I8254 other(clocks, &other_irq);
  program(0, 2, 10);
  clocks.advance_virtual(tick_ns(100));
  EXPECT_FALSE(other_irq.level());
  EXPECT_GT(rising_edges, 5);
}

TEST_F(I8254Test, SaveLoadRoundTrip) {
  program(0, 2, 10);
  program(1, 0, 0x1234, true);
  to_tick(5);
  bus.outb(0x43, 0xe2);  // status latched on counter 0
  IrqLine other_irq;
  int other_edges = 0;
  other_irq.set_handler([&](bool level) {
    if (level) other_edges += 1;
  });
  I8254 other(clocks, &other_irq);
  test::copy_state(pit, other);
  auto other_bus = test::IoBus();
  other.map(*other_bus.root);
  EXPECT_EQ(other_bus.inb(0x40), 0x80 | 0x30 | 0x04);
  EXPECT_EQ(other_bus.inb(0x41), 0x29);  // BCD 1234 - 5
  to_tick(105);
  EXPECT_EQ(other_edges, 1 + 10);  // loading drives the saved OUT level
  EXPECT_EQ(rising_edges, 1 + 10);
}

TEST_F(I8254Test, ResetStopsCounters) {
  program(0, 2, 10);
  pit.reset();
  int before = rising_edges;
  to_tick(100);
  EXPECT_EQ(rising_edges, before);
  EXPECT_FALSE(irq0.level());
}

}  // namespace
}  // namespace vx86
