// -display sdl under a real X server (Xvfb): the window opens, shows the
// same picture screendump gives (read back from the X server with xwd), and
// keys typed into it with xdotool reach the Debian guest's shell on the VGA
// console, which writes to the serial port for the test to see.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/screen_text.h"
#include "tests/system/screen_wait.h"
#include "tests/system/x_display.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

// The X window vx86 opened, by name.
std::string vx86_window() {
  const std::string window = run_output("xdotool search --sync --name '^vx86$' | head -n 1");
  return window.substr(0, window.find('\n'));
}

TEST(SdlDisplayTest, WindowShowsTheConsoleAndTakesTheKeyboard) {
  for (const char* tool : {"Xvfb", "xdotool", "xwd"}) {
    if (!have(tool)) GTEST_SKIP() << "no " << tool << " (scripts/install-deps.sh installs it)";
  }
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  std::string error;
  const PsfFont* font = default_console_font(&error);
  ASSERT_NE(font, nullptr) << error;

  VirtualXServer x_server;

  const std::string base = ::testing::TempDir() + "/vx86-sdl-" + std::to_string(getpid());
  const std::string sock = base + ".sock", serial = base + ".serial";
  std::filesystem::remove(sock);
  std::filesystem::remove(serial);
  Process vx86({VX86_BINARY, "-display", "sdl", "-m", "256", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=ttyS0 console=tty0", "-serial", "file:" + serial, "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  ASSERT_EQ(qmp.execute("qmp_capabilities"), Json::parse(R"({"return": {}})"));

  // The window is there, by name, the size of the screen.
  const std::string id = vx86_window();
  ASSERT_FALSE(id.empty()) << "no window named vx86";
  const std::string geometry = run_output("xwininfo -id " + id);
  EXPECT_NE(geometry.find("Width: 720"), std::string::npos) << geometry;
  EXPECT_NE(geometry.find("Height: 400"), std::string::npos) << geometry;

  // Up to the shell's banner on the VGA console (init's last line comes a
  // moment before the shell reads the terminal).
  const std::string dump = base + ".ppm";
  const std::string text = wait_for_screen_text(qmp, *font, dump, "BusyBox");
  ASSERT_NE(text.find("BusyBox"), std::string::npos) << text;

  // Keys typed into the window run a command in the guest's shell.
  std::system(
      ("xdotool type --window " + id + " --delay 30 'echo vx86-key-ok > /dev/ttyS0'").c_str());
  std::system(("xdotool key --window " + id + " Return").c_str());
  bool echoed = false;
  for (int i = 0; i < 200 && !echoed; ++i) {
    std::this_thread::sleep_for(100ms);
    echoed = file_text(serial).find("vx86-key-ok") != std::string::npos;
  }
  EXPECT_TRUE(echoed) << "the typed command did not run; serial:\n" << file_text(serial);

  // The window shows what screendump draws, pixel for pixel.
  std::optional<Ppm> shown, dumped;
  const bool same = window_equals_screendump(qmp, id, base, &shown, &dumped);
  ASSERT_TRUE(shown) << "xwd gave no picture";
  EXPECT_TRUE(same) << "the window and screendump differ; window text:\n"
                    << read_text(*shown, *font);
  EXPECT_NE(read_text(*shown, *font).find("echo vx86-key-ok"), std::string::npos)
      << "window text:\n"
      << read_text(*shown, *font);

  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
  for (const char* ext : {".ppm", ".xwd", ".serial"}) std::filesystem::remove(base + ext);
}

// In a graphics mode (vga=0x318, the guest's fb workload filling the
// framebuffer) the window takes the mode's size and shows the framebuffer
// as screendump does.
TEST(SdlDisplayTest, WindowShowsTheFramebufferInAGraphicsMode) {
  for (const char* tool : {"Xvfb", "xdotool", "xwd"}) {
    if (!have(tool)) GTEST_SKIP() << "no " << tool << " (scripts/install-deps.sh installs it)";
  }
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  VirtualXServer x_server;
  const std::string base = ::testing::TempDir() + "/vx86-sdl-fb-" + std::to_string(getpid());
  const std::string sock = base + ".sock", serial = base + ".serial";
  std::filesystem::remove(serial);
  Process vx86({VX86_BINARY, "-display", "sdl", "-m", "256", "-nic", "none", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=tty0 console=ttyS0 vga=0x318 vx86.workload=fb", "-serial",
                "file:" + serial, "-qmp", "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  qmp.execute("qmp_capabilities");
  const std::string id = vx86_window();
  ASSERT_FALSE(id.empty()) << "no window named vx86";
  for (int i = 0; i < 1200 && file_text(serial).find("fb-ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(file_text(serial).find("fb-ready"), std::string::npos) << file_text(serial);
  std::optional<Ppm> shown, dumped;
  const bool same = window_equals_screendump(qmp, id, base, &shown, &dumped);
  ASSERT_TRUE(shown && dumped);
  EXPECT_EQ(shown->width, 1024);
  EXPECT_EQ(shown->height, 768);
  EXPECT_TRUE(same) << "the window and screendump differ";
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
  for (const char* ext : {".ppm", ".xwd", ".serial"}) std::filesystem::remove(base + ext);
}

// The mouse in the window reaches the guest's PS/2 mouse: a move of 50 to
// the right and 20 up, then a left click, read back by the guest from
// /dev/input/mice as PS/2 counts them.
TEST(SdlDisplayTest, MouseInTheWindowReachesTheGuest) {
  for (const char* tool : {"Xvfb", "xdotool"}) {
    if (!have(tool)) GTEST_SKIP() << "no " << tool << " (scripts/install-deps.sh installs it)";
  }
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  VirtualXServer x_server;
  const std::string serial =
      ::testing::TempDir() + "/vx86-sdl-mouse-" + std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  Process vx86({VX86_BINARY, "-display", "sdl", "-m", "256", "-nic", "none", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=ttyS0 vx86.workload=mouse", "-serial", "file:" + serial});
  const std::string id = vx86_window();
  ASSERT_FALSE(id.empty()) << "no window named vx86";
  // A first position in the window, while the guest still boots (its PS/2
  // mouse is not reporting yet, so this move is not counted).
  std::system(("xdotool mousemove --window " + id + " 100 100").c_str());
  for (int i = 0; i < 600 && file_text(serial).find("mouse-ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(file_text(serial).find("mouse-ready"), std::string::npos) << file_text(serial);
  EXPECT_NE(file_text(serial).find("vx86-result: mouse-device 1"), std::string::npos);
  std::this_thread::sleep_for(1s);  // the guest opens /dev/input/mice
  std::system(("xdotool mousemove --window " + id + " 150 80").c_str());
  std::this_thread::sleep_for(300ms);
  std::system(("xdotool click --window " + id + " 1").c_str());
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) {
    std::this_thread::sleep_for(100ms);
    done = file_text(serial).find("vx86-result: mouse ") != std::string::npos;
  }
  EXPECT_NE(file_text(serial).find("vx86-result: mouse dx=50 dy=20 left"), std::string::npos)
      << file_text(serial).substr(file_text(serial).find("mouse-ready"));
  std::filesystem::remove(serial);
}

// With a USB tablet (-usb -device usb-tablet) the window sends where the
// pointer is: the guest's position follows the host's, no grab, no drift.
TEST(SdlDisplayTest, TabletFollowsThePointerInTheWindow) {
  for (const char* tool : {"Xvfb", "xdotool"}) {
    if (!have(tool)) GTEST_SKIP() << "no " << tool << " (scripts/install-deps.sh installs it)";
  }
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "usb");
  VirtualXServer x_server;
  const std::string serial =
      ::testing::TempDir() + "/vx86-sdl-tablet-" + std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  Process vx86({VX86_BINARY, "-display", "sdl", "-m", "256", "-nic", "none", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=ttyS0 vx86.workload=usb", "-serial", "file:" + serial, "-usb",
                "-device", "usb-tablet"});
  const std::string id = vx86_window();
  ASSERT_FALSE(id.empty()) << "no window named vx86";
  for (int i = 0; i < 600 && file_text(serial).find("usb-ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(file_text(serial).find("usb-ready"), std::string::npos) << file_text(serial);
  // The text screen is 720x400: a quarter of the way in, then its far
  // corner, then a click.
  std::system(("xdotool mousemove --window " + id + " 180 100").c_str());
  std::this_thread::sleep_for(300ms);
  std::system(("xdotool mousemove --window " + id + " 719 399").c_str());
  std::this_thread::sleep_for(300ms);
  std::system(("xdotool click --window " + id + " 1").c_str());
  EXPECT_EQ(last_tablet_events(serial, kTabletMoveAndClick), kTabletMoveAndClick)
      << file_text(serial);
  std::filesystem::remove(serial);
}

}  // namespace
}  // namespace vx86::test
