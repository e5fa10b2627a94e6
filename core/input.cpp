#include "core/input.h"

#include <algorithm>

namespace vx86 {

int input_absolute_position(int at, int size) {
  if (size <= 1) return 0;
  return std::clamp(at, 0, size - 1) * kInputAbsoluteMax / (size - 1);
}

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

void InputRouter::add(InputHandler* handler, bool active) {
  const Entry entry{handler, next_index_++};
  if (active) {
    handlers_.insert(handlers_.begin(), entry);
  } else {
    handlers_.push_back(entry);
  }
}

void InputRouter::remove(InputHandler* handler) {
  std::erase_if(handlers_, [&](const Entry& e) { return e.handler == handler; });
}

void InputRouter::activate(InputHandler* handler) {
  auto it = std::find_if(handlers_.begin(), handlers_.end(),
                         [&](const Entry& e) { return e.handler == handler; });
  if (it != handlers_.end()) std::rotate(handlers_.begin(), it, it + 1);
}

InputHandler* InputRouter::handler_for(InputEvent::Kind kind) const {
  for (const Entry& e : handlers_) {
    if (e.handler->input_kinds() & input_kind_bit(kind)) return e.handler;
  }
  return nullptr;
}

namespace {
constexpr unsigned kPointerKinds =
    input_kind_bit(InputEvent::Kind::kRelative) | input_kind_bit(InputEvent::Kind::kAbsolute);
}  // namespace

std::vector<InputRouter::Mouse> InputRouter::mice() const {
  // QEMU lists them from the back of its queue to the front; the first in
  // the queue is current.
  std::vector<Mouse> out;
  bool first = true;
  for (const Entry& e : handlers_) {
    const unsigned kinds = e.handler->input_kinds();
    if (!(kinds & kPointerKinds)) continue;
    out.insert(out.begin(), {e.index, e.handler->input_name(), first,
                             (kinds & input_kind_bit(InputEvent::Kind::kAbsolute)) != 0});
    first = false;
  }
  return out;
}

std::string InputRouter::select_mouse(unsigned index) {
  for (const Entry& e : handlers_) {
    if (e.index != index) continue;
    if (!(e.handler->input_kinds() & kPointerKinds)) {
      return std::string("Input device '") + e.handler->input_name() + "' is not a mouse";
    }
    activate(e.handler);
    return "";
  }
  return "Mouse at index '" + std::to_string(index) + "' not found";
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
