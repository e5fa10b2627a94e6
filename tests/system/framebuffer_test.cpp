// The VGA's linear framebuffer as the Debian guest uses it: booted with
// vga=0x318 (1024x768, 24 bits per pixel), Linux's vesafb and fbcon take the
// framebuffer vx86 reports; then the guest fills it with known bytes and the
// screendump must show them pixel for pixel, as qemu-system-x86_64's does
// for the same guest.
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

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

// The guest's `seq 1 600000 | head -c 3145728`, as it lands in the framebuffer.
std::string seq_bytes() {
  std::string s;
  for (int i = 1; s.size() < 3145728; ++i) s += std::to_string(i) + "\n";
  s.resize(3145728);
  return s;
}

struct FramebufferRun {
  std::string serial;
  std::optional<Ppm> picture;
};

// Runs `argv` (the emulator and its options) with the serial port in a file
// and QMP on a socket; once the serial output holds `ready` (or `gave_up`),
// takes a QMP screendump and quits.
FramebufferRun screendump_when_ready(std::vector<std::string> argv, const std::string& tag,
                                     const std::string& ready, const std::string& gave_up) {
  const std::string base =
      ::testing::TempDir() + "/vx86-fb-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", sock = base + ".sock", ppm = base + ".ppm";
  std::filesystem::remove(serial);
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-serial"), "file:" + serial,
        std::string("-qmp"), "unix:" + sock + ",server=on,wait=off"}) {
    argv.push_back(a);
  }
  Process emulator(argv);
  FramebufferRun run;
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  auto deadline = std::chrono::steady_clock::now() + 600s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = file_text(serial);
    if (out.find(ready) != std::string::npos || out.find(gave_up) != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  qmp.execute("screendump", {{"filename", ppm}});
  run.picture = read_ppm(ppm);
  qmp.execute("quit");
  emulator.wait(30s);
  run.serial = file_text(serial);
  std::filesystem::remove(serial);
  std::filesystem::remove(ppm);
  return run;
}

// Boots the fb workload under `argv` (the emulator and its accelerator) and
// takes a screendump once the guest has filled the framebuffer.
FramebufferRun run_fb_workload(std::vector<std::string> argv, const std::filesystem::path& guest,
                               const std::string& tag) {
  for (const std::string& arg :
       {std::string("-m"), std::string("256"), std::string("-nic"), std::string("none"),
        std::string("-kernel"), (guest / "vmlinuz").string(), std::string("-initrd"),
        (guest / "initramfs.cpio.gz").string(), std::string("-append"),
        std::string("console=tty0 console=ttyS0 vga=0x318 vx86.workload=fb")}) {
    argv.push_back(arg);
  }
  return screendump_when_ready(argv, tag, "vx86-result: fb-ready", "workload fb done");
}

const FramebufferRun& vx86_run(const std::filesystem::path& guest) {
  static const FramebufferRun run = run_fb_workload({VX86_BINARY}, guest, "vx86");
  return run;
}

TEST(FramebufferTest, LinuxDrawsIntoTheFramebufferAndScreendumpShowsIt) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  const FramebufferRun& run = vx86_run(guest);
  EXPECT_NE(run.serial.find("vesafb: mode is 1024x768x24, linelength=3072, pages=6"),
            std::string::npos)
      << run.serial;
  EXPECT_NE(run.serial.find("vesafb: framebuffer at 0xfd000000"), std::string::npos);
  EXPECT_NE(run.serial.find("Console: switching to colour frame buffer device 128x48"),
            std::string::npos);
  EXPECT_NE(run.serial.find("vx86-result: fb-mode 1024,768 24 3072 VESA VGA"), std::string::npos)
      << run.serial;
  // fbcon drew the boot messages: bytes that are not 0 in the top rows.
  const auto at = run.serial.find("vx86-result: fb-console-bytes ");
  ASSERT_NE(at, std::string::npos) << run.serial;
  EXPECT_GT(std::stoul(run.serial.substr(at + 30)), 1000u);
  ASSERT_TRUE(run.picture) << "no screendump";
  ASSERT_EQ(run.picture->width, 1024);
  ASSERT_EQ(run.picture->height, 768);
  // Pixel (x, y) is bytes B, G, R at 3 * (1024 * y + x).
  const std::string bytes = seq_bytes();
  int wrong = 0;
  for (std::size_t i = 0; i < 1024u * 768u; ++i) {
    const uint8_t* want = reinterpret_cast<const uint8_t*>(bytes.data()) + 3 * i;
    const uint8_t* got = &run.picture->rgb[3 * i];
    if (got[0] != want[2] || got[1] != want[1] || got[2] != want[0]) ++wrong;
  }
  EXPECT_EQ(wrong, 0);
}

