// The qcow2 format driver (versions 2 and 3): L1/L2 mapping with an L2
// cache, refcounted cluster allocation, copy-on-write against a backing file
// of any format, zero clusters, discard, compressed clusters (zlib and zstd),
// lazy-refcount dirty tracking and a metadata checker.
#pragma once

#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "block/block_driver.h"
#include "block/compress.h"
#include "block/host_file.h"
#include "block/qcow2_format.h"

namespace vx86 {

class Qcow2Driver : public BlockDriver {
 public:
  Qcow2Driver(const std::string& path, const OpenOptions& opts);
  ~Qcow2Driver() override;

  std::string format_name() const override { return "qcow2"; }
  std::string filename() const override { return file_->path(); }
  bool read_only() const override { return read_only_; }
  uint64_t length() const override { return h_.size; }
  void read(uint64_t offset, void* buf, uint64_t len) override;
  void write(uint64_t offset, const void* buf, uint64_t len) override;
  void write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) override;
  void discard(uint64_t offset, uint64_t len) override;
  void flush() override;
  void truncate(uint64_t new_length) override;
  BlockStatus block_status(uint64_t offset, uint64_t len) override;
  BlockDriver* backing() const override { return backing_.get(); }
  ImageInfo info() const override;
  bool supports_compressed_writes() const override { return true; }
  uint64_t cluster_size() const override { return cluster_size_; }
  void write_compressed(uint64_t offset, const void* buf, uint64_t len) override;
  std::optional<std::vector<uint8_t>> compress_for_write(const void* buf,
                                                         uint64_t len) const override;
  void write_compressed_prepared(uint64_t offset, const void* buf, uint64_t len,
                                 const std::optional<std::vector<uint8_t>>& packed) override;
  bool supports_check() const override { return true; }
  CheckResult check(RepairMode mode) override;
  void close() override;

  // Internal snapshots (qemu-img snapshot -c/-a/-d). Names match a
  // snapshot's id or its tag.
  void create_snapshot(const std::string& name);
  void apply_snapshot(const std::string& name);
  void delete_snapshot(const std::string& name);

  // Points the image at another backing file ("" for none) by rewriting
  // the header; the data is not touched (rebase -u). Unknown header
  // extensions are dropped.
  void set_backing(const std::string& file, const std::string& format);

  // Allocates metadata (and for "full"/"falloc" host space) for the whole disk.
  void preallocate(const std::string& mode);
  const qcow2::Header& header() const { return h_; }

  static void create(const std::string& path, const CreateOptions& opts);
  // Checks creation options; returns the header they describe.
  static qcow2::Header validate_create(const CreateOptions& opts);

 private:
  struct Snapshot {
    uint64_t l1_table_offset = 0;
    uint32_t l1_size = 0;
    SnapshotInfo info;
    uint64_t disk_size = 0;
    std::vector<uint8_t> extra;  // extra data as stored
  };
  enum class Op { kRead, kWrite };

  // Tables.
  void load_l1();
  void load_refcount_table();
  void load_snapshots();
  void write_snapshot_table(std::vector<Snapshot> snapshots);
  size_t find_snapshot(const std::string& name) const;
  std::vector<uint64_t> read_l1(uint64_t offset, uint64_t entries);
  // Adds delta to the refcount of every L2 table and data cluster reached
  // from an L1 table.
  void update_tree_refcounts(const std::vector<uint64_t>& l1, int delta);
  // Sets COPIED exactly where the active tables hold the only reference.
  void refresh_copied_flags();
  void open_backing(const OpenOptions& opts);
  std::vector<uint64_t>& l2_table(uint64_t offset);
  uint64_t l2_entry(uint64_t guest_cluster);
  // Returns the L2 table offset for guest_cluster, allocating or copying it so
  // it can be written.
  uint64_t writable_l2(uint64_t guest_cluster);
  void set_l2_entry(uint64_t guest_cluster, uint64_t entry);
  void write_header_u64(uint32_t field, uint64_t value);
  void write_header_u32(uint32_t field, uint32_t value);
  void grow_l1(uint64_t min_entries);

