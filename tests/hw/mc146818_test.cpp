#include "hw/rtc/mc146818.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

constexpr int64_t kLeapDayEvening = 1709251198;  // 2024-02-29 23:59:58 UTC, a Thursday
constexpr int64_t kMs = 1'000'000;

class RtcTest : public ::testing::Test {
 protected:
  RtcTest() {
    clocks.set_manual_virtual(true);
    irq.set_handler([this](bool level) {
      if (level) rising_edges += 1;
    });
    rtc.map(*bus.root);
    rtc.set_time(kLeapDayEvening);
  }
  uint8_t reg(uint8_t index) {
    bus.outb(0x70, index);
    return bus.inb(0x71);
  }
  void set_reg(uint8_t index, uint8_t value) {
    bus.outb(0x70, index);
    bus.outb(0x71, value);
  }
  Clocks clocks;
  test::IoBus bus;
  IrqLine irq;
  int rising_edges = 0;
  Mc146818Rtc rtc{clocks, &irq, ClockType::kVirtual};
};

TEST_F(RtcTest, BcdTime) {
  EXPECT_EQ(reg(0x0b), 0x02);  // 24 h, BCD
  EXPECT_EQ(reg(0x00), 0x58);
  EXPECT_EQ(reg(0x02), 0x59);
  EXPECT_EQ(reg(0x04), 0x23);
  EXPECT_EQ(reg(0x06), 0x05);
  EXPECT_EQ(reg(0x07), 0x29);
  EXPECT_EQ(reg(0x08), 0x02);
  EXPECT_EQ(reg(0x09), 0x24);
  EXPECT_EQ(reg(0x32), 0x20);
  // Rolls over into March.
  clocks.advance_virtual(2 * kNsPerSec);
  EXPECT_EQ(reg(0x00), 0x00);
  EXPECT_EQ(reg(0x04), 0x00);
  EXPECT_EQ(reg(0x07), 0x01);
  EXPECT_EQ(reg(0x08), 0x03);
  EXPECT_EQ(reg(0x06), 0x06);
}

// What QMP's RTC_CHANGE reports: the guest's time less the host's, once
// the clock runs with the guest's setting; nothing while SET or a divider
// reset holds it, as Linux's hwclock sets it (SET, divider reset, fields,
// SET cleared, divider released).
TEST_F(RtcTest, TheGuestSettingTheClockIsReported) {
  std::vector<int64_t> offsets;
  rtc.set_change_listener([&](int64_t offset) { offsets.push_back(offset); });
  set_reg(0x0b, 0x82);  // SET
  set_reg(0x0a, 0x76);  // divider in reset
  set_reg(0x09, 0x25);  // year 2025: 366 days later
  EXPECT_TRUE(offsets.empty());
  set_reg(0x0b, 0x02);  // SET cleared: the divider still stands
  EXPECT_TRUE(offsets.empty());
  set_reg(0x0a, 0x26);
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0], 366 * 86400);
  // A field written while the clock runs counts at once.
  set_reg(0x02, 0x58);  // a minute back
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[1], 366 * 86400 - 60);
  // The host setting the time is the new reference, not a guest change.
  rtc.set_time(kLeapDayEvening);
  EXPECT_EQ(offsets.size(), 2u);
  set_reg(0x00, 0x57);  // a second back
  EXPECT_EQ(offsets.back(), -1);
}

TEST_F(RtcTest, BinaryTime) {
  set_reg(0x0b, 0x06);
  EXPECT_EQ(reg(0x00), 58);
  EXPECT_EQ(reg(0x02), 59);
  EXPECT_EQ(reg(0x04), 23);
  EXPECT_EQ(reg(0x07), 29);
  EXPECT_EQ(reg(0x09), 24);
  EXPECT_EQ(reg(0x32), 20);
}

