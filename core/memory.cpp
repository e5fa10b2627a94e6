#include "core/memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

#include "core/device_lock.h"
#include "core/log.h"

static_assert(std::endian::native == std::endian::little,
              "RAM accesses assume a little-endian host");

namespace vx86 {

std::recursive_mutex& device_lock() {
  static std::recursive_mutex lock;
  return lock;
}

namespace {

// End of [start, start + size) without wrapping past 2^64 - 1 (inclusive end).
uint64_t last_byte(uint64_t start, uint64_t size) {
  if (size == 0) return start;
  uint64_t last = start + (size - 1);
  return last < start ? UINT64_MAX : last;
}

uint64_t all_ones(unsigned size) {
  return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

}  // namespace

MemoryRegion::MemoryRegion(Kind kind, std::string name, uint64_t size)
    : kind_(kind), name_(std::move(name)), size_(size) {}

MemoryRegion::~MemoryRegion() {
  if (parent_) parent_->remove_subregion(this);
  for (MemoryRegion* sub : subregions_) sub->parent_ = nullptr;
  if (alias_target_) {
    auto& v = alias_target_->aliased_by_;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
  }
  if (host_) munmap(host_, size_);
}

std::unique_ptr<MemoryRegion> MemoryRegion::container(std::string name, uint64_t size) {
  return std::unique_ptr<MemoryRegion>(new MemoryRegion(Kind::kContainer, std::move(name), size));
}

// Guest RAM of 2 MiB or more is 2 MiB-aligned and asks for transparent huge
// pages (as QEMU does): generated code reaches it through host addresses, and
// with 4 KiB pages a guest touching tens of MiB spends time in host TLB misses.
static uint8_t* map_host_memory(const std::string& name, uint64_t size) {
  constexpr uint64_t kHugePage = 2ull << 20;
  const bool huge = size >= kHugePage;
  const uint64_t reserve = huge ? size + kHugePage : size;
  void* p = mmap(nullptr, reserve, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw MemoryMapError("cannot allocate " + std::to_string(size >> 20) +
                         " MiB of host memory for " + name);
  auto* base = static_cast<uint8_t*>(p);
  if (!huge) return base;
  const uintptr_t start = reinterpret_cast<uintptr_t>(base);
  const uintptr_t aligned = (start + kHugePage - 1) & ~uintptr_t{kHugePage - 1};
  if (aligned > start) munmap(base, aligned - start);
  const uintptr_t end = aligned + size;
  if (start + reserve > end) munmap(reinterpret_cast<void*>(end), start + reserve - end);
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // advice; fine if refused
  return reinterpret_cast<uint8_t*>(aligned);
}

std::unique_ptr<MemoryRegion> MemoryRegion::ram(std::string name, uint64_t size) {
  auto mr = std::unique_ptr<MemoryRegion>(new MemoryRegion(Kind::kRam, std::move(name), size));
  mr->host_ = map_host_memory(mr->name_, size);
  return mr;
}

std::unique_ptr<MemoryRegion> MemoryRegion::rom(std::string name, uint64_t size) {
  auto mr = std::unique_ptr<MemoryRegion>(new MemoryRegion(Kind::kRom, std::move(name), size));
  mr->host_ = map_host_memory(mr->name_, size);
  mr->readonly_ = true;
  return mr;
}

std::unique_ptr<MemoryRegion> MemoryRegion::rom_device(std::string name, uint64_t size,
                                                       IoOps* write_ops) {
  auto mr = rom(std::move(name), size);
  mr->ops_ = write_ops;
  return mr;
}

std::unique_ptr<MemoryRegion> MemoryRegion::io(std::string name, uint64_t size, IoOps* ops,
                                               AccessLimits limits) {
  auto mr = std::unique_ptr<MemoryRegion>(new MemoryRegion(Kind::kIo, std::move(name), size));
  mr->ops_ = ops;
  mr->limits_ = limits;
  return mr;
}

std::unique_ptr<MemoryRegion> MemoryRegion::alias(std::string name, MemoryRegion* target,
                                                  uint64_t offset, uint64_t size) {
  auto mr = std::unique_ptr<MemoryRegion>(new MemoryRegion(Kind::kAlias, std::move(name), size));
  mr->alias_target_ = target;
  mr->alias_offset_ = offset;
  target->aliased_by_.push_back(mr.get());
  return mr;
}

const MemoryRegion* MemoryRegion::overlapping(const MemoryRegion* sub, uint64_t offset,
                                              int priority) const {
  if (!sub->enabled_) return nullptr;
  uint64_t last = last_byte(offset, sub->size_);
  for (const MemoryRegion* other : subregions_) {
    if (other == sub || !other->enabled_ || other->priority_ != priority) continue;
    uint64_t other_last = last_byte(other->offset_, other->size_);
    if (offset <= other_last && other->offset_ <= last) return other;
  }
  return nullptr;
}

void MemoryRegion::check_overlap(const MemoryRegion* sub, uint64_t offset, int priority) const {
  if (const MemoryRegion* other = overlapping(sub, offset, priority)) {
    throw MemoryMapError("region '" + sub->name_ + "' overlaps '" + other->name_ +
                         "' at the same priority inside '" + name_ + "'");
  }
}

bool MemoryRegion::try_add_subregion(uint64_t offset, MemoryRegion* sub, int priority) {
  if (kind_ == Kind::kContainer && !sub->parent_ && overlapping(sub, offset, priority)) {
    return false;
  }
  add_subregion(offset, sub, priority);
  return true;
}

void MemoryRegion::add_subregion(uint64_t offset, MemoryRegion* sub, int priority) {
  if (kind_ != Kind::kContainer) throw MemoryMapError("'" + name_ + "' is not a container");
  if (sub->parent_) throw MemoryMapError("'" + sub->name_ + "' already has a parent");
  check_overlap(sub, offset, priority);
  sub->parent_ = this;
  sub->offset_ = offset;
  sub->priority_ = priority;
  subregions_.push_back(sub);
  notify_changed();
}

void MemoryRegion::remove_subregion(MemoryRegion* sub) {
  auto it = std::find(subregions_.begin(), subregions_.end(), sub);
  if (it == subregions_.end()) return;
  subregions_.erase(it);
  sub->parent_ = nullptr;
  notify_changed();
}

void MemoryRegion::set_offset(uint64_t offset) {
  if (offset == offset_) return;
  if (parent_) parent_->check_overlap(this, offset, priority_);
  offset_ = offset;
  if (parent_) parent_->notify_changed();
}

void MemoryRegion::set_enabled(bool enabled) {
  if (enabled == enabled_) return;
  enabled_ = enabled;
  if (enabled && parent_) {
    try {
      parent_->check_overlap(this, offset_, priority_);
    } catch (...) {
      enabled_ = false;
      throw;
    }
  }
  if (parent_) parent_->notify_changed();
  notify_changed();
}

void MemoryRegion::set_readonly(bool readonly) {
  if (readonly == readonly_) return;
  readonly_ = readonly;
  notify_changed();
}

void MemoryRegion::notify_changed() {
  for (AddressSpace* as : spaces_) as->rebuild();
  if (parent_) parent_->notify_changed();
  for (MemoryRegion* alias : aliased_by_) alias->notify_changed();
}

// ---------------------------------------------------------------------------
// Flattening: regions are rendered from the highest priority down; each leaf
// fills only the holes that nothing above it has covered.

namespace {

class FlatBuilder {
 public:
  // Renders [lo, hi] (addresses already inside mr's extent) of mr, whose
  // offset 0 sits at address base. Arithmetic is modulo 2^64 so that an alias
  // whose target starts "below zero" still maps offsets correctly. A
  // read-only alias (or container) makes what it shows read-only.
  void render(MemoryRegion* mr, uint64_t base, uint64_t lo, uint64_t hi, bool readonly = false) {
    if (!mr->enabled() || mr->size() == 0) return;
    readonly = readonly || mr->readonly();
    uint64_t win_lo = lo - base, win_hi = hi - base;
    switch (mr->kind()) {
      case MemoryRegion::Kind::kContainer:
        for (MemoryRegion* sub : by_priority(mr)) {
          uint64_t a = std::max(sub->offset(), win_lo);
          uint64_t b = std::min(last_byte(sub->offset(), sub->size()), win_hi);
          if (a > b || sub->size() == 0) continue;
          render(sub, base + sub->offset(), base + a, base + b, readonly);
        }
        break;
      case MemoryRegion::Kind::kAlias: {
        MemoryRegion* target = mr->alias_target();
        uint64_t t_lo = mr->alias_offset() + win_lo;
        if (t_lo >= target->size()) return;
        uint64_t t_hi = std::min(mr->alias_offset() + win_hi, target->size() - 1);
        uint64_t target_base = base - mr->alias_offset();
        render(target, target_base, target_base + t_lo, target_base + t_hi, readonly);
        break;
      }
      default:
        fill(mr, base, lo, hi, readonly);
        break;
    }
  }

  std::vector<FlatRange> take() {
    std::vector<FlatRange> out;
    out.reserve(ranges_.size());
    for (auto& [start, r] : ranges_) out.push_back(r);
    return out;
  }

 private:
  static std::vector<MemoryRegion*> by_priority(MemoryRegion* mr) {
    std::vector<MemoryRegion*> subs(mr->subregions().begin(), mr->subregions().end());
    std::stable_sort(subs.begin(), subs.end(), [](MemoryRegion* a, MemoryRegion* b) {
      return a->priority() > b->priority();
    });
    return subs;
  }

  // Adds [lo, hi] of leaf mr (whose offset 0 sits at base) where nothing is yet.
  void fill(MemoryRegion* mr, uint64_t base, uint64_t lo, uint64_t hi, bool readonly) {
    uint64_t cur = lo;
    auto it = ranges_.upper_bound(cur);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      uint64_t prev_last = last_byte(prev->second.start, prev->second.size);
      if (prev_last >= cur) {
        if (prev_last >= hi) return;
        cur = prev_last + 1;
      }
    }
    while (true) {
      uint64_t gap_last = hi;
      auto next = ranges_.lower_bound(cur);
      if (next != ranges_.end() && next->first <= hi) gap_last = next->first - 1;
      if (next == ranges_.end() || next->first > cur) {
        ranges_[cur] = FlatRange{cur, gap_last - cur + 1, mr, cur - base, readonly};
      }
      if (next == ranges_.end() || next->first > hi) return;
      uint64_t next_last = last_byte(next->second.start, next->second.size);
      if (next_last >= hi) return;
      cur = next_last + 1;
    }
  }

  std::map<uint64_t, FlatRange> ranges_;
};

}  // namespace

AddressSpace::AddressSpace(std::string name, MemoryRegion* root)
    : name_(std::move(name)), root_(root) {
  root_->spaces_.push_back(this);
  rebuild();
}

AddressSpace::~AddressSpace() {
  auto& v = root_->spaces_;
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

void AddressSpace::rebuild() {
  FlatBuilder builder;
  builder.render(root_, 0, 0, last_byte(0, root_->size()));
  flat_ = builder.take();
  ++generation_;
  for (auto& [id, listener] : listeners_) listener(*this);
}

int AddressSpace::add_listener(Listener listener) {
  listeners_.emplace_back(next_listener_id_, std::move(listener));
  return next_listener_id_++;
}

void AddressSpace::remove_listener(int id) {
  listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                  [id](const auto& p) { return p.first == id; }),
                   listeners_.end());
}

const FlatRange* AddressSpace::lookup(uint64_t addr) const {
  auto it = std::upper_bound(flat_.begin(), flat_.end(), addr,
                             [](uint64_t a, const FlatRange& r) { return a < r.start; });
  if (it == flat_.begin()) return nullptr;
  --it;
  if (addr - it->start < it->size) return &*it;
  return nullptr;
}

uint8_t* AddressSpace::host_ptr(uint64_t addr, bool for_write) const {
  const FlatRange* r = lookup(addr);
  if (!r || !r->region->host_ptr()) return nullptr;
  if (for_write && r->readonly) return nullptr;
  return r->region->host_ptr() + r->region_offset + (addr - r->start);
}

uint64_t AddressSpace::read(uint64_t addr, unsigned size, MemTxResult* result) {
  MemTxResult r = MemTxResult::kOk;
  uint64_t v = access(addr, size, false, 0, &r);
  if (result) *result = r;
  return v;
}

MemTxResult AddressSpace::write(uint64_t addr, uint64_t value, unsigned size) {
  MemTxResult r = MemTxResult::kOk;
  access(addr, size, true, value, &r);
  return r;
}

uint64_t AddressSpace::access(uint64_t addr, unsigned size, bool is_write, uint64_t value,
                              MemTxResult* result) {
  const FlatRange* range = lookup(addr);
  uint64_t last = addr + size - 1;
  if (range && last >= addr && last - range->start < range->size) {
    return dispatch_leaf(*range, addr, size, is_write, value, result);
  }
  if (!range) {
    // Entirely inside a hole?
    auto next = std::upper_bound(flat_.begin(), flat_.end(), addr,
                                 [](uint64_t a, const FlatRange& r) { return a < r.start; });
    if (size == 1 || next == flat_.end() || next->start > last || last < addr) {
      VX86_LOG(kLogGuestErrors, "%s: unassigned %s of %u bytes at 0x%llx\n", name_.c_str(),
               is_write ? "write" : "read", size, static_cast<unsigned long long>(addr));
      *result = MemTxResult::kUnassigned;
      return all_ones(size);
    }
  }
  // Crosses a range boundary: split into halves, little-endian.
  unsigned half = size / 2;
  uint64_t lo = access(addr, half, is_write, value, result);
  MemTxResult r2 = MemTxResult::kOk;
  uint64_t hi = access(addr + half, half, is_write, value >> (half * 8), &r2);
  if (*result == MemTxResult::kOk) *result = r2;
  return lo | (hi << (half * 8));
}

uint64_t AddressSpace::dispatch_leaf(const FlatRange& range, uint64_t addr, unsigned size,
                                     bool is_write, uint64_t value, MemTxResult* result) {
  MemoryRegion* mr = range.region;
  uint64_t offset = range.region_offset + (addr - range.start);
  if (mr->host_ptr()) {
    uint8_t* p = mr->host_ptr() + offset;
    if (!is_write) {
      uint64_t v = 0;
      std::memcpy(&v, p, size);
      return v;
    }
    if (range.readonly) {
      if (mr->ops()) {  // a ROM device: its command interface takes the write
        DeviceLockGuard lock;
        mr->ops()->write(offset, value & all_ones(size), size);
        return 0;
      }
      VX86_LOG(kLogGuestErrors, "%s: write to ROM '%s' at 0x%llx ignored\n", name_.c_str(),
               mr->name().c_str(), static_cast<unsigned long long>(addr));
      return 0;
    }
    std::memcpy(p, &value, size);
    return 0;
  }
  const AccessLimits& lim = mr->limits();
  bool unaligned = (offset & (size - 1)) != 0;
  if (size > lim.max_size || (unaligned && !lim.allow_unaligned)) {
    if (size == 1) {
      // Cannot split further (max_size is at least 1).
    } else {
      unsigned half = size / 2;
      uint64_t lo = access(addr, half, is_write, value, result);
      MemTxResult r2 = MemTxResult::kOk;
      uint64_t hi = access(addr + half, half, is_write, value >> (half * 8), &r2);
      if (*result == MemTxResult::kOk) *result = r2;
      return lo | (hi << (half * 8));
    }
  }
  if (size < lim.min_size) {
    VX86_LOG(kLogGuestErrors, "%s: invalid %u-byte %s of '%s' at offset 0x%llx\n", name_.c_str(),
             size, is_write ? "write" : "read", mr->name().c_str(),
             static_cast<unsigned long long>(offset));
    *result = MemTxResult::kInvalid;
    return all_ones(size);
  }
  DeviceLockGuard lock;
  if (is_write) {
    mr->ops()->write(offset, value & all_ones(size), size);
    return 0;
  }
  return mr->ops()->read(offset, size) & all_ones(size);
}

MemTxResult AddressSpace::read_buffer(uint64_t addr, void* buf, std::size_t len) {
  auto* out = static_cast<uint8_t*>(buf);
  MemTxResult result = MemTxResult::kOk;
  while (len > 0) {
    const FlatRange* r = lookup(addr);
    if (r && r->region->host_ptr()) {
      uint64_t avail = r->size - (addr - r->start);
      std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(avail, len));
      std::memcpy(out, r->region->host_ptr() + r->region_offset + (addr - r->start), n);
      out += n, addr += n, len -= n;
      continue;
    }
    MemTxResult one = MemTxResult::kOk;
    *out++ = static_cast<uint8_t>(access(addr++, 1, false, 0, &one));
    if (one != MemTxResult::kOk) result = one;
    --len;
  }
  return result;
}

