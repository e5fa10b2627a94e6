#include "block/qcow2.h"

#include <algorithm>
#include <cstring>

namespace vx86 {

using namespace qcow2;

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Qcow2Driver::Qcow2Driver(const std::string& path, const OpenOptions& opts)
    : read_only_(opts.read_only), cache_(opts.cache) {
  file_ = std::make_unique<HostFile>(
      path, opts.read_only ? HostFile::Mode::kReadOnly : HostFile::Mode::kReadWrite,
      cache_mode_direct(opts.cache), opts.cache == CacheMode::kDirectSync);
  uint64_t file_size = file_->size();
  std::vector<uint8_t> first(std::min<uint64_t>(file_size, 1ull << kMaxClusterBits));
  file_->pread(first.data(), first.size(), 0);
  try {
    h_ = parse_header(first.data(), first.size(), file_size);
  } catch (const BlockError& e) {
    throw BlockError("Could not open '" + path + "': " + e.what());
  }
  if (!read_only_ && (h_.incompatible_features & kIncompatCorrupt)) {
    throw BlockError("Could not open '" + path +
                     "': qcow2 image is corrupt; cannot be opened read/write");
  }
  cluster_size_ = h_.cluster_size();
  l2_entries_ = cluster_size_ / 8;
  refblock_entries_ = (cluster_size_ * 8) >> h_.refcount_order;
  compression_ = h_.compression_type == 1 ? CompressionType::kZstd : CompressionType::kZlib;
  alloc_end_ = (file_size + cluster_size_ - 1) / cluster_size_;
  try {
    load_l1();
    load_refcount_table();
    load_snapshots();
  } catch (const BlockError& e) {
    throw BlockError("Could not open '" + path + "': " + e.what());
  }
  if (!h_.backing_file.empty() && opts.open_backing) open_backing(opts);
  if (read_only_) return;
  if (h_.autoclear_features != 0) {  // we maintain no autoclear extension (bitmaps)
    h_.autoclear_features = 0;
    if (h_.version >= 3) write_header_u64(kOffAutoclear, 0);
  }
  if ((h_.incompatible_features & kIncompatDirty) && opts.repair_dirty) {
    // Refcounts may be stale after a crash with lazy refcounts: rebuild them.
    check(RepairMode::kAll);
    set_dirty(false);
  }
  if (h_.compatible_features & kCompatLazyRefcounts) set_dirty(true);
}

Qcow2Driver::~Qcow2Driver() {
  try {
    close();
  } catch (const std::exception&) {
  }
}

void Qcow2Driver::open_backing(const OpenOptions& opts) {
  if (opts.chain_depth >= 64)
    throw BlockError("Backing chain of '" + filename() + "' is too deep (loop?)");
  OpenOptions bo;
  bo.read_only = true;
  bo.format = h_.backing_format;
  bo.cache = opts.cache;
  bo.chain_depth = opts.chain_depth + 1;
  std::string path = combine_backing_path(filename(), h_.backing_file);
  try {
    backing_ = open_image(path, bo);
  } catch (const std::exception& e) {
    throw BlockError("Could not open backing file: " + std::string(e.what()));
  }
}

void Qcow2Driver::load_l1() {
  l1_.assign(h_.l1_size, 0);
  if (h_.l1_size == 0) return;
  std::vector<uint8_t> raw(uint64_t(h_.l1_size) * 8);
  file_->pread(raw.data(), raw.size(), h_.l1_table_offset);
  for (uint32_t i = 0; i < h_.l1_size; i++) l1_[i] = load_be64(&raw[i * 8]);
}

void Qcow2Driver::load_refcount_table() {
  uint64_t entries = uint64_t(h_.refcount_table_clusters) * cluster_size_ / 8;
  std::vector<uint8_t> raw(entries * 8);
  file_->pread(raw.data(), raw.size(), h_.refcount_table_offset);
  reftable_.resize(entries);
  for (uint64_t i = 0; i < entries; i++) reftable_[i] = load_be64(&raw[i * 8]);
}

void Qcow2Driver::load_snapshots() {
  snapshots_.clear();
  uint64_t pos = h_.snapshots_offset;
  uint64_t file_size = file_->size();
  for (uint32_t i = 0; i < h_.nb_snapshots; i++) {
    uint8_t fixed[40];
    if (pos + sizeof(fixed) > file_size)
      throw BlockError("Snapshot table extends past the end of the file");
    file_->pread(fixed, sizeof(fixed), pos);
    Snapshot s;
    s.l1_table_offset = load_be64(fixed);
    s.l1_size = load_be32(fixed + 8);
    uint16_t id_len = load_be16(fixed + 12);
    uint16_t name_len = load_be16(fixed + 14);
    s.info.date_sec = load_be32(fixed + 16);
    s.info.date_nsec = load_be32(fixed + 20);
    s.info.vm_clock_nsec = load_be64(fixed + 24);
    s.info.vm_state_size = load_be32(fixed + 32);
    uint32_t extra_len = load_be32(fixed + 36);
    if (extra_len > 1024) throw BlockError("Snapshot extra data too large");
    std::vector<uint8_t> rest(extra_len + id_len + name_len);
    file_->pread(rest.data(), rest.size(), pos + 40);
    s.extra.assign(rest.begin(), rest.begin() + extra_len);
    s.disk_size = h_.size;
    if (extra_len >= 8) s.info.vm_state_size = load_be64(rest.data());
    if (extra_len >= 16) s.disk_size = load_be64(rest.data() + 8);
    if (extra_len >= 24 && load_be64(rest.data() + 16) != ~0ull)
      s.info.icount = load_be64(rest.data() + 16);
    s.info.id.assign(reinterpret_cast<char*>(rest.data() + extra_len), id_len);
    s.info.name.assign(reinterpret_cast<char*>(rest.data() + extra_len + id_len), name_len);
    if (uint64_t(s.l1_size) * 8 > kMaxL1Bytes || (s.l1_table_offset & (cluster_size_ - 1))) {
      throw BlockError("Snapshot L1 table invalid");
    }
    pos += (40 + rest.size() + 7) & ~7ull;
    snapshots_.push_back(std::move(s));
  }
  snapshot_table_bytes_ = pos - h_.snapshots_offset;
}

void Qcow2Driver::write_header_u64(uint32_t field, uint64_t value) {
  uint8_t b[8];
  store_be64(b, value);
  file_->pwrite(b, 8, field);
}

void Qcow2Driver::write_header_u32(uint32_t field, uint32_t value) {
  uint8_t b[4];
  store_be32(b, value);
  file_->pwrite(b, 4, field);
}

void Qcow2Driver::set_dirty(bool dirty) {
  if (h_.version < 3) return;
  uint64_t v = dirty ? (h_.incompatible_features | kIncompatDirty)
                     : (h_.incompatible_features & ~kIncompatDirty);
  if (v == h_.incompatible_features) return;
  if (!dirty && cache_ != CacheMode::kUnsafe) file_->sync();
  h_.incompatible_features = v;
  write_header_u64(kOffIncompatible, v);
  if (dirty && cache_ != CacheMode::kUnsafe) file_->sync();
}

std::vector<uint64_t>& Qcow2Driver::l2_table(uint64_t offset) {
  auto it = l2_cache_.find(offset);
  if (it != l2_cache_.end()) return it->second;
  if ((offset & (cluster_size_ - 1)) || offset == 0) {
    throw BlockError("qcow2 image is corrupt: L2 table offset " + hex(offset) +
                     " is not cluster aligned");
  }
  if (offset + cluster_size_ > file_->size()) {
    throw BlockError("qcow2 image is corrupt: L2 table offset " + hex(offset) +
                     " is beyond the end of the file");
  }
  if (l2_cache_.size() >= 64) l2_cache_.erase(l2_cache_.begin());
  std::vector<uint8_t> raw(cluster_size_);
  file_->pread(raw.data(), raw.size(), offset);
  std::vector<uint64_t> table(l2_entries_);
  for (uint64_t i = 0; i < l2_entries_; i++) table[i] = load_be64(&raw[i * 8]);
  return l2_cache_.emplace(offset, std::move(table)).first->second;
}

uint64_t Qcow2Driver::l2_entry(uint64_t guest_cluster) {
  uint64_t l1_index = guest_cluster / l2_entries_;
  if (l1_index >= l1_.size()) return 0;
  uint64_t l2_offset = l1_[l1_index] & kOffsetMask;
  if (l2_offset == 0) return 0;
  return l2_table(l2_offset)[guest_cluster % l2_entries_];
}

uint64_t Qcow2Driver::writable_l2(uint64_t guest_cluster) {
  uint64_t l1_index = guest_cluster / l2_entries_;
  if (l1_index >= l1_.size()) throw BlockError("qcow2: write beyond the L1 table");
  uint64_t old_entry = l1_[l1_index];
  uint64_t old_offset = old_entry & kOffsetMask;
  if (old_offset != 0 && (old_entry & kFlagCopied)) return old_offset;

  std::vector<uint64_t> table(l2_entries_, 0);
  if (old_offset != 0) {
    // Shared with a snapshot. Data refcounts count the L1 tables that reach
    // a cluster, so they stay as they are; the entries stay without COPIED.
    table = l2_table(old_offset);
    for (auto& e : table) {
      if (!(e & kFlagCompressed)) e &= ~kFlagCopied;
    }
  }
  uint64_t new_offset = alloc_clusters(1);
  std::vector<uint8_t> raw(cluster_size_);
  for (uint64_t i = 0; i < l2_entries_; i++) store_be64(&raw[i * 8], table[i]);
  file_->pwrite(raw.data(), raw.size(), new_offset);
  barrier_needed_ = true;  // the table must be on the disk before L1 points at it
  if (l2_cache_.size() >= 64) l2_cache_.erase(l2_cache_.begin());
  l2_cache_[new_offset] = std::move(table);
  l1_[l1_index] = new_offset | kFlagCopied;
  uint8_t b[8];
  store_be64(b, l1_[l1_index]);
  order_barrier();
  file_->pwrite(b, 8, h_.l1_table_offset + l1_index * 8);
  if (old_offset != 0) {
    l2_cache_.erase(old_offset);
    drop_reference(old_offset);
  }
  return new_offset;
}

void Qcow2Driver::set_l2_entry(uint64_t guest_cluster, uint64_t entry) {
  uint64_t table_offset = writable_l2(guest_cluster);
  uint64_t index = guest_cluster % l2_entries_;
  l2_table(table_offset)[index] = entry;
  uint8_t b[8];
  store_be64(b, entry);
  order_barrier();
  file_->pwrite(b, 8, table_offset + index * 8);
}

void Qcow2Driver::grow_l1(uint64_t min_entries) {
  if (uint64_t(min_entries) * 8 > kMaxL1Bytes)
    throw BlockError("qcow2: image size too large for the L1 table");
  uint64_t clusters = (min_entries * 8 + cluster_size_ - 1) / cluster_size_;
  uint64_t new_offset = alloc_clusters(clusters);
  std::vector<uint8_t> raw(clusters * cluster_size_, 0);
  for (size_t i = 0; i < l1_.size(); i++) store_be64(&raw[i * 8], l1_[i]);
  file_->pwrite(raw.data(), raw.size(), new_offset);
  if (cache_ != CacheMode::kUnsafe) file_->sync();
  uint8_t b[12];
  store_be32(b, uint32_t(min_entries));
  store_be64(b + 4, new_offset);
  file_->pwrite(b, 12, kOffL1Size);
  uint64_t old_offset = h_.l1_table_offset;
  uint64_t old_clusters = (l1_.size() * 8 + cluster_size_ - 1) / cluster_size_;
  h_.l1_size = uint32_t(min_entries);
  h_.l1_table_offset = new_offset;
  l1_.resize(min_entries, 0);
  if (old_offset != 0) {
    for (uint64_t i = 0; i < old_clusters; i++) change_refcount(old_offset / cluster_size_ + i, -1);
  }
}

void Qcow2Driver::require_writable(const char* what) const {
  if (read_only_)
    throw BlockError(std::string("Cannot ") + what + " '" + filename() + "': image is read-only");
}

void Qcow2Driver::check_range(uint64_t offset, uint64_t len, const char* op) const {
  if (offset > h_.size || len > h_.size - offset) {
    throw BlockError(std::string(op) + " beyond the end of '" + filename() + "' (offset " +
                     std::to_string(offset) + ", length " + std::to_string(len) + ", size " +
                     std::to_string(h_.size) + ")");
  }
}

bool Qcow2Driver::overlaps_metadata(uint64_t host) const {
  auto inside = [&](uint64_t start, uint64_t bytes) {
    uint64_t end = (start + bytes + cluster_size_ - 1) & ~(cluster_size_ - 1);
    return host + cluster_size_ > start && host < end;
  };
  return host < cluster_size_ || inside(h_.l1_table_offset, l1_.size() * 8) ||
         inside(h_.refcount_table_offset, uint64_t(h_.refcount_table_clusters) * cluster_size_);
}

void Qcow2Driver::read_backing(uint64_t offset, uint8_t* buf, uint64_t len) {
  uint64_t backing_len = backing_ ? backing_->length() : 0;
  uint64_t n = offset < backing_len ? std::min(len, backing_len - offset) : 0;
  if (n > 0) backing_->read(offset, buf, n);
  std::memset(buf + n, 0, len - n);
}

void Qcow2Driver::compressed_span(uint64_t entry, uint64_t* host, uint64_t* bytes) const {
  int offset_bits = 62 - (int(h_.cluster_bits) - 8);
  *host = entry & ((1ull << offset_bits) - 1);
  uint64_t sectors = ((entry >> offset_bits) & ((1ull << (h_.cluster_bits - 8)) - 1)) + 1;
  *bytes = sectors * 512 - (*host & 511);
}

void Qcow2Driver::read_compressed(uint64_t entry, uint8_t* cluster_buf) {
  if (decompressed_entry_ == entry && decompressed_.size() == cluster_size_) {
    std::memcpy(cluster_buf, decompressed_.data(), cluster_size_);
    return;
  }
  uint64_t host, bytes;
  compressed_span(entry, &host, &bytes);
  if (host >= file_->size())
    throw BlockError("qcow2 image is corrupt: compressed cluster beyond end of file");
  compressed_buf_.resize(bytes);
  file_->pread(compressed_buf_.data(), bytes, host);
  decompressed_.resize(cluster_size_);
  decompressed_entry_ = 0;
  decompress_cluster(compression_, compressed_buf_.data(), bytes, decompressed_.data(),
                     cluster_size_);
  decompressed_entry_ = entry;
  std::memcpy(cluster_buf, decompressed_.data(), cluster_size_);
}

void Qcow2Driver::read_cluster_part(uint64_t guest_cluster, uint64_t in_off, uint8_t* buf,
                                    uint64_t len) {
  uint64_t entry = l2_entry(guest_cluster);
  if (entry & kFlagCompressed) {
    std::vector<uint8_t> cluster(cluster_size_);
    read_compressed(entry, cluster.data());
    std::memcpy(buf, cluster.data() + in_off, len);
    return;
  }
  if (h_.version >= 3 && (entry & kFlagZero)) {
    std::memset(buf, 0, len);
    return;
  }
  uint64_t host = entry & kOffsetMask;
  if (host != 0) {
    file_->pread(buf, len, host + in_off);
  } else {
    read_backing(guest_cluster * cluster_size_ + in_off, buf, len);
  }
}

void Qcow2Driver::read(uint64_t offset, void* buf, uint64_t len) {
  check_range(offset, len, "Read");
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    uint64_t in_off = offset & (cluster_size_ - 1);
    uint64_t n = std::min(len, cluster_size_ - in_off);
    read_cluster_part(offset / cluster_size_, in_off, p, n);
    p += n;
    offset += n;
    len -= n;
  }
}

