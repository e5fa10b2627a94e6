// The stdio backend: input from stdin, output to stdout. When stdin is a
// terminal it is put in raw mode (so the guest sees each key) and restored at
// exit, on destruction and on fatal signals. allow_signals (QEMU's signal=)
// keeps Ctrl-C/Ctrl-Z/Ctrl-\ acting on the host rather than reaching the guest.
#pragma once

#include <termios.h>
#include <unistd.h>

#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/chardev_fd.h"

namespace vx86 {

class StdioChardev : public FdChardev {
 public:
  // in_fd/out_fd are for tests; only one backend may use the real stdin.
  // Throws std::runtime_error if stdin is already taken.
  StdioChardev(std::string id, MainLoop& loop, bool allow_signals, int in_fd = STDIN_FILENO,
               int out_fd = STDOUT_FILENO);
  ~StdioChardev() override;

  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override;
  std::string filename() const override { return "stdio"; }

  // True while the input terminal is in raw mode.
  bool raw_mode() const { return raw_; }

 protected:
  int input_fd() override { return input_fd_; }
  void async_wait_readable(std::function<void(const boost::system::error_code&)> done) override;
  void on_input_closed() override;

 private:
  void enter_raw_mode(bool allow_signals);
  void close_input();

  int in_fd_;
  int out_fd_;
  // A duplicate of in_fd, so closing it never closes the process's stdin;
  // -1 once input has ended.
  int input_fd_ = -1;
  boost::asio::posix::stream_descriptor input_;
  // Regular files cannot be polled; they are always readable.
  bool always_readable_ = false;
  bool raw_ = false;
  bool owns_stdin_ = false;
};

}  // namespace vx86
