#include "core/main/pid_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/options.h"

namespace vx86 {

PidFile::PidFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw OptionError("-pidfile " + path + ": cannot create PID file: " + std::strerror(errno));
  }
  if (lockf(fd_, F_TLOCK, 0) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw OptionError("-pidfile " + path + ": cannot lock PID file: " + std::strerror(error) +
                      " (is another vx86 using it?)");
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 ||
      write(fd_, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw OptionError("-pidfile " + path + ": cannot write PID file: " + std::strerror(error));
  }
}

PidFile::~PidFile() {
  if (fd_ < 0) return;
  unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace vx86