void Qcow2Driver::write_cluster_part(uint64_t guest_cluster, uint64_t in_off, const uint8_t* buf,
                                     uint64_t len) {
  uint64_t entry = l2_entry(guest_cluster);
  uint64_t host = entry & kOffsetMask;
  bool compressed = entry & kFlagCompressed;
  bool zero = h_.version >= 3 && (entry & kFlagZero);
  if (host != 0 && !compressed && overlaps_metadata(host)) {
    throw BlockError("qcow2 image is corrupt: data cluster " + hex(host) +
                     " overlaps metadata; write refused");
  }
  if (!compressed && host != 0 && (entry & kFlagCopied) && !zero) {
    file_->pwrite(buf, len, host + in_off);
    return;
  }
  std::vector<uint8_t> cluster;
  const uint8_t* data = buf;
  if (len < cluster_size_) {
    cluster.resize(cluster_size_);
    read_cluster_part(guest_cluster, 0, cluster.data(), cluster_size_);
    std::memcpy(cluster.data() + in_off, buf, len);
    data = cluster.data();
  }
  if (!compressed && host != 0 && (entry & kFlagCopied)) {
    // A preallocated zero cluster owned by us: fill it in place.
    file_->pwrite(data, cluster_size_, host);
    set_l2_entry(guest_cluster, host | kFlagCopied);
    return;
  }
  uint64_t new_host = alloc_clusters(1);
  file_->pwrite(data, cluster_size_, new_host);
  set_l2_entry(guest_cluster, new_host | kFlagCopied);
  drop_reference(entry);
}

