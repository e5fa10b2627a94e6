#include "hw/virtio/virtio_rng.h"

#include <algorithm>
#include <vector>

namespace vx86 {

VirtioRng::VirtioRng(std::shared_ptr<EntropySource> source)
    : VirtioDevice(kDeviceId, 1, kQueueSize), source_(std::move(source)) {}

void VirtioRng::handle_queue(unsigned index) {
  Virtqueue& q = queue(index);
  std::vector<uint8_t> bytes;
  for (VirtqElement element; take(q, &element);) {
    // The driver only gives writable buffers; anything it sends is ignored.
    uint32_t written = 0;
    for (const VirtqBuffer& buffer : element.in) {
      const std::size_t want = std::min<std::size_t>(buffer.len, kMaxBytesPerRequest - written);
      if (want == 0) break;
      bytes.resize(want);
      const std::size_t got = source_->read(bytes.data(), want);
      if (got == 0) break;
      if (!memory().dma_write(buffer.addr, bytes.data(), got)) {
        return mark_broken("buffer outside guest memory");
      }
      written += static_cast<uint32_t>(got);
      if (got < want) break;
    }
    complete(q, element, written);
  }
}

}  // namespace vx86
