// Input from the user (the window, QMP's input-send-event and send-key) as
// QEMU describes it, and its routing to the guest's input devices as QEMU's
// input core does it: devices queue up as they are made, one that the guest
// starts to use (a USB tablet it polls) moves to the front, and each event
// goes to the first device that takes its kind. So a tablet gets absolute
// moves and buttons once the guest reads it, the PS/2 mouse keeps relative
// moves, and `mouse_set` picks the mouse by hand.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vx86 {

enum class InputButton : uint8_t {
  kLeft,
  kMiddle,
  kRight,
  kWheelUp,
  kWheelDown,
  kSide,
  kExtra,
  kWheelLeft,
  kWheelRight,
};
enum class InputAxis : uint8_t { kX, kY };

// Absolute positions run from 0 to this (QEMU's INPUT_EVENT_ABS_MAX): the
// left or top edge of the screen to the right or bottom one.
constexpr int kInputAbsoluteMax = 0x7fff;

// A position on a screen of `size` pixels as an absolute input value.
int input_absolute_position(int at, int size);

struct InputEvent {
  enum class Kind : uint8_t { kKey, kButton, kRelative, kAbsolute };
  Kind kind = Kind::kKey;
  bool down = false;     // kKey, kButton
  uint16_t key = 0;      // kKey: a USB HID keyboard usage (page 7)
  InputButton button{};  // kButton
  InputAxis axis{};      // kRelative, kAbsolute
  int value = 0;         // kRelative: pixels; kAbsolute: 0..kInputAbsoluteMax

  static InputEvent key_event(uint16_t usage, bool down);
  static InputEvent button_event(InputButton button, bool down);
  static InputEvent relative(InputAxis axis, int value);
  static InputEvent absolute(InputAxis axis, int value);
};

constexpr unsigned input_kind_bit(InputEvent::Kind kind) {
  return 1u << static_cast<int>(kind);
}

// A guest input device. Events arrive in groups (one QMP command, one window
// event); sync ends a group, when a device sends what it gathered (one USB
// report, one PS/2 packet).
class InputHandler {
 public:
  virtual ~InputHandler() = default;
  // What the monitor's info mice calls it ("QEMU HID Tablet").
  virtual const char* input_name() const = 0;
  // The kinds taken, as input_kind_bit()s.
  virtual unsigned input_kinds() const = 0;
  virtual void input_event(const InputEvent& event) = 0;
  virtual void input_sync() = 0;
};

class InputRouter {
 public:
  // Queues a handler behind the others (in front with `active`); it gets
  // the next index (QEMU numbers the PS/2 keyboard 1 and its mouse 2).
  void add(InputHandler* handler, bool active = false);
  void remove(InputHandler* handler);
  // Moves a handler to the front: the guest started to use it.
  void activate(InputHandler* handler);
  // QMP query-mice / info mice: the pointing devices, as QEMU lists them.
  struct Mouse {
    unsigned index;
    std::string name;
    bool current;  // where pointer events go now
    bool absolute;
  };
  std::vector<Mouse> mice() const;
  // mouse_set INDEX: that mouse first; "" or QEMU's complaint.
  std::string select_mouse(unsigned index);
  // Gives each event to the first handler taking its kind (events nobody
  // takes are dropped), then syncs every handler that got one.
  void send(std::span<const InputEvent> events);
  // Whether some handler takes absolute moves (the window then sends the
  // pointer's position instead of its motion).
  bool takes(InputEvent::Kind kind) const;

 private:
  InputHandler* handler_for(InputEvent::Kind kind) const;
  struct Entry {
    InputHandler* handler;
    unsigned index;
  };
  std::vector<Entry> handlers_;  // the first takes the events of its kinds
  unsigned next_index_ = 1;
};

}  // namespace vx86
