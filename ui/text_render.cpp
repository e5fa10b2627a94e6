#include "ui/text_render.h"

#include <array>

#include "ui/cp437.h"

namespace vx86 {

namespace {

// The default palette a VGA BIOS programs for text modes.
constexpr std::array<uint32_t, 16> kPalette = {
    0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
    0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
};

// The characters whose 9th pixel column repeats the 8th (line graphics).
bool extends_into_ninth_column(uint8_t ch) {
  return ch >= 0xC0 && ch <= 0xDF;
}

}  // namespace

uint32_t vga_text_colour(int index) {
  return kPalette[static_cast<std::size_t>(index & 15)];
}

RgbImage render_text_screen(const TextScreen& screen, const PsfFont& font) {
  const int glyph_width = font.width(), cell_height = font.height();
  const int cell_width = glyph_width == 8 ? 9 : glyph_width;
  RgbImage image;
  image.width = screen.columns * cell_width;
  image.height = screen.rows * cell_height;
  image.pixels.assign(static_cast<std::size_t>(image.width * image.height), 0);
  // Which glyph draws each byte: its character in Unicode, else '?'.
  std::array<std::size_t, 256> glyph_of{};
  const std::size_t fallback = font.glyph_for(U'?').value_or(0);
  for (int b = 0; b < 256; ++b) {
    glyph_of[static_cast<std::size_t>(b)] =
        font.glyph_for(cp437_to_unicode(static_cast<unsigned char>(b))).value_or(fallback);
  }
  for (int row = 0; row < screen.rows; ++row) {
    for (int col = 0; col < screen.columns; ++col) {
      const uint16_t cell = screen.cells[static_cast<std::size_t>(row * screen.columns + col)];
      const auto ch = static_cast<uint8_t>(cell);
      const auto attr = static_cast<uint8_t>(cell >> 8);
      const uint32_t fg = vga_text_colour(attr & 15), bg = vga_text_colour((attr >> 4) & 7);
      const std::size_t glyph = glyph_of[ch];
      const bool cursor_here =
          screen.cursor_visible && row == screen.cursor_row && col == screen.cursor_column;
      for (int y = 0; y < cell_height; ++y) {
        const bool cursor_line = cursor_here && y >= screen.cursor_start && y <= screen.cursor_end;
        uint32_t* out = &image.pixels[static_cast<std::size_t>(
            (row * cell_height + y) * image.width + col * cell_width)];
        for (int x = 0; x < cell_width; ++x) {
          bool on;
          if (x < glyph_width) {
            on = font.pixel(glyph, x, y);
          } else {
            on = extends_into_ninth_column(ch) && font.pixel(glyph, glyph_width - 1, y);
          }
          out[x] = on || cursor_line ? fg : bg;
        }
      }
    }
  }
  return image;
}

}  // namespace vx86