void Qcow2Driver::write(uint64_t offset, const void* buf, uint64_t len) {
  require_writable("write to");
  check_range(offset, len, "Write");
  auto* p = static_cast<const uint8_t*>(buf);
  while (len > 0) {
    uint64_t in_off = offset & (cluster_size_ - 1);
    uint64_t n = std::min(len, cluster_size_ - in_off);
    write_cluster_part(offset / cluster_size_, in_off, p, n);
    p += n;
    offset += n;
    len -= n;
  }
}

void Qcow2Driver::write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) {
  require_writable("write to");
  check_range(offset, len, "Write");
  std::vector<uint8_t> zeros;
  while (len > 0) {
    uint64_t gc = offset / cluster_size_;
    uint64_t in_off = offset & (cluster_size_ - 1);
    uint64_t n = std::min(len, cluster_size_ - in_off);
    // A whole cluster (or the tail of the last one) can become a zero entry.
    bool whole = in_off == 0 && (n == cluster_size_ || offset + n == h_.size);
    uint64_t entry = l2_entry(gc);
    bool has_backing = !h_.backing_file.empty();
    if (whole && h_.version >= 3) {
      if (entry != kFlagZero) {
        set_l2_entry(gc, kFlagZero);
        drop_reference(entry);
      }
    } else if (whole && !has_backing) {
      if (entry != 0) {
        set_l2_entry(gc, 0);
        drop_reference(entry);
      }
    } else {
      zeros.resize(cluster_size_);
      write_cluster_part(gc, in_off, zeros.data(), n);
    }
    offset += n;
    len -= n;
  }
}

