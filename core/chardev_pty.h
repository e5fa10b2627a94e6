// The pty backend: a new pseudo-terminal whose slave (/dev/pts/N) a terminal
// program such as screen or minicom opens. Like QEMU, it announces the slave
// path on stderr. The backend keeps a slave fd of its own open, so the master
// never reports hang-up; output nobody reads fills the pty buffer and is then
// dropped.
#pragma once

#include <string>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/chardev_fd.h"

namespace vx86 {

class PtyChardev : public FdChardev {
 public:
  // Throws std::runtime_error if no pty can be allocated.
  PtyChardev(std::string id, MainLoop& loop, bool announce = true);
  ~PtyChardev() override;

  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override;

  const std::string& slave_path() const { return slave_path_; }
  std::string filename() const override { return "pty:" + slave_path_; }

 protected:
  int input_fd() override { return master_.is_open() ? master_.native_handle() : -1; }
  void async_wait_readable(std::function<void(const boost::system::error_code&)> done) override;

 private:
  boost::asio::posix::stream_descriptor master_;
  int slave_fd_ = -1;
  std::string slave_path_;
};

}  // namespace vx86
