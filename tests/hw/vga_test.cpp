// The VGA as its registers and memory define the screen: the text mode, and
// the planar memory behind the window at 0xA0000 with its read and write
// modes (the pictures of the graphics modes are compared with QEMU's by
// VgaModesTest).
#include <gtest/gtest.h>

#include "core/memory.h"
#include "hw/display/vga.h"

namespace vx86 {
namespace {

class VgaTest : public ::testing::Test {
 protected:
  VgaTest() {
    memory_->add_subregion(0, ram_.get());
    vga_.map(*memory_, *io_);
  }
  void crtc(uint8_t index, uint8_t value) {
    io_space_.write(0x3d4, index, 1);
    io_space_.write(0x3d5, value, 1);
  }
  void seq(uint8_t index, uint8_t value) {
    io_space_.write(0x3c4, index, 1);
    io_space_.write(0x3c5, value, 1);
  }
  void gfx(uint8_t index, uint8_t value) {
    io_space_.write(0x3ce, index, 1);
    io_space_.write(0x3cf, value, 1);
  }
  // Planar access, as mode 12h sets it: the window at 0xA0000 (64 KiB),
  // no odd/even, no chain 4, all planes written.
  void planar() {
    seq(0x04, 0x06);
    gfx(0x05, 0x00);
    gfx(0x06, 0x05);
    seq(0x02, 0x0f);
  }
  uint8_t peek(uint32_t offset) {
    return static_cast<uint8_t>(mem_space_.read(0xa0000 + offset, 1));
  }
  void poke(uint32_t offset, uint8_t value) { mem_space_.write(0xa0000 + offset, value, 1); }
  // Plane p's byte at `offset`, through read mode 0.
  uint8_t plane_byte(unsigned p, uint32_t offset) {
    gfx(0x04, static_cast<uint8_t>(p));
    return peek(offset);
  }
  void put(unsigned cell, uint16_t value) { mem_space_.write(Vga::kTextBase + 2 * cell, value, 2); }

  std::unique_ptr<MemoryRegion> memory_ = MemoryRegion::container("memory", 1 << 20);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::container("io", 0x10000);
  AddressSpace mem_space_{"memory", memory_.get()};
  AddressSpace io_space_{"io", io_.get()};
  Vga vga_;
};

TEST_F(VgaTest, PowerOnScreenIsBlankWithAnUnderlineCursor) {
  TextScreen s = vga_.screen();
  ASSERT_EQ(s.cells.size(), 80u * 25u);
  for (uint16_t c : s.cells) ASSERT_EQ(c, 0x0720);
  EXPECT_TRUE(s.cursor_visible);
  EXPECT_EQ(s.cursor_column, 0);
  EXPECT_EQ(s.cursor_row, 0);
  EXPECT_EQ(s.cursor_start, 14);
  EXPECT_EQ(s.cursor_end, 15);
  EXPECT_EQ(io_space_.read(0x3cc, 1), 0x67u);  // colour, CRTC at 0x3Dx
}

TEST_F(VgaTest, TheTextWindowOverRamIsTheScreen) {
  put(0, 0x1f41);
  put(80 * 24 + 79, 0x4e42);
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cells[0], 0x1f41);
  EXPECT_EQ(s.cells[80 * 24 + 79], 0x4e42);
  // RAM below the VGA's 0xA0000-0xBFFFF is untouched; outside mode 3's
  // window the VGA answers with all ones, as the chipset decodes it there.
  mem_space_.write(0x9fffe, 0x1234, 2);
  EXPECT_EQ(mem_space_.read(0x9fffe, 2), 0x1234u);
  mem_space_.write(0xb7ffe, 0x1234, 2);
  EXPECT_EQ(mem_space_.read(0xb7ffe, 2), 0xffffu);
}

TEST_F(VgaTest, StartAddressScrollsPastTheTextWindow) {
  put(80, 'x' | 0x0700);
  crtc(0x0c, 0);
  crtc(0x0d, 80);  // start at the second line (hardware scrolling, as vgacon does)
  EXPECT_EQ(vga_.screen().cells[0], 'x' | 0x0700);
  put(0x3fff, 'w' | 0x0700);
  crtc(0x0c, 0x3f);
  crtc(0x0d, 0xff);  // the window's last cell, then planes 0 and 1 beyond it
  // Beyond the 32 KiB at 0xB8000: the planes' memory the window at 0xA0000
  // reaches in odd/even mode (memory map 0).
  gfx(0x06, 0x02);
  mem_space_.write(0xa0000 + 2 * 0x4000, 0x1f41, 2);
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cells[0], 'w' | 0x0700);
  EXPECT_EQ(s.cells[1], 0x1f41);
}

