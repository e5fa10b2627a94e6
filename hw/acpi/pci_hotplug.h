// ACPI PCI hot-plug for bus 0, the register interface of QEMU's PIIX4 (at
// 0xAE00): the DSDT's slot devices and GPE handler (hw/acpi/acpi_tables)
// read which slots gained a device (UP, cleared by reading) and which the
// host wants back (DOWN), and eject a slot by writing its bit to EJ. A
// change raises a general-purpose event; the guest's ACPI code then tells
// its PCI hot-plug driver (Linux's acpiphp) which slot to rescan or eject.
//
// The controller only keeps the bits: the machine plugs and unplugs the
// functions themselves (device_add, and eject_ when the guest lets a slot go).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/device.h"
#include "core/memory.h"

namespace vx86 {

class AcpiPciHotplug : public Device, public IoOps {
 public:
  static constexpr uint64_t kDefaultBase = 0xAE00;
  // Register offsets (32 bits each).
  static constexpr uint64_t kUp = 0x0;         // slots with a new device; read clears
  static constexpr uint64_t kDown = 0x4;       // slots the host asked to unplug
  static constexpr uint64_t kEject = 0x8;      // written by _EJ0: a slot's bit
  static constexpr uint64_t kRemovable = 0xC;  // slots that may be hot-plugged
  static constexpr uint64_t kLength = 0x10;

  // raise_event signals the hot-plug GPE; eject is told of each slot the
  // guest ejects (on its vCPU thread, under the device lock).
  AcpiPciHotplug(std::function<void()> raise_event, std::function<void(unsigned slot)> eject);

  void map(MemoryRegion& io_space, uint64_t base = kDefaultBase);
  // The slots that take hot-plugged devices (bit N: slot N), fixed at start.
  void set_hotpluggable_slots(uint32_t slots) { removable_ = slots; }
  uint32_t hotpluggable_slots() const { return removable_; }

  // A device went into `slot`: the guest is told to scan it.
  void device_plugged(unsigned slot);
  // device_del: the guest is asked to give `slot` back (again, if it was
  // asked before: QEMU 7.2 repeats the request too).
  void request_unplug(unsigned slot);
  bool unplug_pending(unsigned slot) const { return (down_ >> slot) & 1; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  std::function<void()> raise_event_;
  std::function<void(unsigned slot)> eject_;
  std::unique_ptr<MemoryRegion> region_;
  uint32_t removable_ = 0;
  // Saved state.
  uint32_t up_ = 0;
  uint32_t down_ = 0;
};

}  // namespace vx86
