// The socket backend over TCP or a Unix-domain stream socket, as a server
// (one client at a time; the next is accepted once the current one leaves) or
// as a client. Output written while no peer is connected is dropped. The
// socket may also come ready-made from the parent process (fd=N, as libvirt
// passes its monitor and channel sockets): listening with server=on,
// connected without.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/chardev_fd.h"

namespace vx86 {

struct SocketChardevOptions {
  bool unix_socket = false;
  std::string host;  // TCP; empty: every address (server) or localhost (client)
  std::string port;  // TCP; "0" asks a server for any free port
  std::string path;  // Unix
  bool server = false;
  bool wait = true;  // server: block in the constructor until a client connects
  bool nodelay = false;
  unsigned reconnect_seconds = 0;  // client: retry this often instead of failing
  int fd = -1;                     // an inherited socket instead of an address
};

class SocketChardev : public FdChardev {
 public:
  // Binds/listens or connects. Throws std::runtime_error with a one-line
  // message when the address cannot be used or (without reconnect) reached.
  SocketChardev(std::string id, MainLoop& loop, SocketChardevOptions options);
  ~SocketChardev() override;

  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override;

  bool connected() const { return connected_; }
  bool is_open() const override { return connected_; }
  int take_received_fd() override;
  // The port a TCP server listens on (the one picked when port was 0).
  uint16_t local_port() const;
  // QEMU-style description: "tcp:127.0.0.1:4444,server=on", "unix:/p".
  std::string address() const;
  // As QEMU: the address, marked "disconnected:" while no peer is there.
  std::string filename() const override {
    return connected_ ? address() : "disconnected:" + address();
  }

 protected:
  int input_fd() override { return connected_ ? socket_.native_handle() : -1; }
  void async_wait_readable(std::function<void(const boost::system::error_code&)> done) override;
  void on_input_closed() override { disconnect(); }
  ssize_t read_input(int fd, uint8_t* buf, std::size_t len) override;

 private:
  using Protocol = boost::asio::generic::stream_protocol;
  static constexpr std::size_t kMaxReceivedFds = 16;

  void resolve();
  // Takes over opts_.fd, learning its address from it.
  void adopt_fd();
  // Its address family, after checking it is a socket of the right kind.
  int check_adopted_fd(const std::string& what);
  void listen();
  void accept_async();
  bool connect_now(boost::system::error_code* error);
  void connect_async(std::size_t index);
  void schedule_retry();
  void on_connected();
  void disconnect();

  SocketChardevOptions opts_;
  boost::asio::basic_socket_acceptor<Protocol> acceptor_;
  Protocol::socket socket_;
  boost::asio::steady_timer retry_timer_;
  std::vector<Protocol::endpoint> endpoints_;
  bool connected_ = false;
  uint64_t connection_ = 0;  // bumps on each connect/disconnect
  bool unlink_path_ = false;
  // The fds the peer passed with its latest message that carried any, as
  // QEMU keeps them; closed when unclaimed and replaced, or at disconnect.
  std::vector<int> received_fds_;
  void close_received_fds();
};

}  // namespace vx86