// The CRTC's registers set the text geometry: 40 columns at half the dot
// clock, 8-line characters for 50 rows, the offset register's row length.
TEST_F(VgaTest, TextGeometryFollowsTheCrtc) {
  seq(0x01, 0x08);  // half dot clock, 9-pixel characters
  crtc(0x01, 39);   // 40 characters
  crtc(0x13, 20);   // rows of 40 cells
  put(40, 'r' | 0x0700);
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.columns, 40);
  EXPECT_EQ(s.rows, 25);
  EXPECT_TRUE(s.double_width);
  EXPECT_EQ(s.cells[40], 'r' | 0x0700);
  seq(0x01, 0x01);  // 8-pixel characters
  crtc(0x01, 79);
  crtc(0x13, 40);
  crtc(0x09, 0x47);  // 8 scan lines
  s = vga_.screen();
  EXPECT_EQ(s.rows, 50);
  EXPECT_EQ(s.char_height, 8);
  EXPECT_EQ(s.cell_width, 8);
  EXPECT_FALSE(s.double_width);
}

// Text colours come through the attribute palette and the DAC (loaded as a
// VGA BIOS loads it for mode 3), and the font from plane 2 once the guest
// loads one, character maps as the sequencer selects them.
TEST_F(VgaTest, PaletteAndGuestFont) {
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.palette[7], 0xa8a8a8u);  // DAC 2Ah widened as QEMU does
  EXPECT_EQ(s.palette[6], 0xa85700u);  // brown: attribute palette 6 is 14h
  EXPECT_TRUE(s.font.empty());
  io_space_.write(0x3c0, 0x01, 1);  // palette register 1 ...
  io_space_.write(0x3c0, 0x3f, 1);  // ... to DAC entry 3Fh (white)
  EXPECT_EQ(vga_.screen().palette[1], 0xffffffu);
  // A font load as a BIOS does it: plane 2 through the window at 0xA0000.
  planar();
  gfx(0x06, 0x04);
  seq(0x02, 0x04);
  poke('A' * 32 + 3, 0x18);           // map 0, glyph 'A', line 3
  poke(0x4000 + 'A' * 32 + 3, 0x81);  // map 1
  seq(0x03, 0x04);                    // map A = 1, map B = 0
  s = vga_.screen();
  ASSERT_EQ(s.font.size(), 2u * 256 * 32);
  EXPECT_EQ(s.font['A' * 32 + 3], 0x18);
  EXPECT_EQ(s.font[(256 + 'A') * 32 + 3], 0x81);
}

TEST_F(VgaTest, CursorRegisters) {
  crtc(0x0e, 0);
  crtc(0x0f, 80 * 3 + 7);
  crtc(0x0a, 0x06);
  crtc(0x0b, 0x07);
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cursor_row, 3);
  EXPECT_EQ(s.cursor_column, 7);
  EXPECT_EQ(s.cursor_start, 6);
  EXPECT_EQ(s.cursor_end, 7);
  crtc(0x0a, 0x20 | 0x06);  // cursor off
  EXPECT_FALSE(vga_.screen().cursor_visible);
  io_space_.write(0x3d4, 0x0f, 1);
  EXPECT_EQ(io_space_.read(0x3d5, 1), 80u * 3 + 7);
}

TEST_F(VgaTest, StatusTogglesAndResetsTheAttributeFlipFlop) {
  const uint64_t a = io_space_.read(0x3da, 1), b = io_space_.read(0x3da, 1);
  EXPECT_NE(a & 0x08, b & 0x08);    // vertical retrace comes and goes
  io_space_.write(0x3c0, 0x01, 1);  // index 1
  io_space_.write(0x3c0, 0x3f, 1);  // its data
  io_space_.write(0x3c0, 0x01, 1);  // index again
  EXPECT_EQ(io_space_.read(0x3c1, 1), 0x3fu);
  io_space_.read(0x3da, 1);                    // back to expecting an index
  io_space_.write(0x3c0, 0x02, 1);             // index 2, not data for 1
  EXPECT_EQ(io_space_.read(0x3c1, 1), 0x02u);  // the BIOS's identity palette
}

