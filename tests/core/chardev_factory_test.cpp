// -chardev options and the legacy -serial/-monitor spellings.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "core/chardev_factory.h"
#include "core/chardev_file.h"
#include "core/chardev_mux.h"
#include "core/chardev_null.h"
#include "core/chardev_socket.h"
#include "core/main_loop.h"
#include "tests/send_fd.h"

namespace vx86 {
namespace {

// The message of the OptionError fn throws ("" if none).
template <typename Fn>
std::string option_error(Fn fn) {
  try {
    fn();
  } catch (const OptionError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ChardevFactory, CreatesEachSimpleBackend) {
  MainLoop loop;
  auto null = create_chardev(parse_chardev_option("null,id=n0"), loop);
  EXPECT_NE(dynamic_cast<NullChardev*>(null.get()), nullptr);
  EXPECT_EQ(null->id(), "n0");

  std::string path = "/tmp/vx86-cdf-" + std::to_string(getpid());
  auto file = create_chardev(parse_chardev_option("file,id=f0,path=" + path + ",append=on"), loop);
  ASSERT_NE(dynamic_cast<FileChardev*>(file.get()), nullptr);
  EXPECT_EQ(static_cast<FileChardev*>(file.get())->path(), path);
  file.reset();
  unlink(path.c_str());
}

TEST(ChardevFactory, SocketServerOnAnyPort) {
  MainLoop loop;
  auto cd = create_chardev(
      parse_chardev_option("socket,id=s0,host=127.0.0.1,port=0,server=on,wait=off,nodelay=on"),
      loop);
  auto* sock = dynamic_cast<SocketChardev*>(cd.get());
  ASSERT_NE(sock, nullptr);
  EXPECT_NE(sock->local_port(), 0);
  EXPECT_FALSE(sock->connected());
}

TEST(ChardevFactory, OptionsParsedWithoutDescriptionsAreCheckedToo) {
  MainLoop loop;
  auto kv = KeyValues::parse("-chardev", "null,id=n0,bogus=1", "backend", {});
  std::string msg = option_error([&] { create_chardev(kv, loop); });
  EXPECT_TRUE(contains(msg, "-chardev")) << msg;
  EXPECT_TRUE(contains(msg, "'bogus'")) << msg;

  kv = KeyValues::parse("-chardev", "socket,id=s0,port=1,server=maybe", "backend", {});
  msg = option_error([&] { create_chardev(kv, loop); });
  EXPECT_TRUE(contains(msg, "'server'")) << msg;
  EXPECT_TRUE(contains(msg, "maybe")) << msg;
}

TEST(ChardevFactory, ErrorsNameTheOptionAndKey) {
  MainLoop loop;
  std::string msg = option_error([] { parse_chardev_option("nosuch,id=x"); });
  EXPECT_TRUE(contains(msg, "-chardev")) << msg;
  EXPECT_TRUE(contains(msg, "unknown backend 'nosuch'")) << msg;

  msg = option_error([] { parse_chardev_option("pty,id=p0,path=/x"); });
  EXPECT_TRUE(contains(msg, "'path'")) << msg;

  msg = option_error([] { parse_chardev_option("socket,id=s0,port=http"); });
  EXPECT_TRUE(contains(msg, "'port'")) << msg;
  EXPECT_TRUE(contains(msg, "http")) << msg;

  msg = option_error([] { parse_chardev_option("null"); });
  EXPECT_TRUE(contains(msg, "'id'")) << msg;

  msg = option_error([&] { create_chardev(parse_chardev_option("socket,id=s0"), loop); });
  EXPECT_TRUE(contains(msg, "'port'")) << msg;

  msg =
      option_error([&] { create_chardev(parse_chardev_option("socket,id=s0,port=70000"), loop); });
  EXPECT_TRUE(contains(msg, "70000")) << msg;

  msg = option_error(
      [&] { create_chardev(parse_chardev_option("file,id=f0,path=/nonexistent-dir/f"), loop); });
  EXPECT_TRUE(contains(msg, "-chardev")) << msg;
  EXPECT_TRUE(contains(msg, "/nonexistent-dir/f")) << msg;
}

// fd=N, as libvirt passes the sockets it made: a listening one for a server,
// a connected one for a client; anything else is refused with the reason.
TEST(ChardevFactory, SocketsInheritedByNumber) {
  MainLoop loop;
  auto error_of = [&](const std::string& option) -> std::string {
    try {
      create_chardev(parse_chardev_option(option), loop);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  const std::string path = "/tmp/vx86-cdf-fd-" + std::to_string(getpid());
  const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  unlink(path.c_str());
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);

  // A refused fd is closed, as the chardev would have owned it: copies here.
  EXPECT_TRUE(contains(error_of("socket,id=s,fd=" + std::to_string(dup(pair[0])) + ",server=on"),
                       "is not a listening socket"));
  EXPECT_TRUE(contains(error_of("socket,id=s,fd=" + std::to_string(dup(listener))),
                       "is a listening socket (add server=on)"));
  const int pipe_copy = dup(pipe_fds[0]);
  EXPECT_TRUE(
      contains(error_of("socket,id=s,fd=" + std::to_string(pipe_copy)), "is not an open socket"));
  EXPECT_EQ(fcntl(pipe_copy, F_GETFD), -1);  // closed
  EXPECT_TRUE(contains(error_of("socket,id=s,fd=abc"), "'fd'"));
  EXPECT_TRUE(contains(error_of("socket,id=s,fd=3,path=/x"), "exactly one of"));

  // The listening socket: its path is known, and clients are accepted.
  auto server = create_chardev(
      parse_chardev_option("socket,id=s0,fd=" + std::to_string(listener) + ",server=on,wait=off"),
      loop);
  EXPECT_EQ(server->filename(), "disconnected:unix:" + path + ",server=on");
  const int client = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  for (int i = 0; i < 100 && !server->is_open(); ++i) loop.run_once(10);
  EXPECT_TRUE(server->is_open());
  // The connected one: bytes written go to its peer at once.
  auto connected =
      create_chardev(parse_chardev_option("socket,id=s1,fd=" + std::to_string(pair[0])), loop);
  EXPECT_TRUE(connected->is_open());
  connected->write("hi");
  char got[2] = {};
  EXPECT_EQ(read(pair[1], got, 2), 2);
  EXPECT_EQ(std::string(got, 2), "hi");
  // An fd the peer passes with its data (SCM_RIGHTS) is there to take once.
  EXPECT_EQ(connected->take_received_fd(), -1);
  ASSERT_TRUE(test::send_with_fd(pair[1], "x", 1, pipe_fds[1]));
  for (int i = 0; i < 100 && connected->pending_input() == 0; ++i) loop.run_once(10);
  EXPECT_EQ(connected->pending_input(), 1u);
  const int passed = connected->take_received_fd();
  ASSERT_GE(passed, 0);
  EXPECT_EQ(connected->take_received_fd(), -1);
  ASSERT_EQ(write(passed, "p", 1), 1);
  EXPECT_EQ(read(pipe_fds[0], got, 1), 1);
  EXPECT_EQ(got[0], 'p');
  close(passed);

  server.reset();
  connected.reset();
  for (int fd : {client, pair[1], pipe_fds[0], pipe_fds[1]}) close(fd);
  unlink(path.c_str());
}

TEST(ChardevFactory, MuxOnWrapsTheBackendAndCtrlAXStopsTheLoop) {
  MainLoop loop;
  auto cd = create_chardev(parse_chardev_option("null,id=m0,mux=on"), loop);
  auto* mux = dynamic_cast<MuxChardev*>(cd.get());
  ASSERT_NE(mux, nullptr);
  EXPECT_EQ(mux->id(), "m0");
  Chardev* port = chardev_for_frontend(cd.get());
  ASSERT_NE(port, nullptr);
  EXPECT_FALSE(loop.stopped());
  const uint8_t keys[] = {0x01, 'x'};
  mux->backend().deliver_input(keys, sizeof(keys));
  EXPECT_TRUE(loop.stopped());
}

TEST(ChardevLegacy, SimpleSpellings) {
  LegacyChardev none = parse_legacy_chardev_spec("-serial", "none", "serial0");
  EXPECT_EQ(none.kind, LegacyChardev::Kind::kNone);

  LegacyChardev stdio = parse_legacy_chardev_spec("-serial", "stdio", "serial0");
  ASSERT_EQ(stdio.kind, LegacyChardev::Kind::kNew);
  EXPECT_EQ(stdio.opts->get_string("backend"), "stdio");
  EXPECT_EQ(stdio.opts->get_string("id"), "serial0");
  EXPECT_FALSE(stdio.opts->has("mux"));
  EXPECT_FALSE(stdio.with_monitor);

  EXPECT_EQ(parse_legacy_chardev_spec("-serial", "pty", "serial0").opts->get_string("backend"),
            "pty");
  EXPECT_EQ(parse_legacy_chardev_spec("-serial", "null", "serial0").opts->get_string("backend"),
            "null");

  LegacyChardev file = parse_legacy_chardev_spec("-serial", "file:/tmp/a,b.log", "serial0");
  EXPECT_EQ(file.opts->get_string("backend"), "file");
  EXPECT_EQ(file.opts->get_string("path"), "/tmp/a,b.log");

  LegacyChardev existing = parse_legacy_chardev_spec("-serial", "chardev:s0", "serial0");
  EXPECT_EQ(existing.kind, LegacyChardev::Kind::kExisting);
  EXPECT_EQ(existing.existing_id, "s0");
}

TEST(ChardevLegacy, MonStdioIsAMuxWithoutSignals) {
  LegacyChardev mon = parse_legacy_chardev_spec("-serial", "mon:stdio", "serial0");
  ASSERT_EQ(mon.kind, LegacyChardev::Kind::kNew);
  EXPECT_TRUE(mon.with_monitor);
  EXPECT_EQ(mon.opts->get_string("backend"), "stdio");
  EXPECT_TRUE(mon.opts->get_bool("mux", false));
  EXPECT_FALSE(mon.opts->get_bool("signal", true));
}

TEST(ChardevLegacy, TcpAndUnixSockets) {
  LegacyChardev a = parse_legacy_chardev_spec("-serial", "tcp::4444,server,nowait", "serial0");
  EXPECT_EQ(a.opts->get_string("backend"), "socket");
  EXPECT_FALSE(a.opts->has("host"));
  EXPECT_EQ(a.opts->get_number("port", 0), 4444u);
  EXPECT_TRUE(a.opts->get_bool("server", false));
  EXPECT_FALSE(a.opts->get_bool("wait", true));

  LegacyChardev b = parse_legacy_chardev_spec(
      "-serial", "tcp:127.0.0.1:5555,server=on,wait=off,nodelay", "serial0");
  EXPECT_EQ(b.opts->get_string("host"), "127.0.0.1");
  EXPECT_EQ(b.opts->get_number("port", 0), 5555u);
  EXPECT_TRUE(b.opts->get_bool("nodelay", false));

  LegacyChardev c = parse_legacy_chardev_spec("-serial", "tcp:[::1]:23", "serial0");
  EXPECT_EQ(c.opts->get_string("host"), "::1");
  EXPECT_FALSE(c.opts->has("server"));

  LegacyChardev d =
      parse_legacy_chardev_spec("-monitor", "unix:/tmp/vx86.sock,server,nowait", "compat_monitor0");
  EXPECT_EQ(d.opts->get_string("path"), "/tmp/vx86.sock");
  EXPECT_EQ(d.opts->get_string("id"), "compat_monitor0");
  EXPECT_EQ(d.opts->option(), "-monitor");
  EXPECT_TRUE(d.opts->get_bool("server", false));
}

TEST(ChardevLegacy, KeyValuesFormForCreateChardev) {
  KeyValues kv = parse_legacy_chardev("-serial", "mon:stdio", "serial0");
  EXPECT_EQ(kv.get_string("backend"), "stdio");
  EXPECT_EQ(kv.get_string("id"), "serial0");
  EXPECT_TRUE(kv.get_bool("mux", false));
  std::string msg = option_error([] { parse_legacy_chardev("-serial", "chardev:x", "serial0"); });
  EXPECT_TRUE(contains(msg, "-serial chardev:x")) << msg;
}

TEST(ChardevLegacy, ErrorsNameTheOption) {
  std::string msg =
      option_error([] { parse_legacy_chardev_spec("-serial", "vc:80Cx24C", "serial0"); });
  EXPECT_TRUE(contains(msg, "-serial")) << msg;
  EXPECT_TRUE(contains(msg, "vc:80Cx24C")) << msg;

  msg = option_error([] { parse_legacy_chardev_spec("-monitor", "tcp:4444", "serial0"); });
  EXPECT_TRUE(contains(msg, "-monitor")) << msg;

  msg = option_error([] { parse_legacy_chardev_spec("-serial", "tcp::4444,telnet", "serial0"); });
  EXPECT_TRUE(contains(msg, "'telnet'")) << msg;

  msg = option_error([] { parse_legacy_chardev_spec("-serial", "tcp::port", "serial0"); });
  EXPECT_TRUE(contains(msg, "'port'")) << msg;
}

}  // namespace
}  // namespace vx86
