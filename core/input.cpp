#include "core/input.h"

#include <algorithm>

namespace vx86 {

InputEvent InputEvent::key_event(uint16_t usage, bool down) {
  InputEvent e;
  e.kind = Kind::kKey;
  e.key = usage;
  e.down = down;
  return e;
}

InputEvent InputEvent::button_event(InputButton button, bool down) {
  InputEvent e;
  e.kind = Kind::kButton;
  e.button = button;
  e.down = down;
  return e;
}

InputEvent InputEvent::relative(InputAxis axis, int value) {
  InputEvent e;
  e.kind = Kind::kRelative;
  e.axis = axis;
  e.value = value;
  return e;
}

InputEvent InputEvent::absolute(InputAxis axis, int value) {
  InputEvent e;
  e.kind = Kind::kAbsolute;
  e.axis = axis;
  e.value = std::clamp(value, 0, kInputAbsoluteMax);
  return e;
}

void InputRouter::add(InputHandler* handler) {
  handlers_.insert(handlers_.begin(), handler);
}

void InputRouter::remove(InputHandler* handler) {
  std::erase(handlers_, handler);
}

InputHandler* InputRouter::handler_for(InputEvent::Kind kind) const {
  for (InputHandler* h : handlers_) {
    if (h->input_kinds() & input_kind_bit(kind)) return h;
  }
  return nullptr;
}

bool InputRouter::takes(InputEvent::Kind kind) const {
  return handler_for(kind) != nullptr;
}

void InputRouter::send(std::span<const InputEvent> events) {
  std::vector<InputHandler*> touched;
  for (const InputEvent& e : events) {
    InputHandler* h = handler_for(e.kind);
    if (!h) continue;
    h->input_event(e);
    if (std::find(touched.begin(), touched.end(), h) == touched.end()) touched.push_back(h);
  }
  for (InputHandler* h : touched) h->input_sync();
}

}  // namespace vx86
