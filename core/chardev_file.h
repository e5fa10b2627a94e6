// The file backend: guest output goes to a host file (input is never read,
// as with QEMU's file backend without in=).
#pragma once

#include <string>

#include "core/chardev.h"

namespace vx86 {

class FileChardev : public Chardev {
 public:
  // Opens (creating) path, truncating it unless append. Throws
  // std::runtime_error naming the path when it cannot be opened.
  FileChardev(std::string id, const std::string& path, bool append);
  ~FileChardev() override;

  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override;
  const std::string& path() const { return path_; }
  std::string filename() const override { return "file"; }

 private:
  std::string path_;
  int fd_ = -1;
  bool failed_ = false;
};

}  // namespace vx86
