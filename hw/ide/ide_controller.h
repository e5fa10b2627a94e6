// Where -drive if=ide and -device ide-hd / ide-cd put their drives: the
// PIIX's IDE function (two channels, ide.0 and ide.1, of two units each) or
// the ICH9's AHCI function (six ports, ide.0 to ide.5, of one unit each),
// as QEMU names the buses of both.
#pragma once

#include <string>

#include "hw/ide/ide_channel.h"

namespace vx86 {

class DriveBackend;

class IdeController {
 public:
  virtual ~IdeController() = default;
  virtual unsigned buses() const = 0;
  virtual unsigned units_per_bus() const = 0;
  virtual IdeChannel::Media media(unsigned bus, unsigned unit) const = 0;
  virtual void attach(unsigned bus, unsigned unit, DriveBackend* drive,
                      IdeChannel::Media media) = 0;
  // The drive's place in the firmware's boot order paths, after the
  // controller's own PCI path (QEMU's: /drive@BUS/disk@UNIT).
  static std::string drive_path(unsigned bus, unsigned unit) {
    return "/drive@" + std::to_string(bus) + "/disk@" + std::to_string(unit);
  }
};

}  // namespace vx86
