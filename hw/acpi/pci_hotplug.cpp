#include "hw/acpi/pci_hotplug.h"

#include "core/log.h"

namespace vx86 {

AcpiPciHotplug::AcpiPciHotplug(std::function<void()> raise_event,
                               std::function<void(unsigned slot)> eject)
    : Device("acpi-pci-hotplug"), raise_event_(std::move(raise_event)), eject_(std::move(eject)) {
  region_ = MemoryRegion::io("acpi-pci-hotplug", kLength, this, AccessLimits{4, 4, false});
}

void AcpiPciHotplug::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

void AcpiPciHotplug::device_plugged(unsigned slot) {
  up_ |= 1u << slot;
  down_ &= ~(1u << slot);
  if (raise_event_) raise_event_();
}

void AcpiPciHotplug::request_unplug(unsigned slot) {
  down_ |= 1u << slot;
  if (raise_event_) raise_event_();
}

uint64_t AcpiPciHotplug::read(uint64_t offset, unsigned) {
  switch (offset) {
    case kUp: {
      // Cleared by reading, as QEMU's: the guest's handler reads it once per
      // event and a slot is announced once.
      const uint32_t up = up_;
      up_ = 0;
      return up;
    }
    case kDown:
      return down_;
    case kRemovable:
      return removable_;
    default:
      return 0;
  }
}

void AcpiPciHotplug::write(uint64_t offset, uint64_t value, unsigned) {
  if (offset != kEject) {
    VX86_LOG(kLogGuestErrors, "acpi-pci-hotplug: write of %#llx to read-only offset %#llx\n",
             static_cast<unsigned long long>(value), static_cast<unsigned long long>(offset));
    return;
  }
  for (unsigned slot = 0; slot < 32; ++slot) {
    if (!((value >> slot) & 1)) continue;
    if (!((removable_ >> slot) & 1)) {
      VX86_LOG(kLogGuestErrors, "acpi-pci-hotplug: eject of slot %u, which is not hot-pluggable\n",
               slot);
      continue;
    }
    down_ &= ~(1u << slot);
    if (eject_) eject_(slot);
  }
}

void AcpiPciHotplug::reset() {
  up_ = 0;
  down_ = 0;
}

void AcpiPciHotplug::visit_state(StateVisitor& v) {
  v.begin("acpi-pci-hotplug");
  v.field("up", up_);
  v.field("down", down_);
  v.end();
}

}  // namespace vx86
