// -device ide-hd / ide-cd: a disk or CD-ROM drive on a channel of the PIIX3's
// IDE function. The channel does the work; this names the drive's place for
// device ids and bootindex.
#pragma once

#include "core/device.h"

namespace vx86 {

class IdeDevice : public Device {
 public:
  IdeDevice(bool cdrom, unsigned bus, unsigned unit)
      : Device(cdrom ? "ide-cd" : "ide-hd"), bus_(bus), unit_(unit) {}
  unsigned bus() const { return bus_; }
  unsigned unit() const { return unit_; }

 private:
  unsigned bus_, unit_;
};

}  // namespace vx86
