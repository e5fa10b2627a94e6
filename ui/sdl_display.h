// -display sdl: a window showing the VGA's screen, taking the keyboard and
// the mouse.
// It runs on the thread that created it (SDL's video functions must stay on
// one thread): the program calls tick() from its main loop, which draws a
// screen that changed and hands key presses and the window's closing on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/input.h"
#include "core/text_screen.h"
#include "ui/psf_font.h"
#include "ui/text_render.h"

struct SDL_Window;
struct SDL_Renderer;
struct SDL_Texture;

namespace vx86 {

class SdlDisplay {
 public:
  struct Callbacks {
    // The current screen (the program takes the device lock).
    std::function<TextScreen()> screen;
    // In a graphics mode: fills the picture and returns true (else the text
    // screen is shown).
    std::function<bool(RgbImage*)> graphics;
    // A key went down (again, while held) or up: a USB HID usage, which is
    // SDL's scancode (the PS/2 keyboard takes those).
    std::function<void(uint16_t usage, bool down)> key;
    // The mouse moved, a button went down or up, the wheel turned.
    std::function<void(const std::vector<InputEvent>& events)> pointer;
    // Whether the guest has an absolute pointer (a USB tablet): the window
    // then sends where the mouse is on the screen rather than how it moved,
    // so the guest's cursor stays under the host's without a grab.
    std::function<bool()> absolute_pointer;
    // The user closed the window.
    std::function<void()> close;
  };

  // Opens the window; throws std::runtime_error with the reason when SDL
  // cannot (no X display, no font).
  SdlDisplay(const std::string& title, Callbacks callbacks);
  ~SdlDisplay();
  SdlDisplay(const SdlDisplay&) = delete;
  SdlDisplay& operator=(const SdlDisplay&) = delete;

  // Handles pending window events and redraws if the screen changed.
  void tick();

 private:
  void draw(const RgbImage& image);
  // The mouse at (x, y) in the screen's pixels, or moved by (dx, dy).
  void pointer_moved(int x, int y, int dx, int dy);

  Callbacks callbacks_;
  const PsfFont* font_ = nullptr;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  int texture_width_ = 0, texture_height_ = 0;
  TextScreen shown_;
  RgbImage shown_graphics_;
  bool showing_graphics_ = false;
  bool drawn_ = false;
};

}  // namespace vx86
