// One VNC client's conversation (RFC 6143, versions 3.3, 3.7 and 3.8, with
// no authentication or VNC's DES challenge), without the socket: bytes from the client go to
// feed(), bytes for it leave through Callbacks::send. The server gives every session the screen as
// it changes; a session sends what changed when its client has asked for an update
// (FramebufferUpdateRequest), in the best encoding the client offers (ZRLE, Zlib, Raw), with a
// DesktopSize rectangle when the screen's size changed. Keys (X11 keysyms, or with QEMU's extended
// key events the key's scan code, whatever the client's keyboard layout) and the pointer go to the
// guest's input devices.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/input.h"
#include "core/rgb_image.h"
#include "ui/vnc_encoding.h"

namespace vx86 {

class VncSession {
 public:
  struct Callbacks {
    std::function<void(std::vector<uint8_t> bytes)> send;
    // A key (a USB HID usage) went down or up.
    std::function<void(uint16_t usage, bool down)> key;
    std::function<void(const std::vector<InputEvent>& events)> pointer;
    // Whether the guest has an absolute pointer (a USB tablet).
    std::function<bool()> absolute_pointer;
    // The key with QEMU's number (an XT scan code, 0x80 for E0-prefixed
    // keys), for QEMU's extended key events.
    std::function<std::optional<uint16_t>(unsigned number)> key_of_number;
    // VNC authentication (-vnc password=on): the password now, "" while
    // none is set (every attempt fails, as in QEMU); empty function: none.
    std::function<std::string()> password;
  };

  // screen: the picture at the time the client connects (its size and
  // contents go in ServerInit and the first update).
  VncSession(std::string desktop_name, const RgbImage& screen, Callbacks callbacks);

  // Sends the server's protocol version, which starts the handshake.
  void start();
  // Bytes from the client. After a protocol error, failed() says why and
  // the session takes nothing more (the server then drops the client).
  void feed(const uint8_t* data, std::size_t size);
  // The screen now (every session is told, at the display's pace).
  void screen_changed(const RgbImage& screen);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The client asked to share the desktop with others (ClientInit).
  bool shared() const { return shared_; }
  bool ready() const { return state_ == State::kNormal; }

 private:
  enum class State { kVersion, kSecurityChoice, kAuthResponse, kClientInit, kNormal };
  // One message from the front of in_, or 0 bytes if it is not all there.
  std::size_t take_message();
  std::size_t take_handshake();
  void send_server_init();
  void send_challenge();
  // SecurityResult: OK, or failed (with the reason from RFB 3.8 on).
  void send_security_result(const std::string& failure);
  void set_encodings(const uint8_t* list, unsigned count);
  void pointer_event(unsigned buttons, int x, int y);
  void maybe_send_update();
  void fail(std::string why);

  std::string name_;
  Callbacks callbacks_;
  State state_ = State::kVersion;
  unsigned minor_version_ = 8;
  std::vector<uint8_t> in_;
  std::string error_;
  bool shared_ = false;
  std::array<uint8_t, 16> challenge_{};
  std::random_device random_;  // the kernel's generator, for challenges

  RfbPixelFormat format_;
  enum class Encoding { kRaw, kZlib, kZrle };
  Encoding encoding_ = Encoding::kRaw;
  bool desktop_size_ = false;   // the client takes the DesktopSize pseudo-encoding
  bool extended_keys_ = false;  // it sends QEMU's extended key events (scan codes)
  RfbZlibStream zlib_, zrle_;

  RgbImage screen_;  // the latest
  RgbImage sent_;    // what the client has
  bool sent_any_ = false;
  int client_width_ = 0, client_height_ = 0;  // the client's framebuffer
  bool request_pending_ = false;
  bool request_incremental_ = false;
  RfbRect request_;

  unsigned buttons_ = 0;
  int pointer_x_ = -1, pointer_y_ = -1;
};

}  // namespace vx86