MemTxResult AddressSpace::write_buffer(uint64_t addr, const void* buf, std::size_t len) {
  auto* in = static_cast<const uint8_t*>(buf);
  MemTxResult result = MemTxResult::kOk;
  while (len > 0) {
    const FlatRange* r = lookup(addr);
    if (r && r->region->host_ptr() && !r->readonly) {
      uint64_t avail = r->size - (addr - r->start);
      std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(avail, len));
      std::memcpy(r->region->host_ptr() + r->region_offset + (addr - r->start), in, n);
      in += n, addr += n, len -= n;
      continue;
    }
    MemTxResult one = MemTxResult::kOk;
    access(addr++, 1, true, *in++, &one);
    if (one != MemTxResult::kOk) result = one;
    --len;
  }
  return result;
}

MemTxResult AddressSpace::write_rom_buffer(uint64_t addr, const void* buf, std::size_t len) {
  auto* in = static_cast<const uint8_t*>(buf);
  MemTxResult result = MemTxResult::kOk;
  while (len > 0) {
    const FlatRange* r = lookup(addr);
    const uint64_t avail = r ? r->size - (addr - r->start) : 1;
    const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(avail, len));
    if (r && r->region->host_ptr() && r->readonly) {
      std::memcpy(r->region->host_ptr() + r->region_offset + (addr - r->start), in, n);
    } else if (MemTxResult one = write_buffer(addr, in, n); one != MemTxResult::kOk) {
      result = one;
    }
    in += n, addr += n, len -= n;
  }
  return result;
}

void AddressSpace::load_buffer(uint64_t addr, const void* buf, std::size_t len) {
  auto* in = static_cast<const uint8_t*>(buf);
  while (len > 0) {
    const FlatRange* r = lookup(addr);
    if (!r || !r->region->host_ptr()) {
      throw MemoryMapError("cannot load data at 0x" + std::to_string(addr) + ": not RAM or ROM");
    }
    uint64_t avail = r->size - (addr - r->start);
    std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(avail, len));
    std::memcpy(r->region->host_ptr() + r->region_offset + (addr - r->start), in, n);
    in += n, addr += n, len -= n;
  }
}

}  // namespace vx86
