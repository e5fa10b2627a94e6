// MSI for a PCI function (PCI Local Bus Specification 3.0, 6.8.1): the
// capability with one message, 64-bit addresses and no per-vector masking,
// as QEMU gives its ich9-ahci. While the guest has it enabled, the
// function's interrupt is a message (a bus-master write of the data to the
// address, PciDevice::send_msi) instead of INTx.
#pragma once

#include <cstdint>

namespace vx86 {

class PciDevice;

class PciMsi {
 public:
  // Adds the capability to dev (before it is attached to a bus).
  // offset: where the capability goes (0: after the others).
  explicit PciMsi(PciDevice& dev, uint8_t offset = 0);

  uint8_t capability() const { return cap_; }
  bool enabled() const;
  // Sends the message (ignored while MSI is disabled).
  void notify();
  void reset();

 private:
  PciDevice& dev_;
  uint8_t cap_ = 0;
};

}  // namespace vx86
