// The VGA text console end to end: the Debian kernel's vgacon writes its
// console into vx86's VGA, QMP's screendump draws it with the console font,
// and reading the picture back cell by cell (matching each 9x16 cell against
// the font's glyphs) finds what the guest printed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/qmp_client.h"
#include "tests/system/screen_text.h"
#include "ui/psf_font.h"
#include "ui/text_render.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

TEST(ScreendumpTest, TheDebianConsoleOnTheVgaReadsBack) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  std::string error;
  const PsfFont* font = default_console_font(&error);
  ASSERT_NE(font, nullptr) << error;
  const std::string sock = ::testing::TempDir() + "/vx86-screendump-" + std::to_string(getpid());
  const std::string picture_path = sock + ".ppm";
  std::filesystem::remove(sock);
  Process vx86({VX86_BINARY, "-display", "none", "-m", "256", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=ttyS0 console=tty0", "-serial", "null", "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  ASSERT_EQ(qmp.execute("qmp_capabilities"), Json::parse(R"({"return": {}})"));
  // init's messages go to /dev/console, the last console=: the VGA. The
  // shell's banner comes a moment after init's last line, so wait for both.
  std::string text;
  auto shows_the_shell = [&text] {
    return text.find("vx86-init: shell") != std::string::npos &&
           text.find("BusyBox") != std::string::npos;
  };
  for (int i = 0; i < 240 && !shows_the_shell(); ++i) {
    std::this_thread::sleep_for(500ms);
    ASSERT_EQ(qmp.execute("screendump", {{"filename", picture_path}}),
              Json::parse(R"({"return": {}})"));
    auto picture = read_ppm(picture_path);
    ASSERT_TRUE(picture) << "screendump wrote no PPM";
    ASSERT_EQ(picture->width, 720);
    ASSERT_EQ(picture->height, 400);
    text = read_text(*picture, *font);
  }
  EXPECT_NE(text.find("vx86-init: shell"), std::string::npos) << text;
  EXPECT_NE(text.find("BusyBox"), std::string::npos) << text;
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
  std::filesystem::remove(picture_path);
}

TEST(ScreendumpTest, WithoutAVgaThereIsNothingToDump) {
  const std::string sock = ::testing::TempDir() + "/vx86-novga-" + std::to_string(getpid());
  std::filesystem::remove(sock);
  Process vx86({VX86_BINARY, "-display", "none", "-vga", "none", "-bios",
                std::string(VX86_GUEST_DIR) + "/spin.bin", "-serial", "null", "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  qmp.execute("qmp_capabilities");
  EXPECT_EQ(qmp.execute("screendump", {{"filename", sock + ".ppm"}}),
            Json::parse(R"({"error": {"class": "GenericError",
                                      "desc": "There is no console to take a screendump from"}})"));
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
}

}  // namespace
}  // namespace vx86::test
