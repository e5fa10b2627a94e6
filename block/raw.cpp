#include "block/raw.h"

#include <algorithm>
#include <vector>

namespace vx86 {

RawDriver::RawDriver(const std::string& path, const OpenOptions& opts)
    : file_(std::make_unique<HostFile>(
          path, opts.read_only ? HostFile::Mode::kReadOnly : HostFile::Mode::kReadWrite,
          cache_mode_direct(opts.cache), opts.cache == CacheMode::kDirectSync)) {}

void RawDriver::check_range(uint64_t offset, uint64_t len, const char* op) const {
  uint64_t size = length();
  if (offset > size || len > size - offset) {
    throw BlockError(std::string(op) + " beyond the end of '" + file_->path() + "' (offset " +
                     std::to_string(offset) + ", length " + std::to_string(len) + ", size " +
                     std::to_string(size) + ")");
  }
}

void RawDriver::read(uint64_t offset, void* buf, uint64_t len) {
  check_range(offset, len, "Read");
  file_->pread(buf, len, offset);
}

void RawDriver::write(uint64_t offset, const void* buf, uint64_t len) {
  if (read_only()) throw BlockError("Cannot write to '" + file_->path() + "': image is read-only");
  check_range(offset, len, "Write");
  file_->pwrite(buf, len, offset);
}

void RawDriver::write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) {
  if (read_only()) throw BlockError("Cannot write to '" + file_->path() + "': image is read-only");
  check_range(offset, len, "Write");
  BlockDriver::write_zeroes(offset, len, may_unmap);
}

void RawDriver::discard(uint64_t offset, uint64_t len) {
  if (read_only())
    throw BlockError("Cannot discard on '" + file_->path() + "': image is read-only");
  check_range(offset, len, "Discard");
  file_->punch_hole(offset, len);
}

void RawDriver::truncate(uint64_t new_length) {
  if (read_only()) throw BlockError("Cannot resize '" + file_->path() + "': image is read-only");
  file_->truncate(new_length);
}

BlockStatus RawDriver::block_status(uint64_t offset, uint64_t len) {
  BlockStatus st;
  st.allocated = true;
  st.host_offset = offset;
  uint64_t size = length();
  len = std::min(len, size - std::min(size, offset));
  uint64_t data_start = 0;
  uint64_t hole_start = 0;
  if (file_->is_block_device() || !file_->next_data(offset, &data_start)) {
    st.data = true;
    st.length = len;
    return st;
  }
  if (data_start > offset) {
    st.zero = true;
    st.length = std::min(len, data_start - offset);
    return st;
  }
  if (!file_->next_hole(offset, &hole_start)) hole_start = size;
  st.data = true;
  st.length = std::min(len, std::max<uint64_t>(hole_start, offset + 1) - offset);
  return st;
}

ImageInfo RawDriver::info() const {
  ImageInfo info;
  info.format = "raw";
  info.filename = file_->path();
  info.virtual_size = length();
  info.actual_size = file_->allocated_bytes();
  return info;
}

void RawDriver::create(const std::string& path, const CreateOptions& opts) {
  if (!opts.backing_file.empty()) {
    throw BlockError("'raw' does not support backing files");
  }
  HostFile file(path, HostFile::Mode::kCreate, false);
  if (file.is_block_device()) {
    if (file.size() < opts.size) throw BlockError("Device '" + path + "' is too small");
    return;
  }
  file.truncate(opts.size);
  if (opts.preallocation == "falloc") {
    file.allocate(0, opts.size);
  } else if (opts.preallocation == "full") {
    std::vector<uint8_t> zeros(1 << 20);
    for (uint64_t off = 0; off < opts.size; off += zeros.size()) {
      file.pwrite(zeros.data(), std::min<uint64_t>(zeros.size(), opts.size - off), off);
    }
  } else if (opts.preallocation != "off") {
    throw BlockError("Invalid preallocation mode: '" + opts.preallocation + "'");
  }
}

}  // namespace vx86
