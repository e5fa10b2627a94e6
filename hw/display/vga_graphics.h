// The picture a VGA scans out in its graphics modes, from the registers and
// the planes: 16 colours from four planes (modes 0Dh-12h), CGA's 4 colours
// from interleaved banks (modes 04h/05h), 256 colours from chained or
// unchained planes (mode 13h, "mode X"), through the attribute controller's
// palette and the DAC. The picture is the displayed resolution, as QEMU's
// screendump gives it: the horizontal display end times 8 pixels (doubled
// when the sequencer halves the dot clock) by the vertical display end, with
// 256-colour pixels two wide and rows repeated per the maximum scan line and
// double scanning; the CRTC's start address, offset, line compare and CGA
// address mapping (mode control bits 0-1) apply.
#pragma once

#include <array>
#include <cstdint>

#include "core/rgb_image.h"
#include "hw/display/vga_planes.h"
#include "hw/display/vga_registers.h"

namespace vx86 {

RgbImage render_vga_graphics(const VgaRegisters& regs, const VgaPlanes& planes);

// DAC entry `index` as 0xRRGGBB, its 6-bit values widened as QEMU's VGA does
// (the lowest bit repeated), so that screendumps compare equal.
uint32_t vga_dac_colour(const VgaRegisters& regs, unsigned index);

// The 16 colours of the text, planar and CGA modes: the attribute
// controller's palette registers, with bits 4-7 of the DAC index from the
// colour select register (bits 4-5 from the palette unless mode control
// bit 7), through the DAC.
std::array<uint32_t, 16> vga_palette16(const VgaRegisters& regs);

}  // namespace vx86
