// X11 keysyms, which VNC clients send (RFC 6143's KeyEvent), as the USB HID
// keys of a US keyboard, as QEMU's default en-us keymap places them: a
// shifted character is the key that types it ('A' and 'a' are the same key;
// the client sends Shift itself).
#pragma once

#include <cstdint>
#include <optional>

namespace vx86 {

std::optional<uint16_t> hid_usage_of_keysym(uint32_t keysym);

}  // namespace vx86