TEST_F(VgaTest, DacRoundTrip) {
  io_space_.write(0x3c8, 5, 1);
  for (uint8_t v : {0x10, 0x20, 0x3f, 0x01})
    io_space_.write(0x3c9, v, 1);  // 5 = (10,20,3f), 6.r = 1
  io_space_.write(0x3c7, 5, 1);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x10u);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x20u);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x3fu);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x01u);
}

TEST_F(VgaTest, ResetBlanksTheScreen) {
  put(0, 0x1f41);
  crtc(0x0d, 80);
  vga_.reset();
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cells[0], 0x0720);
  EXPECT_EQ(mem_space_.read(Vga::kTextBase + 160, 2), 0x0720u);
}

TEST_F(VgaTest, MapMaskWritesPlanesThatReadModeZeroReadsBack) {
  planar();
  for (unsigned p = 0; p < 4; ++p) {
    seq(0x02, static_cast<uint8_t>(1 << p));
    poke(0x1234, static_cast<uint8_t>(0x10 + p));
  }
  for (unsigned p = 0; p < 4; ++p) EXPECT_EQ(plane_byte(p, 0x1234), 0x10 + p) << p;
  // Outside the 64 KiB window (memory map 1): nothing there.
  EXPECT_EQ(mem_space_.read(0xb0000, 1), 0xffu);
}

TEST_F(VgaTest, WriteModesCombineCpuDataLatchesSetResetAndBitMask) {
  planar();
  // Background: planes 0-3 = 0x0f, 0xf0, 0x33, 0xcc at offset 10.
  const uint8_t background[4] = {0x0f, 0xf0, 0x33, 0xcc};
  for (unsigned p = 0; p < 4; ++p) {
    seq(0x02, static_cast<uint8_t>(1 << p));
    poke(10, background[p]);
  }
  seq(0x02, 0x0f);
  auto reset_background = [&] {
    for (uint8_t index : {0x01, 0x03, 0x05}) gfx(index, 0x00);
    gfx(0x08, 0xff);
    for (unsigned p = 0; p < 4; ++p) {
      seq(0x02, static_cast<uint8_t>(1 << p));
      poke(10, background[p]);
    }
    seq(0x02, 0x0f);
  };
  // Write mode 0: CPU data rotated right by 4 into every plane, bit mask 0x3c.
  gfx(0x03, 0x04);
  gfx(0x08, 0x3c);
  peek(10);  // the latches
  poke(10, 0x81);
  for (unsigned p = 0; p < 4; ++p) {
    EXPECT_EQ(plane_byte(p, 10), (0x18 & 0x3c) | (background[p] & ~0x3c & 0xff)) << p;
  }
  reset_background();
  // Write mode 0, set/reset: planes 0 and 2 forced to colour 0b0101's bits, XOR with the latches.
  gfx(0x03, 0x18);
  gfx(0x01, 0x05);
  gfx(0x00, 0x05);
  gfx(0x08, 0xff);
  peek(10);
  poke(10, 0x00);
  EXPECT_EQ(plane_byte(0, 10), 0x0f ^ 0xff);
  EXPECT_EQ(plane_byte(1, 10), 0xf0 ^ 0x00);  // CPU data 0 XOR latch
  EXPECT_EQ(plane_byte(2, 10), 0x33 ^ 0xff);
  EXPECT_EQ(plane_byte(3, 10), 0xcc);
  reset_background();
  // Write mode 1 copies the latches of another byte.
  peek(10);
  gfx(0x05, 0x01);
  poke(20, 0x00);
  gfx(0x05, 0x00);
  for (unsigned p = 0; p < 4; ++p) EXPECT_EQ(plane_byte(p, 20), background[p]) << p;
  // Write mode 2: colour 0b1010 through bit mask 0xf0.
  gfx(0x05, 0x02);
  gfx(0x08, 0xf0);
  peek(10);
  poke(10, 0x0a);
  gfx(0x05, 0x00);
  for (unsigned p = 0; p < 4; ++p) {
    const uint8_t colour = (0x0a >> p) & 1 ? 0xf0 : 0x00;
    EXPECT_EQ(plane_byte(p, 10), colour | (background[p] & 0x0f)) << p;
  }
  reset_background();
  // Write mode 3: the set/reset colour 0b0011 through CPU data 0x3c AND bit mask 0x0f.
  gfx(0x05, 0x03);
  gfx(0x00, 0x03);
  gfx(0x08, 0x0f);
  peek(10);
  poke(10, 0x3c);
  gfx(0x05, 0x00);
  for (unsigned p = 0; p < 4; ++p) {
    const uint8_t colour = (0x03 >> p) & 1 ? 0x0c : 0x00;
    EXPECT_EQ(plane_byte(p, 10), colour | (background[p] & ~0x0c & 0xff)) << p;
  }
}

