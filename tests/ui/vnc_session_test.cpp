// A VNC session driven as a client drives it, message by message: the
// handshakes of RFB 3.3, 3.7 and 3.8, updates in each encoding decoded back
// to the screen's pixels, what changed only, a new screen size, keys and
// the pointer, and the protocol errors that end a session.
#include "ui/vnc_session.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ui/des.h"
#include "ui/vnc_keysym.h"

namespace vx86 {
namespace {

RgbImage gradient(int width, int height, uint32_t seed = 0) {
  RgbImage image;
  image.width = width;
  image.height = height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.pixels.push_back((static_cast<uint32_t>(x * 3 + seed) & 0xff) << 16 |
                             (static_cast<uint32_t>(y * 5) & 0xff) << 8 | ((x ^ y) & 0xff));
    }
  }
  return image;
}

std::vector<uint8_t> bytes(std::initializer_list<int> list) {
  std::vector<uint8_t> out;
  for (int b : list) out.push_back(static_cast<uint8_t>(b));
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, std::size_t at) {
  return static_cast<uint32_t>(b[at]) << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];
}
unsigned be16(const std::vector<uint8_t>& b, std::size_t at) {
  return static_cast<unsigned>(b[at] << 8 | b[at + 1]);
}

// A client: what the session sent, the events it raised, and a decoder for
// FramebufferUpdate messages into the client's own copy of the screen.
class Client {
 public:
  explicit Client(const RgbImage& screen, bool absolute = false,
                  std::optional<std::string> password = std::nullopt)
      : session_("vx86 (test)", screen, callbacks(absolute, password)) {
    inflateInit(&zlib_);
    inflateInit(&zrle_);
  }
  ~Client() {
    inflateEnd(&zlib_);
    inflateEnd(&zrle_);
  }

  VncSession& session() { return session_; }
  void send(const std::vector<uint8_t>& message) { session_.feed(message.data(), message.size()); }
  // The next message the session sent, whole.
  std::vector<uint8_t> next() {
    if (sent_.empty()) return {};
    std::vector<uint8_t> m = sent_.front();
    sent_.erase(sent_.begin());
    return m;
  }
  bool idle() const { return sent_.empty(); }

  // The handshake of RFB 3.minor up to ServerInit, which is returned.
  std::vector<uint8_t> connect(int minor = 8, bool shared = true) {
    session_.start();
    EXPECT_EQ(next(), bytes({'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n'}));
    const std::string version = "RFB 003.00" + std::to_string(minor) + "\n";
    send(std::vector<uint8_t>(version.begin(), version.end()));
    if (minor == 3) {
      EXPECT_EQ(next(), bytes({0, 0, 0, 1}));  // None, the server's choice
    } else {
      EXPECT_EQ(next(), bytes({1, 1}));  // one type: None
      send({1});
      if (minor == 8) {
        EXPECT_EQ(next(), bytes({0, 0, 0, 0}));  // SecurityResult: OK
      }
    }
    send({static_cast<uint8_t>(shared ? 1 : 0)});
    return next();
  }