TEST_F(RtcTest, TwelveHourMode) {
  set_reg(0x0b, 0x00);                // 12 h, BCD
  EXPECT_EQ(reg(0x04), 0x80 | 0x11);  // 11 PM
  clocks.advance_virtual(2 * kNsPerSec);
  EXPECT_EQ(reg(0x04), 0x12);  // midnight is 12 AM
  set_reg(0x0b, 0x04);         // 12 h, binary
  EXPECT_EQ(reg(0x04), 12);
  clocks.advance_virtual(12 * 3600 * kNsPerSec);
  EXPECT_EQ(reg(0x04), 0x80 | 12);  // noon is 12 PM
  clocks.advance_virtual(3600 * kNsPerSec);
  EXPECT_EQ(reg(0x04), 0x80 | 1);
  // Writing 12 h values.
  set_reg(0x04, 0x80 | 9);  // 9 PM
  set_reg(0x0b, 0x06);
  EXPECT_EQ(reg(0x04), 21);
}

TEST_F(RtcTest, SetBitHaltsAndGuestSetsTime) {
  set_reg(0x0b, 0x82);  // SET, 24 h, BCD
  set_reg(0x00, 0x30);
  set_reg(0x02, 0x45);
  set_reg(0x04, 0x12);
  set_reg(0x07, 0x15);
  set_reg(0x08, 0x06);
  set_reg(0x09, 0x99);
  set_reg(0x32, 0x19);
  clocks.advance_virtual(5 * kNsPerSec);
  EXPECT_EQ(reg(0x00), 0x30);      // halted
  EXPECT_EQ(reg(0x0a) & 0x80, 0);  // no UIP while SET
  set_reg(0x0b, 0x02);
  EXPECT_EQ(rtc.time(), 929450730);  // 1999-06-15 12:45:30
  clocks.advance_virtual(kNsPerSec);
  EXPECT_EQ(reg(0x00), 0x31);
  EXPECT_EQ(reg(0x09), 0x99);
  EXPECT_EQ(reg(0x32), 0x19);
}

TEST_F(RtcTest, WriteTimeWhileRunning) {
  set_reg(0x02, 0x10);
  EXPECT_EQ(reg(0x02), 0x10);
  EXPECT_EQ(reg(0x04), 0x23);
  set_reg(0x06, 0x01);  // day of week follows the date
  EXPECT_EQ(reg(0x06), 0x05);
}

