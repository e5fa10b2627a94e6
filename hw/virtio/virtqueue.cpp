#include "hw/virtio/virtqueue.h"

#include <atomic>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr uint32_t kMaxIndirectDescs = 1024;

}  // namespace

uint64_t VirtqElement::out_bytes() const {
  uint64_t n = 0;
  for (const auto& b : out) n += b.len;
  return n;
}

uint64_t VirtqElement::in_bytes() const {
  uint64_t n = 0;
  for (const auto& b : in) n += b.len;
  return n;
}

void Virtqueue::set_addresses(uint64_t desc, uint64_t avail, uint64_t used) {
  desc_ = desc;
  avail_ = avail;
  used_ = used;
}

void Virtqueue::set_legacy_pfn(uint32_t pfn) {
  if (pfn == 0) {
    ready_ = false;
    desc_ = avail_ = used_ = 0;
    return;
  }
  desc_ = static_cast<uint64_t>(pfn) * kLegacyAlign;
  avail_ = desc_ + 16ull * size_;
  uint64_t avail_end = avail_ + 4 + 2ull * size_ + 2;
  used_ = (avail_end + kLegacyAlign - 1) & ~static_cast<uint64_t>(kLegacyAlign - 1);
  ready_ = true;
}

void Virtqueue::reset() {
  size_ = max_size_;
  ready_ = false;
  desc_ = avail_ = used_ = 0;
  last_avail_idx_ = used_idx_ = signalled_used_ = 0;
  event_idx_ = false;
}

bool Virtqueue::read16(DmaMemory& mem, uint64_t addr, uint16_t* v) {
  uint8_t b[2];
  if (!mem.dma_read(addr, b, 2)) return false;
  *v = static_cast<uint16_t>(b[0] | b[1] << 8);
  return true;
}

bool Virtqueue::write16(DmaMemory& mem, uint64_t addr, uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  return mem.dma_write(addr, b, 2);
}

bool Virtqueue::read_desc(DmaMemory& mem, uint64_t table, uint16_t index, Desc* d) {
  uint8_t b[16];
  if (!mem.dma_read(table + 16ull * index, b, 16)) return false;
  d->addr = 0;
  for (int i = 7; i >= 0; --i) d->addr = d->addr << 8 | b[i];
  d->len =
      static_cast<uint32_t>(b[8] | b[9] << 8 | b[10] << 16 | static_cast<uint32_t>(b[11]) << 24);
  d->flags = static_cast<uint16_t>(b[12] | b[13] << 8);
  d->next = static_cast<uint16_t>(b[14] | b[15] << 8);
  return true;
}

Virtqueue::Pop Virtqueue::pop(DmaMemory& mem, VirtqElement* element) {
  if (!ready_ || size_ == 0) return Pop::kEmpty;
  uint16_t avail_idx;
  if (!read16(mem, avail_ + 2, &avail_idx)) return Pop::kBroken;
  uint16_t pending = static_cast<uint16_t>(avail_idx - last_avail_idx_);
  if (pending > size_) {
    VX86_LOG(kLogGuestErrors, "virtqueue: avail idx %u runs %u entries ahead of a %u ring\n",
             avail_idx, pending, size_);
    return Pop::kBroken;
  }
  if (pending == 0) {
    if (!event_idx_) return Pop::kEmpty;
    // Ask for a kick at the next buffer, then look again: the driver may have
    // added one after the first look and read the old avail_event (it runs on
    // another thread), in which case it will not kick.
    write16(mem, used_ + 4 + 8ull * size_, last_avail_idx_);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!read16(mem, avail_ + 2, &avail_idx)) return Pop::kBroken;
    pending = static_cast<uint16_t>(avail_idx - last_avail_idx_);
    if (pending == 0) return Pop::kEmpty;
    if (pending > size_) return Pop::kBroken;
  }
  uint16_t head;
  if (!read16(mem, avail_ + 4 + 2ull * (last_avail_idx_ % size_), &head)) return Pop::kBroken;
  ++last_avail_idx_;
  if (event_idx_) write16(mem, used_ + 4 + 8ull * size_, last_avail_idx_);

  element->head = head;
  element->out.clear();
  element->in.clear();
  auto fail = [](const char* why) {
    VX86_LOG(kLogGuestErrors, "virtqueue: bad descriptor chain: %s\n", why);
    return Pop::kBroken;
  };
  if (head >= size_) return fail("head out of range");

  uint64_t table = desc_;
  uint32_t table_size = size_;
  uint32_t index = head;
  bool indirect = false;
  uint32_t seen = 0;
  for (;;) {
    Desc d;
    if (!read_desc(mem, table, static_cast<uint16_t>(index), &d))
      return fail("unreadable descriptor");
    if (++seen > table_size) return fail("loop");
    if (d.flags & kDescIndirect) {
      if (indirect) return fail("indirect table inside an indirect table");
      if (d.flags & kDescNext) return fail("indirect descriptor with NEXT");
      if (d.len == 0 || d.len % 16 != 0 || d.len / 16 > kMaxIndirectDescs) {
        return fail("bad indirect table length");
      }
      indirect = true;
      table = d.addr;
      table_size = d.len / 16;
      index = 0;
      seen = 0;
      continue;
    }
    if (d.flags & kDescWrite) {
      element->in.push_back({d.addr, d.len});
    } else {
      if (!element->in.empty()) return fail("readable buffer after a writable one");
      element->out.push_back({d.addr, d.len});
    }
    if (!(d.flags & kDescNext)) break;
    index = d.next;
    if (index >= table_size) return fail("next out of range");
  }
  return Pop::kElement;
}

bool Virtqueue::push(DmaMemory& mem, const VirtqElement& element, uint32_t written) {
  uint8_t entry[8];
  uint32_t id = element.head;
  for (int i = 0; i < 4; ++i) {
    entry[i] = static_cast<uint8_t>(id >> (8 * i));
    entry[4 + i] = static_cast<uint8_t>(written >> (8 * i));
  }
  if (!mem.dma_write(used_ + 4 + 8ull * (used_idx_ % size_), entry, 8)) return false;
  ++used_idx_;
  return write16(mem, used_ + 2, used_idx_);
}

bool Virtqueue::should_notify(DmaMemory& mem) {
  uint16_t old = signalled_used_;
  uint16_t now = used_idx_;
  if (old == now) return false;
  signalled_used_ = now;
  // The used index must be visible before the driver's wish is read (a store
  // then a load: x86 may reorder those without a fence).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (event_idx_) {
    uint16_t used_event;
    if (!read16(mem, avail_ + 4 + 2ull * size_, &used_event)) return true;
    return static_cast<uint16_t>(now - used_event - 1) < static_cast<uint16_t>(now - old);
  }
  uint16_t flags;
  if (!read16(mem, avail_, &flags)) return true;
  return !(flags & kAvailNoInterrupt);
}

}  // namespace vx86
