#include "core/entropy_source.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/options.h"

namespace vx86 {

namespace {

class BuiltinEntropy : public EntropySource {
 public:
  std::size_t read(uint8_t* buf, std::size_t len) override {
    const ssize_t n = getrandom(buf, len, GRND_NONBLOCK);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
};

class FileEntropy : public EntropySource {
 public:
  explicit FileEntropy(int fd) : fd_(fd) {}
  ~FileEntropy() override { ::close(fd_); }
  std::size_t read(uint8_t* buf, std::size_t len) override {
    // Non-blocking: a source that has nothing now (an empty pipe) gives
    // nothing rather than stopping the machine.
    ssize_t n;
    do {
      n = ::read(fd_, buf, len);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<EntropySource> make_builtin_entropy() {
  return std::make_unique<BuiltinEntropy>();
}

std::unique_ptr<EntropySource> open_entropy_file(const std::string& option,
                                                 const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw OptionError(option + ": Could not open '" + path + "': " + std::strerror(errno));
  }
  return std::make_unique<FileEntropy>(fd);
}

}  // namespace vx86
