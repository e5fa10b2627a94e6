// isa-debugcon (QEMU's, after Bochs' port 0xE9 hack): every byte the guest
// writes to its port goes to a chardev at once, with no UART to program and
// no interrupts, which is how firmware such as SeaBIOS (port 0x402) and
// early kernel code log. Reading the port returns a fixed value (0xE9 by
// default) so a guest can tell the port is there.
#pragma once

#include <cstdint>
#include <memory>

#include "core/chardev.h"
#include "core/device.h"
#include "core/memory.h"

namespace vx86 {

// It is its chardev's frontend, as QEMU's, so the chardev counts as in use
// (chardev-remove refuses it); it takes no input.
class IsaDebugcon : public Device, public IoOps, public CharFrontend {
 public:
  static constexpr uint64_t kDefaultIobase = 0xE9;
  static constexpr uint8_t kDefaultReadback = 0xE9;

  // chardev may be null (the bytes are dropped).
  IsaDebugcon(Chardev* chardev, uint8_t readback = kDefaultReadback);
  ~IsaDebugcon() override;

  void map(MemoryRegion& io_space, uint64_t base = kDefaultIobase);

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  std::size_t can_receive() override { return 0; }
  void receive(const uint8_t*, std::size_t) override {}

 private:
  Chardev* chardev_;
  uint8_t readback_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace vx86
