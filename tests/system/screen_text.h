// Reading a screen picture back as text: the picture (PPM from screendump,
// or pixels taken from a window) is cut into 9x16 cells, each matched against
// the printable ASCII glyphs drawn by vx86's own renderer with the same font.
#pragma once

#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "ui/psf_font.h"
#include "ui/text_render.h"

namespace vx86::test {

struct Ppm {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  bool lit(int x, int y) const {  // anything but the black background
    const std::size_t at = static_cast<std::size_t>(y * width + x) * 3;
    return rgb[at] || rgb[at + 1] || rgb[at + 2];
  }
};

inline std::optional<Ppm> read_ppm(const std::string& path) {
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
inline std::string read_text(const Ppm& picture, const PsfFont& font) {
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

}  // namespace vx86::test
