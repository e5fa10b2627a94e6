// What a text-mode display shows (a VGA in mode 3): character cells with
// their attributes, and the cursor. Devices produce it, displays render it.
#pragma once

#include <cstdint>
#include <vector>

namespace vx86 {

struct TextScreen {
  int columns = 80;
  int rows = 25;
  std::vector<uint16_t> cells;  // code page 437 character | attribute << 8, row after row
  int cursor_column = 0;
  int cursor_row = 0;
  bool cursor_visible = true;
  int cursor_start = 14;  // first and last scan line of the cursor (of 16)
  int cursor_end = 15;
};

}  // namespace vx86
