// The PC's x87 error logic (as in the PIIX chipsets): the boot CPU's FERR#
// sets a latch that drives ISA IRQ 13; a write of any value to port 0xF0
// clears the latch and, while FERR# is up, asserts IGNNE# so that the waiting
// x87 instruction can run. IGNNE# falls with FERR#. Only matters to guests
// that run with CR0.NE=0 (with NE=1 the CPU raises #MF instead).
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"

namespace vx86 {

class FpuErrorPort : public Device, public IoOps {
 public:
  explicit FpuErrorPort(IrqLine* irq13);

  // Maps the single write-only byte at base (normally 0xF0).
  void map(MemoryRegion& io_space, uint64_t base = 0xf0);
  MemoryRegion* region() { return region_.get(); }

  // FERR#: the CPU sets its level (under the device lock).
  IrqLine& ferr() { return ferr_; }
  // IGNNE#: the CPU reads its level (under the device lock).
  const IrqLine& ignne() const { return ignne_; }
  bool irq13_latched() const { return latched_; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  void ferr_changed(bool level);
  void set_latch(bool latched);

  IrqLine* irq13_;
  std::unique_ptr<MemoryRegion> region_;
  IrqLine ferr_;
  IrqLine ignne_;
  bool latched_ = false;
  bool restoring_ = false;
};

}  // namespace vx86
