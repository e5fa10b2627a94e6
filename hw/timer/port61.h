// System control port B (port 0x61) of the PC.
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/memory.h"
#include "hw/timer/i8254.h"

namespace vx86 {

// System control port B (0x61): counter 2 gate (bit 0) and speaker data
// enable (bit 1) are read/write; bit 4 toggles with DRAM refresh every
// 15.085 us, bit 5 is counter 2's OUT.
class Port61 : public Device, public IoOps {
 public:
  explicit Port61(I8254& pit);

  void map(MemoryRegion& io_space, uint64_t base = 0x61);
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  bool speaker_enabled() const { return (value_ & 0x03) == 0x03; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  I8254& pit_;
  std::unique_ptr<MemoryRegion> region_;
  uint8_t value_ = 0;  // bits 0-3 as written
};

}  // namespace vx86
