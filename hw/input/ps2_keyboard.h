// PS/2 (MF2) keyboard: answers the host's commands and turns key presses into
// scan code set 2 (or set 1 when the guest selects it; set 3 is not
// supported and behaves as set 2).
//
// Key input API: key_event() takes USB HID keyboard usages (page 0x07), which
// are also SDL's scancode numbers, so the UI passes SDL_Scancode through.
// send_set2() injects a raw set-2 byte sequence (e.g. from a monitor
// "sendkey" that already has scan codes). There is no typematic repeat; the
// UI repeats key-down events itself if it wants to.
#pragma once

#include <cstdint>
#include <optional>

#include "core/device.h"
#include "hw/input/ps2_device.h"

namespace vx86 {

// The 8042's set 2 -> set 1 translation of one byte (F0 prefixes are handled
// by the caller: the byte after F0 is translated and ORed with 0x80).
uint8_t ps2_translate_set2_to_set1(uint8_t code);

// The USB HID usage of a key by QEMU's "number" key code (its XT scan code:
// the set 1 make code, with 0x80 added for E0-prefixed keys), or nothing for
// a number no key has.
std::optional<uint16_t> hid_usage_of_key_number(unsigned number);

class Ps2Keyboard : public Device, public Ps2Device {
 public:
  Ps2Keyboard();

  void write_from_host(uint8_t byte) override;

  // A key went down or up. usage: USB HID keyboard usage (0x04 = A ... 0xE7 =
  // right GUI). Unknown usages are ignored. Returns whether it was known.
  bool key_event(uint16_t hid_usage, bool down);
  // Raw set-2 bytes, as if from the key matrix.
  void send_set2(const uint8_t* bytes, std::size_t len);

  uint8_t leds() const { return leds_; }  // bit 0 scroll, 1 num, 2 caps lock
  int scancode_set() const { return scancode_set_; }
  bool scanning() const { return scanning_ != 0; }
  uint8_t typematic() const { return typematic_; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  void set_defaults();
  void emit_set2(const uint8_t* bytes, std::size_t len);

  uint8_t scancode_set_ = 2;
  uint8_t scanning_ = 1;
  uint8_t leds_ = 0;
  uint8_t typematic_ = 0x2b;     // 10.9 cps, 500 ms
  uint8_t pending_command_ = 0;  // command waiting for its argument (ED, F0, F3)
};

}  // namespace vx86
