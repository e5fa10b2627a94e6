// -vnc: a VNC server (RFB, no authentication) on a TCP port or a Unix
// socket, on the main loop. Each client gets a VncSession; the server hands
// every session the screen at the display's pace while clients are there,
// drops a client whose session failed (with the reason in the log), and
// lets a client that asks for the desktop alone (not shared) push the
// others out, as QEMU's default share=allow-exclusive does.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>

#include "core/input.h"
#include "core/rgb_image.h"

namespace vx86 {

class MainLoop;
class Timer;

struct VncServerOptions {
  bool unix_socket = false;
  std::string host;           // TCP; empty: every address
  unsigned display = 0;       // TCP port 5900 + display
  unsigned last_display = 0;  // to=: the displays up to this one are tried in turn
  std::string path;           // Unix
  // share=allow-exclusive (QEMU's default): a client that does not ask to
  // share the desktop pushes the others out; else everyone shares.
  bool allow_exclusive = true;
  // password=on: clients must answer VNC authentication's challenge with
  // the password set_password() gave (none at first: nobody gets in).
  bool password_auth = false;
};

// Where a server listens or a client is, as QMP's query-vnc gives it.
struct VncAddress {
  std::string host, service, family;  // family: ipv4, ipv6 or unix
};

class VncServer {
 public:
  struct Callbacks {
    // The screen now (the program takes the device lock).
    std::function<RgbImage()> picture;
    std::function<void(uint16_t usage, bool down)> key;
    std::function<void(const std::vector<InputEvent>& events)> pointer;
    std::function<bool()> absolute_pointer;
    std::function<std::optional<uint16_t>(unsigned number)> key_of_number;
    // A client connected, finished its handshake, or left (QMP's
    // VNC_CONNECTED, VNC_INITIALIZED, VNC_DISCONNECTED).
    std::function<void(const char* event, const VncAddress& client)> client_event;
  };

  // Listens; throws std::runtime_error with a one-line reason when no
  // address can be used.
  VncServer(MainLoop& loop, VncServerOptions options, std::string desktop_name,
            Callbacks callbacks);
  ~VncServer();
  VncServer(const VncServer&) = delete;
  VncServer& operator=(const VncServer&) = delete;

  const VncAddress& address() const { return address_; }
  bool password_auth() const { return password_auth_; }
  // The password for the clients that connect from now on. An expiry set
  // before stays (as in QEMU: expire_password never lifts it).
  void set_password(std::string password) { password_ = std::move(password); }
  // QMP expire_password: from `when` on, nobody gets in until a new password
  // is set; nullopt: never.
  void expire_password(std::optional<std::chrono::system_clock::time_point> when) {
    expires_ = when;
  }
  std::vector<VncAddress> clients() const;

 private:
  using Protocol = boost::asio::generic::stream_protocol;
  struct Connection;

  void accept_next();
  void read_next(const std::shared_ptr<Connection>& c);
  void write_next(const std::shared_ptr<Connection>& c);
  void drop(const std::shared_ptr<Connection>& c, const std::string& why);
  void tick();
  void send_screen();
  void schedule_tick();

  MainLoop& loop_;
  std::string name_;
  bool allow_exclusive_;
  bool password_auth_;
  std::string password_;
  std::optional<std::chrono::system_clock::time_point> expires_;
  Callbacks callbacks_;
  boost::asio::basic_socket_acceptor<Protocol> acceptor_;
  VncAddress address_;
  std::string unlink_path_;
  std::list<std::shared_ptr<Connection>> connections_;
  std::unique_ptr<Timer> timer_;
  RgbImage last_screen_;  // what the sessions were last given
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vx86