TEST(FramebufferTest, ScreendumpEqualsQemus) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  if (std::system("qemu-system-x86_64 --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  }
  const FramebufferRun qemu =
      run_fb_workload({"qemu-system-x86_64", "-accel", "tcg", "-vga", "std"}, guest, "qemu");
  ASSERT_TRUE(qemu.picture) << qemu.serial;
  const FramebufferRun& ours = vx86_run(guest);
  ASSERT_TRUE(ours.picture);
  EXPECT_EQ(ours.picture->width, qemu.picture->width);
  EXPECT_EQ(ours.picture->height, qemu.picture->height);
  EXPECT_TRUE(ours.picture->rgb == qemu.picture->rgb) << "the pictures differ";
  for (const char* line : {"vesafb: mode is", "vesafb: Truecolor:", "vx86-result: fb-mode"}) {
    const auto a = ours.serial.find(line), b = qemu.serial.find(line);
    ASSERT_NE(b, std::string::npos) << line << "\n" << qemu.serial;
    ASSERT_NE(a, std::string::npos) << line;
    EXPECT_EQ(ours.serial.substr(a, ours.serial.find('\n', a) - a),
              qemu.serial.substr(b, qemu.serial.find('\n', b) - b));
  }
}

// A guest with no BIOS sets 640x480x32 itself through the Bochs VBE
// registers (tests/guests/bochs_vbe.S) and writes pixel n = n: screendump
// shows exactly that, as it does under qemu-system-x86_64 for the same
// firmware image.
TEST(FramebufferTest, ModeSetThroughBochsVbeAsUnderQemu) {
  const std::string bios = std::string(VX86_GUEST_DIR) + "/bochs_vbe.bin";
  const FramebufferRun ours = screendump_when_ready(
      {VX86_BINARY, "-bios", bios, "-nodefaults", "-vga", "std"}, "vbe-vx86", "vbe ready", "FAIL");
  EXPECT_NE(ours.serial.find("vbe id 0000b0c5 memory 00000100"), std::string::npos) << ours.serial;
  ASSERT_TRUE(ours.picture) << ours.serial;
  ASSERT_EQ(ours.picture->width, 640);
  ASSERT_EQ(ours.picture->height, 480);
  int wrong = 0;
  for (uint32_t n = 0; n < 640 * 480; ++n) {
    const uint8_t* got = &ours.picture->rgb[3 * n];
    if (got[0] != ((n >> 16) & 0xff) || got[1] != ((n >> 8) & 0xff) || got[2] != (n & 0xff)) {
      ++wrong;
    }
  }
  EXPECT_EQ(wrong, 0);
  if (std::system("qemu-system-x86_64 --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const FramebufferRun qemu = screendump_when_ready(
      {"qemu-system-x86_64", "-accel", "tcg", "-bios", bios, "-nodefaults", "-vga", "std"},
      "vbe-qemu", "vbe ready", "FAIL");
  ASSERT_TRUE(qemu.picture) << qemu.serial;
  EXPECT_EQ(ours.serial, qemu.serial);
  EXPECT_TRUE(ours.picture->rgb == qemu.picture->rgb) << "the pictures differ";
}

}  // namespace
}  // namespace vx86::test
