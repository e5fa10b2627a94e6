#include "hw/display/vga_graphics.h"

#include <array>

namespace vx86 {

namespace {

using R = VgaRegisters;

uint32_t widen_dac(uint8_t v) {
  v &= 0x3f;
  return static_cast<uint32_t>(v << 2 | (v & 1) << 1 | (v & 1));
}

}  // namespace

std::array<uint32_t, 16> vga_palette16(const VgaRegisters& regs) {
  std::array<uint32_t, 16> colours{};
  const uint8_t select = regs.attribute[R::kAttrColorSelect];
  for (unsigned i = 0; i < 16; ++i) {
    const uint8_t entry = regs.attribute[i];
    const unsigned index = (regs.attribute[R::kAttrModeControl] & 0x80)
                               ? (select & 0x0f) << 4 | (entry & 0x0f)
                               : (select & 0x0c) << 4 | (entry & 0x3f);
    colours[i] = vga_dac_colour(regs, index);
  }
  return colours;
}

uint32_t vga_dac_colour(const VgaRegisters& regs, unsigned index) {
  const uint8_t* rgb = &regs.dac[(index & 0xff) * 3];
  return widen_dac(rgb[0]) << 16 | widen_dac(rgb[1]) << 8 | widen_dac(rgb[2]);
}

RgbImage render_vga_graphics(const VgaRegisters& regs, const VgaPlanes& planes) {
  const auto& crtc = regs.crtc;
  const bool half_clock = regs.sequencer[R::kSeqClockingMode] & 0x08;
  const unsigned repeat_x = half_clock ? 2 : 1;
  const unsigned columns = crtc[R::kCrtcHorizontalDisplayEnd] + 1u;  // 8-pixel characters
  const unsigned vertical_end = crtc[R::kCrtcVerticalDisplayEnd] |
                                (crtc[R::kCrtcOverflow] & 0x02u) << 7 |
                                (crtc[R::kCrtcOverflow] & 0x40u) << 3;
  RgbImage image;
  image.width = static_cast<int>(columns * 8 * repeat_x);
  image.height = static_cast<int>(vertical_end + 1);
  image.pixels.assign(static_cast<std::size_t>(image.width) * image.height, 0);

  const unsigned shift = (regs.graphics[R::kGfxMode] >> 5) & 3;
  const unsigned double_scan = crtc[R::kCrtcMaxScanLine] >> 7;
  const unsigned lines_per_row =
      shift == 1 ? 1u << double_scan : ((crtc[R::kCrtcMaxScanLine] & 0x1fu) + 1) << double_scan;
  const uint32_t line_offset = crtc[R::kCrtcOffset] * 2u;  // in plane bytes
  const unsigned line_compare = crtc[R::kCrtcLineCompare] | (crtc[R::kCrtcOverflow] & 0x10u) << 4 |
                                (crtc[R::kCrtcMaxScanLine] & 0x40u) << 3;
  const uint8_t mode_control = crtc[R::kCrtcModeControl];
  const unsigned plane_enable = regs.attribute[R::kAttrColorPlaneEnable] & 0x0f;
  const std::array<uint32_t, 16> colours = vga_palette16(regs);

  uint32_t row_address = crtc[R::kCrtcStartHigh] << 8 | crtc[R::kCrtcStartLow];
  unsigned row = 0, line_in_row = 0;
  for (int y = 0; y < image.height; ++y) {
    uint32_t address = row_address;
    // CGA compatibility: the row counter's bits 0 and 1 stand in for address
    // bits 13 and 14 (as the CPU sees them), the interleaved banks.
    if (!(mode_control & 0x01)) {
      const unsigned bit = 12 + ((mode_control >> 6) & 1);
      address = (address & ~(1u << bit)) | (row & 1u) << bit;
    }
    if (!(mode_control & 0x02)) address = (address & ~0x2000u) | (row & 2u) << 12;

    uint32_t* out = &image.pixels[static_cast<std::size_t>(y) * image.width];
    auto put = [&](uint32_t colour, unsigned times) {
      for (unsigned i = 0; i < times; ++i) *out++ = colour;
    };
    // Every mode takes one byte of each plane per 8-pixel character.
    for (unsigned i = 0; i < columns; ++i) {
      uint8_t p[4];
      for (unsigned plane = 0; plane < 4; ++plane) p[plane] = planes.at(plane, address + i);
      if (shift >= 2) {
        // 256 colours: the four planes' bytes are four pixels, each two wide.
        for (unsigned plane = 0; plane < 4; ++plane)
          put(vga_dac_colour(regs, p[plane]), 2 * repeat_x);
      } else if (shift == 1) {
        // CGA: 2 bits per pixel, planes 0 and 2 then planes 1 and 3.
        for (unsigned half = 0; half < 2; ++half) {
          const uint8_t low = p[half] & ((plane_enable >> half) & 1 ? 0xff : 0);
          const uint8_t high = p[half + 2] & ((plane_enable >> (half + 2)) & 1 ? 0xff : 0);
          for (int bit = 6; bit >= 0; bit -= 2) {
            put(colours[((low >> bit) & 3) | ((high >> bit) & 3) << 2], repeat_x);
          }
        }
      } else {
        // 16 colours: one bit from each plane.
        for (int bit = 7; bit >= 0; --bit) {
          unsigned index = 0;
          for (unsigned plane = 0; plane < 4; ++plane) index |= ((p[plane] >> bit) & 1u) << plane;
          put(colours[index & plane_enable], repeat_x);
        }
      }
    }

    if (++line_in_row == lines_per_row) {
      line_in_row = 0;
      const unsigned advance_mask = (mode_control & 3) ^ 3;
      if ((row & advance_mask) == advance_mask) row_address += line_offset;
      ++row;
    }
    if (static_cast<unsigned>(y) == line_compare) row_address = 0;
  }
  return image;
}

}  // namespace vx86
