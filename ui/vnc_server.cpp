#include "ui/vnc_server.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <deque>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "core/clock.h"
#include "core/log.h"
#include "core/main_loop.h"
#include "ui/vnc_session.h"

namespace vx86 {

namespace {

// How often clients are given the screen: QEMU's default refresh is 30 ms.
constexpr int64_t kTickNs = 30'000'000;

VncAddress describe(const boost::asio::generic::stream_protocol::endpoint& ep) {
  if (ep.protocol().family() == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(ep.data());
    const std::size_t length = ep.size() > offsetof(sockaddr_un, sun_path)
                                   ? ep.size() - offsetof(sockaddr_un, sun_path)
                                   : 0;
    return {std::string(un->sun_path, strnlen(un->sun_path, length)), "", "unix"};
  }
  boost::asio::ip::tcp::endpoint tcp;
  tcp.resize(ep.size());
  std::memcpy(tcp.data(), ep.data(), ep.size());
  return {tcp.address().to_string(), std::to_string(tcp.port()),
          tcp.address().is_v4() ? "ipv4" : "ipv6"};
}

}  // namespace

struct VncServer::Connection {
  explicit Connection(boost::asio::io_context& io) : socket(io) {}
  Protocol::socket socket;
  std::unique_ptr<VncSession> session;  // made once the client is there
  VncAddress peer;
  std::array<uint8_t, 4096> in{};
  std::deque<std::vector<uint8_t>> out;
  bool writing = false;
  bool initialized = false;  // VNC_INITIALIZED was raised
  bool seen_screen = false;  // its session has been given the screen once
  std::string closing;       // why the session failed: closed once the output is out
  bool open = true;
};

VncServer::VncServer(MainLoop& loop, VncServerOptions options, std::string desktop_name,
                     Callbacks callbacks)
    : loop_(loop),
      name_(std::move(desktop_name)),
      allow_exclusive_(options.allow_exclusive),
      password_auth_(options.password_auth),
      callbacks_(std::move(callbacks)),
      acceptor_(loop.io()) {
  boost::system::error_code ec;
  if (options.unix_socket) {
    if (options.path.size() >= sizeof(sockaddr_un::sun_path)) {
      throw std::runtime_error("unix socket path '" + options.path + "' is too long");
    }
    // A socket left by an earlier run would make bind fail.
    struct stat st {};
    if (::lstat(options.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      ::unlink(options.path.c_str());
    }
    const Protocol::endpoint ep{boost::asio::local::stream_protocol::endpoint(options.path)};
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on unix:" + options.path + ": " + ec.message());
    unlink_path_ = options.path;
    address_ = {options.path, "", "unix"};
  } else {
    using boost::asio::ip::tcp;
    const std::string host = options.host.empty() ? "0.0.0.0" : options.host;
    tcp::resolver resolver(loop.io());
    const unsigned last = std::max(options.display, options.last_display);
    bool listening = false;
    for (unsigned display = options.display; display <= last && !listening; ++display) {
      const std::string port = std::to_string(5900 + display);
      auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
      if (ec) {
        throw std::runtime_error("cannot resolve '" + host + "': " + ec.message());
      }
      for (const auto& entry : results) {
        const Protocol::endpoint ep{entry.endpoint()};
        acceptor_.close(ec);
        acceptor_.open(ep.protocol(), ec);
        if (ec) continue;
        acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
        acceptor_.bind(ep, ec);
        if (ec) continue;
        acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) continue;
        listening = true;
        break;
      }
    }
    if (!listening) {
      acceptor_.close();
      throw std::runtime_error(
          "cannot listen on " + host + ":" + std::to_string(5900 + options.display) +
          (last > options.display ? " to " + std::to_string(5900 + last) : std::string()) + ": " +
          ec.message());
    }
    address_ = describe(acceptor_.local_endpoint());
  }
  timer_ = std::make_unique<Timer>(loop_.clocks(), ClockType::kHost, [this] { tick(); });
  accept_next();
}

VncServer::~VncServer() {
  *alive_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& c : connections_) c->socket.close(ec);
  if (!unlink_path_.empty()) ::unlink(unlink_path_.c_str());
}

std::vector<VncAddress> VncServer::clients() const {
  std::vector<VncAddress> out;
  for (const auto& c : connections_) out.push_back(c->peer);
  return out;
}

