// A port I/O address space for device tests (no CPU, like QEMU's qtest).
#pragma once

#include <memory>

#include "core/memory.h"
#include "core/state.h"

namespace vx86::test {

struct IoBus {
  std::unique_ptr<MemoryRegion> root = MemoryRegion::container("io", 0x10000);
  AddressSpace as{"io", root.get()};

  uint8_t inb(uint64_t port) { return static_cast<uint8_t>(as.read(port, 1)); }
  uint16_t inw(uint64_t port) { return static_cast<uint16_t>(as.read(port, 2)); }
  void outb(uint64_t port, uint8_t v) { as.write(port, v, 1); }
  void outw(uint64_t port, uint16_t v) { as.write(port, v, 2); }
};

// Saves a device's state and loads it into another (through the serialized blob).
template <typename Dev>
void copy_state(Dev& from, Dev& to) {
  StateWriter w;
  from.visit_state(w);
  auto blob = w.serialize();
  StateReader r = StateReader::deserialize(blob);
  to.visit_state(r);
}

}  // namespace vx86::test