  void set_encodings(std::vector<int32_t> encodings) {
    std::vector<uint8_t> m = {2, 0, 0, static_cast<uint8_t>(encodings.size())};
    for (int32_t e : encodings) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        m.push_back(static_cast<uint8_t>(static_cast<uint32_t>(e) >> shift));
      }
    }
    send(m);
  }
  void request(bool incremental, int width, int height) {
    send(bytes({3, incremental ? 1 : 0, 0, 0, 0, 0, width >> 8, width & 0xff, height >> 8,
                height & 0xff}));
  }

  // Decodes one FramebufferUpdate (32-bit little-endian rgb888, the
  // default format) into screen(); returns the rectangles' encodings.
  std::vector<int32_t> decode(const std::vector<uint8_t>& m) {
    std::vector<int32_t> encodings;
    EXPECT_EQ(m.at(0), 0);
    const unsigned count = be16(m, 2);
    std::size_t at = 4;
    for (unsigned i = 0; i < count; ++i) {
      const int x = static_cast<int>(be16(m, at)), y = static_cast<int>(be16(m, at + 2));
      const int w = static_cast<int>(be16(m, at + 4)), h = static_cast<int>(be16(m, at + 6));
      const auto encoding = static_cast<int32_t>(be32(m, at + 8));
      at += 12;
      encodings.push_back(encoding);
      if (encoding == -223) {
        screen_.width = w;
        screen_.height = h;
        screen_.pixels.assign(static_cast<std::size_t>(w) * h, 0);
        continue;
      }
      std::vector<uint8_t> data;
      if (encoding == 0) {
        data.assign(m.begin() + static_cast<long>(at),
                    m.begin() + static_cast<long>(at + static_cast<std::size_t>(w) * h * 4));
        at += data.size();
      } else {
        const uint32_t length = be32(m, at);
        at += 4;
        data = inflate_all(encoding == 6 ? zlib_ : zrle_, &m[at], length);
        at += length;
      }
      if (encoding == 16) {
        put_zrle(data, x, y, w, h);
      } else {
        for (int r = 0; r < h; ++r) {
          for (int c = 0; c < w; ++c) {
            const std::size_t p = (static_cast<std::size_t>(r) * w + c) * 4;
            put(x + c, y + r, data[p + 2] << 16 | data[p + 1] << 8 | data[p]);
          }
        }
      }
    }
    EXPECT_EQ(at, m.size());
    return encodings;
  }
  RgbImage& screen() { return screen_; }

  std::vector<std::pair<uint16_t, bool>> keys;
  std::vector<InputEvent> pointer;

 private:
  VncSession::Callbacks callbacks(bool absolute, std::optional<std::string> password) {
    VncSession::Callbacks c;
    if (password) c.password = [password] { return *password; };
    c.send = [this](std::vector<uint8_t> b) { sent_.push_back(std::move(b)); };
    c.key = [this](uint16_t usage, bool down) { keys.push_back({usage, down}); };
    c.pointer = [this](const std::vector<InputEvent>& events) {
      pointer.insert(pointer.end(), events.begin(), events.end());
    };
    c.absolute_pointer = [absolute] { return absolute; };
    // Two of QEMU's key numbers (XT scan codes): z, and right Ctrl (E0 1D).
    c.key_of_number = [](unsigned number) -> std::optional<uint16_t> {
      if (number == 0x2c) return 0x1d;
      if (number == 0x9d) return 0xe4;
      return std::nullopt;
    };
    return c;
  }
  static std::vector<uint8_t> inflate_all(z_stream& z, const uint8_t* in, uint32_t length) {
    std::vector<uint8_t> out;
    z.next_in = const_cast<Bytef*>(in);
    z.avail_in = length;
    uint8_t chunk[65536];
    do {
      z.next_out = chunk;
      z.avail_out = sizeof chunk;
      EXPECT_NE(inflate(&z, Z_SYNC_FLUSH), Z_STREAM_ERROR);
      out.insert(out.end(), chunk, chunk + (sizeof chunk - z.avail_out));
    } while (z.avail_in > 0 || z.avail_out == 0);
    return out;
  }
  void put(int x, int y, uint32_t rgb) {
    screen_.pixels[static_cast<std::size_t>(y) * screen_.width + x] = rgb;
  }
  // ZRLE tiles as vx86 sends them: raw (0) or solid (1), 3-byte CPIXELs.
  void put_zrle(const std::vector<uint8_t>& d, int x, int y, int w, int h) {
    std::size_t at = 0;
    auto cpixel = [&] {
      const uint32_t v = d[at] | d[at + 1] << 8 | d[at + 2] << 16;
      at += 3;
      return v;
    };
    for (int ty = y; ty < y + h; ty += 64) {
      for (int tx = x; tx < x + w; tx += 64) {
        const int tw = std::min(64, x + w - tx), th = std::min(64, y + h - ty);
        const uint8_t sub = d[at++];
        ASSERT_TRUE(sub == 0 || sub == 1);
        const uint32_t solid = sub == 1 ? cpixel() : 0;
        for (int r = 0; r < th; ++r) {
          for (int c = 0; c < tw; ++c) put(tx + c, ty + r, sub == 1 ? solid : cpixel());
        }
      }
    }
    EXPECT_EQ(at, d.size());
  }

  std::vector<std::vector<uint8_t>> sent_;
  VncSession session_;
  RgbImage screen_;
  z_stream zlib_{}, zrle_{};
};

