#include "hw/acpi/pci_hotplug.h"

#include <string>

#include "core/log.h"

namespace vx86 {

AcpiPciHotplug::AcpiPciHotplug(std::function<void()> raise_event,
                               std::function<void(unsigned, unsigned)> eject)
    : Device("acpi-pci-hotplug"), raise_event_(std::move(raise_event)), eject_(std::move(eject)) {
  region_ = MemoryRegion::io("acpi-pci-hotplug", kLength, this, AccessLimits{4, 4, false});
}

void AcpiPciHotplug::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

unsigned AcpiPciHotplug::add_bus(uint32_t slots) {
  buses_.push_back(Bus{slots, 0, 0});
  return static_cast<unsigned>(buses_.size() - 1);
}

void AcpiPciHotplug::device_plugged(unsigned bsel, unsigned slot) {
  Bus& bus = buses_.at(bsel);
  bus.up |= 1u << slot;
  bus.down &= ~(1u << slot);
  if (raise_event_) raise_event_();
}

void AcpiPciHotplug::request_unplug(unsigned bsel, unsigned slot) {
  buses_.at(bsel).down |= 1u << slot;
  if (raise_event_) raise_event_();
}

AcpiPciHotplug::Bus* AcpiPciHotplug::selected() {
  return bus_select_ < buses_.size() ? &buses_[bus_select_] : nullptr;
}

uint64_t AcpiPciHotplug::read(uint64_t offset, unsigned) {
  if (offset == kBusSelect) return bus_select_;
  Bus* bus = selected();
  if (!bus) return 0;
  switch (offset) {
    case kUp: {
      // Cleared by reading, as QEMU's: the guest's handler reads it once per
      // event and a slot is announced once.
      const uint32_t up = bus->up;
      bus->up = 0;
      return up;
    }
    case kDown:
      return bus->down;
    case kRemovable:
      return bus->removable;
    default:
      return 0;
  }
}

void AcpiPciHotplug::write(uint64_t offset, uint64_t value, unsigned) {
  if (offset == kBusSelect) {
    bus_select_ = static_cast<uint32_t>(value);
    return;
  }
  if (offset == kAcpiIndex) return;  // QEMU's device index lookup: nothing to find
  if (offset != kEject) {
    VX86_LOG(kLogGuestErrors, "acpi-pci-hotplug: write of %#llx to read-only offset %#llx\n",
             static_cast<unsigned long long>(value), static_cast<unsigned long long>(offset));
    return;
  }
  Bus* bus = selected();
  if (!bus) {
    VX86_LOG(kLogGuestErrors, "acpi-pci-hotplug: eject on bus select %u, which has no hot-plug\n",
             bus_select_);
    return;
  }
  for (unsigned slot = 0; slot < 32; ++slot) {
    if (!((value >> slot) & 1)) continue;
    if (!((bus->removable >> slot) & 1)) {
      VX86_LOG(kLogGuestErrors,
               "acpi-pci-hotplug: eject of slot %u (bus select %u), which is not hot-pluggable\n",
               slot, bus_select_);
      continue;
    }
    bus->down &= ~(1u << slot);
    if (eject_) eject_(bus_select_, slot);
  }
}

void AcpiPciHotplug::reset() {
  for (Bus& bus : buses_) bus.up = bus.down = 0;
  bus_select_ = 0;
}

void AcpiPciHotplug::visit_state(StateVisitor& v) {
  v.begin("acpi-pci-hotplug");
  for (std::size_t i = 0; i < buses_.size(); ++i) {
    Bus& bus = buses_[i];
    v.begin("bus" + std::to_string(i));
    v.field("up", bus.up);
    v.field("down", bus.down);
    v.end();
  }
  v.field("bus_select", bus_select_);
  v.end();
}

}  // namespace vx86
