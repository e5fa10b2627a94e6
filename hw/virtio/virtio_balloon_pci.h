// virtio-balloon-pci: a VirtioBalloon behind the transitional virtio PCI
// transport (1af4:1002, subsystem 1af4:0005, class ff 00 00 as QEMU).
#pragma once

#include <memory>

#include "hw/virtio/virtio_balloon.h"
#include "hw/virtio/virtio_pci.h"

namespace vx86 {

inline std::unique_ptr<VirtioPci> make_virtio_balloon_pci(uint64_t ram_size, bool express = false) {
  // No MSI-X, as QEMU's virtio-balloon-pci (vectors=0): INTx.
  return std::make_unique<VirtioPci>(
      "virtio-balloon-pci", std::make_unique<VirtioBalloon>(ram_size), 0x00ff00, 0, express);
}

}  // namespace vx86
