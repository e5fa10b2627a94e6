// The numbers of USB 2.0 chapter 9 that every device type uses: the fields of
// a setup packet's bmRequestType, the standard requests and the standard
// descriptor types.
#pragma once

#include <cstdint>

namespace vx86::usb {

// bmRequestType: direction, type and recipient.
constexpr uint8_t kDirectionIn = 0x80;
constexpr uint8_t kTypeMask = 0x60, kTypeStandard = 0x00, kTypeClass = 0x20;
constexpr uint8_t kRecipientMask = 0x1f, kRecipientDevice = 0, kRecipientInterface = 1,
                  kRecipientEndpoint = 2, kRecipientOther = 3;

// Standard requests (9.4).
enum : uint8_t {
  kGetStatus = 0x00,
  kClearFeature = 0x01,
  kSetFeature = 0x03,
  kSetAddress = 0x05,
  kGetDescriptor = 0x06,
  kGetConfiguration = 0x08,
  kSetConfiguration = 0x09,
  kGetInterface = 0x0a,
  kSetInterface = 0x0b,
};

// Descriptor types (9.4.3).
enum : uint8_t { kDescriptorDevice = 1, kDescriptorConfiguration = 2, kDescriptorString = 3 };

}  // namespace vx86::usb
