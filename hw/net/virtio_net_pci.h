// virtio-net-pci: a VirtioNet behind the transitional virtio PCI transport
// (1af4:1000, subsystem 1af4:0001, class 02 00 00 as QEMU), with MSI-X
// vectors for its receive and transmit queues and configuration changes
// unless told otherwise (vectors=0: INTx only).
#pragma once

#include <memory>

#include "hw/net/virtio_net.h"
#include "hw/virtio/virtio_pci.h"

namespace vx86 {

constexpr unsigned kVirtioNetPciVectors = 3;

inline std::unique_ptr<VirtioPci> make_virtio_net_pci(NetBackend* backend, MacAddress mac,
                                                      unsigned msix_vectors = kVirtioNetPciVectors,
                                                      bool express = false) {
  return std::make_unique<VirtioPci>("virtio-net-pci", std::make_unique<VirtioNet>(backend, mac),
                                     0x020000, msix_vectors, express);
}

}  // namespace vx86
