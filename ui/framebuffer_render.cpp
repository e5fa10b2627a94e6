#include "ui/framebuffer_render.h"

namespace vx86 {

namespace {

// An n-bit channel widened to 8 bits (all ones stays all ones).
uint32_t widen(uint32_t value, unsigned bits) {
  return (value << (8 - bits)) | (value >> (2 * bits - 8));
}

}  // namespace

RgbImage render_framebuffer(const uint8_t* data, std::size_t size, const FramebufferFormat& format,
                            const std::array<uint32_t, 256>& palette) {
  RgbImage image;
  image.width = static_cast<int>(format.width);
  image.height = static_cast<int>(format.height);
  image.pixels.assign(static_cast<std::size_t>(format.width) * format.height, 0);
  const unsigned bytes = (format.bits_per_pixel + 7) / 8;
  for (unsigned y = 0; y < format.height; ++y) {
    const std::size_t row = format.offset + static_cast<std::size_t>(y) * format.stride;
    if (row + std::size_t{format.width} * bytes > size) break;
    const uint8_t* p = data + row;
    uint32_t* out = &image.pixels[static_cast<std::size_t>(y) * format.width];
    for (unsigned x = 0; x < format.width; ++x, p += bytes) {
      if (bytes == 1) {
        out[x] = palette[p[0]];
        continue;
      }
      if (bytes >= 3) {
        out[x] = static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[1]) << 8 | p[0];
        continue;
      }
      const uint32_t v = static_cast<uint32_t>(p[0] | p[1] << 8);
      if (format.bits_per_pixel == 16) {
        out[x] = widen(v >> 11, 5) << 16 | widen((v >> 5) & 0x3f, 6) << 8 | widen(v & 0x1f, 5);
      } else {
        out[x] =
            widen((v >> 10) & 0x1f, 5) << 16 | widen((v >> 5) & 0x1f, 5) << 8 | widen(v & 0x1f, 5);
      }
    }
  }
  return image;
}

}  // namespace vx86
