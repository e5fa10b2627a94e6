#include "core/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace vx86 {
namespace {

TEST(ClockTest, ManualVirtualClockFiresTimersInOrderAtTheirDeadlines) {
  Clocks clocks;
  clocks.set_manual_virtual(true);
  std::vector<std::pair<int, int64_t>> fired;
  Timer a(clocks, ClockType::kVirtual, [&] {
    fired.push_back({1, clocks.now(ClockType::kVirtual)});
  });
  Timer b(clocks, ClockType::kVirtual, [&] {
    fired.push_back({2, clocks.now(ClockType::kVirtual)});
  });
  a.mod(300);
  b.mod(100);
  EXPECT_TRUE(a.pending());
  clocks.advance_virtual(50);
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(clocks.now(ClockType::kVirtual), 50);
  clocks.advance_virtual(1000);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], std::make_pair(2, int64_t{100}));
  EXPECT_EQ(fired[1], std::make_pair(1, int64_t{300}));
  EXPECT_EQ(clocks.now(ClockType::kVirtual), 1050);
  EXPECT_FALSE(a.pending());
}

TEST(ClockTest, PeriodicTimerRearmsFromCallback) {
  Clocks clocks;
  clocks.set_manual_virtual(true);
  int count = 0;
  Timer* self = nullptr;
  Timer t(clocks, ClockType::kVirtual, [&] {
    ++count;
    self->mod(clocks.now(ClockType::kVirtual) + 10);
  });
  self = &t;
  t.mod(10);
  clocks.advance_virtual(100);
  EXPECT_EQ(count, 10);
}

TEST(ClockTest, DeletedTimerDoesNotFire) {
  Clocks clocks;
  clocks.set_manual_virtual(true);
  bool fired = false;
  Timer t(clocks, ClockType::kVirtual, [&] { fired = true; });
  t.mod(10);
  t.del();
  clocks.advance_virtual(100);
  EXPECT_FALSE(fired);
}

TEST(ClockTest, VirtualClockStopsWhilePaused) {
  Clocks clocks;
  clocks.resume_virtual();
  clocks.pause_virtual();
  int64_t stopped = clocks.now(ClockType::kVirtual);
  // No time passes for the guest while paused, however long the host waits.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(clocks.now(ClockType::kVirtual), stopped);
  clocks.resume_virtual();
  EXPECT_GE(clocks.now(ClockType::kVirtual), stopped);
}

TEST(ClockTest, NextDeadlineIgnoresPausedVirtualClock) {
  Clocks clocks;
  Timer t(clocks, ClockType::kVirtual, [] {});
  t.mod(1);
  EXPECT_EQ(clocks.ns_until_next_deadline(), -1);
  Timer r(clocks, ClockType::kRealtime, [] {});
  r.mod(clocks.now(ClockType::kRealtime) + kNsPerSec);
  int64_t ns = clocks.ns_until_next_deadline();
  EXPECT_GT(ns, 0);
  EXPECT_LE(ns, kNsPerSec);
}

}  // namespace
}  // namespace vx86
