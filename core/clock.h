// Clocks and timers. The virtual clock runs only while the machine runs, so a
// paused guest sees no time pass; host and realtime clocks always run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace vx86 {

enum class ClockType { kVirtual, kHost, kRealtime };

constexpr int64_t kNsPerSec = 1'000'000'000;

class Clocks;

// A one-shot timer; re-arm it from its callback for periodic behaviour.
class Timer {
 public:
  using Callback = std::function<void()>;
  Timer(Clocks& clocks, ClockType type, Callback cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires when the clock reaches deadline_ns (absolute).
  void mod(int64_t deadline_ns);
  void del();
  bool pending() const { return pending_; }
  int64_t deadline() const { return deadline_; }
  ClockType type() const { return type_; }

 private:
  friend class Clocks;
  Clocks& clocks_;
  ClockType type_;
  Callback cb_;
  bool pending_ = false;
  int64_t deadline_ = 0;
  uint64_t seq_ = 0;
};

class Clocks {
 public:
  Clocks();

  int64_t now(ClockType type) const;

  // The virtual clock: paused while the machine is stopped.
  void pause_virtual();
  void resume_virtual();
  bool virtual_running() const { return running_; }
  // Test mode (like qtest): the virtual clock moves only by advance().
  void set_manual_virtual(bool manual);
  // Advances a manual virtual clock, firing every timer that comes due in order.
  void advance_virtual(int64_t ns);
  // Advances a manual virtual clock and only then fires the timers that came
  // due, all seeing the new time: a host timer that ran late.
  void advance_virtual_late(int64_t ns);

  // Runs callbacks of expired timers on every clock. Returns how many ran.
  int run_expired();
  // Nanoseconds (host time) until the next deadline, or -1 when none.
  int64_t ns_until_next_deadline() const;

  // Called when a timer is armed earlier than the current wait (wakes the loop).
  void set_notify(std::function<void()> notify) { notify_ = std::move(notify); }

 private:
  friend class Timer;
  using Key = std::pair<int64_t, uint64_t>;  // deadline, sequence
  void arm(Timer* t, int64_t deadline);
  void disarm(Timer* t);
  int run_expired(ClockType type);

  mutable std::recursive_mutex lock_;
  std::map<Key, Timer*> queues_[3];
  uint64_t next_seq_ = 1;
  bool running_ = false;
  bool manual_ = false;
  int64_t virtual_offset_ = 0;  // virtual = host_monotonic - offset, when running
  int64_t virtual_stopped_at_ = 0;
  int64_t manual_now_ = 0;
  std::function<void()> notify_;
};

}  // namespace vx86
