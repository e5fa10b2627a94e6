// QEMU's names for keys (its QKeyCode values: "a", "ret", "ctrl", "kp_1",
// "f12"...), as the monitor's sendkey and QMP's send-key take them, and the
// USB HID keyboard usages (page 7) vx86's keyboards take.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vx86 {

struct KeyName {
  const char* name;
  uint16_t hid_usage;
};

// Every name vx86 knows.
std::span<const KeyName> key_names();
// The usage of a key by QEMU's name, or nothing for a name vx86 does not know.
std::optional<uint16_t> hid_usage_of_key(std::string_view name);

}  // namespace vx86
