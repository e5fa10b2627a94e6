// -pidfile FILE: vx86's process ID in a file, locked while vx86 runs (so a
// second vx86 with the same file refuses to start, as QEMU does) and
// removed when it ends.
#pragma once

#include <string>

namespace vx86 {

class PidFile {
 public:
  // Creates and locks path and writes the process ID; throws OptionError
  // with the reason when it cannot.
  explicit PidFile(const std::string& path);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace vx86
