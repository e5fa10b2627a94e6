#include "core/chardev_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>

#include "core/device_lock.h"
#include "core/log.h"
#include "core/main_loop.h"

namespace vx86 {

SocketChardev::SocketChardev(std::string id, MainLoop& loop, SocketChardevOptions options)
    : FdChardev(std::move(id), loop),
      opts_(std::move(options)),
      acceptor_(loop.io()),
      socket_(loop.io()),
      retry_timer_(loop.io()) {
  if (opts_.fd >= 0) {
    adopt_fd();
  } else {
    resolve();
  }
  if (opts_.server) {
    if (opts_.fd < 0) listen();
    if (opts_.wait) {
      std::fprintf(stderr, "info: vx86 waiting for connection on: disconnected:%s\n",
                   address().c_str());
      boost::system::error_code ec;
      acceptor_.accept(socket_, ec);
      if (ec) throw std::runtime_error("accepting on " + address() + " failed: " + ec.message());
      on_connected();
    } else {
      accept_async();
    }
    return;
  }
  if (opts_.fd >= 0) {
    on_connected();
    return;
  }
  boost::system::error_code ec;
  if (connect_now(&ec)) return;
  if (opts_.reconnect_seconds == 0) {
    throw std::runtime_error("could not connect to " + address() + ": " + ec.message());
  }
  warn_report("chardev '%s': could not connect to %s: %s; retrying every %u s", this->id().c_str(),
              address().c_str(), ec.message().c_str(), opts_.reconnect_seconds);
  schedule_retry();
}

SocketChardev::~SocketChardev() {
  stop_reading();
  close_received_fds();
  boost::system::error_code ec;
  retry_timer_.cancel();
  socket_.close(ec);
  acceptor_.close(ec);
  if (unlink_path_) ::unlink(opts_.path.c_str());
}

void SocketChardev::resolve() {
  if (opts_.unix_socket) {
    if (opts_.path.empty()) throw std::runtime_error("a unix socket needs a path");
    if (opts_.path.size() >= sizeof(sockaddr_un::sun_path)) {
      throw std::runtime_error("unix socket path '" + opts_.path + "' is too long");
    }
    endpoints_.emplace_back(boost::asio::local::stream_protocol::endpoint(opts_.path));
    return;
  }
  using boost::asio::ip::tcp;
  std::string host = opts_.host;
  if (host.empty()) host = opts_.server ? "0.0.0.0" : "localhost";
  tcp::resolver resolver(loop().io());
  boost::system::error_code ec;
  auto flags = opts_.server ? tcp::resolver::passive : tcp::resolver::flags();
  auto results = resolver.resolve(host, opts_.port, flags, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot resolve '" + host + ":" + opts_.port +
                             "': " + (ec ? ec.message() : std::string("no address")));
  }
  for (const auto& entry : results) endpoints_.emplace_back(entry.endpoint());
}

void SocketChardev::adopt_fd() {
  const int fd = opts_.fd;
  const std::string what = "fd=" + std::to_string(fd);
  // The fd is this chardev's from here: one it cannot use is closed (but
  // never stdin, stdout or stderr, which the error message still needs).
  auto give_up = [fd] {
    if (fd > 2) ::close(fd);
  };
  int family = AF_UNSPEC;
  try {
    family = check_adopted_fd(what);
  } catch (const std::runtime_error&) {
    give_up();
    throw;
  }
  boost::system::error_code ec;
  if (opts_.server) {
    acceptor_.assign(Protocol(family, 0), fd, ec);
  } else {
    socket_.assign(Protocol(family, 0), fd, ec);
  }
  if (ec) {
    give_up();
    throw std::runtime_error(what + ": " + ec.message());
  }
}

int SocketChardev::check_adopted_fd(const std::string& what) {
  const int fd = opts_.fd;
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    throw std::runtime_error(what + " is not an open socket: " + std::strerror(errno));
  }
  if (type != SOCK_STREAM) throw std::runtime_error(what + " is not a stream socket");
  sockaddr_storage address{};
  socklen_t address_len = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_len) != 0) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
  }
  const int family = address.ss_family;
  if (family == AF_UNIX) {
    opts_.unix_socket = true;
    opts_.path = reinterpret_cast<const sockaddr_un*>(&address)->sun_path;
  } else if (family == AF_INET || family == AF_INET6) {
    char host[INET6_ADDRSTRLEN] = {};
    const void* ip =
        family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&address)->sin_addr)
            : &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    ::inet_ntop(family, ip, host, sizeof host);
    opts_.host = host;
    opts_.port = std::to_string(
        ntohs(family == AF_INET ? reinterpret_cast<const sockaddr_in*>(&address)->sin_port
                                : reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port));
  } else {
    throw std::runtime_error(what + " is neither a Unix nor a TCP socket");
  }
  int listening = 0;
  len = sizeof listening;
  ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
  if (opts_.server && !listening) {
    throw std::runtime_error(what + " is not a listening socket (server=on takes one)");
  }
  if (!opts_.server && listening) {
    throw std::runtime_error(what + " is a listening socket (add server=on)");
  }
  // Programs vx86 starts (network scripts) do not get it.
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return family;
}

