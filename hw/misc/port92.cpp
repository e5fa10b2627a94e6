#include "hw/misc/port92.h"

#include "core/log.h"

namespace vx86 {

Port92::Port92(SystemControl& system, IrqLine* a20) : Device("port92"), system_(system), a20_(a20) {
  region_ = MemoryRegion::io("port92", 1, this, AccessLimits{1, 1, false});
}

void Port92::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

uint64_t Port92::read(uint64_t offset, unsigned size) {
  return value_;
}

void Port92::write(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t old = value_;
  // Bit 0 reads back as 0 once the reset is done; we keep only A20.
  value_ = static_cast<uint8_t>(value & ~0x01u);
  if (a20_ && ((old ^ value_) & 0x02)) a20_->set(a20_enabled());
  if (value & 0x01) {
    VX86_LOG(kLogReset, "port92: fast reset requested\n");
    system_.request_reset(ShutdownCause::kGuestReset);
  }
}

void Port92::reset() {
  value_ = 0;
  if (a20_) a20_->set(false);
}

void Port92::visit_state(StateVisitor& v) {
  v.begin("port92");
  v.field("value", value_);
  v.end();
  if (v.loading() && a20_) a20_->set(a20_enabled());
}

}  // namespace vx86
