#include "core/chardev_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/chardev_fd.h"
#include "core/log.h"

namespace vx86 {

FileChardev::FileChardev(std::string id, const std::string& path, bool append)
    : Chardev(std::move(id)), path_(path) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  fd_ = ::open(path.c_str(), flags, 0666);
  if (fd_ < 0) {
    throw std::runtime_error("could not open '" + path + "': " + std::strerror(errno));
  }
}

FileChardev::~FileChardev() {
  if (fd_ >= 0) ::close(fd_);
}

void FileChardev::write(const uint8_t* data, std::size_t len) {
  if (failed_ || len == 0) return;
  if (write_fd_all(fd_, data, len, false, -1) != FdWriteResult::kDone) {
    // Report once (disk full, say) rather than on every byte.
    failed_ = true;
    warn_report("chardev '%s': writing '%s' failed: %s; further output dropped", id().c_str(),
                path_.c_str(), std::strerror(errno));
  }
}

}  // namespace vx86
