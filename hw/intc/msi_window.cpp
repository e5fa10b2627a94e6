#include "hw/intc/msi_window.h"

#include "core/log.h"

namespace vx86 {

MsiWindow::MsiWindow(Sink sink)
    : sink_(std::move(sink)), region_(MemoryRegion::io("msi", kSize, this, {1, 4, false})) {}

MsiWindow::~MsiWindow() {
  if (region_->parent()) region_->parent()->remove_subregion(region_.get());
}

uint64_t MsiWindow::read(uint64_t offset, unsigned size) {
  VX86_LOG(kLogGuestErrors, "msi: read of %u bytes at 0x%llx\n", size,
           static_cast<unsigned long long>(kBase + offset));
  return 0;
}

void MsiWindow::write(uint64_t offset, uint64_t value, unsigned size) {
  if (size != 4) {
    VX86_LOG(kLogGuestErrors, "msi: %u-byte write at 0x%llx is not an interrupt message\n", size,
             static_cast<unsigned long long>(kBase + offset));
    return;
  }
  if (sink_) sink_(kBase + offset, static_cast<uint32_t>(value));
}

}  // namespace vx86
