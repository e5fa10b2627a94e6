#include "core/chardev_stdio.h"

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "core/chardev_terminal.h"
#include "core/main_loop.h"

namespace vx86 {
namespace {

std::atomic<bool> g_stdin_taken{false};

}  // namespace

StdioChardev::StdioChardev(std::string id, MainLoop& loop, bool allow_signals, int in_fd,
                           int out_fd)
    : FdChardev(std::move(id), loop), in_fd_(in_fd), out_fd_(out_fd), input_(loop.io()) {
  if (in_fd == STDIN_FILENO) {
    if (g_stdin_taken.exchange(true)) {
      throw std::runtime_error("cannot use stdio by multiple character devices");
    }
    owns_stdin_ = true;
  }
  int dup_fd = ::fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0) {
    if (owns_stdin_) g_stdin_taken = false;
    throw std::runtime_error(std::string("cannot duplicate stdin: ") + std::strerror(errno));
  }
  input_fd_ = dup_fd;
  boost::system::error_code ec;
  input_.assign(dup_fd, ec);
  // epoll refuses regular files (stdin redirected from a file): those are
  // always readable.
  always_readable_ = static_cast<bool>(ec);
  if (::isatty(in_fd)) enter_raw_mode(allow_signals);
  start_reading();
}

StdioChardev::~StdioChardev() {
  close_input();
  if (raw_) restore_terminal(in_fd_);
  if (owns_stdin_) g_stdin_taken = false;
}

void StdioChardev::enter_raw_mode(bool allow_signals) {
  struct termios original {};
  if (tcgetattr(in_fd_, &original) != 0) return;
  if (!register_terminal_restore(in_fd_, original)) return;
  struct termios raw = original;
  raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_oflag |= OPOST;  // keep "\n" -> "\r\n" so host-side messages stay readable
  raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
  if (!allow_signals) raw.c_lflag &= ~ISIG;
  raw.c_cflag &= ~(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(in_fd_, TCSANOW, &raw) != 0) {
    restore_terminal(in_fd_);
    return;
  }
  raw_ = true;
}

void StdioChardev::async_wait_readable(std::function<void(const boost::system::error_code&)> done) {
  if (always_readable_) {
    boost::asio::post(input_.get_executor(), [done] { done({}); });
  } else {
    input_.async_wait(boost::asio::posix::stream_descriptor::wait_read, std::move(done));
  }
}

void StdioChardev::on_input_closed() {
  // End of input (stdin closed or at end of file): stop reading, keep writing.
  close_input();
}

void StdioChardev::close_input() {
  stop_reading();
  if (input_fd_ < 0) return;
  if (always_readable_) {
    ::close(input_fd_);
  } else {
    boost::system::error_code ec;
    input_.close(ec);
  }
  input_fd_ = -1;
}

void StdioChardev::write(const uint8_t* data, std::size_t len) {
  if (len == 0) return;
  write_output(out_fd_, data, len, false);
}

}  // namespace vx86
