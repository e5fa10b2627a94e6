// The VGA's graphics modes as DOS programs and hobby kernels use them: a boot
// sector (tests/guests/boot/vgamodes.S) has SeaBIOS's VGA BIOS set modes 13h,
// 12h, 0Dh and 04h, draws into each through the memory window at 0xA0000 or
// 0xB8000 with the write modes, set/reset, rotation, logical operations, bit
// mask, map mask, the DAC and the attribute palette, writes text through the
// BIOS, reads bytes back with both read modes; then VESA mode 101h (8 bits per
// pixel, the DAC's colours) drawn bank by bank through the window at 0xA0000;
// then the text modes 01h (40 columns) and 03h with the 8x8 font (50 rows),
// every character in mixed attributes, drawn with the VGA BIOS's own font
// from plane 2. It waits for a key after each mode. screendump must show each picture exactly as
// qemu-system-x86_64 shows it, and the bytes read back must be the same.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"
#include "tests/system/screen_text.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

const char kSeabios[] = "/usr/share/seabios/bios-256k.bin";

struct Step {
  std::string ready;  // the guest's line once the mode is drawn
  int width, height;  // the picture QEMU shows
};

const std::vector<Step>& steps() {
  static const std::vector<Step> kSteps = {
      {"vgamodes: mode 13 ready", 640, 400},  // 320x200, pixels doubled
      {"vgamodes: mode 12 ready", 640, 480},
      {"vgamodes: mode 0d ready", 640, 400},  // 320x200 at half the dot clock, double scan
      {"vgamodes: mode 04 ready", 640, 400},
      {"vgamodes: vbe 101 ready", 640, 480},  // VESA 640x480x8 through the banked window
      {"vgamodes: mode 01 ready", 640, 400},  // 40x25 text, 16-pixel cells
      {"vgamodes: mode 03 80x50 ready", 720, 400},
      {"vgamodes: back in text mode", 720, 400},
  };
  return kSteps;
}

// What the guest reads back (the same under qemu-system-x86_64).
const char kExpectedSerial[] =
    "vgamodes: read eb\n"
    "vgamodes: mode 13 ready\n"
    "vgamodes: read 3c\n"
    "vgamodes: read 48\n"
    "vgamodes: read 3c\n"
    "vgamodes: read 16\n"
    "vgamodes: mode 12 ready\n"
    "vgamodes: read d9\n"
    "vgamodes: mode 0d ready\n"
    "vgamodes: read 21\n"
    "vgamodes: mode 04 ready\n"
    "vgamodes: read 4f\n"
    "vgamodes: read 2a\n"
    "vgamodes: vbe 101 ready\n"
    "vgamodes: mode 01 ready\n"
    "vgamodes: mode 03 80x50 ready\n"
    "vgamodes: back in text mode\n";

struct ModesRun {
  std::string serial;
  std::vector<std::optional<Ppm>> pictures;  // one per step
};

// Boots the boot sector under `emulator` (with its accelerator option) from
// an IDE disk; after each step takes a screendump over QMP and presses Enter.
ModesRun run_modes(std::vector<std::string> emulator, const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-vgamodes-" + tag + "-" + std::to_string(getpid());
  const std::string disk = base + ".img", serial = base + ".serial", sock = base + ".sock",
                    ppm = base + ".ppm";
  std::filesystem::remove(serial);
  std::filesystem::remove(sock);
  {
    const std::string program = file_text(std::string(VX86_GUEST_DIR) + "/vgamodes.bin");
    EXPECT_EQ(program.size(), 2048u);
    std::ofstream out(disk, std::ios::binary);
    out << program << std::string((1 << 20) - program.size(), '\0');
  }
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("64"),
        std::string("-nic"), std::string("none"), std::string("-bios"), std::string(kSeabios),
        std::string("-serial"), "file:" + serial, std::string("-drive"),
        "file=" + disk + ",format=raw,if=ide", std::string("-qmp"),
        "unix:" + sock + ",server=on,wait=off"}) {
    emulator.push_back(a);
  }
  Process process(emulator);
  ModesRun run;
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  auto wait_for = [&](const std::string& line) {
    for (auto deadline = std::chrono::steady_clock::now() + 60s;
         std::chrono::steady_clock::now() < deadline;) {
      if (file_text(serial).find(line) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  for (const Step& step : steps()) {
    if (!wait_for(step.ready)) {
      run.pictures.emplace_back();
      break;
    }
    std::filesystem::remove(ppm);
    qmp.execute("screendump", {{"filename", ppm}});
    run.pictures.push_back(read_ppm(ppm));
    qmp.execute("send-key", {{"keys", Json::array({{{"type", "qcode"}, {"data", "ret"}}})}});
  }
  qmp.execute("quit");
  process.wait(10s);
  run.serial = file_text(serial);
  for (const std::string& path : {disk, serial, ppm}) std::filesystem::remove(path);
  return run;
}

bool have_seabios() {
  return std::filesystem::exists(kSeabios);
}

TEST(VgaModesTest, GraphicsModesSetThroughTheVgaBiosAreShown) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const ModesRun ours = run_modes({VX86_BINARY}, "vx86");
  EXPECT_EQ(ours.serial, kExpectedSerial);
  ASSERT_EQ(ours.pictures.size(), steps().size()) << ours.serial;
  for (std::size_t i = 0; i < steps().size(); ++i) {
    ASSERT_TRUE(ours.pictures[i]) << steps()[i].ready << ": no screendump";
    EXPECT_EQ(ours.pictures[i]->width, steps()[i].width) << steps()[i].ready;
    EXPECT_EQ(ours.pictures[i]->height, steps()[i].height) << steps()[i].ready;
  }

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const ModesRun qemu = run_modes({"qemu-system-x86_64", "-accel", "tcg"}, "qemu");
  EXPECT_EQ(qemu.serial, ours.serial);
  ASSERT_EQ(qemu.pictures.size(), ours.pictures.size()) << qemu.serial;
  for (std::size_t i = 0; i < steps().size(); ++i) {
    ASSERT_TRUE(qemu.pictures[i]) << steps()[i].ready << ": no screendump from QEMU";
    const Ppm &a = *ours.pictures[i], &b = *qemu.pictures[i];
    ASSERT_EQ(a.width, b.width) << steps()[i].ready;
    ASSERT_EQ(a.height, b.height) << steps()[i].ready;
    std::size_t differing = 0, first = 0;
    for (std::size_t p = 0; p < a.rgb.size(); p += 3) {
      if (a.rgb[p] != b.rgb[p] || a.rgb[p + 1] != b.rgb[p + 1] || a.rgb[p + 2] != b.rgb[p + 2]) {
        if (differing++ == 0) first = p / 3;
      }
    }
    EXPECT_EQ(differing, 0u) << steps()[i].ready << ": " << differing
                             << " pixels differ from QEMU's, the first at (" << first % a.width
                             << ", " << first / a.width << ")";
  }
}

}  // namespace
}  // namespace vx86::test