void Qcow2Driver::discard(uint64_t offset, uint64_t len) {
  require_writable("discard on");
  check_range(offset, len, "Discard");
  uint64_t first = (offset + cluster_size_ - 1) / cluster_size_;
  uint64_t end = offset + len == h_.size ? (h_.size + cluster_size_ - 1) / cluster_size_
                                         : (offset + len) / cluster_size_;
  bool has_backing = !h_.backing_file.empty();
  for (uint64_t gc = first; gc < end; gc++) {
    uint64_t entry = l2_entry(gc);
    uint64_t target = has_backing ? kFlagZero : 0;
    if (has_backing && h_.version < 3) continue;  // nothing can hide the backing data
    if (entry == target) continue;
    set_l2_entry(gc, target);
    drop_reference(entry);
  }
}

void Qcow2Driver::write_compressed(uint64_t offset, const void* buf, uint64_t len) {
  write_compressed_prepared(offset, buf, len, compress_for_write(buf, len));
}

std::optional<std::vector<uint8_t>> Qcow2Driver::compress_for_write(const void* buf,
                                                                    uint64_t len) const {
  if (len > cluster_size_) return std::nullopt;  // refused by the write
  if (len == cluster_size_)
    return compress_cluster(compression_, static_cast<const uint8_t*>(buf), len, cluster_size_ - 1);
  // The image's partial last cluster is compressed as a whole, zero-padded.
  std::vector<uint8_t> cluster(cluster_size_, 0);
  std::memcpy(cluster.data(), buf, len);
  return compress_cluster(compression_, cluster.data(), cluster_size_, cluster_size_ - 1);
}

