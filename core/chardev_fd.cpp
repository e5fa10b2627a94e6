#include "core/chardev_fd.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "core/device_lock.h"
#include "core/main_loop.h"

namespace vx86 {

FdWriteResult write_fd_all(int fd, const uint8_t* data, std::size_t len, bool is_socket,
                           int timeout_ms) {
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = is_socket ? ::send(fd, data + done, len - done, MSG_NOSIGNAL)
                          : ::write(fd, data + done, len - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      int r;
      do {
        r = ::poll(&p, 1, timeout_ms);
      } while (r < 0 && errno == EINTR);
      if (r == 0) return FdWriteResult::kStalled;
      if (r < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL))) return FdWriteResult::kClosed;
      continue;
    }
    return FdWriteResult::kClosed;
  }
  return FdWriteResult::kDone;
}

FdChardev::FdChardev(std::string id, MainLoop& loop) : Chardev(std::move(id)), loop_(loop) {}

FdChardev::~FdChardev() = default;

void FdChardev::start_reading() {
  if (wait_armed_ || input_fd() < 0 || pending_input() >= kMaxPendingInput) return;
  wait_armed_ = true;
  uint64_t generation = generation_;
  std::weak_ptr<int> life = life_;
  async_wait_readable([this, life, generation](const boost::system::error_code& ec) {
    DeviceLockGuard lock;
    if (life.expired()) return;
    on_readable(ec, generation);
  });
}

void FdChardev::stop_reading() {
  ++generation_;
  wait_armed_ = false;
}

void FdChardev::on_readable(const boost::system::error_code& ec, uint64_t generation) {
  if (generation != generation_) return;  // a wait from a source since closed
  wait_armed_ = false;
  if (ec) {
    if (ec != boost::asio::error::operation_aborted) on_input_closed();
    return;
  }
  int fd = input_fd();
  if (fd < 0 || pending_input() >= kMaxPendingInput) return;  // on_input_room resumes
  uint8_t buf[4096];
  std::size_t want = std::min(sizeof(buf), kMaxPendingInput - pending_input());
  ssize_t n = read_input(fd, buf, want);
  if (n > 0) {
    deliver_input(buf, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    on_input_closed();
    return;
  }
  start_reading();
}

void FdChardev::on_input_room() {
  if (resume_posted_ || wait_armed_ || input_fd() < 0 || pending_input() >= kMaxPendingInput) {
    return;
  }
  // May run on a vCPU thread: re-arm from the loop thread.
  resume_posted_ = true;
  std::weak_ptr<int> life = life_;
  boost::asio::post(loop_.io(), [this, life] {
    DeviceLockGuard lock;
    if (life.expired()) return;
    resume_posted_ = false;
    start_reading();
  });
}

FdWriteResult FdChardev::write_output(int fd, const uint8_t* data, std::size_t len,
                                      bool is_socket) {
  FdWriteResult r =
      write_fd_all(fd, data, len, is_socket, output_stalled_ ? 0 : kOutputStallTimeoutMs);
  output_stalled_ = r == FdWriteResult::kStalled;
  return r;
}

}  // namespace vx86
