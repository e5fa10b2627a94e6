#include "hw/usb/usb_device.h"

#include <algorithm>

#include "core/log.h"
#include "core/state.h"
#include "hw/usb/usb_requests.h"

namespace vx86 {

namespace {

using namespace usb;

constexpr uint16_t kFeatureRemoteWakeup = 1;
constexpr uint16_t kLanguageEnglishUs = 0x0409;

// A string descriptor: UTF-16LE of an ASCII string.
std::vector<uint8_t> string_descriptor(const std::string& text) {
  std::vector<uint8_t> d = {static_cast<uint8_t>(std::min<std::size_t>(2 + 2 * text.size(), 254)),
                            kDescriptorString};
  for (std::size_t i = 0; i < text.size() && d.size() < 254; ++i) {
    d.push_back(static_cast<uint8_t>(text[i]));
    d.push_back(0);
  }
  return d;
}

}  // namespace

UsbDevice::UsbDevice(std::string type_name) : Device(std::move(type_name)) {}

std::string UsbDevice::product_name() const {
  std::optional<std::string> name = string(device_descriptor()[15]);
  return name ? *name : "";
}

void UsbDevice::bus_reset() {
  address_ = 0;
  address_pending_ = false;
  remote_wakeup_ = 0;
  stage_ = Stage::kIdle;
  in_.clear();
  out_.clear();
  configuration_ = 0;
}

UsbResult UsbDevice::transact(UsbPid pid, uint8_t endpoint, std::span<uint8_t> data) {
  if (endpoint == 0) return control(pid, data);
  if (configuration_ == 0) return {UsbResult::kStall, 0};
  switch (pid) {
    case UsbPid::kIn:
      return data_in(endpoint, data);
    case UsbPid::kOut:
      return data_out(endpoint, data);
    case UsbPid::kSetup:
      break;
  }
  return {UsbResult::kStall, 0};
}

UsbResult UsbDevice::control(UsbPid pid, std::span<uint8_t> data) {
  if (pid == UsbPid::kSetup) {
    // A SETUP always starts a new transfer, whatever was under way.
    if (data.size() != 8) {
      stage_ = Stage::kStalled;
      return {UsbResult::kAck, data.size()};
    }
    setup_ = {data[0], data[1], static_cast<uint16_t>(data[2] | data[3] << 8),
              static_cast<uint16_t>(data[4] | data[5] << 8),
              static_cast<uint16_t>(data[6] | data[7] << 8)};
    out_.clear();
    in_.clear();
    in_sent_ = 0;
    if (setup_.request_type & kDirectionIn) {
      std::optional<std::vector<uint8_t>> reply = run_request();
      if (!reply) {
        stage_ = Stage::kStalled;
      } else {
        in_ = std::move(*reply);
        if (in_.size() > setup_.length) in_.resize(setup_.length);
        stage_ = Stage::kDataIn;
      }
    } else {
      stage_ = setup_.length ? Stage::kDataOut : Stage::kStatusIn;
    }
    return {UsbResult::kAck, 8};
  }
  switch (stage_) {
    case Stage::kIdle:
    case Stage::kStalled:
      return {UsbResult::kStall, 0};
    case Stage::kDataIn:
      if (pid == UsbPid::kOut) {  // the status stage (possibly after a short data stage)
        stage_ = Stage::kIdle;
        return {UsbResult::kAck, 0};
      } else {
        const std::size_t n = std::min(data.size(), in_.size() - in_sent_);
        std::copy_n(in_.begin() + static_cast<std::ptrdiff_t>(in_sent_), n, data.begin());
        in_sent_ += n;
        return {UsbResult::kAck, n};
      }
    case Stage::kDataOut:
      if (pid == UsbPid::kOut) {
        const std::size_t room = setup_.length - out_.size();
        const std::size_t n = std::min(data.size(), room);
        out_.insert(out_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
        if (out_.size() == setup_.length) stage_ = Stage::kStatusIn;
        return {UsbResult::kAck, n};
      }
      [[fallthrough]];  // IN: the status stage after a short data stage
    case Stage::kStatusIn: {
      if (pid != UsbPid::kIn) return {UsbResult::kStall, 0};
      const bool ok = run_request().has_value();
      stage_ = ok ? Stage::kIdle : Stage::kStalled;
      if (!ok) return {UsbResult::kStall, 0};
      if (address_pending_) {
        address_ = pending_address_;
        address_pending_ = false;
      }
      return {UsbResult::kAck, 0};
    }
  }
  return {UsbResult::kStall, 0};
}

std::optional<std::vector<uint8_t>> UsbDevice::run_request() {
  if ((setup_.request_type & kTypeMask) == kTypeStandard) {
    std::optional<std::vector<uint8_t>> reply = standard_request();
    if (reply) return reply;
  }
  std::optional<std::vector<uint8_t>> reply = class_request(setup_, out_);
  if (!reply) {
    VX86_LOG(kLogUnimp, "%s: request %02x/%02x value %04x index %04x stalled\n",
             type_name().c_str(), setup_.request_type, setup_.request, setup_.value, setup_.index);
  }
  return reply;
}

std::optional<std::vector<uint8_t>> UsbDevice::standard_request() {
  const uint8_t recipient = setup_.request_type & kRecipientMask;
  switch (setup_.request) {
    case kGetStatus:
      if (recipient == kRecipientDevice) {
        // Self powered as the configuration says (bmAttributes bit 6).
        const bool self_powered = (configuration_descriptor()[7] & 0x40) != 0;
        return std::vector<uint8_t>{
            static_cast<uint8_t>((remote_wakeup_ ? 2 : 0) | (self_powered ? 1 : 0)), 0};
      }
      if (recipient == kRecipientInterface || recipient == kRecipientEndpoint) {
        return std::vector<uint8_t>{0, 0};
      }
      return std::nullopt;
    case kClearFeature:
    case kSetFeature:
      if (recipient == kRecipientDevice && setup_.value == kFeatureRemoteWakeup) {
        remote_wakeup_ = setup_.request == kSetFeature;
        return std::vector<uint8_t>{};
      }
      // ENDPOINT_HALT: endpoints here never halt on their own; accept it.
      if (recipient == kRecipientEndpoint && setup_.value == 0) return std::vector<uint8_t>{};
      return std::nullopt;
    case kSetAddress:
      if (setup_.value > 127) return std::nullopt;
      pending_address_ = static_cast<uint8_t>(setup_.value);
      address_pending_ = true;
      return std::vector<uint8_t>{};
    case kGetDescriptor: {
      if (recipient != kRecipientDevice) return std::nullopt;  // class descriptors
      const unsigned type = setup_.value >> 8, index = setup_.value & 0xff;
      if (type == kDescriptorDevice) return device_descriptor();
      if (type == kDescriptorConfiguration && index == 0) return configuration_descriptor();
      if (type == kDescriptorString) {
        if (index == 0) {
          return std::vector<uint8_t>{4, kDescriptorString, kLanguageEnglishUs & 0xff,
                                      kLanguageEnglishUs >> 8};
        }
        std::optional<std::string> text = string(index);
        if (text) return string_descriptor(*text);
      }
      return std::nullopt;
    }
    case kGetConfiguration:
      return std::vector<uint8_t>{configuration_};
    case kSetConfiguration: {
      const uint8_t value = configuration_descriptor()[5];
      if (setup_.value != 0 && setup_.value != value) return std::nullopt;
      configuration_ = static_cast<uint8_t>(setup_.value);
      return std::vector<uint8_t>{};
    }
    case kGetInterface:
      return std::vector<uint8_t>{0};
    case kSetInterface:
      if (setup_.value != 0) return std::nullopt;  // one alternate setting per interface
      return std::vector<uint8_t>{};
    default:
      return std::nullopt;
  }
}

void UsbDevice::visit_state(StateVisitor& v) {
  v.field("address", address_);
  v.field("configuration", configuration_);
  v.field("remote_wakeup", remote_wakeup_);
}

}  // namespace vx86
