// The VGA's text mode as its registers and memory define the screen.
#include <gtest/gtest.h>

#include "core/memory.h"
#include "hw/display/vga_text.h"

namespace vx86 {
namespace {

class VgaTextTest : public ::testing::Test {
 protected:
  VgaTextTest() {
    memory_->add_subregion(0, ram_.get());
    vga_.map(*memory_, *io_);
  }
  void crtc(uint8_t index, uint8_t value) {
    io_space_.write(0x3d4, index, 1);
    io_space_.write(0x3d5, value, 1);
  }
  void put(unsigned cell, uint16_t value) {
    mem_space_.write(VgaText::kTextBase + 2 * cell, value, 2);
  }

  std::unique_ptr<MemoryRegion> memory_ = MemoryRegion::container("memory", 1 << 20);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::container("io", 0x10000);
  AddressSpace mem_space_{"memory", memory_.get()};
  AddressSpace io_space_{"io", io_.get()};
  VgaText vga_;
};

TEST_F(VgaTextTest, PowerOnScreenIsBlankWithAnUnderlineCursor) {
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

TEST_F(VgaTextTest, TheTextWindowOverRamIsTheScreen) {
  put(0, 0x1f41);
  put(80 * 24 + 79, 0x4e42);
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cells[0], 0x1f41);
  EXPECT_EQ(s.cells[80 * 24 + 79], 0x4e42);
  // RAM elsewhere is untouched; the window hides the RAM under it.
  mem_space_.write(0xb7ffe, 0x1234, 2);
  EXPECT_EQ(mem_space_.read(0xb7ffe, 2), 0x1234u);
}

TEST_F(VgaTextTest, StartAddressScrollsAndWraps) {
  put(80, 'x' | 0x0700);
  crtc(0x0c, 0);
  crtc(0x0d, 80);  // start at the second line (hardware scrolling, as vgacon does)
  EXPECT_EQ(vga_.screen().cells[0], 'x' | 0x0700);
  put(0, 'w' | 0x0700);
  crtc(0x0c, 0x3f);
  crtc(0x0d, 0xff);  // the last cell of the 16 Ki cells, then around to cell 0
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cells[1], 'w' | 0x0700);
}

TEST_F(VgaTextTest, CursorRegisters) {
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

TEST_F(VgaTextTest, StatusTogglesAndResetsTheAttributeFlipFlop) {
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

TEST_F(VgaTextTest, DacRoundTrip) {
  io_space_.write(0x3c8, 5, 1);
  for (uint8_t v : {0x10, 0x20, 0x3f, 0x01})
    io_space_.write(0x3c9, v, 1);  // 5 = (10,20,3f), 6.r = 1
  io_space_.write(0x3c7, 5, 1);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x10u);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x20u);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x3fu);
  EXPECT_EQ(io_space_.read(0x3c9, 1), 0x01u);
}

TEST_F(VgaTextTest, ResetBlanksTheScreen) {
  put(0, 0x1f41);
  crtc(0x0d, 80);
  vga_.reset();
  TextScreen s = vga_.screen();
  EXPECT_EQ(s.cells[0], 0x0720);
  EXPECT_EQ(mem_space_.read(VgaText::kTextBase + 160, 2), 0x0720u);
}

}  // namespace
}  // namespace vx86