TEST(VncSessionTest, HandshakesGiveServerInit) {
  const RgbImage screen = gradient(720, 400);
  for (int minor : {3, 7, 8}) {
    SCOPED_TRACE(minor);
    Client client(screen);
    const std::vector<uint8_t> init = client.connect(minor);
    ASSERT_EQ(init.size(), 24u + 11u);
    EXPECT_EQ(be16(init, 0), 720u);
    EXPECT_EQ(be16(init, 2), 400u);
    // 32 bits per pixel, depth 24, little-endian true colour, rgb888.
    EXPECT_EQ(std::vector<uint8_t>(init.begin() + 4, init.begin() + 20),
              bytes({32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0}));
    EXPECT_EQ(std::string(init.begin() + 24, init.end()), "vx86 (test)");
    EXPECT_TRUE(client.session().ready());
  }
}

TEST(VncSessionTest, UpdatesInEveryEncodingGiveTheScreen) {
  const RgbImage screen = gradient(200, 150);
  for (int32_t encoding : {0, 6, 16}) {
    SCOPED_TRACE(encoding);
    Client client(screen);
    client.connect();
    client.screen() = RgbImage{200, 150, std::vector<uint32_t>(200 * 150, 0)};
    client.set_encodings({7, encoding, 1});  // Tight first: vx86 takes its next
    client.request(false, 200, 150);
    ASSERT_EQ(client.decode(client.next()), std::vector<int32_t>{encoding});
    EXPECT_EQ(client.screen().pixels, screen.pixels);
    // Nothing changed: an incremental request waits for a change.
    client.request(true, 200, 150);
    EXPECT_TRUE(client.idle());
    RgbImage changed = screen;
    for (int x = 70; x < 80; ++x) changed.pixels[100 * 200 + x] = 0xffffff;
    changed.pixels[149 * 200 + 199] = 0x123456;
    client.session().screen_changed(changed);
    client.decode(client.next());
    EXPECT_EQ(client.screen().pixels, changed.pixels);
  }
}

TEST(VncSessionTest, OnlyChangedPartsAreSent) {
  const RgbImage before = gradient(640, 480);
  RgbImage after = before;
  after.pixels[200 * 640 + 300] ^= 0xffffff;
  const std::vector<RfbRect> rects = changed_rects(before, after);
  ASSERT_EQ(rects.size(), 1u);
  EXPECT_EQ(rects[0], (RfbRect{256, 192, 64, 16}));
  // Two tiles side by side join; the band below under them extends them.
  after.pixels[200 * 640 + 330] ^= 0xffffff;
  after.pixels[210 * 640 + 260] ^= 0xffffff;
  after.pixels[210 * 640 + 330] ^= 0xffffff;
  EXPECT_EQ(changed_rects(before, after), (std::vector<RfbRect>{{256, 192, 128, 32}}));
  EXPECT_TRUE(changed_rects(before, before).empty());
}

TEST(VncSessionTest, ANewScreenSizeIsAnnounced) {
  Client client(gradient(720, 400));
  client.connect();
  client.screen() = RgbImage{720, 400, std::vector<uint32_t>(720 * 400, 0)};
  client.set_encodings({0, -223});
  client.request(false, 720, 400);
  client.decode(client.next());
  const RgbImage graphics = gradient(1024, 768, 7);
  client.session().screen_changed(graphics);
  client.request(true, 720, 400);
  EXPECT_EQ(client.decode(client.next()), (std::vector<int32_t>{-223, 0}));
  EXPECT_EQ(client.screen().width, 1024);
  EXPECT_EQ(client.screen().pixels, graphics.pixels);
}

