// The layout of a linear framebuffer as a display adapter scans it out:
// what the device model reports and the user interface draws.
#pragma once

#include <cstdint>

namespace vx86 {

struct FramebufferFormat {
  unsigned width = 0, height = 0;
  // 15 (RGB 5:5:5), 16 (RGB 5:6:5), 24 (RGB 8:8:8) or 32 (XRGB 8:8:8:8),
  // little-endian pixels (blue in the lowest bits).
  unsigned bits_per_pixel = 0;
  unsigned stride = 0;  // bytes from one row to the next
  uint64_t offset = 0;  // where the shown picture starts in video memory (panning)
  bool active() const { return width != 0; }
  bool operator==(const FramebufferFormat&) const = default;
};

}  // namespace vx86