TEST_F(VgaTest, ReadModeOneComparesColours) {
  planar();
  // Pixels 0-7 of byte 5 get colours 0..7 (plane p holds bit p of each).
  for (unsigned p = 0; p < 4; ++p) {
    uint8_t bits = 0;
    for (unsigned x = 0; x < 8; ++x) bits |= static_cast<uint8_t>(((x >> p) & 1) << (7 - x));
    seq(0x02, static_cast<uint8_t>(1 << p));
    poke(5, bits);
  }
  gfx(0x05, 0x08);
  gfx(0x02, 0x06);  // colour 6
  gfx(0x07, 0x0f);
  EXPECT_EQ(peek(5), 0x02);  // pixel 6 only
  gfx(0x07, 0x03);           // only planes 0 and 1 count: colours 2 and 6
  gfx(0x02, 0x02);
  EXPECT_EQ(peek(5), 0x22);
}

TEST_F(VgaTest, ChainFourAddressesPlanesByTheLowBits) {
  planar();
  seq(0x04, 0x0e);  // chain 4, as mode 13h
  for (uint32_t a = 0; a < 8; ++a) poke(a, static_cast<uint8_t>(0xa0 + a));
  seq(0x04, 0x06);
  EXPECT_EQ(plane_byte(0, 0), 0xa0);
  EXPECT_EQ(plane_byte(3, 0), 0xa3);
  EXPECT_EQ(plane_byte(1, 1), 0xa5);
  seq(0x04, 0x0e);
  EXPECT_EQ(peek(6), 0xa6);
}

// The text window is RAM while the registers map it as mode 3 does; when a
// BIOS loads a font (plane 2 through the window at 0xA0000) the window is the
// device's and the text stays where it was.
TEST_F(VgaTest, TextWindowAndPlanesAreTheSameBytes) {
  put(0, 0x1f41);
  put(1, 0x2e42);
  planar();
  EXPECT_EQ(plane_byte(0, 0), 0x41);
  EXPECT_EQ(plane_byte(1, 0), 0x1f);
  EXPECT_EQ(plane_byte(0, 1), 0x42);
  EXPECT_EQ(plane_byte(1, 1), 0x2e);
  seq(0x02, 0x04);
  poke(0, 0x7e);  // a font byte in plane 2
  seq(0x02, 0x01);
  poke(2, 0x43);  // a character in plane 0
  // Back to mode 3's mapping.
  seq(0x02, 0x03);
  seq(0x04, 0x02);
  gfx(0x04, 0x00);
  gfx(0x05, 0x10);
  gfx(0x06, 0x0e);
  EXPECT_EQ(vga_.screen().cells[0], 0x1f41);
  EXPECT_EQ(vga_.screen().cells[2], 0x0743);
  EXPECT_EQ(mem_space_.read(Vga::kTextBase + 4, 2), 0x0743u);
  // Plane 2 is not in the text window.
  seq(0x04, 0x06);
  gfx(0x05, 0x00);
  gfx(0x06, 0x05);
  EXPECT_EQ(plane_byte(2, 0), 0x7e);
}

TEST_F(VgaTest, GraphicsModeHasAPictureTextModeHasNone) {
  RgbImage picture;
  EXPECT_FALSE(vga_.graphics_picture(&picture));
  planar();
  gfx(0x06, 0x05);  // graphics
  EXPECT_TRUE(vga_.graphics_picture(&picture));
  // Mode 3's timing registers: 80 characters of 8 pixels, 400 lines.
  EXPECT_EQ(picture.width, 640);
  EXPECT_EQ(picture.height, 400);
}

}  // namespace
}  // namespace vx86
