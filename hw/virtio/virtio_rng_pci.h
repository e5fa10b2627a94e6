// virtio-rng-pci: a VirtioRng behind the transitional virtio PCI transport
// (1af4:1005, subsystem 1af4:0004, class ff 00 00 as QEMU), with MSI-X
// vectors for its queue and configuration changes unless told otherwise.
#pragma once

#include <memory>

#include "hw/virtio/virtio_pci.h"
#include "hw/virtio/virtio_rng.h"

namespace vx86 {

constexpr unsigned kVirtioRngPciVectors = 2;

inline std::unique_ptr<VirtioPci> make_virtio_rng_pci(std::shared_ptr<EntropySource> source,
                                                      unsigned msix_vectors = kVirtioRngPciVectors,
                                                      bool express = false) {
  return std::make_unique<VirtioPci>("virtio-rng-pci",
                                     std::make_unique<VirtioRng>(std::move(source)), 0x00ff00,
                                     msix_vectors, express);
}

}  // namespace vx86
