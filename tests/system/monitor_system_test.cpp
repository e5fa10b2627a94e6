// The human monitor on a unix socket, driven by a client as a user would.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

// Connects to path (retrying while vx86 starts), sends commands, returns all output.
std::string talk(const std::string& path, const std::string& commands) {
  int fd = -1;
  for (int attempt = 0; attempt < 200 && fd < 0; ++attempt) {
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      fd = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (fd < 0) return "<no connection>";
  std::string out;
  char buf[4096];
  auto read_until = [&](const std::string& marker) {
    for (int i = 0; i < 400 && out.find(marker) == std::string::npos; ++i) {
      timeval tv{0, 50000};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
      if (n == 0) break;
    }
  };
  read_until("(vx86) ");
  std::size_t start = 0;
  while (start < commands.size()) {
    std::size_t nl = commands.find('\n', start);
    std::string line = commands.substr(start, nl - start + 1);
    start = nl + 1;
    std::size_t prompts = 0;
    for (std::size_t p = out.find("(vx86) "); p != std::string::npos;
         p = out.find("(vx86) ", p + 1))
      ++prompts;
    if (write(fd, line.data(), line.size()) < 0) break;
    if (line.rfind("quit", 0) == 0) break;
    // Wait for the next prompt.
    for (int i = 0; i < 400; ++i) {
      std::size_t now = 0;
      for (std::size_t p = out.find("(vx86) "); p != std::string::npos;
           p = out.find("(vx86) ", p + 1))
        ++now;
      if (now > prompts) break;
      timeval tv{0, 50000};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
      if (n == 0) break;
    }
  }
  close(fd);
  return out;
}

TEST(MonitorSystemTest, StopContInspectAndQuitOverUnixSocket) {
  std::string dir = ::testing::TempDir();
  std::string sock = dir + "/vx86-monitor-" + std::to_string(getpid()) + ".sock";
  std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto vx86 = std::async(std::launch::async, [&] {
    return run_command({VX86_BINARY, "-display", "none", "-bios", bios, "-serial", "null",
                        "-monitor", "unix:" + sock + ",server=on,wait=off"},
                       60);
  });
  std::string out = talk(sock,
                         "info status\nstop\ninfo status\nxp /4b 0xffff0\ninfo lapic\n"
                         "info lapic 3\ncont\ninfo status\nquit\n");
  CommandResult r = vx86.get();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(out.find("vx86 monitor"), std::string::npos) << out;
  EXPECT_NE(out.find("VM status: running"), std::string::npos) << out;
  EXPECT_NE(out.find("VM status: paused"), std::string::npos) << out;
  // The reset vector of the spin guest: a far jump (EA).
  EXPECT_NE(out.find("00000000000ffff0: 0xea"), std::string::npos) << out;
  // The local APIC as the spin guest leaves it: its reset state.
  EXPECT_NE(out.find("dumping local APIC state for CPU 0"), std::string::npos) << out;
  EXPECT_NE(out.find("SPIV     0x000000ff APIC disabled"), std::string::npos) << out;
  EXPECT_NE(out.find("info lapic: no CPU 3"), std::string::npos) << out;
  unlink(sock.c_str());
}

}  // namespace
}  // namespace vx86::test

namespace vx86::test {
namespace {

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = haystack.find(needle); p != std::string::npos;
       p = haystack.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

TEST(LifeCycleTest, NoRebootExitsOnGuestReset) {
  std::string serial = ::testing::TempDir() + "/vx86-reset-" + std::to_string(getpid()) + ".out";
  CommandResult r =
      run_command({VX86_BINARY, "-display", "none", "-no-reboot", "-bios",
                   std::string(VX86_GUEST_DIR) + "/reset.bin", "-serial", "file:" + serial},
                  60);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(count(file_text(serial), "boot"), 1u);
  std::remove(serial.c_str());
}

TEST(LifeCycleTest, GuestResetRebootsAndStartPausedWaitsForCont) {
  std::string tag = std::to_string(getpid());
  std::string serial = ::testing::TempDir() + "/vx86-reboot-" + tag + ".out";
  std::string sock = ::testing::TempDir() + "/vx86-mon-" + tag + ".sock";
  auto vx86 = std::async(std::launch::async, [&] {
    return run_command(
        {VX86_BINARY, "-display", "none", "-S", "-bios", std::string(VX86_GUEST_DIR) + "/reset.bin",
         "-serial", "file:" + serial, "-monitor", "unix:" + sock + ",server=on,wait=off"},
        60);
  });
  // Paused at start: nothing runs until cont.
  std::string out = talk(sock, "info status\n");
  EXPECT_NE(out.find("VM status: paused"), std::string::npos) << out;
  EXPECT_EQ(file_text(serial), "");
  talk(sock, "cont\n");
  // The guest resets itself over and over; each boot prints "boot".
  for (int i = 0; i < 200 && count(file_text(serial), "boot") < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_GE(count(file_text(serial), "boot"), 3u);
  talk(sock, "quit\n");
  CommandResult r = vx86.get();
  EXPECT_EQ(r.status, 0) << r.err;
  std::remove(serial.c_str());
  unlink(sock.c_str());
}

}  // namespace
}  // namespace vx86::test
