// The disk-image layer: one BlockDriver per image format (raw, qcow2) and the
// options to open and create images. Every failure throws BlockError (a
// std::runtime_error) whose message names the file and the reason.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vx86 {

class BlockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  BlockError(const std::string& message, int os_error)
      : std::runtime_error(message), os_error_(os_error) {}
  // The errno behind the failure (EIO, ENOSPC, ENOENT...); 0 when it is not
  // a host error (a corrupt image, a bad request).
  int os_error() const { return os_error_; }

 private:
  int os_error_ = 0;
};

// How host I/O is done: O_DIRECT and when data is forced to stable storage.
enum class CacheMode {
  kWriteback,     // page cache, flush() syncs
  kWritethrough,  // page cache, every write synced
  kNone,          // O_DIRECT, flush() syncs
  kDirectSync,    // O_DIRECT, every write synced
  kUnsafe,        // page cache, flush() does nothing
};
// "writeback", "none", ... ; nullopt for an unknown name.
std::optional<CacheMode> parse_cache_mode(const std::string& name);
inline bool cache_mode_direct(CacheMode m) {
  return m == CacheMode::kNone || m == CacheMode::kDirectSync;
}

// The allocation state of a run of bytes in one layer, for `map`.
struct BlockStatus {
  uint64_t length = 0;     // bytes from the queried offset sharing this state
  bool allocated = false;  // this layer decides the content (else: the backing file)
  bool data = false;       // reads come from stored data
  bool zero = false;       // reads return zeroes
  bool compressed = false;
  std::optional<uint64_t> host_offset;  // offset in this layer's file, when mapped 1:1
};

struct SnapshotInfo {
  std::string id;
  std::string name;
  uint64_t vm_state_size = 0;
  uint32_t date_sec = 0;
  uint32_t date_nsec = 0;
  uint64_t vm_clock_nsec = 0;
  std::optional<uint64_t> icount;  // instructions executed, when recorded
};

// What `info` shows, as data.
struct ImageInfo {
  std::string format;
  std::string filename;
  uint64_t virtual_size = 0;
  uint64_t actual_size = 0;  // host bytes allocated
  std::optional<uint64_t> cluster_size;
  bool dirty = false;
  std::string backing_filename;  // as stored in the image
  std::string full_backing_filename;
  std::string backing_format;
  struct Qcow2 {
    std::string compat;  // "0.10" or "1.1"
    std::string compression_type;
    bool lazy_refcounts = false;
    int refcount_bits = 16;
    bool corrupt = false;
    bool extended_l2 = false;
  };
  std::optional<Qcow2> qcow2;
  std::vector<SnapshotInfo> snapshots;
};

// Result of a metadata consistency check.
struct CheckResult {
  uint64_t corruptions = 0;
  uint64_t leaks = 0;
  uint64_t check_errors = 0;
  uint64_t corruptions_fixed = 0;
  uint64_t leaks_fixed = 0;
  uint64_t image_end_offset = 0;
  uint64_t total_clusters = 0;
  uint64_t allocated_clusters = 0;
  uint64_t fragmented_clusters = 0;
  uint64_t compressed_clusters = 0;
  std::vector<std::string> messages;  // one line per problem found
};
enum class RepairMode { kNone, kLeaks, kAll };

class BlockDriver {
 public:
  virtual ~BlockDriver() = default;

  virtual std::string format_name() const = 0;
  virtual std::string filename() const = 0;
  virtual bool read_only() const = 0;
  // Virtual disk size in bytes.
  virtual uint64_t length() const = 0;

  // Byte-granular I/O at any alignment. Reads past the end are refused.
  virtual void read(uint64_t offset, void* buf, uint64_t len) = 0;
  virtual void write(uint64_t offset, const void* buf, uint64_t len) = 0;
  // Makes the range read as zeroes; may_unmap allows freeing storage.
  virtual void write_zeroes(uint64_t offset, uint64_t len, bool may_unmap);
  // Hint that the range is no longer needed; its content becomes unspecified
  // (zero for the formats here when nothing is underneath).
  virtual void discard(uint64_t offset, uint64_t len) {}
  virtual void flush() = 0;
  virtual void truncate(uint64_t new_length) = 0;

  // Allocation state starting at offset (at most len bytes).
  virtual BlockStatus block_status(uint64_t offset, uint64_t len) = 0;
  virtual BlockDriver* backing() const { return nullptr; }
  virtual ImageInfo info() const = 0;

  // Writes compressed data when the format supports it (whole clusters only).
  virtual bool supports_compressed_writes() const { return false; }
  virtual uint64_t cluster_size() const { return 0; }
  virtual void write_compressed(uint64_t offset, const void* buf, uint64_t len);
  // write_compressed in two steps, so callers can compress clusters in
  // parallel: compress_for_write only reads `buf` and the format's settings
  // (safe from any thread; nullopt when the cluster does not shrink), and
  // write_compressed_prepared stores the result (or buf itself when nullopt).
  virtual std::optional<std::vector<uint8_t>> compress_for_write(const void* buf,
                                                                 uint64_t len) const {
    return std::nullopt;
  }
  virtual void write_compressed_prepared(uint64_t offset, const void* buf, uint64_t len,
                                         const std::optional<std::vector<uint8_t>>& packed) {
    write_compressed(offset, buf, len);
  }

  virtual bool supports_check() const { return false; }
  virtual CheckResult check(RepairMode mode);

  // Marks the image clean and releases it; the destructor calls this too but
  // cannot report errors.
  virtual void close() {}
};

struct OpenOptions {
  std::string format;  // "" probes
  bool read_only = false;
  CacheMode cache = CacheMode::kWriteback;
  bool open_backing = true;  // false: ignore the backing chain (for info)
  bool repair_dirty = true;  // rebuild refcounts of a dirty lazy-refcount image
  int chain_depth = 0;       // backing files above this one (limits loops)
};

struct CreateOptions {
  std::string format = "raw";
  uint64_t size = 0;
  uint64_t cluster_size = 65536;
  std::string compat = "1.1";  // "0.10"/"v2" or "1.1"/"v3"
  std::string backing_file;
  std::string backing_format;
  std::string preallocation = "off";  // off | metadata | falloc | full
  std::string compression_type = "zlib";
  bool lazy_refcounts = false;
  int refcount_bits = 16;
  bool size_given = false;
};

// Opens an image: probes the format when none given (qcow2 magic, else raw).
std::unique_ptr<BlockDriver> open_image(const std::string& path, const OpenOptions& opts);
// Refuses bad creation options with the reason (create_image checks too).
void validate_create_options(const CreateOptions& opts);
// Creates (or overwrites) an image file.
void create_image(const std::string& path, const CreateOptions& opts);
// "qcow2" when the file starts with the qcow2 magic, else "raw".
std::string probe_format(const std::string& path);

// Resolves a backing file name relative to the directory of the image.
std::string combine_backing_path(const std::string& image_path, const std::string& backing);

}  // namespace vx86
