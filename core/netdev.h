// A network backend (-netdev): where a NIC's frames go and where the frames
// for the guest come from. Frames are whole Ethernet frames without the FCS.
// The NIC sends from whatever thread runs it (holding the device lock); the
// backend hands frames to the NIC on the main loop, so the NIC sees them
// under the device lock like any other device event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace vx86 {

class NetBackend {
 public:
  using Receiver = std::function<void(const uint8_t* frame, std::size_t len)>;

  virtual ~NetBackend() = default;
  virtual const std::string& id() const = 0;
  // The NIC attached to this backend (one per backend, as QEMU's -netdev).
  virtual void set_receiver(Receiver receiver) = 0;
  // A frame from the guest; may drop it (as a real network may).
  virtual void send(const uint8_t* frame, std::size_t len) = 0;
  // One line for `info network`.
  virtual std::string describe() const = 0;
  // The monitor's hostfwd_add / hostfwd_remove; "" or what went wrong.
  virtual std::string add_host_forward(const std::string& rule) {
    return "netdev '" + id() + "' does not forward ports";
  }
  virtual std::string remove_host_forward(const std::string& rule) {
    return "netdev '" + id() + "' does not forward ports";
  }
};

}  // namespace vx86