void Qcow2Driver::write_compressed_prepared(uint64_t offset, const void* buf, uint64_t len,
                                            const std::optional<std::vector<uint8_t>>& packed) {
  require_writable("write to");
  check_range(offset, len, "Write");
  if ((offset & (cluster_size_ - 1)) || (len != cluster_size_ && offset + len != h_.size) ||
      len > cluster_size_) {
    throw BlockError("Compressed writes must cover exactly one cluster");
  }
  uint64_t gc = offset / cluster_size_;
  if (!packed) {
    std::vector<uint8_t> cluster(cluster_size_, 0);
    std::memcpy(cluster.data(), buf, len);
    write_cluster_part(gc, 0, cluster.data(), cluster_size_);
    return;
  }
  uint64_t size = packed->size();
  uint64_t place;
  uint64_t room = compressed_next_ ? cluster_size_ - (compressed_next_ & (cluster_size_ - 1)) : 0;
  if (compressed_next_ && (compressed_next_ & (cluster_size_ - 1)) && room >= size) {
    place = compressed_next_;
    change_refcount(place / cluster_size_, +1);
  } else {
    place = alloc_clusters(1);
  }
  compressed_next_ = place + size;
  // Pad to the end of the sector so every reader finds whole sectors.
  std::vector<uint8_t> padded(((place + size + 511) & ~511ull) - place, 0);
  std::memcpy(padded.data(), packed->data(), size);
  file_->pwrite(padded.data(), padded.size(), place);
  int offset_bits = 62 - (int(h_.cluster_bits) - 8);
  uint64_t extra_sectors = ((place + size - 1) >> 9) - (place >> 9);
  uint64_t entry = kFlagCompressed | (extra_sectors << offset_bits) | place;
  uint64_t old = l2_entry(gc);
  set_l2_entry(gc, entry);
  drop_reference(old);
}