  // Refcounts and allocation.
  std::vector<uint8_t>& refblock(uint64_t offset);
  uint64_t get_refcount(uint64_t cluster);
  void set_refcount(uint64_t cluster, uint64_t value);
  void change_refcount(uint64_t cluster, int64_t delta);
  // Single clusters come from a reserve whose refcounts are already counted
  // (and, after the next ordering barrier, durable): see docs/architecture.md.
  uint64_t alloc_clusters(uint64_t count);
  uint64_t allocate_run(uint64_t count);
  // Power-loss ordering (all but cache=unsafe): refcount increases and new
  // tables reach the disk before an L1/L2 entry points at them; references
  // are dropped before the refcounts go down (deferred to the next flush).
  bool ordered_writes() const { return !read_only_ && cache_ != CacheMode::kUnsafe; }
  void order_barrier();
  // Drops the reference an L2 entry (or a bare cluster offset) held, at the
  // next flush when writes are ordered.
  void drop_reference(uint64_t entry);
  void apply_pending_frees();
  void release_reserve();
  void grow_refcount_table(uint64_t min_entries);
  // Drops one reference to whatever the L2 entry points at.
  void release_entry(uint64_t entry);
  void ref_entry(uint64_t entry);
  void compressed_span(uint64_t entry, uint64_t* host, uint64_t* bytes) const;
  // Host clusters [first, last] holding a compressed cluster's sectors.
  void compressed_ref_range(uint64_t entry, uint64_t* first, uint64_t* last) const;
  void rebuild_refcounts(const std::vector<uint64_t>& computed_without_refcount_structures);
  uint64_t refcount_max() const;

  // Data paths, each within one cluster.
  void read_cluster_part(uint64_t guest_cluster, uint64_t in_off, uint8_t* buf, uint64_t len);
  void write_cluster_part(uint64_t guest_cluster, uint64_t in_off, const uint8_t* buf,
                          uint64_t len);
  void read_compressed(uint64_t entry, uint8_t* cluster_buf);
  void read_backing(uint64_t offset, uint8_t* buf, uint64_t len);
  void require_writable(const char* what) const;
  // Header, L1 table or refcount table: never written as guest data.
  bool overlaps_metadata(uint64_t host) const;
  void check_range(uint64_t offset, uint64_t len, const char* op) const;
  void set_dirty(bool dirty);

  std::unique_ptr<HostFile> file_;
  std::unique_ptr<BlockDriver> backing_;
  qcow2::Header h_;
  bool read_only_ = false;
  bool closed_ = false;
  CacheMode cache_ = CacheMode::kWriteback;
  uint64_t cluster_size_ = 0;
  uint64_t l2_entries_ = 0;
  uint64_t refblock_entries_ = 0;
  CompressionType compression_ = CompressionType::kZlib;
  std::vector<uint64_t> l1_;
  std::vector<uint64_t> reftable_;
  std::vector<Snapshot> snapshots_;
  uint64_t snapshot_table_bytes_ = 0;
  uint64_t free_hint_ = 0;               // no free cluster below this index
  uint64_t alloc_end_ = 0;               // no cluster at or above this index is in use
  uint64_t compressed_next_ = 0;         // byte offset for packing compressed data
  std::vector<uint64_t> reserve_;        // counted, unused clusters (last = next)
  std::vector<uint64_t> pending_frees_;  // references dropped, not yet uncounted
  bool barrier_needed_ = false;          // unsynced refcount increase or new table

  // Write-through caches of L2 tables and refcount blocks, keyed by offset.
  std::unordered_map<uint64_t, std::vector<uint64_t>> l2_cache_;
  std::unordered_map<uint64_t, std::vector<uint8_t>> refblock_cache_;
  uint64_t decompressed_entry_ = 0;  // L2 entry of the cached decompressed cluster
  std::vector<uint8_t> decompressed_;
  std::vector<uint8_t> compressed_buf_;
};

}  // namespace vx86
