#include "hw/char/isa_debugcon.h"

namespace vx86 {

IsaDebugcon::IsaDebugcon(Chardev* chardev, uint8_t readback)
    : Device("isa-debugcon"), chardev_(chardev), readback_(readback) {
  // One byte port; a wider access writes its low byte, as QEMU's does.
  region_ = MemoryRegion::io("isa-debugcon", 1, this, AccessLimits{1, 1, false});
  // A chardev some other frontend (a serial port) already has is shared.
  if (chardev_ && !chardev_->frontend()) chardev_->set_frontend(this);
}

IsaDebugcon::~IsaDebugcon() {
  if (chardev_ && chardev_->frontend() == this) chardev_->set_frontend(nullptr);
  if (region_->parent()) region_->parent()->remove_subregion(region_.get());
}

void IsaDebugcon::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

uint64_t IsaDebugcon::read(uint64_t, unsigned) {
  return readback_;
}

void IsaDebugcon::write(uint64_t, uint64_t value, unsigned) {
  if (!chardev_) return;
  const uint8_t byte = static_cast<uint8_t>(value);
  chardev_->write(&byte, 1);
}

}  // namespace vx86
