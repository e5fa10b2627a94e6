#include "hw/misc/post_port.h"

#include "core/log.h"

namespace vx86 {

PostPort::PostPort() : Device("post-port") {
  region_ = MemoryRegion::io("post", 1, this, AccessLimits{1, 1, false});
}

void PostPort::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

uint64_t PostPort::read(uint64_t offset, unsigned size) {
  return code_;
}

void PostPort::write(uint64_t offset, uint64_t value, unsigned size) {
  code_ = static_cast<uint8_t>(value);
  VX86_LOG(kLogIoport, "POST code 0x%02x\n", code_);
}

void PostPort::reset() {
  code_ = 0;
}

void PostPort::visit_state(StateVisitor& v) {
  v.begin("post-port");
  v.field("code", code_);
  v.end();
}

}  // namespace vx86
