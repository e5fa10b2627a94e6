// The PIIX3 IDE function (01.1, 8086:7010) in legacy mode: two channels at the
// ISA addresses (0x1f0-0x1f7 / 0x3f6 on IRQ 14, 0x170-0x177 / 0x376 on
// IRQ 15) and a bus-master DMA engine per channel in BAR4 (command, status,
// PRD table address). IDETIM (0x40/0x42) starts with decode enabled, as
// SeaBIOS leaves it, since vx86 boots kernels without firmware.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/irq.h"
#include "core/memory.h"
#include "hw/ide/ide_channel.h"
#include "hw/ide/ide_controller.h"
#include "hw/isa/isa_bus.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class PiixIde : public PciDevice, public IdeController {
 public:
  static constexpr unsigned kIdeTim = 0x40;  // primary 0x40-0x41, secondary 0x42-0x43
  static constexpr unsigned kBusMasterBar = 4;

  // Maps the legacy ports into isa.io and drives isa.irqs[14] and [15].
  explicit PiixIde(IsaBus& isa);
  ~PiixIde() override;

  // index 0-3: primary master, primary slave, secondary master, secondary slave.
  void attach(unsigned index, DriveBackend* drive, IdeChannel::Media media);
  IdeChannel& channel(unsigned n) { return *channels_[n]; }

  // IdeController: buses ide.0 and ide.1, units 0 (master) and 1 (slave).
  unsigned buses() const override { return 2; }
  unsigned units_per_bus() const override { return 2; }
  IdeChannel::Media media(unsigned bus, unsigned unit) const override {
    return channels_[bus]->media(unit);
  }
  void attach(unsigned bus, unsigned unit, DriveBackend* drive, IdeChannel::Media media) override {
    attach(bus * 2 + unit, drive, media);
  }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  class BusMaster;
  class Ports;

  std::array<IrqLine*, 2> irqs_;
  std::array<std::unique_ptr<BusMaster>, 2> bus_masters_;
  std::array<std::unique_ptr<IdeChannel>, 2> channels_;
  std::unique_ptr<Ports> ports_;
  std::unique_ptr<MemoryRegion> bm_region_;
  std::array<std::unique_ptr<MemoryRegion>, 4> legacy_regions_;
};

}  // namespace vx86
