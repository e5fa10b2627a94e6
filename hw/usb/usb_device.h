// A USB device as its host controller sees it: an address, and endpoints that
// answer transactions (SETUP, IN, OUT tokens) with ACK and data, NAK or
// STALL. This base runs the default control pipe (endpoint 0): the three
// stages of a control transfer and the standard requests (addresses,
// descriptors, configuration, features) from the descriptors a device type
// gives; device classes add their own requests and endpoints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/device.h"

namespace vx86 {

enum class UsbPid : uint8_t { kSetup = 0x2d, kIn = 0x69, kOut = 0xe1 };

struct UsbResult {
  enum Status : uint8_t { kAck, kNak, kStall };
  Status status = kAck;
  std::size_t length = 0;  // bytes moved (for IN, written to the buffer)
};

class UsbDevice : public Device {
 public:
  explicit UsbDevice(std::string type_name);

  uint8_t address() const { return address_; }
  uint8_t configuration() const { return configuration_; }
  // The serial number string's suffix: the controller and port the device
  // hangs from ("0000:00:01.2-1"), as QEMU makes serial numbers unique.
  void set_location(std::string location) { location_ = std::move(location); }
  const std::string& location() const { return location_; }
  // What the monitor's info usb calls it (the product string, unless a
  // device type says otherwise, as QEMU's product descriptions do).
  virtual std::string product_name() const;

  // A reset on the bus (port reset, power-on): the default address, not
  // configured, no transfer under way.
  virtual void bus_reset();
  // The device with that address behind this one (a hub's), or null.
  virtual UsbDevice* find_downstream(uint8_t address) { return nullptr; }
  void reset() override { bus_reset(); }

  // One transaction to this device. For SETUP and OUT, data is what the host
  // sends; for IN, the buffer to fill (its size is the most the host takes).
  UsbResult transact(UsbPid pid, uint8_t endpoint, std::span<uint8_t> data);

  void visit_state(StateVisitor& v) override;

 protected:
  struct Setup {
    uint8_t request_type = 0;
    uint8_t request = 0;
    uint16_t value = 0;
    uint16_t index = 0;
    uint16_t length = 0;
  };
  // The device descriptor (18 bytes) and the whole first configuration.
  virtual const std::vector<uint8_t>& device_descriptor() const = 0;
  virtual const std::vector<uint8_t>& configuration_descriptor() const = 0;
  // String `index` (not 0), or nothing: the request stalls.
  virtual std::optional<std::string> string(unsigned index) const = 0;
  // A request the standard ones do not cover (class, vendor, or a
  // GET_DESCRIPTOR of another type). out is the data stage of an OUT
  // request. Returns the IN data (empty for OUT requests), or nothing to stall.
  virtual std::optional<std::vector<uint8_t>> class_request(const Setup& setup,
                                                            std::span<const uint8_t> out) {
    return std::nullopt;
  }
  // Transactions on endpoints other than 0.
  virtual UsbResult data_in(uint8_t endpoint, std::span<uint8_t> buffer) {
    return {UsbResult::kStall, 0};
  }
  virtual UsbResult data_out(uint8_t endpoint, std::span<const uint8_t> data) {
    return {UsbResult::kStall, 0};
  }

 private:
  // An IN request's status stage (an OUT token) is taken in kDataIn.
  enum class Stage : uint8_t { kIdle, kDataIn, kDataOut, kStatusIn, kStalled };
  UsbResult control(UsbPid pid, std::span<uint8_t> data);
  // Runs the request in setup_ (with out_ as its data stage): the IN data,
  // or nothing to stall.
  std::optional<std::vector<uint8_t>> run_request();
  std::optional<std::vector<uint8_t>> standard_request();

  uint8_t address_ = 0;
  uint8_t pending_address_ = 0;  // SET_ADDRESS takes effect after its status stage
  bool address_pending_ = false;
  uint8_t configuration_ = 0;
  uint8_t remote_wakeup_ = 0;
  Stage stage_ = Stage::kIdle;
  Setup setup_;
  std::vector<uint8_t> in_;  // the IN data stage
  std::size_t in_sent_ = 0;
  std::vector<uint8_t> out_;  // the OUT data stage so far
  std::string location_;
};

}  // namespace vx86
