#include "block/host_file.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "block/block_driver.h"
#include "core/log.h"

namespace vx86 {
namespace {

constexpr uint64_t kDirectAlign = 4096;

struct AlignedBuffer {
  explicit AlignedBuffer(uint64_t size) {
    if (posix_memalign(&ptr, kDirectAlign, size) != 0) throw std::bad_alloc();
  }
  ~AlignedBuffer() { free(ptr); }
  void* ptr = nullptr;
};

void (*g_before_write_hook)() = nullptr;

}  // namespace

void HostFile::set_before_write_hook(void (*hook)()) {
  g_before_write_hook = hook;
}

HostFile::HostFile(const std::string& path, Mode mode, bool direct, bool dsync)
    : path_(path), direct_(direct) {
  int flags = O_CLOEXEC;
  if (mode == Mode::kReadOnly) {
    flags |= O_RDONLY;
  } else {
    flags |= O_RDWR;
    writable_ = true;
  }
  if (mode == Mode::kCreate) flags |= O_CREAT | O_TRUNC;
  if (dsync && writable_) flags |= O_DSYNC;
  fd_ = ::open(path.c_str(), flags | (direct ? O_DIRECT : 0), 0644);
  if (fd_ < 0 && errno == EINVAL && direct) {
    // tmpfs and some FUSE file systems have no O_DIRECT: keep going through
    // the page cache (flushes still make data durable).
    fd_ = ::open(path.c_str(), flags, 0644);
    if (fd_ >= 0) {
      direct_ = false;
      warn_report("'%s': the file system does not support O_DIRECT; using the page cache",
                  path.c_str());
    }
  }
  if (fd_ < 0) fail("Could not open", errno);
  struct stat st;
  if (fstat(fd_, &st) == 0 && S_ISBLK(st.st_mode)) {
    block_device_ = true;
    if (mode == Mode::kCreate) {
      // Block devices keep their size; nothing to truncate.
    }
  }
}

HostFile::~HostFile() {
  if (fd_ >= 0) ::close(fd_);
}

void HostFile::fail(const char* what, int err) const {
  throw BlockError(std::string(what) + " '" + path_ + "': " + std::strerror(err), err);
}

void HostFile::pread(void* buf, uint64_t len, uint64_t offset) const {
  if (direct_ && ((offset | len | reinterpret_cast<uintptr_t>(buf)) & (kDirectAlign - 1))) {
    direct_read(buf, len, offset);
    return;
  }
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd_, p, len, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("Could not read from", errno);
    }
    if (n == 0) {  // end of file reads as zeroes
      std::memset(p, 0, len);
      return;
    }
    p += n;
    len -= n;
    offset += n;
  }
}

void HostFile::pwrite(const void* buf, uint64_t len, uint64_t offset) {
  if (!writable_) throw BlockError("Could not write to '" + path_ + "': opened read-only");
  if (direct_ && ((offset | len | reinterpret_cast<uintptr_t>(buf)) & (kDirectAlign - 1))) {
    direct_write(buf, len, offset);
    return;
  }
  if (g_before_write_hook) g_before_write_hook();
  auto* p = static_cast<const uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = ::pwrite(fd_, p, len, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("Could not write to", errno);
    }
    p += n;
    len -= n;
    offset += n;
  }
}

void HostFile::direct_read(void* buf, uint64_t len, uint64_t offset) const {
  uint64_t start = offset & ~(kDirectAlign - 1);
  uint64_t end = (offset + len + kDirectAlign - 1) & ~(kDirectAlign - 1);
  AlignedBuffer bounce(end - start);
  pread(bounce.ptr, end - start, start);
  std::memcpy(buf, static_cast<uint8_t*>(bounce.ptr) + (offset - start), len);
}

void HostFile::direct_write(const void* buf, uint64_t len, uint64_t offset) {
  uint64_t start = offset & ~(kDirectAlign - 1);
  uint64_t end = (offset + len + kDirectAlign - 1) & ~(kDirectAlign - 1);
  AlignedBuffer bounce(end - start);
  auto* b = static_cast<uint8_t*>(bounce.ptr);
  // Read-modify-write when the request covers blocks only partly.
  if (start != offset || end != offset + len) pread(b, end - start, start);
  std::memcpy(b + (offset - start), buf, len);
  uint64_t old_size = size();
  pwrite(b, end - start, start);
  // The padding must not grow the file beyond what the caller wrote.
  if (!block_device_ && end > old_size && offset + len < end) {
    if (ftruncate(fd_, std::max(old_size, offset + len)) < 0) fail("Could not resize", errno);
  }
}

uint64_t HostFile::size() const {
  if (block_device_) {
    uint64_t bytes = 0;
    if (ioctl(fd_, BLKGETSIZE64, &bytes) < 0) fail("Could not get size of", errno);
    return bytes;
  }
  struct stat st;
  if (fstat(fd_, &st) < 0) fail("Could not stat", errno);
  return st.st_size;
}

void HostFile::truncate(uint64_t size) {
  if (block_device_) {
    if (size > this->size()) throw BlockError("Cannot grow block device '" + path_ + "'");
    return;
  }
  if (g_before_write_hook) g_before_write_hook();
  if (ftruncate(fd_, size) < 0) fail("Could not resize", errno);
}

void HostFile::allocate(uint64_t offset, uint64_t len) {
  if (len == 0) return;
  int err = posix_fallocate(fd_, offset, len);
  if (err == 0) return;
  if (err != EOPNOTSUPP && err != EINVAL) fail("Could not preallocate", err);
  std::vector<uint8_t> zeros(1 << 20);
  while (len > 0) {
    uint64_t n = std::min<uint64_t>(len, zeros.size());
    pwrite(zeros.data(), n, offset);
    offset += n;
    len -= n;
  }
}

void HostFile::punch_hole(uint64_t offset, uint64_t len) {
  if (len == 0 || block_device_) return;
  fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len);
}

void HostFile::sync() {
  if (fdatasync(fd_) < 0) fail("Could not flush", errno);
}

uint64_t HostFile::allocated_bytes() const {
  struct stat st;
  if (fstat(fd_, &st) < 0) fail("Could not stat", errno);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

bool HostFile::next_data(uint64_t offset, uint64_t* data_start) const {
  off_t r = lseek(fd_, offset, SEEK_DATA);
  if (r < 0) {
    if (errno == ENXIO) {  // only a hole up to the end
      *data_start = size();
      return true;
    }
    return false;
  }
  *data_start = r;
  return true;
}

bool HostFile::next_hole(uint64_t offset, uint64_t* hole_start) const {
  off_t r = lseek(fd_, offset, SEEK_HOLE);
  if (r < 0) return false;
  *hole_start = r;
  return true;
}

}  // namespace vx86