TEST(VncSessionTest, KeysAndThePointerReachTheGuest) {
  Client relative(gradient(720, 400));
  relative.connect();
  relative.send(bytes({4, 1, 0, 0, 0, 0, 0, 'a'}));      // 'a' down
  relative.send(bytes({4, 0, 0, 0, 0, 0, 0, 'A'}));      // 'A' up: the same key
  relative.send(bytes({4, 1, 0, 0, 0, 0, 0xff, 0x0d}));  // Return
  relative.send(bytes({4, 1, 0, 0, 0, 0, 0xff, 0xe3}));  // Control_L
  relative.send(bytes({4, 1, 0, 0, 0, 0, 0x12, 0x34}));  // a keysym with no key: nothing
  EXPECT_EQ(relative.keys, (std::vector<std::pair<uint16_t, bool>>{
                               {0x04, true}, {0x04, false}, {0x28, true}, {0xe0, true}}));
  // Relative: the first position is where the pointer starts; then moves,
  // buttons, a wheel step.
  relative.send(bytes({5, 0, 0, 100, 0, 50}));
  relative.send(bytes({5, 0, 0, 110, 0, 45}));
  relative.send(bytes({5, 1, 0, 110, 0, 45}));
  relative.send(bytes({5, 0, 0, 110, 0, 45}));
  relative.send(bytes({5, 8, 0, 110, 0, 45}));
  const std::vector<InputEvent> expected = {InputEvent::relative(InputAxis::kX, 10),
                                            InputEvent::relative(InputAxis::kY, -5),
                                            InputEvent::button_event(InputButton::kLeft, true),
                                            InputEvent::button_event(InputButton::kLeft, false),
                                            InputEvent::button_event(InputButton::kWheelUp, true),
                                            InputEvent::button_event(InputButton::kWheelUp, false)};
  ASSERT_EQ(relative.pointer.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(relative.pointer[i].kind, expected[i].kind) << i;
    EXPECT_EQ(relative.pointer[i].value, expected[i].value) << i;
    EXPECT_EQ(relative.pointer[i].down, expected[i].down) << i;
    EXPECT_EQ(relative.pointer[i].button, expected[i].button) << i;
  }
  // Absolute (a tablet): positions scaled to 0..0x7fff over the screen.
  Client absolute(gradient(720, 400), true);
  absolute.connect();
  absolute.send(bytes({5, 0, 0, 180, 0, 100}));
  absolute.send(bytes({5, 4, 0x02, 0xcf, 0x01, 0x8f}));  // (719, 399), right button
  ASSERT_EQ(absolute.pointer.size(), 5u);
  EXPECT_EQ(absolute.pointer[0].value, 8203);
  EXPECT_EQ(absolute.pointer[1].value, 8212);
  EXPECT_EQ(absolute.pointer[2].value, 32767);
  EXPECT_EQ(absolute.pointer[3].value, 32767);
  EXPECT_EQ(absolute.pointer[4].button, InputButton::kRight);
}

// VNC authentication: the DES response to the server's challenge with the
// right password gets in (in each protocol version); a wrong one, or any
// while no password is set, gets SecurityResult "failed" and the end.
TEST(VncSessionTest, VncAuthenticationChecksTheResponse) {
  for (int minor : {3, 8}) {
    for (const std::string& tried : {std::string("secret"), std::string("wrong")}) {
      SCOPED_TRACE(std::to_string(minor) + " " + tried);
      Client client(gradient(64, 64), false, std::string("secret"));
      client.session().start();
      client.next();
      const std::string version = "RFB 003.00" + std::to_string(minor) + "\n";
      client.send(std::vector<uint8_t>(version.begin(), version.end()));
      if (minor == 3) {
        EXPECT_EQ(client.next(), bytes({0, 0, 0, 2}));
      } else {
        EXPECT_EQ(client.next(), bytes({1, 2}));
        client.send({2});
      }
      const std::vector<uint8_t> challenge = client.next();
      ASSERT_EQ(challenge.size(), 16u);
      std::array<uint8_t, 16> c{};
      std::copy(challenge.begin(), challenge.end(), c.begin());
      const auto response = vnc_auth_response(c, tried);
      client.send(std::vector<uint8_t>(response.begin(), response.end()));
      const std::vector<uint8_t> result = client.next();
      ASSERT_GE(result.size(), 4u);
      EXPECT_EQ(be32(result, 0), tried == "secret" ? 0u : 1u);
      EXPECT_EQ(client.session().failed(), tried != "secret");
    }
  }
  Client unset(gradient(64, 64), false, std::string());
  unset.session().start();
  unset.next();
  const std::string version = "RFB 003.008\n";
  unset.send(std::vector<uint8_t>(version.begin(), version.end()));
  unset.next();
  unset.send({2});
  const std::vector<uint8_t> challenge = unset.next();
  unset.send(std::vector<uint8_t>(16, 0));
  EXPECT_EQ(be32(unset.next(), 0), 1u);
  EXPECT_TRUE(unset.session().failed());
}