void VncServer::accept_next() {
  auto c = std::make_shared<Connection>(loop_.io());
  acceptor_.async_accept(c->socket, [this, c, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive) return;
    if (ec) {
      if (ec != boost::asio::error::operation_aborted) accept_next();
      return;
    }
    boost::system::error_code peer_ec;
    c->peer = describe(c->socket.remote_endpoint(peer_ec));
    VncSession::Callbacks callbacks;
    callbacks.key = callbacks_.key;
    callbacks.pointer = callbacks_.pointer;
    callbacks.absolute_pointer = callbacks_.absolute_pointer;
    callbacks.key_of_number = callbacks_.key_of_number;
    if (password_auth_) {
      callbacks.password = [this] {
        const bool expired = expires_ && std::chrono::system_clock::now() >= *expires_;
        return expired ? std::string() : password_;
      };
    }
    std::weak_ptr<Connection> weak = c;
    callbacks.send = [this, weak, alive](std::vector<uint8_t> bytes) {
      auto connection = weak.lock();
      if (!*alive || !connection) return;
      connection->out.push_back(std::move(bytes));
      write_next(connection);
    };
    c->session = std::make_unique<VncSession>(name_, callbacks_.picture(), std::move(callbacks));
    connections_.push_back(c);
    if (callbacks_.client_event) callbacks_.client_event("VNC_CONNECTED", c->peer);
    c->session->start();
    read_next(c);
    schedule_tick();
    accept_next();
  });
}

void VncServer::read_next(const std::shared_ptr<Connection>& c) {
  c->socket.async_read_some(
      boost::asio::buffer(c->in),
      [this, c, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
        if (!*alive || !c->open) return;
        if (ec) return drop(c, "");
        c->session->feed(c->in.data(), n);
        if (c->session->failed()) {
          // What the session still had to say (a failed SecurityResult with
          // its reason) goes out before the connection closes.
          c->closing = c->session->error();
          if (c->out.empty() && !c->writing) drop(c, c->closing);
          return;
        }
        if (c->session->ready() && !c->initialized) {
          c->initialized = true;
          if (callbacks_.client_event) callbacks_.client_event("VNC_INITIALIZED", c->peer);
          // A client that wants the desktop alone pushes the others out.
          if (allow_exclusive_ && !c->session->shared()) {
            auto others = connections_;
            for (auto& other : others) {
              if (other != c) drop(other, "another client asked for the desktop alone");
            }
          }
        }
        read_next(c);
      });
}

void VncServer::write_next(const std::shared_ptr<Connection>& c) {
  if (c->writing || c->out.empty() || !c->open) return;
  c->writing = true;
  boost::asio::async_write(
      c->socket, boost::asio::buffer(c->out.front()),
      [this, c, alive = alive_](const boost::system::error_code& ec, std::size_t) {
        if (!*alive || !c->open) return;
        c->writing = false;
        c->out.pop_front();
        if (ec) return drop(c, c->closing);
        if (!c->closing.empty() && c->out.empty()) return drop(c, c->closing);
        write_next(c);
      });
}

void VncServer::drop(const std::shared_ptr<Connection>& c, const std::string& why) {
  if (!c->open) return;
  c->open = false;
  if (!why.empty()) warn_report("vnc: client %s: %s", c->peer.host.c_str(), why.c_str());
  boost::system::error_code ec;
  c->socket.close(ec);
  connections_.remove(c);
  if (callbacks_.client_event) callbacks_.client_event("VNC_DISCONNECTED", c->peer);
}

void VncServer::schedule_tick() {
  if (!timer_->pending()) timer_->mod(loop_.clocks().now(ClockType::kHost) + kTickNs);
}

void VncServer::tick() {
  // Timers run under the device lock; the picture is taken under it but
  // encoded without it, so the vCPUs do not wait for the encoders.
  boost::asio::post(loop_.io(), [this, alive = alive_] {
    if (*alive) send_screen();
  });
}

void VncServer::send_screen() {
  if (connections_.empty()) return;  // no clients: no work until one comes
  RgbImage screen = callbacks_.picture();
  // The sessions hear of a screen only when it changed (or a client is new).
  const bool changed = screen.width != last_screen_.width || screen.height != last_screen_.height ||
                       screen.pixels != last_screen_.pixels;
  auto connections = connections_;
  for (auto& c : connections) {
    if (c->open && c->session->ready() && (changed || !c->seen_screen)) {
      c->session->screen_changed(screen);
      c->seen_screen = true;
    }
  }
  if (changed) last_screen_ = std::move(screen);
  schedule_tick();
}

}  // namespace vx86
