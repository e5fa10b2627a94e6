// Guest memory for virtio device tests without PCI: 1 MiB in an array, which
// records the pages a device gives back to the host.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "hw/virtio/virtqueue.h"

namespace vx86::test {

class ArrayMemory : public DmaMemory {
 public:
  std::vector<uint8_t> bytes = std::vector<uint8_t>(1 << 20);
  std::vector<uint64_t> discarded;  // page addresses, in order

  bool dma_read(uint64_t addr, void* buf, std::size_t len) override {
    if (addr + len > bytes.size()) return false;
    std::memcpy(buf, bytes.data() + addr, len);
    return true;
  }
  bool dma_write(uint64_t addr, const void* buf, std::size_t len) override {
    if (addr + len > bytes.size()) return false;
    std::memcpy(bytes.data() + addr, buf, len);
    return true;
  }
  bool discard_page(uint64_t addr) override {
    if (addr + 4096 > bytes.size()) return false;
    discarded.push_back(addr);
    return true;
  }
  template <typename T>
  T get(uint64_t addr) const {
    T v;
    std::memcpy(&v, bytes.data() + addr, sizeof(T));
    return v;
  }
  template <typename T>
  void put(uint64_t addr, T v) {
    std::memcpy(bytes.data() + addr, &v, sizeof(T));
  }
};

}  // namespace vx86::test
