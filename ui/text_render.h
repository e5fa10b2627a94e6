// Draws a text screen as a VGA draws it: cells of the screen's font (the
// guest's own from VGA plane 2, else a console font) 8 or 9 pixels wide
// (the 9th column repeats the 8th for the line-drawing characters B0h-DFh as
// QEMU draws them, blank otherwise), doubled in 40-column modes, the attribute's 16 colours
// from the screen's palette (bit 7 brightens the background, as QEMU draws
// it, rather than blinking), and the cursor as lines of the cell's
// foreground colour.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rgb_image.h"
#include "core/text_screen.h"
#include "ui/psf_font.h"

namespace vx86 {

RgbImage render_text_screen(const TextScreen& screen, const PsfFont& font);

}  // namespace vx86
