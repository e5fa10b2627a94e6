#include "core/chardev_pty.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/main_loop.h"

namespace vx86 {
namespace {

[[noreturn]] void fail(const char* what, int master) {
  std::string msg = std::string("cannot create pty (") + what + "): " + std::strerror(errno);
  if (master >= 0) ::close(master);
  throw std::runtime_error(msg);
}

}  // namespace

PtyChardev::PtyChardev(std::string id, MainLoop& loop, bool announce)
    : FdChardev(std::move(id), loop), master_(loop.io()) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail("posix_openpt", -1);
  if (::grantpt(master) != 0) fail("grantpt", master);
  if (::unlockpt(master) != 0) fail("unlockpt", master);
  char name[128];
  if (::ptsname_r(master, name, sizeof(name)) != 0) fail("ptsname", master);
  slave_path_ = name;
  slave_fd_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd_ < 0) fail("open slave", master);

  // Raw, so bytes pass unchanged both ways (on Linux the master's attributes
  // are the slave's).
  struct termios tio {};
  if (tcgetattr(slave_fd_, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(slave_fd_, TCSANOW, &tio);
  }
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  master_.assign(master);
  if (announce) {
    std::fprintf(stderr, "char device redirected to %s (label %s)\n", name, this->id().c_str());
  }
  start_reading();
}

PtyChardev::~PtyChardev() {
  stop_reading();
  boost::system::error_code ec;
  master_.close(ec);
  if (slave_fd_ >= 0) ::close(slave_fd_);
}

void PtyChardev::async_wait_readable(std::function<void(const boost::system::error_code&)> done) {
  master_.async_wait(boost::asio::posix::stream_descriptor::wait_read, std::move(done));
}

void PtyChardev::write(const uint8_t* data, std::size_t len) {
  if (len == 0 || !master_.is_open()) return;
  write_output(master_.native_handle(), data, len, false);
}

}  // namespace vx86
