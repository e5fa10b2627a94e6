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

#include "tests/system/qmp_client.h"
#include "ui/psf_font.h"
#include "ui/text_render.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

struct Ppm {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  bool lit(int x, int y) const {  // anything but the black background
    const std::size_t at = static_cast<std::size_t>(y * width + x) * 3;
    return rgb[at] || rgb[at + 1] || rgb[at + 2];
  }
};

std::optional<Ppm> read_ppm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int max = 0;
  Ppm p;
  if (!(in >> magic >> p.width >> p.height >> max) || magic != "P6" || max != 255) return {};
  in.get();
  p.rgb.resize(static_cast<std::size_t>(p.width * p.height * 3));
  if (!in.read(reinterpret_cast<char*>(p.rgb.data()), static_cast<std::streamsize>(p.rgb.size())))
    return {};
  return p;
}

// The screen's text: each 9x16 cell matched against the printable ASCII
// glyphs drawn by the same renderer ('?' for no match).
std::string read_text(const Ppm& picture, const PsfFont& font) {
  std::array<std::vector<bool>, 128> glyphs;
  for (int c = 0x20; c < 0x7f; ++c) {
    TextScreen one;
    one.columns = one.rows = 1;
    one.cells = {static_cast<uint16_t>(c | 0x0700)};
    one.cursor_visible = false;
    RgbImage image = render_text_screen(one, font);
    for (uint32_t p : image.pixels) glyphs[static_cast<std::size_t>(c)].push_back(p != 0);
  }
  std::string text;
  for (int row = 0; row < picture.height / 16; ++row) {
    for (int col = 0; col < picture.width / 9; ++col) {
      std::vector<bool> cell;
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 9; ++x) cell.push_back(picture.lit(col * 9 + x, row * 16 + y));
      char found = '?';
      for (int c = 0x20; c < 0x7f && found == '?'; ++c)
        if (glyphs[static_cast<std::size_t>(c)] == cell) found = static_cast<char>(c);
      text += found;
    }
    text += '\n';
  }
  return text;
}

TEST(ScreendumpTest, TheDebianConsoleOnTheVgaReadsBack) {
  const std::filesystem::path guest =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "build" / "guest";
  if (!std::filesystem::exists(guest / "vmlinuz")) {
    GTEST_SKIP() << "no guest in " << guest << " (run scripts/build-guest.sh)";
  }
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
  // init's messages go to /dev/console, the last console=: the VGA.
  std::string text;
  for (int i = 0; i < 240 && text.find("vx86-init: shell") == std::string::npos; ++i) {
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
