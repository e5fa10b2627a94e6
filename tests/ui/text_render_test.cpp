// Console fonts (PSF 1 and 2 with their Unicode tables), code page 437 and
// the drawing of a VGA text screen.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "ui/cp437.h"
#include "ui/ppm.h"
#include "ui/psf_font.h"
#include "ui/text_render.h"

namespace vx86 {
namespace {

// A PSF1 font of 8x16 glyphs: glyph 0 blank, glyph 1 a full block, glyph 2
// a single pixel at (0, 0) and glyph 3 the leftmost column; the Unicode
// table says glyph 1 draws U+2588, glyph 2 'A' and glyph 3 U+2500 and '|'.
std::vector<uint8_t> tiny_psf1() {
  std::vector<uint8_t> d = {0x36, 0x04, 0x02, 16};  // 256 glyphs, with a table
  d.resize(4 + 256 * 16, 0);
  for (int y = 0; y < 16; ++y) d[4 + 16 + static_cast<std::size_t>(y)] = 0xff;
  d[4 + 2 * 16] = 0x80;
  for (int y = 0; y < 16; ++y) d[4 + 3 * 16 + static_cast<std::size_t>(y)] = 0x01;
  auto put16 = [&](uint16_t v) {
    d.push_back(static_cast<uint8_t>(v));
    d.push_back(static_cast<uint8_t>(v >> 8));
  };
  for (int g = 0; g < 256; ++g) {
    if (g == 1) put16(0x2588);
    if (g == 2) put16('A');
    if (g == 3) {
      put16(0x2500);
      put16('|');
      put16(0xFFFE);  // a sequence (ignored)
      put16('x');
    }
    put16(0xFFFF);
  }
  return d;
}

TEST(PsfFont, Psf1WithUnicodeTable) {
  std::string error;
  auto font = PsfFont::parse(tiny_psf1(), &error);
  ASSERT_TRUE(font) << error;
  EXPECT_EQ(font->width(), 8);
  EXPECT_EQ(font->height(), 16);
  EXPECT_EQ(font->glyph_count(), 256u);
  EXPECT_EQ(font->glyph_for(0x2588), 1u);
  EXPECT_EQ(font->glyph_for('A'), 2u);
  EXPECT_EQ(font->glyph_for('|'), 3u);
  EXPECT_FALSE(font->glyph_for('x'));  // only inside a sequence
  EXPECT_FALSE(font->glyph_for('B'));
  EXPECT_TRUE(font->pixel(2, 0, 0));
  EXPECT_FALSE(font->pixel(2, 1, 0));
  EXPECT_TRUE(font->pixel(3, 7, 15));
  EXPECT_FALSE(font->pixel(3, 8, 0));  // outside the glyph
}

TEST(PsfFont, Psf2WithUtf8Table) {
  std::vector<uint8_t> d(32, 0);
  auto put32 = [&](std::size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
      d[at + static_cast<std::size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  };
  put32(0, 0x864ab572);
  put32(8, 32);  // header size
  put32(12, 1);  // has a Unicode table
  put32(16, 2);  // glyphs
  put32(20, 2 * 10);
  put32(24, 10);  // height
  put32(28, 12);  // width: two bytes a row
  d.resize(32 + 2 * 20, 0);
  d[32 + 20] = 0x00;
  d[32 + 21] = 0x10;                                            // glyph 1, row 0: pixel 11
  const uint8_t table[] = {'a', 0xFF, 0xE2, 0x94, 0x80, 0xFF};  // glyph 0 'a'; glyph 1 U+2500
  d.insert(d.end(), table, table + sizeof(table));
  std::string error;
  auto font = PsfFont::parse(d, &error);
  ASSERT_TRUE(font) << error;
  EXPECT_EQ(font->width(), 12);
  EXPECT_EQ(font->height(), 10);
  EXPECT_EQ(font->glyph_for('a'), 0u);
  EXPECT_EQ(font->glyph_for(0x2500), 1u);
  EXPECT_TRUE(font->pixel(1, 11, 0));
  EXPECT_FALSE(font->pixel(1, 10, 0));
}

TEST(PsfFont, BadFilesAreRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(PsfFont::parse({1, 2, 3}, &error));
  EXPECT_EQ(error, "not a PSF font");
  std::vector<uint8_t> truncated = tiny_psf1();
  truncated.resize(100);
  EXPECT_FALSE(PsfFont::parse(truncated, &error));
  EXPECT_EQ(error, "bad PSF header or truncated glyphs");
  EXPECT_FALSE(PsfFont::load("/nonexistent/font.psf.gz", &error));
  EXPECT_NE(error.find("/nonexistent/font.psf.gz"), std::string::npos) << error;
}

TEST(PsfFont, TheConsoleFontDrawsCodePage437) {
  std::string error;
  const PsfFont* font = default_console_font(&error);
  ASSERT_NE(font, nullptr) << error;
  EXPECT_EQ(font->width(), 8);
  EXPECT_EQ(font->height(), 16);
  for (int b = 0x20; b < 0x7f; ++b) {
    EXPECT_TRUE(font->glyph_for(cp437_to_unicode(static_cast<unsigned char>(b)))) << b;
  }
  for (unsigned char b : {0xB3, 0xC4, 0xDA, 0xDB, 0xB0, 0xE1, 0xF8}) {
    EXPECT_TRUE(font->glyph_for(cp437_to_unicode(b))) << int{b};
  }
  // The full block has every pixel set.
  const std::size_t block = *font->glyph_for(0x2588);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 8; ++x) EXPECT_TRUE(font->pixel(block, x, y));
}

TEST(Cp437, GraphicsAndLetters) {
  EXPECT_EQ(cp437_to_unicode(0x00), U' ');
  EXPECT_EQ(cp437_to_unicode(0x01), U'\u263A');
  EXPECT_EQ(cp437_to_unicode('A'), U'A');
  EXPECT_EQ(cp437_to_unicode(0x7F), U'\u2302');
  EXPECT_EQ(cp437_to_unicode(0x80), U'\u00C7');
  EXPECT_EQ(cp437_to_unicode(0xC4), U'\u2500');
  EXPECT_EQ(cp437_to_unicode(0xDB), U'\u2588');
  EXPECT_EQ(cp437_to_unicode(0xFF), U'\u00A0');
}

// Cells 9 pixels wide: the line-drawing characters 0xB0-0xDF repeat their
// 8th column into the 9th, the others leave it as background.
TEST(TextRender, NinthColumnColoursAndCursor) {
  std::string error;
  auto font = PsfFont::parse(tiny_psf1(), &error);
  ASSERT_TRUE(font) << error;
  TextScreen screen;
  screen.columns = 4;
  screen.rows = 1;
  screen.cells = {0xDB | 0x1E << 8,  // full block, yellow on blue
                  0xC4 | 0x07 << 8,  // U+2500 drawn by glyph 3: its column 7 is set
                  '|' | 0x07 << 8,   // the same glyph for '|', not a line-drawing byte
                  'B' | 0x9F << 8};  // no glyph: '?' has none either, so glyph 0; bit 7
  screen.cursor_column = 3;
  screen.cursor_row = 0;
  screen.cursor_start = 14;
  screen.cursor_end = 15;
  RgbImage image = render_text_screen(screen, *font);
  ASSERT_EQ(image.width, 36);
  ASSERT_EQ(image.height, 16);
  const auto& palette = kDefaultTextPalette;
  const uint32_t yellow = palette[14], grey = palette[7], black = palette[0], white = palette[15];
  const uint32_t light_blue = palette[9];
  EXPECT_EQ(yellow, 0xFFFF55u);
  for (int x = 0; x < 9; ++x) EXPECT_EQ(image.at(x, 5), yellow) << x;  // 0xDB fills the 9th too
  EXPECT_EQ(image.at(9 + 7, 3), grey);
  EXPECT_EQ(image.at(9 + 8, 3), grey);  // 0xC4 repeats column 8
  EXPECT_EQ(image.at(9 + 6, 3), black);
  EXPECT_EQ(image.at(18 + 7, 3), grey);
  EXPECT_EQ(image.at(18 + 8, 3), black);       // '|' does not
  EXPECT_EQ(image.at(27 + 4, 3), light_blue);  // background 0x9: bit 7 brightens, as QEMU draws
  EXPECT_EQ(image.at(27 + 4, 13), light_blue);
  EXPECT_EQ(image.at(27 + 4, 14), white);  // the cursor's lines, in the foreground colour
  EXPECT_EQ(image.at(27 + 7, 15), white);
  EXPECT_EQ(image.at(27 + 8, 15), light_blue);  // not in the 9th column
  screen.cursor_visible = false;
  EXPECT_EQ(render_text_screen(screen, *font).at(27 + 4, 14), light_blue);
}

// The guest's own font (from VGA plane 2) draws the VGA's cells: its height,
// 8-pixel cells when the sequencer says so, doubled at half the dot clock,
// attribute bit 3 picking character map A, the screen's palette.
TEST(TextRender, GuestFontCellsAndPalette) {
  TextScreen screen;
  screen.columns = 2;
  screen.rows = 1;
  screen.char_height = 8;
  screen.cell_width = 8;
  screen.cursor_visible = false;
  screen.palette[2] = 0x123456;
  screen.palette[10] = 0x654321;
  screen.cells = {'A' | 0x02 << 8, 'A' | 0x0a << 8};  // map B, then map A (bit 3)
  screen.font.assign(2 * 256 * 32, 0);
  screen.font['A' * 32 + 0] = 0x80;          // map B: top-left pixel
  screen.font[(256 + 'A') * 32 + 7] = 0x01;  // map A: bottom-right pixel
  std::string error;
  auto font = PsfFont::parse(tiny_psf1(), &error);  // not used: the guest's font wins
  ASSERT_TRUE(font) << error;
  RgbImage image = render_text_screen(screen, *font);
  ASSERT_EQ(image.width, 16);
  ASSERT_EQ(image.height, 8);
  EXPECT_EQ(image.at(0, 0), 0x123456u);
  EXPECT_EQ(image.at(1, 0), 0u);
  EXPECT_EQ(image.at(8 + 7, 7), 0x654321u);
  EXPECT_EQ(image.at(8, 0), 0u);
  screen.double_width = true;  // 40-column modes: 16-pixel cells
  image = render_text_screen(screen, *font);
  ASSERT_EQ(image.width, 32);
  EXPECT_EQ(image.at(1, 0), 0x123456u);
  EXPECT_EQ(image.at(2, 0), 0u);
  EXPECT_EQ(image.at(16 + 15, 7), 0x654321u);
}

TEST(Ppm, WritesP6) {
  RgbImage image{2, 1, {0x102030, 0xA0B0C0}};
  const std::string path = ::testing::TempDir() + "/vx86-test.ppm";
  std::string error;
  ASSERT_TRUE(write_ppm(image, path, &error)) << error;
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(data, std::string("P6\n2 1\n255\n\x10\x20\x30\xA0\xB0\xC0", 17));
  std::remove(path.c_str());
  EXPECT_FALSE(write_ppm(image, "/nonexistent/dir/x.ppm", &error));
  EXPECT_NE(error.find("could not open '/nonexistent/dir/x.ppm'"), std::string::npos) << error;
}

}  // namespace
}  // namespace vx86
