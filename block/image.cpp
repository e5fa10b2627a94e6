// Format probing and dispatch, and the BlockDriver defaults.
#include <cstring>
#include <vector>

#include "block/host_file.h"
#include "block/qcow2.h"
#include "block/raw.h"

namespace vx86 {

std::optional<CacheMode> parse_cache_mode(const std::string& name) {
  if (name == "writeback") return CacheMode::kWriteback;
  if (name == "writethrough") return CacheMode::kWritethrough;
  if (name == "none" || name == "off") return CacheMode::kNone;
  if (name == "directsync") return CacheMode::kDirectSync;
  if (name == "unsafe") return CacheMode::kUnsafe;
  return std::nullopt;
}

void BlockDriver::write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) {
  std::vector<uint8_t> zeros(std::min<uint64_t>(len, 1 << 20), 0);
  while (len > 0) {
    uint64_t n = std::min<uint64_t>(len, zeros.size());
    write(offset, zeros.data(), n);
    offset += n;
    len -= n;
  }
}

void BlockDriver::write_compressed(uint64_t offset, const void* buf, uint64_t len) {
  write(offset, buf, len);
}

CheckResult BlockDriver::check(RepairMode mode) {
  throw BlockError("This image format does not support checks");
}

std::string probe_format(const std::string& path) {
  HostFile file(path, HostFile::Mode::kReadOnly, false);
  uint8_t magic[4] = {};
  if (file.size() >= 4) file.pread(magic, 4, 0);
  return load_be32(magic) == qcow2::kMagic ? "qcow2" : "raw";
}

std::unique_ptr<BlockDriver> open_image(const std::string& path, const OpenOptions& opts) {
  std::string format = opts.format.empty() ? probe_format(path) : opts.format;
  if (format == "raw") return std::make_unique<RawDriver>(path, opts);
  if (format == "qcow2") return std::make_unique<Qcow2Driver>(path, opts);
  throw BlockError("Unknown driver '" + format + "'");
}

void validate_create_options(const CreateOptions& opts) {
  if (opts.format == "qcow2") {
    Qcow2Driver::validate_create(opts);
  } else if (opts.format == "raw") {
    if (opts.preallocation != "off" && opts.preallocation != "falloc" &&
        opts.preallocation != "full") {
      throw BlockError("invalid parameter value: " + opts.preallocation);
    }
  } else {
    throw BlockError("Unknown file format '" + opts.format + "'");
  }
}

void create_image(const std::string& path, const CreateOptions& options) {
  validate_create_options(options);
  CreateOptions opts = options;
  if (!opts.backing_file.empty() && opts.format == "qcow2") {
    // The backing file must open; it also supplies the size and format.
    OpenOptions bo;
    bo.read_only = true;
    bo.format = opts.backing_format;
    std::unique_ptr<BlockDriver> backing;
    try {
      backing = open_image(combine_backing_path(path, opts.backing_file), bo);
    } catch (const std::exception& e) {
      throw BlockError("Could not open backing image: " + std::string(e.what()));
    }
    if (opts.backing_format.empty()) opts.backing_format = backing->format_name();
    if (!opts.size_given) opts.size = backing->length();
  } else if (!opts.size_given) {
    throw BlockError("Image creation needs a size parameter");
  }
  opts.size = (opts.size + 511) & ~uint64_t(511);  // sizes are whole sectors, as in QEMU
  if (opts.format == "raw") {
    RawDriver::create(path, opts);
  } else if (opts.format == "qcow2") {
    Qcow2Driver::create(path, opts);
  } else {
    throw BlockError("Unknown file format '" + opts.format + "'");
  }
}

std::string combine_backing_path(const std::string& image_path, const std::string& backing) {
  if (backing.empty() || backing[0] == '/') return backing;
  size_t slash = image_path.rfind('/');
  if (slash == std::string::npos) return backing;
  return image_path.substr(0, slash + 1) + backing;
}

}  // namespace vx86
