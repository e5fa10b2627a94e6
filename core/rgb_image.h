// A picture as displays show it: what screendump writes and the SDL window
// draws, whether a device drew it (VGA graphics modes) or the user interface
// (text cells, linear framebuffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vx86 {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint32_t> pixels;  // 0xRRGGBB, row after row
  uint32_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y * width + x)]; }
};

}  // namespace vx86
