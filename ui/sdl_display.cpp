#include "ui/sdl_display.h"

#include <SDL.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "ui/text_render.h"

namespace vx86 {

namespace {

// An SDL button as an input button (nothing for one the guest has none of).
std::optional<InputButton> input_button(uint8_t sdl_button) {
  switch (sdl_button) {
    case SDL_BUTTON_LEFT:
      return InputButton::kLeft;
    case SDL_BUTTON_RIGHT:
      return InputButton::kRight;
    case SDL_BUTTON_MIDDLE:
      return InputButton::kMiddle;
    case SDL_BUTTON_X1:
      return InputButton::kSide;
    case SDL_BUTTON_X2:
      return InputButton::kExtra;
    default:
      return std::nullopt;
  }
}

}  // namespace

SdlDisplay::SdlDisplay(const std::string& title, Callbacks callbacks)
    : callbacks_(std::move(callbacks)) {
  std::string error;
  font_ = default_console_font(&error);
  if (!font_) throw std::runtime_error("-display sdl: " + error);
  // Without a display server SDL would fall back to drawing off screen, where
  // nobody sees the window (SDL_VIDEODRIVER still chooses one on purpose).
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY") &&
      !std::getenv("SDL_VIDEODRIVER")) {
    throw std::runtime_error(
        "-display sdl: cannot open a window: no X11 or Wayland display (DISPLAY is not set)");
  }
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    throw std::runtime_error(std::string("-display sdl: cannot open a window: ") + SDL_GetError());
  }
  // 720x400 for 80x25 cells of 9x16; the window may be resized and keeps the shape.
  const int width = 80 * 9, height = 25 * font_->height();
  window_ = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, width,
                             height, SDL_WINDOW_RESIZABLE);
  if (window_) renderer_ = SDL_CreateRenderer(window_, -1, 0);
  if (!window_ || !renderer_) {
    std::string why = SDL_GetError();
    if (window_) SDL_DestroyWindow(window_);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    throw std::runtime_error("-display sdl: cannot open a window: " + why);
  }
  SDL_RenderSetLogicalSize(renderer_, width, height);
}

SdlDisplay::~SdlDisplay() {
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

void SdlDisplay::tick() {
  SDL_Event event;
  bool exposed = false;
  while (SDL_PollEvent(&event)) {
    switch (event.type) {
      case SDL_QUIT:
        if (callbacks_.close) callbacks_.close();
        break;
      case SDL_KEYDOWN:
      case SDL_KEYUP:
        // Held keys repeat as further key-downs: the guest sees typematic repeat.
        if (callbacks_.key) {
          callbacks_.key(static_cast<uint16_t>(event.key.keysym.scancode),
                         event.type == SDL_KEYDOWN);
        }
        break;
      case SDL_MOUSEMOTION:
        pointer_moved(event.motion.x, event.motion.y, event.motion.xrel, event.motion.yrel);
        break;
      case SDL_MOUSEBUTTONDOWN:
      case SDL_MOUSEBUTTONUP:
        // Followed event by event (SDL's current state may already be past
        // a quick click's release), where the click was.
        if (auto button = input_button(event.button.button); button && callbacks_.pointer) {
          pointer_moved(event.button.x, event.button.y, 0, 0);
          callbacks_.pointer(
              {InputEvent::button_event(*button, event.type == SDL_MOUSEBUTTONDOWN)});
        }
        break;
      case SDL_MOUSEWHEEL:
        // A step of the wheel is a press and release of a wheel button.
        if (callbacks_.pointer && event.wheel.y != 0) {
          const InputButton wheel =
              event.wheel.y > 0 ? InputButton::kWheelUp : InputButton::kWheelDown;
          std::vector<InputEvent> steps;
          for (int i = 0; i < std::abs(event.wheel.y); ++i) {
            steps.push_back(InputEvent::button_event(wheel, true));
            steps.push_back(InputEvent::button_event(wheel, false));
          }
          callbacks_.pointer(steps);
        }
        break;
      case SDL_WINDOWEVENT:
        exposed = true;
        break;
      default:
        break;
    }
  }
  RgbImage picture;
  if (callbacks_.graphics && callbacks_.graphics(&picture)) {
    if (drawn_ && !exposed && showing_graphics_ && picture.width == shown_graphics_.width &&
        picture.height == shown_graphics_.height && picture.pixels == shown_graphics_.pixels) {
      return;
    }
    draw(picture);
    shown_graphics_ = std::move(picture);
    showing_graphics_ = true;
    drawn_ = true;
    return;
  }
  TextScreen screen = callbacks_.screen();
  if (drawn_ && !exposed && !showing_graphics_ && screen == shown_) return;
  draw(render_text_screen(screen, *font_));
  shown_ = std::move(screen);
  showing_graphics_ = false;
  drawn_ = true;
}

void SdlDisplay::pointer_moved(int x, int y, int dx, int dy) {
  if (!callbacks_.pointer) return;
  // Mouse coordinates are in the renderer's logical size: the screen's pixels.
  if (callbacks_.absolute_pointer && callbacks_.absolute_pointer()) {
    int width = 0, height = 0;
    SDL_RenderGetLogicalSize(renderer_, &width, &height);
    callbacks_.pointer({InputEvent::absolute(InputAxis::kX, input_absolute_position(x, width)),
                        InputEvent::absolute(InputAxis::kY, input_absolute_position(y, height))});
  } else if (dx || dy) {
    callbacks_.pointer(
        {InputEvent::relative(InputAxis::kX, dx), InputEvent::relative(InputAxis::kY, dy)});
  }
}

void SdlDisplay::draw(const RgbImage& image) {
  if (!texture_ || texture_width_ != image.width || texture_height_ != image.height) {
    // A new mode: the window takes its size, as QEMU's does, centred so that
    // a larger mode stays on the screen.
    int w = 0, h = 0;
    SDL_GetWindowSize(window_, &w, &h);
    if (w != image.width || h != image.height) {
      SDL_SetWindowSize(window_, image.width, image.height);
      SDL_SetWindowPosition(window_, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
    }
    if (texture_) SDL_DestroyTexture(texture_);
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING,
                                 image.width, image.height);
    texture_width_ = image.width;
    texture_height_ = image.height;
    SDL_RenderSetLogicalSize(renderer_, image.width, image.height);
  }
  // RGB888 is 0x00RRGGBB in a 32-bit word, as RgbImage keeps its pixels.
  SDL_UpdateTexture(texture_, nullptr, image.pixels.data(),
                    image.width * static_cast<int>(sizeof(uint32_t)));
  SDL_RenderClear(renderer_);
  SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
  SDL_RenderPresent(renderer_);
}

}  // namespace vx86
