// qcow2 internal snapshots: each one is a frozen copy of the active L1 table;
// the clusters both reach are shared through their refcounts.
#include <algorithm>
#include <cstring>
#include <ctime>

#include "block/qcow2.h"

namespace vx86 {

using namespace qcow2;

std::vector<uint64_t> Qcow2Driver::read_l1(uint64_t offset, uint64_t entries) {
  std::vector<uint8_t> raw(entries * 8);
  file_->pread(raw.data(), raw.size(), offset);
  std::vector<uint64_t> l1(entries);
  for (uint64_t i = 0; i < entries; i++) l1[i] = load_be64(&raw[i * 8]);
  return l1;
}

size_t Qcow2Driver::find_snapshot(const std::string& name) const {
  for (size_t i = 0; i < snapshots_.size(); i++) {
    if (snapshots_[i].info.id == name) return i;
  }
  for (size_t i = 0; i < snapshots_.size(); i++) {
    if (snapshots_[i].info.name == name) return i;
  }
  throw BlockError("Can't find the snapshot '" + name + "'");
}

void Qcow2Driver::update_tree_refcounts(const std::vector<uint64_t>& l1, int delta) {
  for (uint64_t l1e : l1) {
    uint64_t l2_offset = l1e & kOffsetMask;
    if (l2_offset == 0) continue;
    std::vector<uint64_t> table = l2_table(l2_offset);
    for (uint64_t e : table) {
      if (delta > 0) {
        ref_entry(e);
      } else {
        release_entry(e);
      }
    }
    change_refcount(l2_offset / cluster_size_, delta);
  }
}

void Qcow2Driver::refresh_copied_flags() {
  uint8_t b[8];
  for (size_t i = 0; i < l1_.size(); i++) {
    uint64_t l2_offset = l1_[i] & kOffsetMask;
    if (l2_offset == 0) continue;
    std::vector<uint64_t>& table = l2_table(l2_offset);
    for (uint64_t j = 0; j < l2_entries_; j++) {
      uint64_t e = table[j];
      if ((e & kFlagCompressed) || !(e & kOffsetMask)) continue;
      bool sole = get_refcount((e & kOffsetMask) / cluster_size_) == 1;
      uint64_t want = sole ? (e | kFlagCopied) : (e & ~kFlagCopied);
      if (want == e) continue;
      table[j] = want;
      store_be64(b, want);
      file_->pwrite(b, 8, l2_offset + j * 8);
    }
    bool sole = get_refcount(l2_offset / cluster_size_) == 1;
    uint64_t want = sole ? (l1_[i] | kFlagCopied) : (l1_[i] & ~kFlagCopied);
    if (want == l1_[i]) continue;
    l1_[i] = want;
    store_be64(b, want);
    file_->pwrite(b, 8, h_.l1_table_offset + i * 8);
  }
}

void Qcow2Driver::write_snapshot_table(std::vector<Snapshot> snapshots) {
  std::vector<uint8_t> table;
  for (const auto& s : snapshots) {
    std::vector<uint8_t> e(40, 0);
    store_be64(&e[0], s.l1_table_offset);
    store_be32(&e[8], s.l1_size);
    store_be16(&e[12], uint16_t(s.info.id.size()));
    store_be16(&e[14], uint16_t(s.info.name.size()));
    store_be32(&e[16], s.info.date_sec);
    store_be32(&e[20], s.info.date_nsec);
    store_be64(&e[24], s.info.vm_clock_nsec);
    store_be32(&e[32], uint32_t(std::min<uint64_t>(s.info.vm_state_size, 0xffffffffu)));
    store_be32(&e[36], uint32_t(s.extra.size()));
    e.insert(e.end(), s.extra.begin(), s.extra.end());
    e.insert(e.end(), s.info.id.begin(), s.info.id.end());
    e.insert(e.end(), s.info.name.begin(), s.info.name.end());
    e.resize((e.size() + 7) & ~size_t(7), 0);
    table.insert(table.end(), e.begin(), e.end());
  }
  uint64_t new_offset = 0;
  if (!table.empty()) {
    uint64_t clusters = (table.size() + cluster_size_ - 1) / cluster_size_;
    new_offset = alloc_clusters(clusters);
    table.resize(clusters * cluster_size_, 0);
    file_->pwrite(table.data(), table.size(), new_offset);
  }
  if (cache_ != CacheMode::kUnsafe) file_->sync();
  uint8_t b[12];
  store_be32(b, uint32_t(snapshots.size()));
  store_be64(b + 4, new_offset);
  file_->pwrite(b, 12, kOffNbSnapshots);
  uint64_t old_offset = h_.snapshots_offset;
  uint64_t old_clusters =
      h_.nb_snapshots ? (snapshot_table_bytes_ + cluster_size_ - 1) / cluster_size_ : 0;
  h_.nb_snapshots = uint32_t(snapshots.size());
  h_.snapshots_offset = new_offset;
  snapshots_ = std::move(snapshots);
  snapshot_table_bytes_ = table.size();
  for (uint64_t i = 0; i < old_clusters; i++) change_refcount(old_offset / cluster_size_ + i, -1);
}

void Qcow2Driver::create_snapshot(const std::string& name) {
  require_writable("create a snapshot in");
  if (name.empty() || name.size() > 65535) throw BlockError("Invalid snapshot name");
  uint64_t next_id = 1;
  for (const auto& s : snapshots_) {
    if (s.info.name == name) throw BlockError("Snapshot '" + name + "' already exists");
    next_id = std::max<uint64_t>(next_id, strtoull(s.info.id.c_str(), nullptr, 10) + 1);
  }
  // Everything the active tables reach gains the snapshot's reference.
  update_tree_refcounts(l1_, +1);
  refresh_copied_flags();
  uint64_t l1_clusters = (l1_.size() * 8 + cluster_size_ - 1) / cluster_size_;
  uint64_t l1_offset = 0;
  if (l1_clusters) {
    l1_offset = alloc_clusters(l1_clusters);
    std::vector<uint8_t> raw(l1_clusters * cluster_size_, 0);
    for (size_t i = 0; i < l1_.size(); i++) store_be64(&raw[i * 8], l1_[i]);
    file_->pwrite(raw.data(), raw.size(), l1_offset);
  }

  Snapshot s;
  s.l1_table_offset = l1_offset;
  s.l1_size = uint32_t(l1_.size());
  s.info.id = std::to_string(next_id);
  s.info.name = name;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  s.info.date_sec = uint32_t(now.tv_sec);
  s.info.date_nsec = uint32_t(now.tv_nsec);
  s.disk_size = h_.size;
  s.extra.assign(24, 0);
  store_be64(&s.extra[8], h_.size);
  store_be64(&s.extra[16], ~0ull);  // no icount
  if (h_.version < 3) s.extra.resize(16);
  auto list = snapshots_;
  list.push_back(s);
  write_snapshot_table(std::move(list));
  flush();
}

void Qcow2Driver::apply_snapshot(const std::string& name) {
  require_writable("apply a snapshot to");
  const Snapshot s = snapshots_[find_snapshot(name)];
  std::vector<uint64_t> snap_l1 = read_l1(s.l1_table_offset, s.l1_size);
  // Take the new references before dropping the old ones: they share clusters.
  update_tree_refcounts(snap_l1, +1);
  std::vector<uint64_t> old_l1 = l1_;
  if (snap_l1.size() > l1_.size()) grow_l1(snap_l1.size());
  std::vector<uint64_t> new_l1(l1_.size(), 0);
  std::copy(snap_l1.begin(), snap_l1.end(), new_l1.begin());
  std::vector<uint8_t> raw(new_l1.size() * 8);
  for (size_t i = 0; i < new_l1.size(); i++) store_be64(&raw[i * 8], new_l1[i]);
  file_->pwrite(raw.data(), raw.size(), h_.l1_table_offset);
  l1_ = new_l1;
  update_tree_refcounts(old_l1, -1);
  if (s.disk_size != h_.size) {
    write_header_u64(kOffSize, s.disk_size);
    h_.size = s.disk_size;
  }
  decompressed_entry_ = 0;
  refresh_copied_flags();
  flush();
}

void Qcow2Driver::delete_snapshot(const std::string& name) {
  require_writable("delete a snapshot from");
  size_t index = find_snapshot(name);
  Snapshot s = snapshots_[index];
  auto list = snapshots_;
  list.erase(list.begin() + index);
  write_snapshot_table(std::move(list));
  update_tree_refcounts(read_l1(s.l1_table_offset, s.l1_size), -1);
  uint64_t l1_clusters = (uint64_t(s.l1_size) * 8 + cluster_size_ - 1) / cluster_size_;
  for (uint64_t i = 0; i < l1_clusters; i++)
    change_refcount(s.l1_table_offset / cluster_size_ + i, -1);
  refresh_copied_flags();
  flush();
}

}  // namespace vx86