void Qcow2Driver::flush() {
  if (read_only_ || cache_ == CacheMode::kUnsafe) return;
  file_->sync();
  barrier_needed_ = false;
  // The dropped references are durable now; their refcounts may go down
  // (and reach the disk by the next sync; a loss only leaks clusters).
  apply_pending_frees();
}

void Qcow2Driver::truncate(uint64_t new_length) {
  require_writable("resize");
  if (new_length < h_.size) {
    if (!snapshots_.empty()) throw BlockError("Can't shrink an image which has snapshots");
    uint64_t first = (new_length + cluster_size_ - 1) / cluster_size_;
    uint64_t end = (h_.size + cluster_size_ - 1) / cluster_size_;
    for (uint64_t gc = first; gc < end; gc++) {
      uint64_t entry = l2_entry(gc);
      if (entry == 0) continue;
      set_l2_entry(gc, 0);
      drop_reference(entry);
    }
    // The kept part of a partial last cluster must read as zero if regrown.
    if (new_length % cluster_size_) {
      uint64_t tail = cluster_size_ - new_length % cluster_size_;
      std::vector<uint8_t> zeros(tail, 0);
      uint64_t entry = l2_entry(new_length / cluster_size_);
      if (entry != 0)
        write_cluster_part(new_length / cluster_size_, new_length % cluster_size_, zeros.data(),
                           tail);
    }
  }
  uint64_t span = cluster_size_ * l2_entries_;
  uint64_t needed = (new_length + span - 1) / span;
  if (needed > l1_.size()) grow_l1(needed);
  write_header_u64(kOffSize, new_length);
  h_.size = new_length;
}

