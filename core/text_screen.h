// What a text-mode display shows (a VGA in mode 3 and the other text modes):
// character cells with their attributes, the cursor, and how the VGA draws
// them. Devices produce it, displays render it.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace vx86 {

// The 16 attribute colours of a VGA's text modes (0xRRGGBB), for screens
// that do not say otherwise.
inline constexpr std::array<uint32_t, 16> kDefaultTextPalette = {
    0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
    0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
};

struct TextScreen {
  int columns = 80;
  int rows = 25;
  std::vector<uint16_t> cells;  // code page 437 character | attribute << 8, row after row
  int cursor_column = 0;
  int cursor_row = 0;
  bool cursor_visible = true;
  int cursor_start = 14;  // first and last scan line of the cursor
  int cursor_end = 15;
  // How the VGA draws a cell: 8 or 9 pixels wide (the 9th repeats the 8th
  // for the line-drawing characters B0h-DFh when line_graphics, as QEMU
  // draws them, else it is background), each pixel doubled at half the dot clock (40-column modes),
  // char_height scan lines.
  int cell_width = 9;
  bool double_width = false;
  int char_height = 16;
  bool line_graphics = true;
  // The attribute colours, through the attribute controller and the DAC.
  std::array<uint32_t, 16> palette = kDefaultTextPalette;
  // The guest's own font (VGA plane 2) once it has loaded one: 32 bytes a
  // glyph (a byte a scan line, bit 7 leftmost), the 256 glyphs of character
  // map B (attribute bit 3 clear) then the 256 of map A. Empty: the display
  // draws with a console font of its own.
  std::vector<uint8_t> font;

  bool operator==(const TextScreen&) const = default;
};

}  // namespace vx86
