// The debug console (isa-debugcon) as users meet it: -debugcon DEV for a
// guest that writes to port 0xe9, -device isa-debugcon,... with its
// properties, and SeaBIOS's log on port 0x402 as QEMU users capture it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

std::string temp_path(const std::string& what) {
  return ::testing::TempDir() + "/vx86-debugcon-" + what + "-" + std::to_string(getpid());
}

TEST(DebugconTest, GuestBytesOnPort0xe9ReachTheChardev) {
  const std::string log = temp_path("log"), serial = temp_path("serial");
  CommandResult r =
      run_command({VX86_BINARY, "-display", "none", "-bios",
                   std::string(VX86_GUEST_DIR) + "/debugcon.bin", "-debugcon", "file:" + log,
                   "-serial", "file:" + serial, "-device", "isa-debug-exit,iobase=0xf4,iosize=4"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(file_text(log), "debugcon hello\n");
  // Reading the port gives 0xe9, so a guest can tell the console is there.
  EXPECT_EQ(file_text(serial), "readback 0xe9 ok\n");
  std::filesystem::remove(log);
  std::filesystem::remove(serial);
}

TEST(DebugconTest, ReadbackAndPortAreConfigurable) {
  const std::string log = temp_path("log2"), serial = temp_path("serial2");
  // At another port the guest's bytes to 0xe9 go nowhere and 0xe9 reads as
  // an empty port; readback= changes what the device's own port returns.
  CommandResult r = run_command(
      {VX86_BINARY, "-display", "none", "-bios", std::string(VX86_GUEST_DIR) + "/debugcon.bin",
       "-chardev", "file,id=dc,path=" + log, "-device",
       "isa-debugcon,chardev=dc,iobase=0x402,readback=0x42", "-serial", "file:" + serial, "-device",
       "isa-debug-exit,iobase=0xf4,iosize=4"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(file_text(log), "");
  EXPECT_EQ(file_text(serial), "readback bad\n");
  std::filesystem::remove(log);
  std::filesystem::remove(serial);
}

// SeaBIOS, as Debian packages it for QEMU, logs to port 0x402 from its first
// instructions on.
TEST(DebugconTest, SeabiosLogsToIt) {
  const std::string bios = "/usr/share/seabios/bios-256k.bin";
  if (!std::filesystem::exists(bios)) GTEST_SKIP() << bios << " is missing (Debian's seabios)";
  const std::string log = temp_path("seabios");
  std::filesystem::remove(log);
  // QEMU's documented spelling: -debugcon moved to 0x402 by -global.
  Process vx86({VX86_BINARY, "-display", "none", "-nic", "none", "-serial", "null", "-bios", bios,
                "-debugcon", "file:" + log, "-global", "isa-debugcon.iobase=0x402"});
  std::string text;
  for (int i = 0; i < 300 && text.find("SeaBIOS (version") == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
    text = file_text(log);
  }
  EXPECT_EQ(text.rfind("SeaBIOS (version", 0), 0u) << text;
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace vx86::test
