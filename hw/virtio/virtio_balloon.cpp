#include "hw/virtio/virtio_balloon.h"

#include <algorithm>
#include <vector>

namespace vx86 {

namespace {
constexpr unsigned kInflateQueue = 0, kDeflateQueue = 1;
}  // namespace

VirtioBalloon::VirtioBalloon(uint64_t ram_size)
    : VirtioDevice(kDeviceId, 2, kQueueSize), ram_size_(ram_size) {}

void VirtioBalloon::read_config(uint8_t* buf) {
  for (int i = 0; i < 4; ++i) {
    buf[i] = static_cast<uint8_t>(num_pages_ >> (8 * i));
    buf[4 + i] = static_cast<uint8_t>(actual_ >> (8 * i));
  }
}

void VirtioBalloon::write_config(unsigned offset, const uint8_t* data, unsigned len) {
  // Only actual (bytes 4-7) belongs to the driver.
  uint32_t actual = actual_;
  for (unsigned i = 0; i < len; ++i) {
    const unsigned at = offset + i;
    if (at < 4 || at >= 8) continue;
    const unsigned shift = 8 * (at - 4);
    actual = (actual & ~(0xffu << shift)) | static_cast<uint32_t>(data[i]) << shift;
  }
  if (actual == actual_) return;
  actual_ = actual;
  if (listener_) listener_(actual_bytes());
}

void VirtioBalloon::handle_queue(unsigned index) {
  Virtqueue& q = queue(index);
  for (VirtqElement element; take(q, &element);) {
    // The buffers hold 32-bit page frame numbers (4 KiB each).
    if (index == kInflateQueue) {
      for (const VirtqBuffer& buffer : element.out) {
        std::vector<uint8_t> bytes(buffer.len & ~3u);
        if (!memory().dma_read(buffer.addr, bytes.data(), bytes.size())) {
          return mark_broken("buffer outside guest memory");
        }
        for (std::size_t at = 0; at < bytes.size(); at += 4) {
          const uint64_t pfn =
              static_cast<uint64_t>(bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16) |
              static_cast<uint64_t>(bytes[at + 3]) << 24;
          if (memory().discard_page(pfn * kPageSize)) ++discarded_;
        }
      }
    }
    // Deflated pages need nothing: the guest just uses them again.
    complete(q, element, 0);
  }
}

void VirtioBalloon::set_target(uint64_t bytes) {
  const uint64_t pages = (ram_size_ - std::min(bytes, ram_size_)) / kPageSize;
  num_pages_ = static_cast<uint32_t>(std::min<uint64_t>(pages, UINT32_MAX));
  config_changed();
}

void VirtioBalloon::device_reset() {
  // The driver's balloon is gone with it; the host's request stays.
  actual_ = 0;
}

void VirtioBalloon::visit_device_state(StateVisitor& v) {
  v.field("num_pages", num_pages_);
  v.field("actual", actual_);
}

}  // namespace vx86
