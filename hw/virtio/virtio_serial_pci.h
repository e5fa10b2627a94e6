// virtio-serial-pci: a VirtioSerial behind the transitional virtio PCI
// transport (1af4:1003, subsystem 1af4:0003, class 07 80 00 as QEMU), with
// one MSI-X vector per port plus one by default (QEMU's max_ports + 1).
#pragma once

#include <memory>
#include <string>

#include "hw/virtio/virtio_pci.h"
#include "hw/virtio/virtio_serial.h"

namespace vx86 {

inline std::unique_ptr<VirtioPci> make_virtio_serial_pci(std::string bus_name, uint32_t max_ports,
                                                         bool emergency_write,
                                                         unsigned msix_vectors,
                                                         bool express = false) {
  return std::make_unique<VirtioPci>(
      "virtio-serial-pci",
      std::make_unique<VirtioSerial>(std::move(bus_name), max_ports, emergency_write), 0x078000,
      msix_vectors, express);
}

}  // namespace vx86
