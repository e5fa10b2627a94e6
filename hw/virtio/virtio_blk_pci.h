// virtio-blk-pci: a VirtioBlk behind the transitional virtio PCI transport
// (1af4:1001, subsystem 1af4:0002, class 01 00 00 as QEMU), with MSI-X
// vectors for its request queue and configuration changes unless told
// otherwise (vectors=0: INTx only).
#pragma once

#include <memory>
#include <string>

#include "hw/virtio/virtio_blk.h"
#include "hw/virtio/virtio_pci.h"

namespace vx86 {

constexpr unsigned kVirtioBlkPciVectors = 2;

inline std::unique_ptr<VirtioPci> make_virtio_blk_pci(DriveBackend& drive, std::string serial = "",
                                                      unsigned msix_vectors = kVirtioBlkPciVectors,
                                                      bool express = false) {
  return std::make_unique<VirtioPci>("virtio-blk-pci",
                                     std::make_unique<VirtioBlk>(drive, std::move(serial)),
                                     0x010000, msix_vectors, express);
}

}  // namespace vx86
