#include "core/clock.h"

#include <ctime>

namespace vx86 {

namespace {

int64_t read_clock(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

int index_of(ClockType t) {
  return static_cast<int>(t);
}

}  // namespace

Timer::Timer(Clocks& clocks, ClockType type, Callback cb)
    : clocks_(clocks), type_(type), cb_(std::move(cb)) {}

Timer::~Timer() {
  del();
}

void Timer::mod(int64_t deadline_ns) {
  clocks_.arm(this, deadline_ns);
}

void Timer::del() {
  clocks_.disarm(this);
}

Clocks::Clocks() {
  virtual_offset_ = read_clock(CLOCK_MONOTONIC);
}

int64_t Clocks::now(ClockType type) const {
  switch (type) {
    case ClockType::kVirtual: {
      std::lock_guard g(lock_);
      if (manual_) return manual_now_;
      if (!running_) return virtual_stopped_at_;
      return read_clock(CLOCK_MONOTONIC) - virtual_offset_;
    }
    case ClockType::kHost:
      return read_clock(CLOCK_REALTIME);
    case ClockType::kRealtime:
      return read_clock(CLOCK_MONOTONIC);
  }
  return 0;
}

void Clocks::pause_virtual() {
  std::lock_guard g(lock_);
  if (!running_) return;
  virtual_stopped_at_ = read_clock(CLOCK_MONOTONIC) - virtual_offset_;
  running_ = false;
}

void Clocks::resume_virtual() {
  std::lock_guard g(lock_);
  if (running_) return;
  virtual_offset_ = read_clock(CLOCK_MONOTONIC) - virtual_stopped_at_;
  running_ = true;
  if (notify_) notify_();
}

void Clocks::set_manual_virtual(bool manual) {
  std::lock_guard g(lock_);
  manual_ = manual;
  manual_now_ = virtual_stopped_at_;
}

void Clocks::advance_virtual_late(int64_t ns) {
  {
    std::lock_guard g(lock_);
    manual_now_ += ns;
  }
  advance_virtual(0);  // deadlines already passed do not move the clock back
}

void Clocks::advance_virtual(int64_t ns) {
  int64_t target;
  {
    std::lock_guard g(lock_);
    target = manual_now_ + ns;
  }
  // Step to each deadline so callbacks see the time they asked for.
  while (true) {
    Timer* due = nullptr;
    {
      std::lock_guard g(lock_);
      auto& q = queues_[index_of(ClockType::kVirtual)];
      if (!q.empty() && q.begin()->first.first <= target) {
        due = q.begin()->second;
        if (due->deadline_ > manual_now_) manual_now_ = due->deadline_;
        q.erase(q.begin());
        due->pending_ = false;
      } else {
        manual_now_ = target;
        return;
      }
    }
    due->cb_();
  }
}

void Clocks::arm(Timer* t, int64_t deadline) {
  std::lock_guard g(lock_);
  disarm(t);
  t->deadline_ = deadline;
  t->seq_ = next_seq_++;
  t->pending_ = true;
  auto& q = queues_[index_of(t->type_)];
  bool earliest = q.empty() || Key{deadline, t->seq_} < q.begin()->first;
  q.emplace(Key{deadline, t->seq_}, t);
  if (earliest && notify_) notify_();
}

void Clocks::disarm(Timer* t) {
  std::lock_guard g(lock_);
  if (!t->pending_) return;
  queues_[index_of(t->type_)].erase(Key{t->deadline_, t->seq_});
  t->pending_ = false;
}

int Clocks::run_expired(ClockType type) {
  int ran = 0;
  while (true) {
    Timer* due = nullptr;
    {
      std::lock_guard g(lock_);
      if (type == ClockType::kVirtual && (manual_ || !running_)) return ran;
      auto& q = queues_[index_of(type)];
      if (q.empty() || q.begin()->first.first > now(type)) return ran;
      due = q.begin()->second;
      q.erase(q.begin());
      due->pending_ = false;
    }
    due->cb_();
    ++ran;
  }
}

int Clocks::run_expired() {
  return run_expired(ClockType::kVirtual) + run_expired(ClockType::kHost) +
         run_expired(ClockType::kRealtime);
}

int64_t Clocks::ns_until_next_deadline() const {
  std::lock_guard g(lock_);
  int64_t best = -1;
  for (int i = 0; i < 3; ++i) {
    auto type = static_cast<ClockType>(i);
    if (type == ClockType::kVirtual && (manual_ || !running_)) continue;
    const auto& q = queues_[i];
    if (q.empty()) continue;
    int64_t delta = q.begin()->first.first - now(type);
    if (delta < 0) delta = 0;
    if (best < 0 || delta < best) best = delta;
  }
  return best;
}

}  // namespace vx86
