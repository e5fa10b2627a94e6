// The raw format: the virtual disk is the file (or block device) itself.
#pragma once

#include <memory>

#include "block/block_driver.h"
#include "block/host_file.h"

namespace vx86 {

class RawDriver : public BlockDriver {
 public:
  RawDriver(const std::string& path, const OpenOptions& opts);

  std::string format_name() const override { return "raw"; }
  std::string filename() const override { return file_->path(); }
  bool read_only() const override { return !file_->writable(); }
  // Whole sectors, like QEMU: a file's partial last sector reads as zeroes.
  uint64_t length() const override { return (file_->size() + 511) & ~uint64_t(511); }
  void read(uint64_t offset, void* buf, uint64_t len) override;
  void write(uint64_t offset, const void* buf, uint64_t len) override;
  void write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) override;
  void discard(uint64_t offset, uint64_t len) override;
  void flush() override { file_->sync(); }
  void truncate(uint64_t new_length) override;
  BlockStatus block_status(uint64_t offset, uint64_t len) override;
  ImageInfo info() const override;

  static void create(const std::string& path, const CreateOptions& opts);

 private:
  void check_range(uint64_t offset, uint64_t len, const char* op) const;
  std::unique_ptr<HostFile> file_;
};

}  // namespace vx86
