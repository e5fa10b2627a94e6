// The PS/2 keyboard and mouse as input handlers (core/input.h): keys go to
// the keyboard; buttons and relative moves of one group become one mouse
// report. The wheel buttons turn the wheel one step per press.
#pragma once

#include <cstdint>

#include "core/input.h"

namespace vx86 {

class Ps2Keyboard;
class Ps2Mouse;

class Ps2KeyboardInput : public InputHandler {
 public:
  explicit Ps2KeyboardInput(Ps2Keyboard& keyboard) : keyboard_(keyboard) {}
  const char* input_name() const override { return "QEMU PS/2 Keyboard"; }
  unsigned input_kinds() const override { return input_kind_bit(InputEvent::Kind::kKey); }
  void input_event(const InputEvent& event) override;
  void input_sync() override {}

 private:
  Ps2Keyboard& keyboard_;
};

class Ps2MouseInput : public InputHandler {
 public:
  explicit Ps2MouseInput(Ps2Mouse& mouse) : mouse_(mouse) {}
  const char* input_name() const override { return "QEMU PS/2 Mouse"; }
  unsigned input_kinds() const override {
    return input_kind_bit(InputEvent::Kind::kButton) | input_kind_bit(InputEvent::Kind::kRelative);
  }
  void input_event(const InputEvent& event) override;
  void input_sync() override;

 private:
  Ps2Mouse& mouse_;
  uint8_t buttons_ = 0;  // Ps2Mouse::kButton*
  int dx_ = 0, dy_ = 0, dz_ = 0;
};

}  // namespace vx86
