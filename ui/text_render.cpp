#include "ui/text_render.h"

#include <array>

#include "ui/cp437.h"

namespace vx86 {

namespace {

// The characters whose 9th pixel column repeats the 8th (line graphics):
// B0h-DFh as QEMU draws them, so that screendumps compare equal (IBM's VGA
// extends only C0h-DFh; B0h-BFh are the shades and the box drawings that
// end on the left).
bool extends_into_ninth_column(uint8_t ch) {
  return ch >= 0xB0 && ch <= 0xDF;
}

}  // namespace

RgbImage render_text_screen(const TextScreen& screen, const PsfFont& font) {
  // The guest's font draws the VGA's cells (char_height lines, 8 or 9
  // pixels); a console font draws its own glyph height, 9 pixels wide for
  // 8-pixel glyphs. At half the dot clock every pixel is doubled and there
  // is no 9th column (16-pixel cells, as QEMU draws 40-column modes).
  const bool guest_font = !screen.font.empty();
  const int glyph_width = guest_font ? 8 : font.width();
  const int cell_height = guest_font ? screen.char_height : font.height();
  const int glyph_cell = glyph_width == 8 ? screen.cell_width : glyph_width;
  const int cell_width = screen.double_width ? 2 * glyph_width : glyph_cell;
  RgbImage image;
  image.width = screen.columns * cell_width;
  image.height = screen.rows * cell_height;
  image.pixels.assign(static_cast<std::size_t>(image.width * image.height), 0);
  // Which console-font glyph draws each byte: its character in Unicode, else '?'.
  std::array<std::size_t, 256> glyph_of{};
  if (!guest_font) {
    const std::size_t fallback = font.glyph_for(U'?').value_or(0);
    for (int b = 0; b < 256; ++b) {
      glyph_of[static_cast<std::size_t>(b)] =
          font.glyph_for(cp437_to_unicode(static_cast<unsigned char>(b))).value_or(fallback);
    }
  }
  for (int row = 0; row < screen.rows; ++row) {
    for (int col = 0; col < screen.columns; ++col) {
      const uint16_t cell = screen.cells[static_cast<std::size_t>(row * screen.columns + col)];
      const auto ch = static_cast<uint8_t>(cell);
      const auto attr = static_cast<uint8_t>(cell >> 8);
      // Bit 7 is a bright background, not blinking (as QEMU draws it).
      const uint32_t fg = screen.palette[attr & 15], bg = screen.palette[attr >> 4];
      const uint8_t* glyph_rows =
          guest_font ? &screen.font[(static_cast<std::size_t>(ch) + (attr & 8 ? 256 : 0)) * 32]
                     : nullptr;
      auto glyph_pixel = [&](int x, int y) {
        if (guest_font) return y < 32 && (glyph_rows[y] & (0x80 >> x)) != 0;
        return font.pixel(glyph_of[ch], x, y);
      };
      const bool cursor_here =
          screen.cursor_visible && row == screen.cursor_row && col == screen.cursor_column;
      for (int y = 0; y < cell_height; ++y) {
        // The cursor's lines cover the glyph's columns (not a 9th).
        const bool cursor_line = cursor_here && y >= screen.cursor_start && y <= screen.cursor_end;
        uint32_t* out = &image.pixels[static_cast<std::size_t>(
            (row * cell_height + y) * image.width + col * cell_width)];
        for (int x = 0; x < cell_width; ++x) {
          const int gx = screen.double_width ? x / 2 : x;
          bool on;
          if (gx < glyph_width) {
            on = cursor_line || glyph_pixel(gx, y);
          } else {
            on = !cursor_line && screen.line_graphics && extends_into_ninth_column(ch) &&
                 glyph_pixel(glyph_width - 1, y);
          }
          out[x] = on ? fg : bg;
        }
      }
    }
  }
  return image;
}

}  // namespace vx86
