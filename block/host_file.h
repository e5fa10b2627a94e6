// A host file or block device with positional I/O. With O_DIRECT the
// alignment rules are hidden behind bounce buffers, so callers may use any
// offset and length.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace vx86 {

class HostFile {
 public:
  enum class Mode { kReadOnly, kReadWrite, kCreate };  // kCreate truncates
  // direct: O_DIRECT, falling back to the page cache with a warning where
  // the file system refuses it. dsync: O_DSYNC (every write is durable).
  HostFile(const std::string& path, Mode mode, bool direct, bool dsync = false);
  ~HostFile();
  HostFile(const HostFile&) = delete;
  HostFile& operator=(const HostFile&) = delete;

  // Reads past the end of the file return zeroes.
  void pread(void* buf, uint64_t len, uint64_t offset) const;
  void pwrite(const void* buf, uint64_t len, uint64_t offset);
  uint64_t size() const;
  void truncate(uint64_t size);
  // Reserves space (posix_fallocate); writes zeroes where unsupported.
  void allocate(uint64_t offset, uint64_t len);
  // Punches a hole; silently does nothing where unsupported.
  void punch_hole(uint64_t offset, uint64_t len);
  void sync();
  // Host bytes in use (st_blocks).
  uint64_t allocated_bytes() const;
  // Start of the next data/hole region at or after offset (SEEK_DATA/HOLE);
  // returns false where the file system cannot tell.
  bool next_data(uint64_t offset, uint64_t* data_start) const;
  bool next_hole(uint64_t offset, uint64_t* hole_start) const;

  // Test hook for the crash-consistency test: runs before every write to
  // any host file (data, metadata, truncation), e.g. to die at the Nth one.
  static void set_before_write_hook(void (*hook)());

  const std::string& path() const { return path_; }
  bool writable() const { return writable_; }
  bool is_block_device() const { return block_device_; }
  bool direct() const { return direct_; }

 private:
  [[noreturn]] void fail(const char* what, int err) const;
  void direct_read(void* buf, uint64_t len, uint64_t offset) const;
  void direct_write(const void* buf, uint64_t len, uint64_t offset);

  std::string path_;
  int fd_ = -1;
  bool writable_ = false;
  bool direct_ = false;
  bool block_device_ = false;
};

}  // namespace vx86