BlockStatus Qcow2Driver::block_status(uint64_t offset, uint64_t len) {
  BlockStatus st;
  len = std::min(len, h_.size - std::min(h_.size, offset));
  if (len == 0) return st;
  enum Kind { kUnalloc, kZero, kCompressed, kNormal };
  auto kind_of = [&](uint64_t e) {
    if (e & kFlagCompressed) return kCompressed;
    if (h_.version >= 3 && (e & kFlagZero)) return kZero;
    return (e & kOffsetMask) ? kNormal : kUnalloc;
  };
  uint64_t gc = offset / cluster_size_;
  uint64_t entry = l2_entry(gc);
  Kind kind = kind_of(entry);
  uint64_t host = entry & kOffsetMask;
  uint64_t covered = cluster_size_ - (offset & (cluster_size_ - 1));
  while (covered < len) {
    uint64_t e = l2_entry(gc + 1);
    if (kind_of(e) != kind) break;
    if (kind == kNormal &&
        (e & kOffsetMask) != host + (gc + 1 - offset / cluster_size_) * cluster_size_)
      break;
    gc++;
    covered += cluster_size_;
  }
  st.length = std::min(covered, len);
  st.allocated = kind != kUnalloc;
  st.data = kind == kNormal || kind == kCompressed;
  st.zero = kind == kZero;
  st.compressed = kind == kCompressed;
  if (kind == kNormal) {
    uint64_t h = host + (offset & (cluster_size_ - 1));
    st.host_offset = h;
    // Like QEMU, look through to the file: a hole there reads as zeroes.
    uint64_t data_start = 0, hole_start = 0;
    if (file_->next_data(h, &data_start)) {
      if (data_start > h) {
        st.zero = true;
        st.length = std::min(st.length, data_start - h);
      } else if (file_->next_hole(h, &hole_start) && hole_start > h) {
        st.length = std::min(st.length, hole_start - h);
      }
    }
  }
  return st;
}

ImageInfo Qcow2Driver::info() const {
  ImageInfo info;
  info.format = "qcow2";
  info.filename = filename();
  info.virtual_size = h_.size;
  info.actual_size = file_->allocated_bytes();
  info.cluster_size = cluster_size_;
  info.dirty = h_.incompatible_features & kIncompatDirty;
  info.backing_filename = h_.backing_file;
  if (!h_.backing_file.empty())
    info.full_backing_filename = combine_backing_path(filename(), h_.backing_file);
  info.backing_format = h_.backing_format;
  ImageInfo::Qcow2 q;
  q.compat = h_.version >= 3 ? "1.1" : "0.10";
  q.compression_type = h_.compression_type == 1 ? "zstd" : "zlib";
  q.lazy_refcounts = h_.compatible_features & kCompatLazyRefcounts;
  q.refcount_bits = 1 << h_.refcount_order;
  q.corrupt = h_.incompatible_features & kIncompatCorrupt;
  info.qcow2 = q;
  for (const auto& s : snapshots_) info.snapshots.push_back(s.info);
  return info;
}

void Qcow2Driver::close() {
  if (closed_) return;
  closed_ = true;
  if (read_only_) return;
  flush();
  release_reserve();  // a loss before the next sync only leaks them
  set_dirty(false);
}

}  // namespace vx86
