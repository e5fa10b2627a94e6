// QEMU's usb-hub (0409:55aa): a full-speed hub with eight ports, which
// vx86, as QEMU, also plugs in by itself when a device takes a bus's last
// free port, so that more devices fit. USB 2.0 chapter 11: the hub
// descriptor, port status and features (power, reset, enable, suspend),
// and a status-change endpoint that names the ports with news.
#pragma once

#include <array>
#include <cstdint>

#include "hw/usb/usb_device.h"

namespace vx86 {

class UsbBus;

class UsbHub : public UsbDevice {
 public:
  static constexpr unsigned kPorts = 8;

  UsbHub();

  // Adds the hub's ports to bus (paths "PATH.1" to "PATH.8", PATH being the
  // hub's own port); call once the hub is attached at path.
  void add_ports(UsbBus& bus, const std::string& path);

  void bus_reset() override;
  UsbDevice* find_downstream(uint8_t address) override;

 protected:
  const std::vector<uint8_t>& device_descriptor() const override;
  const std::vector<uint8_t>& configuration_descriptor() const override;
  std::optional<std::string> string(unsigned index) const override;
  std::optional<std::vector<uint8_t>> class_request(const Setup& setup,
                                                    std::span<const uint8_t> out) override;
  UsbResult data_in(uint8_t endpoint, std::span<uint8_t> buffer) override;

 private:
  struct Port {
    UsbDevice* device = nullptr;
    uint16_t status = 0;
    uint16_t change = 0;
  };
  std::optional<std::vector<uint8_t>> port_request(const Setup& setup);
  std::array<Port, kPorts> ports_{};
};

}  // namespace vx86
