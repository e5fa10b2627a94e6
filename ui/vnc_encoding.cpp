#include "ui/vnc_encoding.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace vx86 {

namespace {

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void put_be16(std::vector<uint8_t>& out, unsigned v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// One 8-bit channel scaled to 0..max.
uint32_t scale(uint32_t channel, uint16_t max) {
  return (channel * max + 127) / 255;
}

}  // namespace

RfbPixelFormat RfbPixelFormat::parse(const uint8_t* b) {
  RfbPixelFormat f;
  f.bits_per_pixel = b[0];
  f.depth = b[1];
  f.big_endian = b[2] != 0;
  f.true_colour = b[3] != 0;
  f.red_max = be16(b + 4);
  f.green_max = be16(b + 6);
  f.blue_max = be16(b + 8);
  f.red_shift = b[10];
  f.green_shift = b[11];
  f.blue_shift = b[12];
  return f;
}

void RfbPixelFormat::append_to(std::vector<uint8_t>& out) const {
  out.push_back(bits_per_pixel);
  out.push_back(depth);
  out.push_back(big_endian ? 1 : 0);
  out.push_back(true_colour ? 1 : 0);
  put_be16(out, red_max);
  put_be16(out, green_max);
  put_be16(out, blue_max);
  out.push_back(red_shift);
  out.push_back(green_shift);
  out.push_back(blue_shift);
  out.insert(out.end(), 3, 0);  // padding
}

bool RfbPixelFormat::supported() const {
  const bool size_ok = bits_per_pixel == 8 || bits_per_pixel == 16 || bits_per_pixel == 32;
  return size_ok && true_colour && red_max && green_max && blue_max && red_shift < 32 &&
         green_shift < 32 && blue_shift < 32;
}

uint32_t RfbPixelFormat::pixel(uint32_t rgb) const {
  return scale(rgb >> 16 & 0xff, red_max) << red_shift |
         scale(rgb >> 8 & 0xff, green_max) << green_shift |
         scale(rgb & 0xff, blue_max) << blue_shift;
}

void RfbPixelFormat::append_pixel(uint32_t rgb, std::vector<uint8_t>& out) const {
  const uint32_t value = pixel(rgb);
  const unsigned bytes = bits_per_pixel / 8;
  for (unsigned i = 0; i < bytes; ++i) {
    const unsigned byte = big_endian ? bytes - 1 - i : i;
    out.push_back(static_cast<uint8_t>(value >> (8 * byte)));
  }
}

void RfbPixelFormat::append_cpixel(uint32_t rgb, std::vector<uint8_t>& out) const {
  const uint32_t used = static_cast<uint32_t>(red_max) << red_shift |
                        static_cast<uint32_t>(green_max) << green_shift |
                        static_cast<uint32_t>(blue_max) << blue_shift;
  if (bits_per_pixel != 32 || depth > 24) return append_pixel(rgb, out);
  uint32_t value = pixel(rgb);
  if ((used & 0xff000000u) == 0) {
    // The low three bytes, in the client's order.
  } else if ((used & 0xffu) == 0) {
    value >>= 8;
  } else {
    return append_pixel(rgb, out);
  }
  for (unsigned i = 0; i < 3; ++i) {
    const unsigned byte = big_endian ? 2 - i : i;
    out.push_back(static_cast<uint8_t>(value >> (8 * byte)));
  }
}

struct RfbZlibStream::State {
  z_stream z{};
};

RfbZlibStream::RfbZlibStream() : state_(std::make_unique<State>()) {
  if (deflateInit(&state_->z, Z_DEFAULT_COMPRESSION) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit failed");
  }
}

RfbZlibStream::~RfbZlibStream() {
  deflateEnd(&state_->z);
}

void RfbZlibStream::compress(const std::vector<uint8_t>& data, std::vector<uint8_t>& out) {
  z_stream& z = state_->z;
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  uint8_t chunk[16384];
  do {
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    deflate(&z, Z_SYNC_FLUSH);
    out.insert(out.end(), chunk, chunk + (sizeof chunk - z.avail_out));
  } while (z.avail_out == 0);
}

void encode_raw(const RgbImage& image, const RfbRect& rect, const RfbPixelFormat& format,
                std::vector<uint8_t>& out) {
  out.reserve(out.size() +
              static_cast<std::size_t>(rect.width) * rect.height * (format.bits_per_pixel / 8));
  for (int y = rect.y; y < rect.y + rect.height; ++y) {
    for (int x = rect.x; x < rect.x + rect.width; ++x) format.append_pixel(image.at(x, y), out);
  }
}

namespace {

// data compressed through stream, after its 4-byte length.
void append_compressed(const std::vector<uint8_t>& data, RfbZlibStream& stream,
                       std::vector<uint8_t>& out) {
  std::vector<uint8_t> compressed;
  stream.compress(data, compressed);
  put_be32(out, static_cast<uint32_t>(compressed.size()));
  out.insert(out.end(), compressed.begin(), compressed.end());
}

}  // namespace

void encode_zlib(const RgbImage& image, const RfbRect& rect, const RfbPixelFormat& format,
                 RfbZlibStream& stream, std::vector<uint8_t>& out) {
  std::vector<uint8_t> raw;
  encode_raw(image, rect, format, raw);
  append_compressed(raw, stream, out);
}

void encode_zrle(const RgbImage& image, const RfbRect& rect, const RfbPixelFormat& format,
                 RfbZlibStream& stream, std::vector<uint8_t>& out) {
  constexpr int kTile = 64;
  std::vector<uint8_t> tiles;
  for (int ty = rect.y; ty < rect.y + rect.height; ty += kTile) {
    const int th = std::min(kTile, rect.y + rect.height - ty);
    for (int tx = rect.x; tx < rect.x + rect.width; tx += kTile) {
      const int tw = std::min(kTile, rect.x + rect.width - tx);
      const uint32_t first = image.at(tx, ty);
      bool solid = true;
      for (int y = ty; y < ty + th && solid; ++y) {
        for (int x = tx; x < tx + tw; ++x) {
          if (image.at(x, y) != first) {
            solid = false;
            break;
          }
        }
      }
      if (solid) {
        tiles.push_back(1);
        format.append_cpixel(first, tiles);
        continue;
      }
      tiles.push_back(0);
      for (int y = ty; y < ty + th; ++y) {
        for (int x = tx; x < tx + tw; ++x) format.append_cpixel(image.at(x, y), tiles);
      }
    }
  }
  append_compressed(tiles, stream, out);
}

std::vector<RfbRect> changed_rects(const RgbImage& before, const RgbImage& now) {
  constexpr int kTileWidth = 64, kBand = 16;
  std::vector<RfbRect> rects;
  for (int band = 0; band < now.height; band += kBand) {
    const int height = std::min(kBand, now.height - band);
    std::vector<RfbRect> runs;
    for (int tx = 0; tx < now.width; tx += kTileWidth) {
      const int width = std::min(kTileWidth, now.width - tx);
      bool changed = false;
      for (int y = band; y < band + height && !changed; ++y) {
        const std::size_t at = static_cast<std::size_t>(y) * now.width + tx;
        changed = std::memcmp(&before.pixels[at], &now.pixels[at], width * sizeof(uint32_t)) != 0;
      }
      if (!changed) continue;
      if (!runs.empty() && runs.back().x + runs.back().width == tx) {
        runs.back().width += width;
      } else {
        runs.push_back({tx, band, width, height});
      }
    }
    // A run under the same run of the band above extends it downwards.
    for (const RfbRect& run : runs) {
      auto above = std::find_if(rects.begin(), rects.end(), [&](const RfbRect& r) {
        return r.x == run.x && r.width == run.width && r.y + r.height == run.y;
      });
      if (above != rects.end()) {
        above->height += run.height;
      } else {
        rects.push_back(run);
      }
    }
  }
  return rects;
}

}  // namespace vx86
