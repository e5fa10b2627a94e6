// qcow2 reference counts: lookup and update, cluster allocation, refcount
// table growth, and the consistency checker with its repairs.
#include <algorithm>
#include <cstring>

#include "block/qcow2.h"

namespace vx86 {

using namespace qcow2;

namespace {

uint64_t get_entry(const uint8_t* block, uint32_t order, uint64_t index) {
  uint32_t bits = 1u << order;
  if (order >= 3) {
    const uint8_t* p = block + index * (bits / 8);
    uint64_t v = 0;
    for (uint32_t i = 0; i < bits / 8; i++) v = (v << 8) | p[i];
    return v;
  }
  uint64_t bit = index * bits;
  return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
}

// Stores the entry and returns the byte range [first, first+len) it touched.
void put_entry(uint8_t* block, uint32_t order, uint64_t index, uint64_t value, uint64_t* first,
               uint64_t* len) {
  uint32_t bits = 1u << order;
  if (order >= 3) {
    uint8_t* p = block + index * (bits / 8);
    for (int i = int(bits / 8) - 1; i >= 0; i--, value >>= 8) p[i] = uint8_t(value);
    *first = index * (bits / 8);
    *len = bits / 8;
    return;
  }
  uint64_t bit = index * bits;
  uint8_t mask = uint8_t(((1u << bits) - 1) << (bit % 8));
  block[bit / 8] = uint8_t((block[bit / 8] & ~mask) | ((value << (bit % 8)) & mask));
  *first = bit / 8;
  *len = 1;
}

constexpr uint64_t kReftableOffsetMask = ~511ull;

}  // namespace

uint64_t Qcow2Driver::refcount_max() const {
  return h_.refcount_order == 6 ? ~0ull : (1ull << (1u << h_.refcount_order)) - 1;
}

std::vector<uint8_t>& Qcow2Driver::refblock(uint64_t offset) {
  auto it = refblock_cache_.find(offset);
  if (it != refblock_cache_.end()) return it->second;
  if (offset & (cluster_size_ - 1)) {
    throw BlockError("qcow2 image is corrupt: refcount block offset is not cluster aligned");
  }
  if (refblock_cache_.size() >= 32) refblock_cache_.erase(refblock_cache_.begin());
  std::vector<uint8_t> block(cluster_size_);
  file_->pread(block.data(), block.size(), offset);
  return refblock_cache_.emplace(offset, std::move(block)).first->second;
}

uint64_t Qcow2Driver::get_refcount(uint64_t cluster) {
  uint64_t table_index = cluster / refblock_entries_;
  if (table_index >= reftable_.size()) return 0;
  uint64_t block_offset = reftable_[table_index] & kReftableOffsetMask;
  if (block_offset == 0) return 0;
  return get_entry(refblock(block_offset).data(), h_.refcount_order, cluster % refblock_entries_);
}

void Qcow2Driver::set_refcount(uint64_t cluster, uint64_t value) {
  uint64_t table_index = cluster / refblock_entries_;
  uint64_t block_offset =
      table_index < reftable_.size() ? reftable_[table_index] & kReftableOffsetMask : 0;
  if (block_offset == 0)
    throw BlockError("qcow2: no refcount block covers cluster " + std::to_string(cluster));
  if (value > refcount_max()) throw BlockError("qcow2: refcount overflow");
  auto& block = refblock(block_offset);
  if (value > get_entry(block.data(), h_.refcount_order, cluster % refblock_entries_))
    barrier_needed_ = true;
  uint64_t first, len;
  put_entry(block.data(), h_.refcount_order, cluster % refblock_entries_, value, &first, &len);
  file_->pwrite(block.data() + first, len, block_offset + first);
  if (value == 0) {
    free_hint_ = std::min(free_hint_, cluster);
    if (compressed_next_ && compressed_next_ / cluster_size_ == cluster) compressed_next_ = 0;
  } else {
    alloc_end_ = std::max(alloc_end_, cluster + 1);
  }
}

void Qcow2Driver::change_refcount(uint64_t cluster, int64_t delta) {
  uint64_t old = get_refcount(cluster);
  if (delta < 0 && old < uint64_t(-delta)) {
    throw BlockError("qcow2 image is corrupt: refcount of cluster " + std::to_string(cluster) +
                     " would drop below zero");
  }
  set_refcount(cluster, old + delta);
}

void Qcow2Driver::compressed_ref_range(uint64_t entry, uint64_t* first, uint64_t* last) const {
  uint64_t host, bytes;
  compressed_span(entry, &host, &bytes);
  uint64_t start = host & ~511ull;
  *first = start / cluster_size_;
  *last = (start + ((bytes + (host & 511)) - 1)) / cluster_size_;
}

void Qcow2Driver::ref_entry(uint64_t entry) {
  if (entry & kFlagCompressed) {
    uint64_t first, last;
    compressed_ref_range(entry, &first, &last);
    for (uint64_t c = first; c <= last; c++) change_refcount(c, +1);
  } else if (entry & kOffsetMask) {
    change_refcount((entry & kOffsetMask) / cluster_size_, +1);
  }
}

void Qcow2Driver::release_entry(uint64_t entry) {
  if (entry & kFlagCompressed) {
    if (entry == decompressed_entry_) decompressed_entry_ = 0;
    uint64_t first, last;
    compressed_ref_range(entry, &first, &last);
    for (uint64_t c = first; c <= last; c++) change_refcount(c, -1);
  } else if (entry & kOffsetMask) {
    change_refcount((entry & kOffsetMask) / cluster_size_, -1);
  }
}

uint64_t Qcow2Driver::alloc_clusters(uint64_t count) {
  if (count != 1 || !ordered_writes()) return allocate_run(count);
  if (reserve_.empty()) {
    // One barrier per batch instead of one per allocated cluster. The
    // batch is the next free clusters in order, as single allocations
    // would have picked them; close() frees what is left.
    constexpr int kReserveBatch = 32;
    for (int i = 0; i < kReserveBatch; i++) reserve_.push_back(allocate_run(1));
    std::reverse(reserve_.begin(), reserve_.end());
  }
  uint64_t offset = reserve_.back();
  reserve_.pop_back();
  return offset;
}

void Qcow2Driver::release_reserve() {
  while (!reserve_.empty()) {
    set_refcount(reserve_.back() / cluster_size_, 0);
    reserve_.pop_back();
  }
}

void Qcow2Driver::order_barrier() {
  if (!barrier_needed_) return;
  barrier_needed_ = false;
  if (ordered_writes()) file_->sync();
}

void Qcow2Driver::drop_reference(uint64_t entry) {
  if (entry & kFlagCompressed && entry == decompressed_entry_) decompressed_entry_ = 0;
  if (!ordered_writes()) {
    release_entry(entry);
    return;
  }
  if (!(entry & (kFlagCompressed | kOffsetMask))) return;
  pending_frees_.push_back(entry);
  // A guest that never flushes must not pin freed space forever.
  if (pending_frees_.size() >= 4096) flush();
}

void Qcow2Driver::apply_pending_frees() {
  // Called right after a sync: the dropped references are on the disk.
  std::vector<uint64_t> frees;
  frees.swap(pending_frees_);
  for (uint64_t e : frees) release_entry(e);
}

uint64_t Qcow2Driver::allocate_run(uint64_t count) {
  if (count == 0) throw BlockError("qcow2: empty allocation");
  for (int attempt = 0;; attempt++) {
    // Bounded: each retry added a refcount block or grew the table.
    if (attempt > 4096) throw BlockError("qcow2 image is corrupt: cannot allocate clusters");
    uint64_t cluster = std::max<uint64_t>(free_hint_, 1);  // cluster 0 is always the header
    uint64_t run_start = 0, run_len = 0;
    uint64_t first_free = ~0ull;
    while (run_len < count) {
      if (get_refcount(cluster) == 0) {
        if (run_len == 0) run_start = cluster;
        first_free = std::min(first_free, cluster);
        run_len++;
      } else {
        run_len = 0;
      }
      cluster++;
    }
    // Every cluster of the run needs a refcount block before it can be counted.
    bool changed = false;
    for (uint64_t c = run_start; c < run_start + count && !changed; c++) {
      uint64_t table_index = c / refblock_entries_;
      if (table_index >= reftable_.size()) {
        grow_refcount_table(table_index + 1);
        changed = true;
      } else if ((reftable_[table_index] & kReftableOffsetMask) == 0) {
        // The new block lives in the first free cluster it covers, so it
        // counts itself.
        std::vector<uint8_t> block(cluster_size_, 0);
        uint64_t first, len;
        put_entry(block.data(), h_.refcount_order, c % refblock_entries_, 1, &first, &len);
        file_->pwrite(block.data(), block.size(), c * cluster_size_);
        refblock_cache_[c * cluster_size_] = std::move(block);
        reftable_[table_index] = c * cluster_size_;
        uint8_t b[8];
        store_be64(b, reftable_[table_index]);
        file_->pwrite(b, 8, h_.refcount_table_offset + table_index * 8);
        alloc_end_ = std::max(alloc_end_, c + 1);
        changed = true;
      }
    }
    if (changed) continue;
    for (uint64_t c = run_start; c < run_start + count; c++) set_refcount(c, 1);
    free_hint_ = first_free == run_start ? run_start + count : first_free;
    return run_start * cluster_size_;
  }
}

void Qcow2Driver::grow_refcount_table(uint64_t min_entries) {
  uint64_t end = std::max(alloc_end_, (file_->size() + cluster_size_ - 1) / cluster_size_);
  uint64_t entries = std::max<uint64_t>(min_entries, reftable_.size() * 2);
  uint64_t table_clusters = 0, new_blocks = 0;
  std::vector<uint64_t> missing;  // table indexes that get a new block
  for (;;) {
    table_clusters = (entries * 8 + cluster_size_ - 1) / cluster_size_;
    uint64_t last = end + table_clusters + new_blocks;  // exclusive
    missing.clear();
    for (uint64_t ti = end / refblock_entries_; ti <= (last - 1) / refblock_entries_; ti++) {
      if (ti >= reftable_.size() || (reftable_[ti] & kReftableOffsetMask) == 0)
        missing.push_back(ti);
    }
    uint64_t need_entries = std::max(entries, missing.empty() ? 0 : missing.back() + 1);
    if (missing.size() == new_blocks && need_entries == entries) break;
    new_blocks = missing.size();
    entries = need_entries;
  }
  if (table_clusters * cluster_size_ > kMaxRefcountTableBytes)
    throw BlockError("qcow2: refcount table too large");
  uint64_t table_offset = end * cluster_size_;
  uint64_t total_end = end + table_clusters + new_blocks;
  std::vector<uint64_t> table(table_clusters * cluster_size_ / 8, 0);
  std::copy(reftable_.begin(), reftable_.end(), table.begin());
  // New blocks: zeroed, counting the new clusters they cover.
  for (size_t i = 0; i < missing.size(); i++) {
    uint64_t ti = missing[i];
    uint64_t block_cluster = end + table_clusters + i;
    std::vector<uint8_t> block(cluster_size_, 0);
    for (uint64_t c = std::max(end, ti * refblock_entries_);
         c < std::min(total_end, (ti + 1) * refblock_entries_); c++) {
      uint64_t first, len;
      put_entry(block.data(), h_.refcount_order, c % refblock_entries_, 1, &first, &len);
    }
    file_->pwrite(block.data(), block.size(), block_cluster * cluster_size_);
    refblock_cache_[block_cluster * cluster_size_] = std::move(block);
    table[ti] = block_cluster * cluster_size_;
  }
  std::vector<uint8_t> raw(table.size() * 8);
  for (size_t i = 0; i < table.size(); i++) store_be64(&raw[i * 8], table[i]);
  file_->pwrite(raw.data(), raw.size(), table_offset);
  uint64_t old_offset = h_.refcount_table_offset;
  uint64_t old_clusters = h_.refcount_table_clusters;
  std::vector<uint64_t> old_table = std::move(reftable_);
  reftable_ = std::move(table);
  alloc_end_ = std::max(alloc_end_, total_end);
  // Clusters of the new area that fall under blocks that already existed.
  for (uint64_t c = end; c < total_end; c++) {
    uint64_t ti = c / refblock_entries_;
    if (ti < old_table.size() && (old_table[ti] & kReftableOffsetMask) != 0) set_refcount(c, 1);
  }
  if (cache_ != CacheMode::kUnsafe) file_->sync();
  uint8_t b[12];
  store_be64(b, table_offset);
  store_be32(b + 8, uint32_t(table_clusters));
  file_->pwrite(b, 12, kOffRefcountTableOffset);
  h_.refcount_table_offset = table_offset;
  h_.refcount_table_clusters = uint32_t(table_clusters);
  for (uint64_t i = 0; i < old_clusters; i++) change_refcount(old_offset / cluster_size_ + i, -1);
}

void Qcow2Driver::rebuild_refcounts(const std::vector<uint64_t>& computed) {
  uint64_t end =
      std::max<uint64_t>(computed.size(), (file_->size() + cluster_size_ - 1) / cluster_size_);
  uint64_t table_clusters = 1, blocks = 0;
  for (;;) {
    uint64_t total = end + table_clusters + blocks;
    uint64_t need_blocks = (total + refblock_entries_ - 1) / refblock_entries_;
    uint64_t need_table = (need_blocks * 8 + cluster_size_ - 1) / cluster_size_;
    if (need_blocks == blocks && need_table == table_clusters) break;
    blocks = need_blocks;
    table_clusters = std::max<uint64_t>(need_table, 1);
  }
  if (table_clusters * cluster_size_ > kMaxRefcountTableBytes)
    throw BlockError("qcow2: refcount table too large");
  uint64_t total = end + table_clusters + blocks;
  std::vector<uint64_t> counts(computed);
  counts.resize(total, 0);
  for (uint64_t c = end; c < total; c++) counts[c] = 1;
  std::vector<uint64_t> table(table_clusters * cluster_size_ / 8, 0);
  for (uint64_t ti = 0; ti < blocks; ti++) {
    std::vector<uint8_t> block(cluster_size_, 0);
    for (uint64_t i = 0; i < refblock_entries_ && ti * refblock_entries_ + i < total; i++) {
      uint64_t v = counts[ti * refblock_entries_ + i];
      if (v > refcount_max()) throw BlockError("qcow2: refcount overflow while rebuilding");
      uint64_t first, len;
      put_entry(block.data(), h_.refcount_order, i, v, &first, &len);
    }
    uint64_t block_offset = (end + table_clusters + ti) * cluster_size_;
    file_->pwrite(block.data(), block.size(), block_offset);
    table[ti] = block_offset;
  }
  std::vector<uint8_t> raw(table.size() * 8);
  for (size_t i = 0; i < table.size(); i++) store_be64(&raw[i * 8], table[i]);
  file_->pwrite(raw.data(), raw.size(), end * cluster_size_);
  if (cache_ != CacheMode::kUnsafe) file_->sync();
  uint8_t b[12];
  store_be64(b, end * cluster_size_);
  store_be32(b + 8, uint32_t(table_clusters));
  file_->pwrite(b, 12, kOffRefcountTableOffset);
  h_.refcount_table_offset = end * cluster_size_;
  h_.refcount_table_clusters = uint32_t(table_clusters);
  reftable_ = std::move(table);
  refblock_cache_.clear();
  reserve_.clear();
  pending_frees_.clear();
  alloc_end_ = total;
  free_hint_ = 0;
  compressed_next_ = 0;
}

CheckResult Qcow2Driver::check(RepairMode mode) {
  CheckResult res;
  if (mode != RepairMode::kNone) require_writable("repair");
  if (!read_only_) {
    // Clusters held in reserve or waiting to be freed are not leaks.
    flush();
    apply_pending_frees();
    release_reserve();
  }
  uint64_t file_clusters = (file_->size() + cluster_size_ - 1) / cluster_size_;
  std::vector<uint64_t> refs(file_clusters, 0);
  char msg[256];
  auto note = [&](const char* text) { res.messages.emplace_back(text); };
  // Counts a reference to every cluster in [offset, offset+len).
  auto add = [&](uint64_t offset, uint64_t len) {
    if (len == 0) return;
    for (uint64_t c = offset / cluster_size_; c <= (offset + len - 1) / cluster_size_; c++) {
      if (c >= file_clusters) {
        snprintf(msg, sizeof(msg),
                 "ERROR: cluster %llu offset=0x%llx is beyond the end of the image",
                 (unsigned long long)c, (unsigned long long)(c * cluster_size_));
        note(msg);
        res.corruptions++;
        continue;
      }
      refs[c]++;
    }
  };
  struct FlagFix {
    uint64_t table_offset;  // L1 table or L2 table
    uint64_t index;
    uint64_t entry;
    bool l1;
  };
  std::vector<std::pair<FlagFix, uint64_t>> active;  // entries whose COPIED flag depends on refs

  auto walk_l1 = [&](uint64_t l1_offset, uint64_t l1_size, bool is_active) {
    add(l1_offset, l1_size * 8);
    std::vector<uint8_t> raw(l1_size * 8);
    file_->pread(raw.data(), raw.size(), l1_offset);
    uint64_t next_contiguous = 0;
    for (uint64_t i = 0; i < l1_size; i++) {
      uint64_t l1e = load_be64(&raw[i * 8]);
      uint64_t l2_offset = l1e & kOffsetMask;
      if (l2_offset == 0) continue;
      if ((l2_offset & (cluster_size_ - 1)) || l2_offset / cluster_size_ >= file_clusters) {
        snprintf(msg, sizeof(msg),
                 "ERROR l2_offset=%llx: Table is not cluster aligned or beyond the end; L1 entry "
                 "corrupted",
                 (unsigned long long)l2_offset);
        note(msg);
        res.corruptions++;
        continue;
      }
      add(l2_offset, cluster_size_);
      if (is_active) active.push_back({{l1_offset, i, l1e, true}, l2_offset / cluster_size_});
      std::vector<uint8_t> l2raw(cluster_size_);
      file_->pread(l2raw.data(), l2raw.size(), l2_offset);
      for (uint64_t j = 0; j < l2_entries_; j++) {
        uint64_t e = load_be64(&l2raw[j * 8]);
        if (e & kFlagCompressed) {
          uint64_t first, last;
          compressed_ref_range(e, &first, &last);
          add(first * cluster_size_, (last - first + 1) * cluster_size_);
          if (is_active) {
            res.allocated_clusters++;
            res.compressed_clusters++;
            res.fragmented_clusters++;
          }
          continue;
        }
        uint64_t host = e & kOffsetMask;
        if (host == 0) continue;
        if (host & (cluster_size_ - 1)) {
          snprintf(msg, sizeof(msg),
                   "ERROR offset=%llx: Cluster is not properly aligned; L2 entry corrupted",
                   (unsigned long long)host);
          note(msg);
          res.corruptions++;
          continue;
        }
        add(host, cluster_size_);
        if (host / cluster_size_ >= file_clusters) continue;
        if (is_active) {
          active.push_back({{l2_offset, j, e, false}, host / cluster_size_});
          if (!(h_.version >= 3 && (e & kFlagZero))) {
            res.allocated_clusters++;
            if (next_contiguous && host != next_contiguous) res.fragmented_clusters++;
            next_contiguous = host + cluster_size_;
          }
        }
      }
    }
  };

  try {
    add(0, cluster_size_);
    walk_l1(h_.l1_table_offset, l1_.size(), true);
    if (!snapshots_.empty()) {
      add(h_.snapshots_offset, snapshot_table_bytes_);
      for (const auto& s : snapshots_) walk_l1(s.l1_table_offset, s.l1_size, false);
    }
  } catch (const BlockError& e) {
    res.check_errors++;
    res.messages.push_back(std::string("ERROR: ") + e.what());
    return res;
  }
  std::vector<uint64_t> data_refs = refs;  // without the refcount structures
  add(h_.refcount_table_offset, uint64_t(h_.refcount_table_clusters) * cluster_size_);
  bool missing_blocks = false;
  for (size_t ti = 0; ti < reftable_.size(); ti++) {
    uint64_t off = reftable_[ti] & kReftableOffsetMask;
    if (off == 0) continue;
    if ((off & (cluster_size_ - 1)) || off / cluster_size_ >= file_clusters) {
      snprintf(msg, sizeof(msg),
               "ERROR refcount block %zu is not cluster aligned or beyond the end", ti);
      note(msg);
      res.corruptions++;
      reftable_[ti] = 0;  // never read it; a rebuild replaces the table
      missing_blocks = true;
      continue;
    }
    add(off, cluster_size_);
  }

  std::vector<uint64_t> leaked;
  bool refcount_corruption = missing_blocks;
  uint64_t highest = 0;
  for (uint64_t c = 0; c < refs.size(); c++) {
    uint64_t stored = get_refcount(c);
    if (refs[c] || stored) highest = c + 1;
    if (stored == refs[c]) continue;
    if (stored < refs[c]) {
      snprintf(msg, sizeof(msg), "ERROR cluster %llu refcount=%llu reference=%llu",
               (unsigned long long)c, (unsigned long long)stored, (unsigned long long)refs[c]);
      res.corruptions++;
      refcount_corruption = true;
    } else {
      snprintf(msg, sizeof(msg), "Leaked cluster %llu refcount=%llu reference=%llu",
               (unsigned long long)c, (unsigned long long)stored, (unsigned long long)refs[c]);
      res.leaks++;
      leaked.push_back(c);
    }
    note(msg);
  }
  std::vector<FlagFix> flag_fixes;
  for (const auto& [fix, cluster] : active) {
    bool want = refs[cluster] == 1;
    bool has = fix.entry & kFlagCopied;
    if (want == has) continue;
    snprintf(msg, sizeof(msg), "ERROR OFLAG_COPIED %s: entry=%llx refcount=%llu",
             fix.l1 ? "L2 cluster" : "data cluster", (unsigned long long)fix.entry,
             (unsigned long long)refs[cluster]);
    note(msg);
    res.corruptions++;
    flag_fixes.push_back(fix);
  }
  res.image_end_offset = highest * cluster_size_;
  res.total_clusters = (h_.size + cluster_size_ - 1) / cluster_size_;

  if (mode == RepairMode::kNone) return res;
  if (mode == RepairMode::kAll && refcount_corruption) {
    rebuild_refcounts(data_refs);
    res.corruptions_fixed += res.corruptions - flag_fixes.size();
    res.leaks_fixed = res.leaks;
  } else {
    for (uint64_t c : leaked) {
      set_refcount(c, refs[c]);
      res.leaks_fixed++;
    }
  }
  if (mode == RepairMode::kAll) {
    for (const auto& fix : flag_fixes) {
      uint64_t e = fix.entry ^ kFlagCopied;
      uint8_t b[8];
      store_be64(b, e);
      file_->pwrite(b, 8, fix.table_offset + fix.index * 8);
      if (fix.l1) {
        l1_[fix.index] = e;
      } else {
        l2_cache_.erase(fix.table_offset);
      }
      res.corruptions_fixed++;
    }
  }
  flush();
  return res;
}

}  // namespace vx86
