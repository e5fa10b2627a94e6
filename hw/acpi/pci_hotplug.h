// ACPI PCI hot-plug, the register interface of QEMU's acpi-pcihp (the
// PIIX4's at 0xAE00, the ICH9's at 0xCC0): the DSDT's slot devices and GPE
// handler (hw/acpi/acpi_tables) select a bus (BNUM, the bus's "bsel"),
// read which of its slots gained a device (UP, cleared by reading) and
// which the host wants back (DOWN), and eject a slot by writing its bit to
// EJ. A change raises a general-purpose event; the guest's ACPI code then
// tells its PCI hot-plug driver (Linux's acpiphp) which slot to rescan or
// eject. The pc has bus 0 (bsel 0); the q35 each root port's bus.
//
// The controller only keeps the bits: the machine plugs and unplugs the
// functions themselves (device_add, and eject_ when the guest lets a slot go).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/memory.h"

namespace vx86 {

class AcpiPciHotplug : public Device, public IoOps {
 public:
  static constexpr uint64_t kDefaultBase = 0xAE00;  // the PIIX4's
  static constexpr uint64_t kIch9Base = 0x0CC0;     // the ICH9's
  // Register offsets (32 bits each).
  static constexpr uint64_t kUp = 0x0;          // slots with a new device; read clears
  static constexpr uint64_t kDown = 0x4;        // slots the host asked to unplug
  static constexpr uint64_t kEject = 0x8;       // written by _EJ0: a slot's bit
  static constexpr uint64_t kRemovable = 0xC;   // slots that may be hot-plugged
  static constexpr uint64_t kBusSelect = 0x10;  // BNUM: which bus the others are about
  static constexpr uint64_t kAcpiIndex = 0x14;  // QEMU's acpi-index (none here: reads 0)
  static constexpr uint64_t kLength = 0x18;

  // raise_event signals the hot-plug GPE; eject is told of each slot the
  // guest ejects (on its vCPU thread, under the device lock).
  AcpiPciHotplug(std::function<void()> raise_event,
                 std::function<void(unsigned bsel, unsigned slot)> eject);

  void map(MemoryRegion& io_space, uint64_t base = kDefaultBase);
  // A bus that takes hot-plugged devices in `slots` (bit N: slot N); its
  // bsel is the answer (0, 1... in the order added).
  unsigned add_bus(uint32_t slots);
  unsigned buses() const { return static_cast<unsigned>(buses_.size()); }
  // The slots fixed at start (the pc's follow the -device functions).
  void set_hotpluggable_slots(unsigned bsel, uint32_t slots) { buses_.at(bsel).removable = slots; }
  uint32_t hotpluggable_slots(unsigned bsel) const { return buses_.at(bsel).removable; }

  // A device went into `slot`: the guest is told to scan it.
  void device_plugged(unsigned bsel, unsigned slot);
  // device_del: the guest is asked to give `slot` back (again, if it was
  // asked before: QEMU 7.2 repeats the request too).
  void request_unplug(unsigned bsel, unsigned slot);
  bool unplug_pending(unsigned bsel, unsigned slot) const {
    return (buses_.at(bsel).down >> slot) & 1;
  }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  struct Bus {
    uint32_t removable = 0;
    // Saved state.
    uint32_t up = 0;
    uint32_t down = 0;
  };
  Bus* selected();

  std::function<void()> raise_event_;
  std::function<void(unsigned, unsigned)> eject_;
  std::unique_ptr<MemoryRegion> region_;
  std::vector<Bus> buses_;
  uint32_t bus_select_ = 0;
};

}  // namespace vx86
