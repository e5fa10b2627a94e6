// Keys sent from the monitor, as QEMU users script a guest: QMP send-key and
// HMP sendkey type a command into the Debian guest's shell on the VGA
// console, through the PS/2 keyboard, and the command runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/screen_text.h"
#include "tests/system/screen_wait.h"
#include "ui/psf_font.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

// QEMU's key names for a character typed on a US keyboard.
Json keys_for(char c) {
  auto key = [](const std::string& name) { return Json{{"type", "qcode"}, {"data", name}}; };
  if (c >= 'a' && c <= 'z') return Json::array({key(std::string(1, c))});
  if (c >= 'A' && c <= 'Z') return Json::array({key("shift"), key(std::string(1, c - 'A' + 'a'))});
  if (c >= '0' && c <= '9') return Json::array({key(std::string(1, c))});
  switch (c) {
    case ' ':
      return Json::array({key("spc")});
    case '-':
      return Json::array({key("minus")});
    case '/':
      return Json::array({key("slash")});
    case '>':
      return Json::array({key("shift"), key("dot")});
    default:
      ADD_FAILURE() << "no key for '" << c << "'";
      return Json::array();
  }
}

TEST(SendKeyTest, KeysFromQmpAndTheMonitorRunACommandInTheGuest) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  std::string error;
  const PsfFont* font = default_console_font(&error);
  ASSERT_NE(font, nullptr) << error;
  const std::string base = ::testing::TempDir() + "/vx86-sendkey-" + std::to_string(getpid());
  const std::string sock = base + ".sock", serial = base + ".serial", dump = base + ".ppm";
  std::filesystem::remove(sock);
  std::filesystem::remove(serial);
  Process vx86({VX86_BINARY, "-display", "none", "-m", "256", "-nic", "none", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=ttyS0 console=tty0", "-serial", "file:" + serial, "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  ASSERT_EQ(qmp.execute("qmp_capabilities"), Json::parse(R"({"return": {}})"));

  // Up to the shell's banner on the VGA console, where the keyboard types.
  const std::string text = wait_for_screen_text(qmp, *font, dump, "BusyBox");
  ASSERT_NE(text.find("BusyBox"), std::string::npos) << text;

  // The command, key by key over QMP (held 20 ms each), Return from HMP.
  for (char c : std::string("echo sendkey-ok > /dev/ttyS0")) {
    ASSERT_EQ(qmp.execute("send-key", {{"keys", keys_for(c)}, {"hold-time", 20}}),
              Json::parse(R"({"return": {}})"))
        << c;
    std::this_thread::sleep_for(40ms);  // released before the next
  }
  EXPECT_EQ(qmp.execute("human-monitor-command", {{"command-line", "sendkey ret"}}),
            Json::parse(R"({"return": ""})"));
  bool ran = false;
  for (int i = 0; i < 200 && !ran; ++i) {
    std::this_thread::sleep_for(100ms);
    ran = file_text(serial).find("sendkey-ok") != std::string::npos;
  }
  EXPECT_TRUE(ran) << "the typed command did not run; serial:\n" << file_text(serial);

  // Names QEMU does not have are refused, saying which.
  EXPECT_EQ(
      qmp.execute(
          "send-key",
          {{"keys", Json::array({{{"type", "qcode"}, {"data", "nosuchkey"}}})}})["error"]["desc"],
      "Parameter 'data' does not accept value 'nosuchkey'");
  EXPECT_EQ(qmp.execute("human-monitor-command", {{"command-line", "sendkey ctrl-nosuchkey"}}),
            Json::parse(R"({"return": "invalid parameter: nosuchkey\n"})"));
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
  for (const std::string& path : {serial, dump}) std::filesystem::remove(path);
}

}  // namespace
}  // namespace vx86::test