TEST_F(RtcTest, UpdateInProgressWindow) {
  // set_time() put us at 58.000 s.
  clocks.advance_virtual(kNsPerSec - 244'000 - 1);
  EXPECT_EQ(reg(0x0a), 0x26);
  clocks.advance_virtual(1);
  EXPECT_EQ(reg(0x0a), 0xa6);
  EXPECT_EQ(reg(0x00), 0x58);
  clocks.advance_virtual(244'000);
  EXPECT_EQ(reg(0x0a), 0x26);
  EXPECT_EQ(reg(0x00), 0x59);
  bus.outb(0x70, 0x0a);
  bus.outb(0x71, 0xff);  // UIP is read-only
  EXPECT_EQ(reg(0x0a) & 0x80, 0);
  set_reg(0x0a, 0x26);
}

TEST_F(RtcTest, UpdateEndedInterrupt) {
  set_reg(0x0b, 0x12);  // UIE
  clocks.advance_virtual(kNsPerSec - 1);
  EXPECT_FALSE(irq.level());
  clocks.advance_virtual(1);
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(reg(0x0c), 0xd0);  // IRQF, UF, and PF (set whatever PIE says)
  EXPECT_FALSE(irq.level());
  EXPECT_EQ(reg(0x0c), 0x00);
  clocks.advance_virtual(kNsPerSec);
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(rising_edges, 2);
  // SET clears UIE.
  set_reg(0x0b, 0x92);
  EXPECT_EQ(reg(0x0b), 0x82);
}

TEST_F(RtcTest, FlagsWithoutInterrupts) {
  reg(0x0c);
  clocks.advance_virtual(kNsPerSec);
  EXPECT_EQ(reg(0x0c), 0x50);  // UF and PF (1024 Hz default rate), no IRQF
  EXPECT_FALSE(irq.level());
  EXPECT_EQ(rising_edges, 0);
  EXPECT_EQ(reg(0x0d), 0x80);
}

TEST_F(RtcTest, PeriodicInterrupt1024Hz) {
  set_reg(0x0b, 0x42);  // PIE
  int interrupts = 0;
  for (int step = 0; step < 10000; ++step) {
    clocks.advance_virtual(100'000);
    if (irq.level()) {
      EXPECT_EQ(reg(0x0c) & 0xc0, 0xc0);
      interrupts += 1;
    }
  }
  EXPECT_EQ(interrupts, 1024);
}

// driftfix=slew: ten periods pass before the guest acknowledges; each
// acknowledgement then brings one missed interrupt at once, up to
// kReinjectOnAck in a row, and the rest after the next real one. Without
// slew the missed ones are gone.
TEST_F(RtcTest, SlewDeliversMissedPeriodicInterrupts) {
  constexpr int64_t kPeriod = 976'563;  // 1024 Hz, rounded up
  auto acknowledgements = [this] {
    int count = 0;
    while (irq.level() && count < 100) {
      EXPECT_EQ(reg(0x0c) & 0xc0, 0xc0);
      ++count;
    }
    return count;
  };
  set_reg(0x0b, 0x42);  // PIE
  clocks.advance_virtual(10 * kPeriod);
  EXPECT_EQ(rising_edges, 1);
  EXPECT_EQ(acknowledgements(), 1);

  rtc.set_lost_tick_slew(true);
  clocks.advance_virtual(10 * kPeriod);
  EXPECT_EQ(acknowledgements(), 10);  // the pending one and the nine missed
  clocks.advance_virtual(kPeriod);
  EXPECT_EQ(acknowledgements(), 1);  // caught up: one tick, one interrupt

  clocks.advance_virtual(30 * kPeriod);
  EXPECT_EQ(acknowledgements(), 1 + Mc146818Rtc::kReinjectOnAck);
  clocks.advance_virtual(kPeriod);
  EXPECT_EQ(acknowledgements(), 1 + 30 - 1 - Mc146818Rtc::kReinjectOnAck);
}

TEST_F(RtcTest, PeriodicRates) {
  set_reg(0x0a, 0x2f);  // 2 Hz
  set_reg(0x0b, 0x42);
  clocks.advance_virtual(500 * kMs - 1);
  EXPECT_FALSE(irq.level());
  clocks.advance_virtual(1);
  EXPECT_TRUE(irq.level());
  reg(0x0c);
  set_reg(0x0a, 0x23);  // 8192 Hz: 122.07 us
  clocks.advance_virtual(122'070);
  EXPECT_FALSE(irq.level());
  clocks.advance_virtual(1);
  EXPECT_TRUE(irq.level());
  reg(0x0c);
  set_reg(0x0a, 0x21);  // RS=1 is 256 Hz
  clocks.advance_virtual(3'906'250);
  EXPECT_TRUE(irq.level());
  reg(0x0c);
  set_reg(0x0a, 0x20);  // RS=0: off
  clocks.advance_virtual(kNsPerSec);
  EXPECT_FALSE(irq.level());
}

TEST_F(RtcTest, AlarmInterrupt) {
  set_reg(0x01, 0x01);  // 00:00:01
  set_reg(0x03, 0x00);
  set_reg(0x05, 0x00);
  EXPECT_EQ(reg(0x01), 0x01);
  set_reg(0x0b, 0x22);  // AIE
  clocks.advance_virtual(2 * kNsPerSec);
  EXPECT_FALSE(irq.level());
  clocks.advance_virtual(kNsPerSec);
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(reg(0x0c), 0xf0);  // IRQF, PF, AF, UF
  clocks.advance_virtual(kNsPerSec);
  EXPECT_FALSE(irq.level());
}

TEST_F(RtcTest, AlarmDontCare) {
  set_reg(0x01, 0x30);
  set_reg(0x03, 0xc0);
  set_reg(0x05, 0xff);
  set_reg(0x0b, 0x22);
  int alarms = 0;
  for (int s = 0; s < 180; ++s) {
    clocks.advance_virtual(kNsPerSec);
    if (irq.level()) {
      alarms += 1;
      reg(0x0c);
    }
  }
  EXPECT_EQ(alarms, 3);  // once a minute at :30
}

TEST_F(RtcTest, DividerResetAndRelease) {
  set_reg(0x0a, 0x76);
  clocks.advance_virtual(10 * kNsPerSec);
  EXPECT_EQ(reg(0x00), 0x58);
  set_reg(0x0a, 0x26);
  clocks.advance_virtual(500 * kMs - 1);
  EXPECT_EQ(reg(0x00), 0x58);
  clocks.advance_virtual(1);
  EXPECT_EQ(reg(0x00), 0x59);
}

TEST_F(RtcTest, IndexPortNmiMaskAndCmosRam) {
  EXPECT_FALSE(rtc.nmi_masked());
  bus.outb(0x70, 0x8f);
  EXPECT_TRUE(rtc.nmi_masked());
  bus.outb(0x71, 0x5a);
  bus.outb(0x70, 0x0f);
  EXPECT_FALSE(rtc.nmi_masked());
  EXPECT_EQ(bus.inb(0x71), 0x5a);
  EXPECT_EQ(bus.inb(0x70), 0xff);
  for (unsigned i = 0x0e; i < 0x80; ++i) {
    if (i == 0x32) continue;
    set_reg(static_cast<uint8_t>(i), static_cast<uint8_t>(i ^ 0xa5));
  }
  for (unsigned i = 0x0e; i < 0x80; ++i) {
    if (i == 0x32) continue;
    EXPECT_EQ(reg(static_cast<uint8_t>(i)), i ^ 0xa5) << i;
  }
  // The machine's API.
  rtc.set_cmos(0x15, 0x80);
  rtc.set_cmos(0x16, 0x02);
  EXPECT_EQ(reg(0x15), 0x80);
  EXPECT_EQ(rtc.cmos(0x16), 0x02);
  EXPECT_EQ(rtc.cmos(0x32), 0x20);
  rtc.set_cmos(0x32, 0x21);
  EXPECT_EQ(reg(0x09), 0x24);
  EXPECT_EQ(reg(0x32), 0x21);
  // cmos() peeks without clearing register C.
  clocks.advance_virtual(kNsPerSec);
  reg(0x00);
  set_reg(0x0b, 0x12);
  EXPECT_EQ(rtc.cmos(0x0c) & 0x10, 0x10);
  EXPECT_EQ(rtc.cmos(0x0c) & 0x10, 0x10);
  // Registers C and D are read-only.
  set_reg(0x0d, 0x00);
  EXPECT_EQ(reg(0x0d), 0x80);
}

TEST_F(RtcTest, WordAccessSplitsIntoIndexAndData) {
  bus.outw(0x70, 0x7720);  // index 0x20, data 0x77
  EXPECT_EQ(rtc.cmos(0x20), 0x77);
  bus.outb(0x70, 0x20);
  EXPECT_EQ(bus.inw(0x70), 0x77ff);
}

TEST_F(RtcTest, ResetClearsInterruptEnables) {
  set_reg(0x0b, 0x72);
  clocks.advance_virtual(kNsPerSec);
  EXPECT_TRUE(irq.level());
  rtc.reset();
  EXPECT_FALSE(irq.level());
  EXPECT_EQ(reg(0x0b), 0x02);
  EXPECT_EQ(reg(0x00), 0x59);  // time survives
}

TEST_F(RtcTest, TwoInstancesAreIndependent) {
  Mc146818Rtc other(clocks, nullptr, ClockType::kVirtual);
  other.set_time(0);
  other.set_cmos(0x40, 1);
  EXPECT_EQ(rtc.cmos(0x40), 0);
  EXPECT_EQ(other.cmos(0x09), 0x70);
  EXPECT_EQ(rtc.cmos(0x09), 0x24);
}

TEST_F(RtcTest, SaveLoadRoundTrip) {
  set_reg(0x0b, 0x16);  // UIE, binary
  set_reg(0x01, 0x12);
  rtc.set_cmos(0x40, 0x99);
  bus.outb(0x70, 0x8e);
  IrqLine other_irq;
  Mc146818Rtc other(clocks, &other_irq, ClockType::kVirtual);
  test::copy_state(rtc, other);
  EXPECT_TRUE(other.nmi_masked());
  EXPECT_EQ(other.cmos(0x40), 0x99);
  EXPECT_EQ(other.cmos(0x01), 0x12);
  EXPECT_EQ(other.cmos(0x00), 58);
  EXPECT_EQ(other.time(), rtc.time());
  clocks.advance_virtual(kNsPerSec);
  EXPECT_TRUE(other_irq.level());
  EXPECT_EQ(other.cmos(0x00), 59);
}

}  // namespace
}  // namespace vx86
