// Framebuffer pixels to RGB in each depth the VGA's modes use.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ui/framebuffer_render.h"

namespace vx86 {
namespace {

TEST(FramebufferRender, ThirtyTwoBitsAreBlueGreenRedUnused) {
  // 2x2 with a stride of 12 bytes (4 of padding per row).
  std::vector<uint8_t> vram = {0x11, 0x22, 0x33, 0xff, 0x44, 0x55, 0x66, 0x00, 9, 9, 9, 9,
                               0x00, 0x00, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 9, 9, 9, 9};
  RgbImage image = render_framebuffer(vram.data(), vram.size(), {2, 2, 32, 12});
  ASSERT_EQ(image.width, 2);
  ASSERT_EQ(image.height, 2);
  EXPECT_EQ(image.at(0, 0), 0x332211u);
  EXPECT_EQ(image.at(1, 0), 0x665544u);
  EXPECT_EQ(image.at(0, 1), 0xff0000u);
  EXPECT_EQ(image.at(1, 1), 0xffffffu);
}

TEST(FramebufferRender, TwentyFourBitsArePacked) {
  std::vector<uint8_t> vram = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  RgbImage image = render_framebuffer(vram.data(), vram.size(), {2, 1, 24, 6});
  EXPECT_EQ(image.at(0, 0), 0x030201u);
  EXPECT_EQ(image.at(1, 0), 0x060504u);
}

TEST(FramebufferRender, SixteenAndFifteenBitsWidenToFullScale) {
  // 5:6:5 white, pure red, pure green, pure blue.
  std::vector<uint8_t> rgb565 = {0xff, 0xff, 0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00};
  RgbImage a = render_framebuffer(rgb565.data(), rgb565.size(), {4, 1, 16, 8});
  EXPECT_EQ(a.at(0, 0), 0xffffffu);
  EXPECT_EQ(a.at(1, 0), 0xff0000u);
  EXPECT_EQ(a.at(2, 0), 0x00ff00u);
  EXPECT_EQ(a.at(3, 0), 0x0000ffu);
  // 1:5:5:5: the top bit is unused; half-scale green 0x10 widens to 0x84.
  std::vector<uint8_t> rgb555 = {0xff, 0xff, 0x00, 0x7c, 0x00, 0x02};
  RgbImage b = render_framebuffer(rgb555.data(), rgb555.size(), {3, 1, 15, 6});
  EXPECT_EQ(b.at(0, 0), 0xffffffu);
  EXPECT_EQ(b.at(1, 0), 0xff0000u);
  EXPECT_EQ(b.at(2, 0), 0x008400u);
}

TEST(FramebufferRender, EightBitsIndexThePalette) {
  std::array<uint32_t, 256> palette{};
  palette[1] = 0x102030;
  palette[255] = 0xabcdef;
  std::vector<uint8_t> vram = {1, 255, 0, 7};
  RgbImage image = render_framebuffer(vram.data(), vram.size(), {2, 2, 8, 2}, palette);
  EXPECT_EQ(image.at(0, 0), 0x102030u);
  EXPECT_EQ(image.at(1, 0), 0xabcdefu);
  EXPECT_EQ(image.at(0, 1), 0u);
}

TEST(FramebufferRender, RowsPastTheMemoryAreBlack) {
  std::vector<uint8_t> vram(4 * 2, 0xff);  // one 2-pixel row of a 2x3 mode
  RgbImage image = render_framebuffer(vram.data(), vram.size(), {2, 3, 32, 8});
  EXPECT_EQ(image.at(1, 0), 0xffffffu);
  EXPECT_EQ(image.at(0, 1), 0u);
  EXPECT_EQ(image.at(1, 2), 0u);
}

}  // namespace
}  // namespace vx86
