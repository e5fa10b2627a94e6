// What the machine and the monitor see of a network card whatever its model
// (info network, set_link): its MAC address, its backend and its link.
#pragma once

#include <array>
#include <cstdint>

#include "core/netdev.h"

namespace vx86 {

using MacAddress = std::array<uint8_t, 6>;

class NetworkCard {
 public:
  virtual ~NetworkCard() = default;
  // The -device type name (QEMU's model= in info network).
  virtual const char* model() const = 0;
  virtual const MacAddress& mac() const = 0;
  // nullptr: not connected to a backend.
  virtual const NetBackend* backend() const = 0;
  virtual bool link_up() const = 0;
  // QMP set_link: the guest sees the carrier change (under the device lock).
  virtual void set_link(bool up) = 0;
};

}  // namespace vx86
