// Draws a text screen as a VGA draws mode 3: cells 9 pixels wide and as tall
// as the font (the 9th column repeats the 8th for the line-drawing
// characters 0xC0-0xDF, blank otherwise), the attribute's 16 colours (bit 7
// is blink, drawn steady, so backgrounds have 8 colours), and the cursor as
// lines of the cell's foreground colour.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rgb_image.h"
#include "core/text_screen.h"
#include "ui/psf_font.h"

namespace vx86 {

// The colour of attribute colour index 0-15 (the VGA's default palette).
uint32_t vga_text_colour(int index);

RgbImage render_text_screen(const TextScreen& screen, const PsfFont& font);

}  // namespace vx86
