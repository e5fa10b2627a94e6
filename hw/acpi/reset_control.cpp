#include "hw/acpi/reset_control.h"

namespace vx86 {

ResetControl::ResetControl(SystemControl& system) : Device("reset-control"), system_(system) {
  region_ = MemoryRegion::io("reset-control", 1, this, AccessLimits{1, 1, false});
}

void ResetControl::map(MemoryRegion& io_space, uint64_t port, int priority) {
  io_space.add_subregion(port, region_.get(), priority);
}

uint64_t ResetControl::read(uint64_t, unsigned) {
  return value_;
}

void ResetControl::write(uint64_t, uint64_t value, unsigned) {
  value_ = static_cast<uint8_t>(value & (kSysRst | kFullRst));
  if (value & kRstCpu) system_.request_reset(ShutdownCause::kGuestReset);
}

void ResetControl::visit_state(StateVisitor& v) {
  v.begin("reset-control");
  v.field("value", value_);
  v.end();
}

}  // namespace vx86
