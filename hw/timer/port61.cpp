#include "hw/timer/port61.h"

namespace vx86 {

namespace {
// The refresh request bit toggles once per DRAM refresh cycle.
constexpr int64_t kRefreshPeriodNs = 15085;
}  // namespace

Port61::Port61(I8254& pit) : Device("port61"), pit_(pit) {
  region_ = MemoryRegion::io("port61", 1, this, AccessLimits{1, 1, false});
}

void Port61::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

uint64_t Port61::read(uint64_t offset, unsigned size) {
  int64_t now = pit_.clocks().now(ClockType::kVirtual);
  uint8_t v = value_ & 0x0f;
  if ((now / kRefreshPeriodNs) & 1) v |= 0x10;
  if (pit_.output(2)) v |= 0x20;
  return v;
}

void Port61::write(uint64_t offset, uint64_t value, unsigned size) {
  value_ = static_cast<uint8_t>(value & 0x0f);
  pit_.set_gate(2, value_ & 0x01);
}

void Port61::reset() {
  value_ = 0;
  pit_.set_gate(2, false);
}

void Port61::visit_state(StateVisitor& v) {
  v.begin("port61");
  v.field("value", value_);
  v.end();
}

}  // namespace vx86
