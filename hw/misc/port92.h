// System control port A (port 0x92): "fast A20" gate (bit 1) and a fast CPU
// reset (bit 0, acts on its 0 -> 1 transition).
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"

namespace vx86 {

class Port92 : public Device, public IoOps {
 public:
  // a20 (may be null) follows bit 1; a reset request is made on bit 0 set.
  Port92(SystemControl& system, IrqLine* a20);

  // Maps the single byte register at base (normally 0x92).
  void map(MemoryRegion& io_space, uint64_t base = 0x92);
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

  bool a20_enabled() const { return (value_ & 0x02) != 0; }

 private:
  SystemControl& system_;
  IrqLine* a20_;
  std::unique_ptr<MemoryRegion> region_;
  uint8_t value_ = 0;
};

}  // namespace vx86
