#include "hw/input/ps2_input.h"

#include "hw/input/ps2_keyboard.h"
#include "hw/input/ps2_mouse.h"

namespace vx86 {

void Ps2KeyboardInput::input_event(const InputEvent& event) {
  keyboard_.key_event(event.key, event.down);
}

void Ps2MouseInput::input_event(const InputEvent& event) {
  if (event.kind == InputEvent::Kind::kRelative) {
    (event.axis == InputAxis::kX ? dx_ : dy_) += event.value;
    return;
  }
  uint8_t bit = 0;
  switch (event.button) {
    case InputButton::kLeft:
      bit = Ps2Mouse::kButtonLeft;
      break;
    case InputButton::kRight:
      bit = Ps2Mouse::kButtonRight;
      break;
    case InputButton::kMiddle:
      bit = Ps2Mouse::kButtonMiddle;
      break;
    case InputButton::kWheelUp:
      dz_ -= event.down ? 1 : 0;
      return;
    case InputButton::kWheelDown:
      dz_ += event.down ? 1 : 0;
      return;
    default:
      return;  // side, extra and horizontal wheel: not on this mouse
  }
  buttons_ = event.down ? (buttons_ | bit) : (buttons_ & ~bit);
}

void Ps2MouseInput::input_sync() {
  mouse_.set_buttons(buttons_);
  if (dx_ || dy_ || dz_) mouse_.move(dx_, dy_, dz_);
  dx_ = dy_ = dz_ = 0;
}

}  // namespace vx86
