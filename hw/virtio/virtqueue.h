// A split virtqueue (virtio 1.x, 2.7): the driver's descriptor table and
// available ring, the device's used ring, all in guest memory reached through
// the transport's DMA. Descriptor chains (and indirect tables) are walked and
// checked here; the device model sees a list of guest buffers.
#pragma once

#include <cstdint>
#include <vector>

namespace vx86 {

// Guest memory as the device reaches it (bus-master DMA).
class DmaMemory {
 public:
  virtual ~DmaMemory() = default;
  virtual bool dma_read(uint64_t addr, void* buf, std::size_t len) = 0;
  virtual bool dma_write(uint64_t addr, const void* buf, std::size_t len) = 0;
  // Gives the host back the memory behind a page of guest RAM (it reads as
  // zeros when next touched); false where there is no RAM to give back.
  virtual bool discard_page(uint64_t addr) { return false; }
};

struct VirtqBuffer {
  uint64_t addr;
  uint32_t len;
};

// One descriptor chain: device-readable buffers, then device-writable ones.
struct VirtqElement {
  uint16_t head = 0;
  std::vector<VirtqBuffer> out;  // driver -> device
  std::vector<VirtqBuffer> in;   // device -> driver
  uint64_t out_bytes() const;
  uint64_t in_bytes() const;
};

class Virtqueue {
 public:
  static constexpr uint16_t kDescNext = 1;
  static constexpr uint16_t kDescWrite = 2;
  static constexpr uint16_t kDescIndirect = 4;
  static constexpr uint16_t kAvailNoInterrupt = 1;
  static constexpr uint16_t kUsedNoNotify = 1;
  static constexpr unsigned kLegacyAlign = 4096;

  explicit Virtqueue(uint16_t max_size) : max_size_(max_size), size_(max_size) {}

  uint16_t max_size() const { return max_size_; }
  uint16_t size() const { return size_; }
  void set_size(uint16_t size) { size_ = size; }
  bool ready() const { return ready_; }
  void set_ready(bool ready) { ready_ = ready; }
  uint64_t desc_addr() const { return desc_; }
  uint64_t avail_addr() const { return avail_; }
  uint64_t used_addr() const { return used_; }
  void set_addresses(uint64_t desc, uint64_t avail, uint64_t used);
  // Legacy interface: one page frame number, the rings laid out after the
  // table at 4096-byte alignment. 0 disables the queue.
  void set_legacy_pfn(uint32_t pfn);
  uint32_t legacy_pfn() const { return static_cast<uint32_t>(desc_ / kLegacyAlign); }
  void set_event_idx(bool on) { event_idx_ = on; }

  enum class Pop { kEmpty, kElement, kBroken };
  // Takes the next available chain. kBroken: the driver broke the ring rules
  // (the device must then stop using the queue).
  Pop pop(DmaMemory& mem, VirtqElement* element);
  // Puts the last `count` chains pop() took back, unused: a device that only
  // looked at how much room the driver gave.
  void unpop(uint16_t count) { last_avail_idx_ = static_cast<uint16_t>(last_avail_idx_ - count); }
  // Returns a finished chain with `written` bytes written into its buffers.
  bool push(DmaMemory& mem, const VirtqElement& element, uint32_t written);
  // Whether the driver wants an interrupt for what was pushed since the last
  // call (the avail ring's flag, or used_event with VIRTIO_F_EVENT_IDX).
  bool should_notify(DmaMemory& mem);

  void reset();
  // Saved state for the device model's visit_state.
  uint16_t last_avail_idx() const { return last_avail_idx_; }
  uint16_t used_idx() const { return used_idx_; }

  template <typename Visitor>
  void visit(Visitor& v) {
    v.field("size", size_);
    v.field("ready", ready_);
    v.field("desc", desc_);
    v.field("avail", avail_);
    v.field("used", used_);
    v.field("last_avail", last_avail_idx_);
    v.field("used_idx", used_idx_);
    v.field("signalled", signalled_used_);
    v.field("event_idx", event_idx_);
  }

 private:
  struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
  };
  bool read_desc(DmaMemory& mem, uint64_t table, uint16_t index, Desc* d);
  bool read16(DmaMemory& mem, uint64_t addr, uint16_t* v);
  bool write16(DmaMemory& mem, uint64_t addr, uint16_t v);

  uint16_t max_size_;
  uint16_t size_;
  bool ready_ = false;
  uint64_t desc_ = 0, avail_ = 0, used_ = 0;
  uint16_t last_avail_idx_ = 0;
  uint16_t used_idx_ = 0;
  uint16_t signalled_used_ = 0;
  bool event_idx_ = false;
};

}  // namespace vx86
