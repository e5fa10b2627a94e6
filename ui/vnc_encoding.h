// The picture side of RFB (RFC 6143), as a VNC server sends it: the pixel
// format a client asks for, and rectangles in the Raw (0), Zlib (6, as QEMU
// and TightVNC define it) and ZRLE (16) encodings. Each connection keeps one
// zlib stream per encoding for its whole life, as the protocol requires.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/rgb_image.h"

namespace vx86 {

struct RfbPixelFormat {
  uint8_t bits_per_pixel = 32;
  uint8_t depth = 24;
  bool big_endian = false;
  bool true_colour = true;
  uint16_t red_max = 255, green_max = 255, blue_max = 255;
  uint8_t red_shift = 16, green_shift = 8, blue_shift = 0;

  // The 16 bytes of a PIXEL_FORMAT (ServerInit, SetPixelFormat).
  static RfbPixelFormat parse(const uint8_t* bytes);
  void append_to(std::vector<uint8_t>& out) const;
  // What vx86 can send: true colour at 8, 16 or 32 bits per pixel.
  bool supported() const;

  // A 0xRRGGBB colour as this format's pixel value.
  uint32_t pixel(uint32_t rgb) const;
  // The pixel's bytes on the wire, in the client's byte order.
  void append_pixel(uint32_t rgb, std::vector<uint8_t>& out) const;
  // ZRLE's compressed pixel: 3 bytes when the colour bits of a 32-bit
  // pixel fit in three of its bytes, else the whole pixel.
  void append_cpixel(uint32_t rgb, std::vector<uint8_t>& out) const;
};

struct RfbRect {
  int x = 0, y = 0, width = 0, height = 0;
  bool operator==(const RfbRect&) const = default;
};

// A deflate stream that lives as long as the connection.
class RfbZlibStream {
 public:
  RfbZlibStream();
  ~RfbZlibStream();
  RfbZlibStream(const RfbZlibStream&) = delete;
  RfbZlibStream& operator=(const RfbZlibStream&) = delete;
  // Appends the compressed bytes of data, flushed so the client can decode
  // them at once.
  void compress(const std::vector<uint8_t>& data, std::vector<uint8_t>& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Rectangle data after its 12-byte header (which the caller writes).
void encode_raw(const RgbImage& image, const RfbRect& rect, const RfbPixelFormat& format,
                std::vector<uint8_t>& out);
// Zlib: a 4-byte length, then the raw pixels through the stream.
void encode_zlib(const RgbImage& image, const RfbRect& rect, const RfbPixelFormat& format,
                 RfbZlibStream& stream, std::vector<uint8_t>& out);
// ZRLE: a 4-byte length, then 64x64 tiles through the stream, each a single
// colour (subencoding 1) or its compressed pixels (0).
void encode_zrle(const RgbImage& image, const RfbRect& rect, const RfbPixelFormat& format,
                 RfbZlibStream& stream, std::vector<uint8_t>& out);

// The parts of `now` that differ from `before` (same size), as rectangles
// of whole 16-pixel-high bands, joined where neighbouring tiles changed.
std::vector<RfbRect> changed_rects(const RgbImage& before, const RgbImage& now);

}  // namespace vx86
