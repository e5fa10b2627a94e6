// The main loop: one boost.asio io_context that runs timer callbacks, file
// descriptor handlers (chardevs, sockets) and signals on the main thread.
// Every callback it runs holds the device lock, as vCPU threads do around
// device access, so device models see one thread at a time.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"

namespace vx86 {

class MainLoop {
 public:
  MainLoop();
  ~MainLoop();
  MainLoop(const MainLoop&) = delete;
  MainLoop& operator=(const MainLoop&) = delete;

  boost::asio::io_context& io() { return io_; }
  Clocks& clocks() { return clocks_; }

  // Runs handlers until stop(). Safe to call stop() from any thread.
  void run();
  // Runs ready handlers and expired timers once, waiting at most timeout_ms.
  void run_once(int timeout_ms);
  void stop();
  bool stopped() const { return stop_requested_; }

  // Queues fn to run on the main loop thread (under the device lock).
  void post(std::function<void()> fn);

  // Calls handler on SIGINT/SIGTERM/SIGHUP.
  void on_termination_signal(std::function<void(int)> handler);

 private:
  void schedule_timer_wakeup();
  void wait_for_termination_signal();

  boost::asio::io_context io_;
  boost::asio::steady_timer deadline_timer_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::function<void(int)> termination_handler_;
  Clocks clocks_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> wakeup_pending_{false};
};

}  // namespace vx86