void SocketChardev::listen() {
  if (opts_.unix_socket) {
    // A socket left by an earlier run would make bind fail.
    struct stat st {};
    if (::lstat(opts_.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(opts_.path.c_str());
  }
  boost::system::error_code ec;
  for (const Protocol::endpoint& ep : endpoints_) {
    acceptor_.close(ec);
    acceptor_.open(ep.protocol(), ec);
    if (ec) continue;
    if (!opts_.unix_socket) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
    if (ec) continue;
    acceptor_.listen(1, ec);
    if (ec) continue;
    unlink_path_ = opts_.unix_socket;
    return;
  }
  acceptor_.close();
  throw std::runtime_error("cannot listen on " + address() + ": " + ec.message());
}

void SocketChardev::accept_async() {
  std::weak_ptr<int> life = life_token();
  acceptor_.async_accept(socket_, [this, life](const boost::system::error_code& ec) {
    DeviceLockGuard lock;
    if (life.expired() || ec == boost::asio::error::operation_aborted) return;
    if (ec) {
      // Out of fds, say: try again later rather than spinning.
      warn_report("chardev '%s': accept failed: %s", id().c_str(), ec.message().c_str());
      boost::system::error_code ignored;
      socket_.close(ignored);
      schedule_retry();
      return;
    }
    on_connected();
  });
}

bool SocketChardev::connect_now(boost::system::error_code* error) {
  for (const Protocol::endpoint& ep : endpoints_) {
    boost::system::error_code ec;
    socket_.close(ec);
    socket_.open(ep.protocol(), ec);
    if (!ec) socket_.connect(ep, ec);
    if (!ec) {
      on_connected();
      return true;
    }
    *error = ec;
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  return false;
}

void SocketChardev::connect_async(std::size_t index) {
  boost::system::error_code ec;
  socket_.close(ec);
  if (index >= endpoints_.size()) {
    schedule_retry();
    return;
  }
  socket_.open(endpoints_[index].protocol(), ec);
  if (ec) {
    connect_async(index + 1);
    return;
  }
  std::weak_ptr<int> life = life_token();
  socket_.async_connect(endpoints_[index],
                        [this, life, index](const boost::system::error_code& ec) {
                          DeviceLockGuard lock;
                          if (life.expired() || ec == boost::asio::error::operation_aborted) return;
                          if (ec) {
                            connect_async(index + 1);
                            return;
                          }
                          on_connected();
                        });
}

void SocketChardev::schedule_retry() {
  std::weak_ptr<int> life = life_token();
  unsigned seconds = opts_.reconnect_seconds ? opts_.reconnect_seconds : 1;
  retry_timer_.expires_after(std::chrono::seconds(seconds));
  retry_timer_.async_wait([this, life](const boost::system::error_code& ec) {
    DeviceLockGuard lock;
    if (life.expired() || ec) return;
    if (opts_.server) {
      accept_async();
    } else {
      connect_async(0);
    }
  });
}

void SocketChardev::on_connected() {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (opts_.nodelay && !opts_.unix_socket) {
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  }
  connected_ = true;
  ++connection_;
  start_reading();
  send_event(ChardevEvent::kOpened);
}

ssize_t SocketChardev::read_input(int fd, uint8_t* buf, std::size_t len) {
  if (!opts_.unix_socket) return ::read(fd, buf, len);
  iovec iov{buf, len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxReceivedFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  bool replaced = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    if (!replaced) close_received_fds();
    replaced = true;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int passed;
      std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
      received_fds_.push_back(passed);
    }
  }
  return n;
}

int SocketChardev::take_received_fd() {
  if (received_fds_.empty()) return -1;
  const int fd = received_fds_.front();
  received_fds_.erase(received_fds_.begin());
  return fd;
}

void SocketChardev::close_received_fds() {
  for (int fd : received_fds_) ::close(fd);
  received_fds_.clear();
}

void SocketChardev::disconnect() {
  if (!connected_) return;
  close_received_fds();
  stop_reading();
  connected_ = false;
  ++connection_;
  boost::system::error_code ec;
  socket_.close(ec);
  send_event(ChardevEvent::kClosed);
  if (opts_.server) {
    accept_async();
  } else if (opts_.reconnect_seconds) {
    schedule_retry();
  }
}

void SocketChardev::async_wait_readable(
    std::function<void(const boost::system::error_code&)> done) {
  socket_.async_wait(Protocol::socket::wait_read, std::move(done));
}

void SocketChardev::write(const uint8_t* data, std::size_t len) {
  if (!connected_ || len == 0) return;
  if (write_output(socket_.native_handle(), data, len, true) == FdWriteResult::kClosed) {
    // Possibly on a vCPU thread: let the loop thread tear the connection down.
    std::weak_ptr<int> life = life_token();
    uint64_t connection = connection_;
    boost::asio::post(loop().io(), [this, life, connection] {
      DeviceLockGuard lock;
      if (life.expired() || connection != connection_) return;
      disconnect();
    });
  }
}

uint16_t SocketChardev::local_port() const {
  boost::system::error_code ec;
  if (!acceptor_.is_open()) return 0;
  Protocol::endpoint ep = acceptor_.local_endpoint(ec);
  if (ec) return 0;
  const sockaddr* sa = ep.data();
  if (sa->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  if (sa->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  return 0;
}

std::string SocketChardev::address() const {
  std::string s;
  if (opts_.unix_socket) {
    s = "unix:" + opts_.path;
  } else {
    std::string port = opts_.port;
    if (opts_.server && local_port() != 0) port = std::to_string(local_port());
    s = "tcp:" + (opts_.host.empty() && opts_.server ? std::string("0.0.0.0") : opts_.host) + ":" +
        port;
  }
  if (opts_.server) s += ",server=on";
  return s;
}

}  // namespace vx86
