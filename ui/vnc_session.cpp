#include "ui/vnc_session.h"

#include <algorithm>
#include <cstdio>

#include "ui/des.h"
#include "ui/vnc_keysym.h"

namespace vx86 {

namespace {

constexpr char kServerVersion[] = "RFB 003.008\n";
constexpr uint8_t kSecurityNone = 1;
constexpr uint8_t kSecurityVncAuth = 2;
constexpr int32_t kEncodingRaw = 0;
constexpr int32_t kEncodingZlib = 6;
constexpr int32_t kEncodingZrle = 16;
constexpr int32_t kEncodingDesktopSize = -223;
// QEMU's extended key event pseudo-encoding: the client sends scan codes.
constexpr int32_t kEncodingExtendedKeyEvent = -258;
constexpr uint8_t kMessageQemu = 255;
constexpr uint8_t kQemuExtendedKeyEvent = 0;
// A ClientCutText longer than this is taken as a broken client.
constexpr uint32_t kMaxCutText = 1 << 20;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void put_be16(std::vector<uint8_t>& out, unsigned v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void put_rect_header(std::vector<uint8_t>& out, const RfbRect& r, int32_t encoding) {
  put_be16(out, static_cast<unsigned>(r.x));
  put_be16(out, static_cast<unsigned>(r.y));
  put_be16(out, static_cast<unsigned>(r.width));
  put_be16(out, static_cast<unsigned>(r.height));
  put_be32(out, static_cast<uint32_t>(encoding));
}

RfbRect intersect(const RfbRect& a, const RfbRect& b) {
  const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.x + a.width, b.x + b.width);
  const int y1 = std::min(a.y + a.height, b.y + b.height);
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

VncSession::VncSession(std::string desktop_name, const RgbImage& screen, Callbacks callbacks)
    : name_(std::move(desktop_name)), callbacks_(std::move(callbacks)), screen_(screen) {}

void VncSession::start() {
  callbacks_.send(std::vector<uint8_t>(kServerVersion, kServerVersion + 12));
}

void VncSession::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
}

void VncSession::feed(const uint8_t* data, std::size_t size) {
  if (failed()) return;
  in_.insert(in_.end(), data, data + size);
  while (!failed() && !in_.empty()) {
    const std::size_t n = state_ == State::kNormal ? take_message() : take_handshake();
    if (n == 0) break;
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

std::size_t VncSession::take_handshake() {
  switch (state_) {
    case State::kVersion: {
      if (in_.size() < 12) return 0;
      const std::string version(in_.begin(), in_.begin() + 12);
      unsigned major = 0, minor = 0;
      if (std::sscanf(version.c_str(), "RFB %3u.%3u\n", &major, &minor) != 2 || major != 3 ||
          minor < 3) {
        fail("the client speaks no RFB version vx86 knows");
        return 12;
      }
      // 3.3 and 3.7 as they are; anything later (Apple's 3.889) as 3.8.
      minor_version_ = minor >= 8 ? 8 : minor >= 7 ? 7 : 3;
      const uint8_t security = callbacks_.password ? kSecurityVncAuth : kSecurityNone;
      if (minor_version_ == 3) {
        std::vector<uint8_t> out;
        put_be32(out, security);  // the server decides
        callbacks_.send(out);
        if (security == kSecurityVncAuth) {
          send_challenge();
        } else {
          state_ = State::kClientInit;
        }
      } else {
        callbacks_.send({1, security});
        state_ = State::kSecurityChoice;
      }
      return 12;
    }
    case State::kSecurityChoice: {
      const uint8_t offered = callbacks_.password ? kSecurityVncAuth : kSecurityNone;
      if (in_[0] != offered) {
        if (minor_version_ == 8) {
          send_security_result(offered == kSecurityNone ? "vx86 offers no authentication but None"
                                                        : "vx86 asks for VNC authentication");
        }
        fail("the client chose security type " + std::to_string(in_[0]) + ", not " +
             std::to_string(offered));
        return 1;
      }
      if (offered == kSecurityVncAuth) {
        send_challenge();
        return 1;
      }
      if (minor_version_ == 8) send_security_result("");
      state_ = State::kClientInit;
      return 1;
    }
    case State::kAuthResponse: {
      if (in_.size() < 16) return 0;
      const std::string password = callbacks_.password();
      std::array<uint8_t, 16> response{};
      std::copy(in_.begin(), in_.begin() + 16, response.begin());
      // No password set: nothing matches, as in QEMU.
      if (password.empty() || vnc_auth_response(challenge_, password) != response) {
        send_security_result("Authentication failed");
        fail("the client gave a wrong password");
        return 16;
      }
      send_security_result("");
      state_ = State::kClientInit;
      return 16;
    }
    case State::kClientInit:
      shared_ = in_[0] != 0;
      send_server_init();
      state_ = State::kNormal;
      return 1;
    case State::kNormal:
      break;
  }
  return 0;
}

void VncSession::send_challenge() {
  for (uint8_t& b : challenge_) b = static_cast<uint8_t>(random_());
  callbacks_.send(std::vector<uint8_t>(challenge_.begin(), challenge_.end()));
  state_ = State::kAuthResponse;
}

void VncSession::send_security_result(const std::string& failure) {
  std::vector<uint8_t> out;
  put_be32(out, failure.empty() ? 0 : 1);
  if (!failure.empty() && minor_version_ == 8) {
    put_be32(out, static_cast<uint32_t>(failure.size()));
    out.insert(out.end(), failure.begin(), failure.end());
  }
  callbacks_.send(out);
}

void VncSession::send_server_init() {
  client_width_ = screen_.width;
  client_height_ = screen_.height;
  std::vector<uint8_t> out;
  put_be16(out, static_cast<unsigned>(client_width_));
  put_be16(out, static_cast<unsigned>(client_height_));
  format_.append_to(out);
  put_be32(out, static_cast<uint32_t>(name_.size()));
  out.insert(out.end(), name_.begin(), name_.end());
  callbacks_.send(out);
}

std::size_t VncSession::take_message() {
  const std::size_t have = in_.size();
  const uint8_t* m = in_.data();
  switch (m[0]) {
    case 0:  // SetPixelFormat
      if (have < 20) return 0;
      format_ = RfbPixelFormat::parse(m + 4);
      if (!format_.supported()) {
        fail("the client asked for a pixel format vx86 does not send (colour map, or " +
             std::to_string(format_.bits_per_pixel) + " bits per pixel)");
      }
      sent_any_ = false;  // everything again, in the new format
      return 20;
    case 2: {  // SetEncodings
      if (have < 4) return 0;
      const unsigned count = be16(m + 2);
      if (have < 4 + 4u * count) return 0;
      set_encodings(m + 4, count);
      return 4 + 4u * count;
    }
    case 3:  // FramebufferUpdateRequest
      if (have < 10) return 0;
      request_pending_ = true;
      request_incremental_ = m[1] != 0;
      request_ = {be16(m + 2), be16(m + 4), be16(m + 6), be16(m + 8)};
      maybe_send_update();
      return 10;
    case 4: {  // KeyEvent
      if (have < 8) return 0;
      if (auto usage = hid_usage_of_keysym(be32(m + 4)); usage && callbacks_.key) {
        callbacks_.key(*usage, m[1] != 0);
      }
      return 8;
    }
    case 5:  // PointerEvent
      if (have < 6) return 0;
      pointer_event(m[1], be16(m + 2), be16(m + 4));
      return 6;
    case 6: {  // ClientCutText: the client's clipboard, which the guest cannot take
      if (have < 8) return 0;
      const auto length = static_cast<int32_t>(be32(m + 4));
      // A negative length is the extended clipboard's, as long as its magnitude.
      const uint32_t bytes = length < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(length))
                                        : static_cast<uint32_t>(length);
      if (bytes > kMaxCutText) {
        fail("the client sent " + std::to_string(bytes) + " bytes of clipboard text");
        return have;
      }
      if (have < 8 + static_cast<std::size_t>(bytes)) return 0;
      return 8 + static_cast<std::size_t>(bytes);
    }
    case kMessageQemu: {  // QEMU's client messages: the extended key event only
      if (have < 2) return 0;
      if (m[1] != kQemuExtendedKeyEvent || !extended_keys_) {
        fail("the client sent QEMU message " + std::to_string(m[1]) + " unasked");
        return have;
      }
      if (have < 12) return 0;
      const bool down = be16(m + 2) != 0;
      const uint32_t keysym = be32(m + 4), number = be32(m + 8);
      // A scan code names the key whatever the client's layout; without
      // one (0), the keysym does.
      std::optional<uint16_t> usage;
      if (number != 0 && callbacks_.key_of_number) usage = callbacks_.key_of_number(number);
      if (!usage && number == 0) usage = hid_usage_of_keysym(keysym);
      if (usage && callbacks_.key) callbacks_.key(*usage, down);
      return 12;
    }
    default:
      fail("the client sent message type " + std::to_string(m[0]) + ", which RFB 3.8 lacks");
      return have;
  }
}

void VncSession::set_encodings(const uint8_t* list, unsigned count) {
  bool chosen = false;
  encoding_ = Encoding::kRaw;
  desktop_size_ = false;
  const bool had_extended_keys = extended_keys_;
  extended_keys_ = false;
  for (unsigned i = 0; i < count; ++i) {
    const auto encoding = static_cast<int32_t>(be32(list + 4 * i));
    if (encoding == kEncodingDesktopSize) desktop_size_ = true;
    if (encoding == kEncodingExtendedKeyEvent && callbacks_.key_of_number) extended_keys_ = true;
    if (chosen) continue;
    // The client lists them by preference: its first that vx86 sends.
    if (encoding == kEncodingZrle) {
      encoding_ = Encoding::kZrle;
      chosen = true;
    } else if (encoding == kEncodingZlib) {
      encoding_ = Encoding::kZlib;
      chosen = true;
    } else if (encoding == kEncodingRaw) {
      chosen = true;
    }
  }
  // As QEMU: a pseudo-rectangle tells the client it may send scan codes.
  if (extended_keys_ && !had_extended_keys) {
    std::vector<uint8_t> out = {0, 0, 0, 1};
    put_rect_header(out, {0, 0, client_width_, client_height_}, kEncodingExtendedKeyEvent);
    callbacks_.send(std::move(out));
  }
}

void VncSession::pointer_event(unsigned buttons, int x, int y) {
  std::vector<InputEvent> events;
  if (callbacks_.absolute_pointer && callbacks_.absolute_pointer()) {
    if (x != pointer_x_ || y != pointer_y_) {
      events.push_back(
          InputEvent::absolute(InputAxis::kX, input_absolute_position(x, client_width_)));
      events.push_back(
          InputEvent::absolute(InputAxis::kY, input_absolute_position(y, client_height_)));
    }
  } else if (pointer_x_ >= 0 && (x != pointer_x_ || y != pointer_y_)) {
    events.push_back(InputEvent::relative(InputAxis::kX, x - pointer_x_));
    events.push_back(InputEvent::relative(InputAxis::kY, y - pointer_y_));
  }
  pointer_x_ = x;
  pointer_y_ = y;
  // Mask bits: left, middle, right, then the wheel's four directions, each
  // step a press and a release.
  static constexpr InputButton kButtons[] = {InputButton::kLeft,      InputButton::kMiddle,
                                             InputButton::kRight,     InputButton::kWheelUp,
                                             InputButton::kWheelDown, InputButton::kWheelLeft,
                                             InputButton::kWheelRight};
  const unsigned pressed = buttons & ~buttons_, released = buttons_ & ~buttons;
  for (unsigned bit = 0; bit < 3; ++bit) {
    if (pressed & 1u << bit) events.push_back(InputEvent::button_event(kButtons[bit], true));
    if (released & 1u << bit) events.push_back(InputEvent::button_event(kButtons[bit], false));
  }
  for (unsigned bit = 3; bit < 7; ++bit) {
    if (pressed & 1u << bit) {
      events.push_back(InputEvent::button_event(kButtons[bit], true));
      events.push_back(InputEvent::button_event(kButtons[bit], false));
    }
  }
  buttons_ = buttons;
  if (!events.empty() && callbacks_.pointer) callbacks_.pointer(events);
}

void VncSession::screen_changed(const RgbImage& screen) {
  screen_ = screen;
  maybe_send_update();
}

void VncSession::maybe_send_update() {
  if (state_ != State::kNormal || !request_pending_ || failed()) return;
  const RfbRect whole{0, 0, screen_.width, screen_.height};
  std::vector<uint8_t> out = {0, 0, 0, 0};  // FramebufferUpdate, padding, count
  unsigned count = 0;
  std::vector<RfbRect> rects;
  const bool resize =
      desktop_size_ && (screen_.width != client_width_ || screen_.height != client_height_);
  const bool new_size =
      !sent_any_ || sent_.width != screen_.width || sent_.height != screen_.height;
  if (resize) {
    // The client's framebuffer takes the new size, then the whole picture.
    put_rect_header(out, whole, kEncodingDesktopSize);
    ++count;
    client_width_ = screen_.width;
    client_height_ = screen_.height;
    rects = {whole};
  } else if (new_size || !request_incremental_) {
    rects = {intersect(request_, whole)};
  } else {
    rects = changed_rects(sent_, screen_);
  }
  // Only what the client's framebuffer holds (a client that cannot resize
  // keeps its first size).
  const RfbRect client{0, 0, client_width_, client_height_};
  for (RfbRect& r : rects) r = intersect(intersect(r, client), resize ? whole : request_);
  std::erase_if(rects, [](const RfbRect& r) { return r.width == 0 || r.height == 0; });
  if (rects.empty() && count == 0) return;  // nothing new: the request waits
  for (const RfbRect& r : rects) {
    switch (encoding_) {
      case Encoding::kZrle:
        put_rect_header(out, r, kEncodingZrle);
        encode_zrle(screen_, r, format_, zrle_, out);
        break;
      case Encoding::kZlib:
        put_rect_header(out, r, kEncodingZlib);
        encode_zlib(screen_, r, format_, zlib_, out);
        break;
      case Encoding::kRaw:
        put_rect_header(out, r, kEncodingRaw);
        encode_raw(screen_, r, format_, out);
        break;
    }
    ++count;
  }
  out[2] = static_cast<uint8_t>(count >> 8);
  out[3] = static_cast<uint8_t>(count);
  sent_ = screen_;
  sent_any_ = true;
  request_pending_ = false;
  callbacks_.send(std::move(out));
}

}  // namespace vx86