// QEMU's extended key events: once the client lists the pseudo-encoding,
// the session says it takes them, and the scan code names the key whatever
// keysym the client's layout made of it (a German 'y' on the US 'z' key).
TEST(VncSessionTest, ExtendedKeyEventsCarryScanCodes) {
  Client client(gradient(720, 400));
  client.connect();
  client.set_encodings({0, -258});
  const std::vector<uint8_t> ack = client.next();
  ASSERT_EQ(ack.size(), 16u);
  EXPECT_EQ(be16(ack, 2), 1u);
  EXPECT_EQ(static_cast<int32_t>(be32(ack, 12)), -258);
  client.send(bytes({255, 0, 0, 1, 0, 0, 0, 'y', 0, 0, 0, 0x2c}));      // y on the z key
  client.send(bytes({255, 0, 0, 0, 0, 0, 0xff, 0xe4, 0, 0, 0, 0x9d}));  // right Ctrl up
  client.send(bytes({255, 0, 0, 1, 0, 0, 0, 'q', 0, 0, 0, 0}));         // no scan code: keysym
  EXPECT_EQ(client.keys,
            (std::vector<std::pair<uint16_t, bool>>{{0x1d, true}, {0xe4, false}, {0x14, true}}));
  // Without the pseudo-encoding the message is refused.
  Client plain(gradient(720, 400));
  plain.connect();
  plain.send(bytes({255, 0, 0, 1, 0, 0, 0, 'y', 0, 0, 0, 0x2c}));
  EXPECT_TRUE(plain.session().failed());
}

TEST(VncSessionTest, ProtocolErrorsEndTheSession) {
  {
    Client client(gradient(64, 64));
    client.session().start();
    client.send(bytes({'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '2', '0', '0'}));
    EXPECT_TRUE(client.session().failed());
  }
  {
    Client client(gradient(64, 64));
    client.connect();
    client.send(bytes({99}));  // no such message
    EXPECT_TRUE(client.session().failed());
    EXPECT_EQ(client.session().error(), "the client sent message type 99, which RFB 3.8 lacks");
  }
  {
    Client client(gradient(64, 64));
    client.connect();
    // SetPixelFormat: 8 bits per pixel through a colour map.
    client.send(bytes({0, 0, 0, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_TRUE(client.session().failed());
  }
  {
    Client client(gradient(64, 64));
    client.session().start();
    client.next();
    const std::string version = "RFB 003.008\n";
    client.send(std::vector<uint8_t>(version.begin(), version.end()));
    client.next();
    client.send({2});  // VNC authentication, which vx86 does not offer
    EXPECT_TRUE(client.session().failed());
    const std::vector<uint8_t> result = client.next();
    EXPECT_EQ(be32(result, 0), 1u);  // SecurityResult: failed, with the reason
  }
  // A message split anywhere is taken when it is whole.
  Client client(gradient(64, 64));
  client.connect();
  const std::vector<uint8_t> key = bytes({4, 1, 0, 0, 0, 0, 0, 'q'});
  for (uint8_t b : key) client.send({b});
  EXPECT_EQ(client.keys.size(), 1u);
}

TEST(VncKeysymTest, UsKeyboardKeys) {
  EXPECT_EQ(hid_usage_of_keysym('1'), 0x1e);
  EXPECT_EQ(hid_usage_of_keysym('!'), 0x1e);
  EXPECT_EQ(hid_usage_of_keysym('>'), 0x37);
  EXPECT_EQ(hid_usage_of_keysym('~'), 0x35);
  EXPECT_EQ(hid_usage_of_keysym(' '), 0x2c);
  EXPECT_EQ(hid_usage_of_keysym(0xffbe), 0x3a);  // F1
  EXPECT_EQ(hid_usage_of_keysym(0xffc9), 0x45);  // F12
  EXPECT_EQ(hid_usage_of_keysym(0xff52), 0x52);  // Up
  EXPECT_EQ(hid_usage_of_keysym(0xffb5), 0x5d);  // KP_5
  EXPECT_FALSE(hid_usage_of_keysym(0x20ac));     // EuroSign: not on a US keyboard
}

}  // namespace
}  // namespace vx86
