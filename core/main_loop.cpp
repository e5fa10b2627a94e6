#include "core/main_loop.h"

#include <csignal>

#include <boost/asio/post.hpp>

#include "core/device_lock.h"

namespace vx86 {

MainLoop::MainLoop() : deadline_timer_(io_) {
  // A timer armed earlier than the current wait (possibly from a vCPU thread)
  // re-computes the wakeup on the loop thread.
  clocks_.set_notify([this] {
    if (!wakeup_pending_.exchange(true)) {
      boost::asio::post(io_, [this] {
        wakeup_pending_ = false;
        schedule_timer_wakeup();
      });
    }
  });
}

MainLoop::~MainLoop() {
  clocks_.set_notify(nullptr);
}

void MainLoop::schedule_timer_wakeup() {
  int64_t ns = clocks_.ns_until_next_deadline();
  deadline_timer_.cancel();
  if (ns < 0) return;
  deadline_timer_.expires_after(std::chrono::nanoseconds(ns));
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    {
      DeviceLockGuard lock;
      clocks_.run_expired();
    }
    schedule_timer_wakeup();
  });
}

void MainLoop::run() {
  stop_requested_ = false;
  schedule_timer_wakeup();
  auto guard = boost::asio::make_work_guard(io_);
  while (!stop_requested_) {
    io_.run_one();
  }
}

void MainLoop::run_once(int timeout_ms) {
  {
    DeviceLockGuard lock;
    clocks_.run_expired();
  }
  schedule_timer_wakeup();
  io_.restart();
  io_.run_for(std::chrono::milliseconds(timeout_ms));
}

void MainLoop::stop() {
  stop_requested_ = true;
  boost::asio::post(io_, [] {});
}

void MainLoop::post(std::function<void()> fn) {
  boost::asio::post(io_, [fn = std::move(fn)] {
    DeviceLockGuard lock;
    fn();
  });
}

void MainLoop::on_termination_signal(std::function<void(int)> handler) {
  signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGINT, SIGTERM, SIGHUP);
  termination_handler_ = std::move(handler);
  wait_for_termination_signal();
}

void MainLoop::wait_for_termination_signal() {
  // Re-armed after each signal; the loop owns the handler (a lambda that
  // captured a shared pointer to itself would never be freed).
  signals_->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    termination_handler_(sig);
    wait_for_termination_signal();
  });
}

}  // namespace vx86
