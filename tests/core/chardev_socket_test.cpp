// TCP and Unix socket backends against real peers on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "core/chardev_socket.h"
#include "tests/core/chardev_test_util.h"

namespace vx86 {
namespace {

using test::read_fd_until;
using test::RecordingFrontend;
using test::run_until;
using test::write_fd;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() { reset(); }
  void reset(int f = -1) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
};

int connect_tcp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A TCP socket bound to a free loopback port; listening only if asked.
int bound_tcp(bool listening, uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return -1;
  if (listening) ::listen(fd, 4);
  socklen_t len = sizeof(sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

std::string unix_path(const char* name) {
  return "/tmp/vx86-cd-" + std::to_string(::getpid()) + "-" + name + ".sock";
}

SocketChardevOptions tcp_server() {
  SocketChardevOptions o;
  o.host = "127.0.0.1";
  o.port = "0";
  o.server = true;
  o.wait = false;
  o.nodelay = true;
  return o;
}

TEST(ChardevSocket, TcpServerTalksBothWays) {
  MainLoop loop;
  SocketChardev cd("s0", loop, tcp_server());
  RecordingFrontend fe;
  cd.set_frontend(&fe);
  uint16_t port = cd.local_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(cd.address(), "tcp:127.0.0.1:" + std::to_string(port) + ",server=on");
  EXPECT_FALSE(cd.connected());

  Fd client(connect_tcp(port));
  ASSERT_GE(client.fd, 0);
  ASSERT_TRUE(run_until(loop, [&] { return cd.connected(); }));
  EXPECT_EQ(fe.count(ChardevEvent::kOpened), 1);

  write_fd(client.fd, "from host");
  ASSERT_TRUE(run_until(loop, [&] { return fe.received == "from host"; })) << fe.received;
  cd.write("from guest");
  EXPECT_EQ(read_fd_until(loop, client.fd, 10), "from guest");
}

TEST(ChardevSocket, TcpServerAcceptsTheNextClientAndDropsOutputMeanwhile) {
  MainLoop loop;
  SocketChardev cd("s0", loop, tcp_server());
  RecordingFrontend fe;
  cd.set_frontend(&fe);
  Fd first(connect_tcp(cd.local_port()));
  ASSERT_TRUE(run_until(loop, [&] { return cd.connected(); }));
  first.reset();
  ASSERT_TRUE(run_until(loop, [&] { return !cd.connected(); }));
  EXPECT_EQ(fe.count(ChardevEvent::kClosed), 1);

  cd.write("lost");  // nobody connected
  Fd second(connect_tcp(cd.local_port()));
  ASSERT_GE(second.fd, 0);
  ASSERT_TRUE(run_until(loop, [&] { return cd.connected(); }));
  EXPECT_EQ(fe.count(ChardevEvent::kOpened), 2);
  cd.write("kept");
  EXPECT_EQ(read_fd_until(loop, second.fd, 4), "kept");
  write_fd(second.fd, "hi");
  ASSERT_TRUE(run_until(loop, [&] { return fe.received == "hi"; }));
}

TEST(ChardevSocket, SlowFrontendLosesNothing) {
  MainLoop loop;
  SocketChardev cd("s0", loop, tcp_server());
  RecordingFrontend fe;
  fe.room = 0;
  cd.set_frontend(&fe);
  Fd client(connect_tcp(cd.local_port()));
  ASSERT_TRUE(run_until(loop, [&] { return cd.connected(); }));
  std::string sent;
  for (int i = 0; i < 12000; ++i) sent += static_cast<char>('A' + i % 29);
  write_fd(client.fd, sent);
  ASSERT_TRUE(run_until(loop, [&] { return cd.pending_input() == 4096; }));
  ASSERT_TRUE(run_until(loop, [&] {
    if (fe.room == 0) {
      fe.room = 700;
      cd.accept_input();
    }
    return fe.received.size() == sent.size();
  }));
  EXPECT_EQ(fe.received, sent);
}

TEST(ChardevSocket, TcpClientConnects) {
  MainLoop loop;
  uint16_t port = 0;
  Fd listener(bound_tcp(true, &port));
  ASSERT_GE(listener.fd, 0);
  SocketChardevOptions o;
  o.host = "127.0.0.1";
  o.port = std::to_string(port);
  SocketChardev cd("c0", loop, o);
  EXPECT_TRUE(cd.connected());
  RecordingFrontend fe;
  cd.set_frontend(&fe);
  Fd peer(::accept(listener.fd, nullptr, nullptr));
  ASSERT_GE(peer.fd, 0);
  cd.write("ping");
  EXPECT_EQ(read_fd_until(loop, peer.fd, 4), "ping");
  write_fd(peer.fd, "pong");
  ASSERT_TRUE(run_until(loop, [&] { return fe.received == "pong"; }));
  peer.reset();
  ASSERT_TRUE(run_until(loop, [&] { return !cd.connected(); }));
  EXPECT_EQ(fe.count(ChardevEvent::kClosed), 1);
}

TEST(ChardevSocket, TcpClientRefusedIsAnError) {
  MainLoop loop;
  uint16_t port = 0;
  Fd not_listening(bound_tcp(false, &port));  // holds the port, refuses connections
  ASSERT_GE(not_listening.fd, 0);
  SocketChardevOptions o;
  o.host = "127.0.0.1";
  o.port = std::to_string(port);
  try {
    SocketChardev cd("c0", loop, o);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("could not connect to tcp:127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("refused"), std::string::npos) << msg;
  }
}

TEST(ChardevSocket, TcpClientReconnectRetriesUntilTheServerListens) {
  MainLoop loop;
  uint16_t port = 0;
  Fd server(bound_tcp(false, &port));
  ASSERT_GE(server.fd, 0);
  SocketChardevOptions o;
  o.host = "127.0.0.1";
  o.port = std::to_string(port);
  o.reconnect_seconds = 1;
  SocketChardev cd("c0", loop, o);  // refused: not fatal with reconnect
  EXPECT_FALSE(cd.connected());
  ASSERT_EQ(::listen(server.fd, 4), 0);
  ASSERT_TRUE(run_until(
      loop, [&] { return cd.connected(); }, 1000));
  Fd peer(::accept(server.fd, nullptr, nullptr));
  cd.write("back");
  EXPECT_EQ(read_fd_until(loop, peer.fd, 4), "back");
}

TEST(ChardevSocket, UnixServerAndClientPair) {
  MainLoop loop;
  std::string path = unix_path("pair");
  SocketChardevOptions server_opts;
  server_opts.unix_socket = true;
  server_opts.path = path;
  server_opts.server = true;
  server_opts.wait = false;
  auto server = std::make_unique<SocketChardev>("srv", loop, server_opts);
  EXPECT_EQ(server->address(), "unix:" + path + ",server=on");

  SocketChardevOptions client_opts;
  client_opts.unix_socket = true;
  client_opts.path = path;
  SocketChardev client("cli", loop, client_opts);
  ASSERT_TRUE(run_until(loop, [&] { return server->connected(); }));

  RecordingFrontend server_fe, client_fe;
  server->set_frontend(&server_fe);
  client.set_frontend(&client_fe);
  client.write("to server");
  server->write("to client");
  ASSERT_TRUE(run_until(loop, [&] {
    return server_fe.received == "to server" && client_fe.received == "to client";
  }));
  server.reset();  // removes the socket file
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  ASSERT_TRUE(run_until(loop, [&] { return !client.connected(); }));
}

TEST(ChardevSocket, UnixServerWaitBlocksUntilAClientConnects) {
  MainLoop loop;
  std::string path = unix_path("wait");
  ::unlink(path.c_str());
  std::atomic<int> client_fd{-1};
  std::thread client([&] {
    // Bounded: the server binds within a moment of starting.
    for (int i = 0; i < 1000 && client_fd < 0; ++i) {
      client_fd = connect_unix(path);
      if (client_fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  SocketChardevOptions o;
  o.unix_socket = true;
  o.path = path;
  o.server = true;
  o.wait = true;
  SocketChardev cd("w0", loop, o);
  client.join();
  ASSERT_GE(client_fd.load(), 0);
  Fd peer(client_fd.load());
  EXPECT_TRUE(cd.connected());
  cd.write("ready");
  EXPECT_EQ(read_fd_until(loop, peer.fd, 5), "ready");
}

TEST(ChardevSocket, UnixClientWithoutServerIsAnError) {
  MainLoop loop;
  SocketChardevOptions o;
  o.unix_socket = true;
  o.path = unix_path("missing");
  EXPECT_THROW(SocketChardev("c0", loop, o), std::runtime_error);
}

}  // namespace
}  // namespace vx86
