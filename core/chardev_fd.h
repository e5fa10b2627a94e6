// Shared plumbing for backends that move bytes over host file descriptors:
// reading through the main loop with flow control, and writing that never
// stalls the guest for long.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

#include "core/chardev.h"

namespace vx86 {

class MainLoop;

enum class FdWriteResult {
  kDone,     // every byte was written
  kStalled,  // the fd stayed full for the whole timeout; the rest was dropped
  kClosed,   // the fd failed or the peer went away; the rest was dropped
};

// Writes all of data to fd. On a non-blocking fd that is full, waits up to
// timeout_ms each time for room. Sockets are written without SIGPIPE.
FdWriteResult write_fd_all(int fd, const uint8_t* data, std::size_t len, bool is_socket,
                           int timeout_ms);

// A backend that reads host input from at most one fd at a time. It reads only
// while fewer than kMaxPendingInput bytes wait for the frontend, and resumes
// when the frontend calls accept_input, so a slow guest loses nothing.
class FdChardev : public Chardev {
 public:
  ~FdChardev() override;

 protected:
  FdChardev(std::string id, MainLoop& loop);

  MainLoop& loop() { return loop_; }

  // Arms a wait for input if there is a source and room for more.
  void start_reading();
  // Forgets any wait in flight; call before closing the source.
  void stop_reading();

  // Writes through write_fd_all, waiting for a full fd only until it has
  // once stayed full for a whole timeout (then drops until it drains).
  FdWriteResult write_output(int fd, const uint8_t* data, std::size_t len, bool is_socket);

  // The fd input is read from, or -1 when there is none.
  virtual int input_fd() = 0;
  // Starts a one-shot wait until input_fd() is readable.
  virtual void async_wait_readable(std::function<void(const boost::system::error_code&)> done) = 0;
  // The source reached end of file or failed (called on the loop thread).
  virtual void on_input_closed() {}
  // Reads input from fd (a socket also takes the fds passed along).
  virtual ssize_t read_input(int fd, uint8_t* buf, std::size_t len) { return ::read(fd, buf, len); }

  // Handlers capture this to notice that the backend is gone.
  std::weak_ptr<int> life_token() const { return life_; }

  void on_input_room() override;

 private:
  void on_readable(const boost::system::error_code& ec, uint64_t generation);

  // Time a write may wait for a full socket or pty before output is dropped.
  static constexpr int kOutputStallTimeoutMs = 1000;

  MainLoop& loop_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
  bool wait_armed_ = false;
  bool resume_posted_ = false;
  bool output_stalled_ = false;
  uint64_t generation_ = 0;
};

}  // namespace vx86
