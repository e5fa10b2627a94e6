#include "hw/usb/usb_hub.h"

#include <algorithm>

#include "hw/usb/usb_bus.h"
#include "hw/usb/usb_requests.h"

namespace vx86 {

namespace {

// Port status (wPortStatus) and change (wPortChange) bits, USB 2.0 11.24.2.7.
constexpr uint16_t kPortConnection = 1 << 0, kPortEnable = 1 << 1, kPortSuspend = 1 << 2,
                   kPortReset = 1 << 4, kPortPower = 1 << 8;
// Features (11.24.2): hub and port selectors.
enum : uint16_t {
  kFeaturePortEnable = 1,
  kFeaturePortSuspend = 2,
  kFeaturePortReset = 4,
  kFeaturePortPower = 8,
  kFeatureChangeConnection = 16,
  kFeatureChangeEnable = 17,
  kFeatureChangeSuspend = 18,
  kFeatureChangeOverCurrent = 19,
  kFeatureChangeReset = 20,
};
constexpr uint8_t kDescriptorHub = 0x29;

}  // namespace

UsbHub::UsbHub() : UsbDevice("usb-hub") {
  for (Port& p : ports_) p.status = kPortPower;  // powered from the start, as QEMU's
}

void UsbHub::add_ports(UsbBus& bus, const std::string& path) {
  for (unsigned i = 0; i < kPorts; ++i) {
    bus.add_port(path + "." + std::to_string(i + 1), [this, i](UsbDevice* device) {
      Port& port = ports_[i];
      port.device = device;
      if (device) {
        port.status |= kPortConnection;
      } else {  // unplugged
        port.status &= ~(kPortConnection | kPortEnable | kPortSuspend);
      }
      port.change |= kPortConnection;
    });
  }
}

void UsbHub::bus_reset() {
  UsbDevice::bus_reset();
  for (Port& p : ports_) {
    p.status = static_cast<uint16_t>(kPortPower | (p.device ? kPortConnection : 0));
    p.change = p.device ? kPortConnection : 0;
    if (p.device) p.device->bus_reset();
  }
}

UsbDevice* UsbHub::find_downstream(uint8_t address) {
  for (Port& p : ports_) {
    if (!p.device || (p.status & (kPortEnable | kPortSuspend)) != kPortEnable) continue;
    if (p.device->address() == address) return p.device;
    if (UsbDevice* d = p.device->find_downstream(address)) return d;
  }
  return nullptr;
}

const std::vector<uint8_t>& UsbHub::device_descriptor() const {
  static const std::vector<uint8_t> kDescriptor = {
      18,   1,    0x10, 0x01,  // USB 1.1
      0x09, 0,    0,    8,     // hub class; endpoint 0 takes 8 bytes
      0x09, 0x04, 0xaa, 0x55,  // QEMU's hub: 0409:55aa, release 1.01
      0x01, 0x01, 1,    2,    3, 1};
  return kDescriptor;
}

const std::vector<uint8_t>& UsbHub::configuration_descriptor() const {
  static const std::vector<uint8_t> kDescriptor = {
      9, 2,   25,   0, 1,
      1, 0,   0xe0, 0,  // self powered, remote wakeup, no bus power
      9, 4,   0,    0, 1,
      9, 0,   0,    0,  // interface 0: hub class
      7, 5,   0x81, 3, static_cast<uint8_t>((kPorts + 1 + 7) / 8),
      0, 0xff};  // status change: interrupt IN
  return kDescriptor;
}

std::optional<std::string> UsbHub::string(unsigned index) const {
  switch (index) {
    case 1:
      return "QEMU";
    case 2:
      return "QEMU USB Hub";
    case 3:
      return "314159" + (location().empty() ? "" : "-" + location());
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<uint8_t>> UsbHub::class_request(const Setup& setup,
                                                          std::span<const uint8_t>) {
  using namespace usb;
  if ((setup.request_type & kTypeMask) != kTypeClass) return std::nullopt;
  // To the hub itself, or to one of its ports ("other").
  const uint8_t recipient = setup.request_type & kRecipientMask;
  if (recipient == kRecipientOther) return port_request(setup);
  if (recipient != kRecipientDevice) return std::nullopt;
  switch (setup.request) {
    case kGetDescriptor: {
      if (setup.value >> 8 != kDescriptorHub) return std::nullopt;
      constexpr unsigned kBitmapBytes = (kPorts + 1 + 7) / 8;
      std::vector<uint8_t> d = {static_cast<uint8_t>(7 + 2 * kBitmapBytes),
                                kDescriptorHub,
                                kPorts,
                                0x0a,
                                0x00,         // per-port power switching and over-current
                                1,            // power good 2 ms after power on
                                0};           // the hub's controller takes no current
      d.insert(d.end(), kBitmapBytes, 0x00);  // every port removable
      d.insert(d.end(), kBitmapBytes, 0xff);  // PortPwrCtrlMask (USB 1.1: all ones)
      return d;
    }
    case kGetStatus:
      return std::vector<uint8_t>{0, 0, 0, 0};
    case kClearFeature:
      return std::vector<uint8_t>{};  // C_HUB_LOCAL_POWER, C_HUB_OVER_CURRENT
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<uint8_t>> UsbHub::port_request(const Setup& setup) {
  using namespace usb;
  if (setup.index < 1 || setup.index > kPorts) return std::nullopt;
  Port& port = ports_[setup.index - 1];
  switch (setup.request) {
    case kGetStatus:
      return std::vector<uint8_t>{
          static_cast<uint8_t>(port.status), static_cast<uint8_t>(port.status >> 8),
          static_cast<uint8_t>(port.change), static_cast<uint8_t>(port.change >> 8)};
    case kSetFeature:
      switch (setup.value) {
        case kFeaturePortReset:
          // Done at once: the device is reset and the port enabled.
          if (port.device && (port.status & kPortConnection)) {
            port.device->bus_reset();
            port.status = static_cast<uint16_t>((port.status & ~kPortReset) | kPortEnable);
            port.change |= kPortReset;
          }
          return std::vector<uint8_t>{};
        case kFeaturePortSuspend:
          port.status |= kPortSuspend;
          return std::vector<uint8_t>{};
        case kFeaturePortPower:
          port.status |= kPortPower;
          return std::vector<uint8_t>{};
        case kFeaturePortEnable:
          if (port.status & kPortConnection) port.status |= kPortEnable;
          return std::vector<uint8_t>{};
        default:
          return std::nullopt;
      }
    case kClearFeature:
      switch (setup.value) {
        case kFeaturePortEnable:
          port.status &= ~kPortEnable;
          break;
        case kFeaturePortSuspend:
          port.status &= ~kPortSuspend;
          break;
        case kFeaturePortPower:
          port.status &= ~(kPortPower | kPortEnable);
          break;
        case kFeatureChangeConnection:
          port.change &= ~kPortConnection;
          break;
        case kFeatureChangeEnable:
          port.change &= ~kPortEnable;
          break;
        case kFeatureChangeSuspend:
          port.change &= ~kPortSuspend;
          break;
        case kFeatureChangeOverCurrent:
          break;
        case kFeatureChangeReset:
          port.change &= ~kPortReset;
          break;
        default:
          return std::nullopt;
      }
      return std::vector<uint8_t>{};
    default:
      return std::nullopt;
  }
}

UsbResult UsbHub::data_in(uint8_t endpoint, std::span<uint8_t> buffer) {
  if (endpoint != 1) return {UsbResult::kStall, 0};
  // Bit N: port N has a change to report (bit 0, the hub itself: never).
  uint16_t bitmap = 0;
  for (unsigned i = 0; i < kPorts; ++i) {
    if (ports_[i].change) bitmap |= static_cast<uint16_t>(1u << (i + 1));
  }
  if (!bitmap) return {UsbResult::kNak, 0};
  const std::size_t n = std::min<std::size_t>(buffer.size(), (kPorts + 1 + 7) / 8);
  for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<uint8_t>(bitmap >> (8 * i));
  return {UsbResult::kAck, n};
}

}  // namespace vx86
