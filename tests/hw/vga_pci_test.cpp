// The standard VGA's PCI function: the Bochs VBE (DISPI) registers through
// ports 0x1CE/0x1CF and BAR 2, and the mode they make the display scan out.
#include "hw/display/vga_pci.h"

#include <gtest/gtest.h>

#include "core/memory.h"

namespace vx86 {
namespace {

class VgaPciTest : public ::testing::Test {
 protected:
  VgaPciTest() {
    io_root_ = MemoryRegion::container("io", 0x10000);
    vga_.map_ports(*io_root_);
    io_ = std::make_unique<AddressSpace>("io", io_root_.get());
  }
  uint16_t read(uint16_t index) {
    io_->write(VgaPci::kDispiIndexPort, index, 2);
    return static_cast<uint16_t>(io_->read(VgaPci::kDispiIndexPort + 1, 2));
  }
  void write(uint16_t index, uint16_t value) {
    io_->write(VgaPci::kDispiIndexPort, index, 2);
    io_->write(VgaPci::kDispiIndexPort + 1, value, 2);
  }

  VgaPci vga_;
  std::unique_ptr<MemoryRegion> io_root_;
  std::unique_ptr<AddressSpace> io_;
};

TEST_F(VgaPciTest, IdentifiesItselfAndItsMemory) {
  EXPECT_EQ(read(VgaPci::kDispiId), 0xb0c5);
  EXPECT_EQ(read(VgaPci::kDispiVideoMemory64k), 256);  // 16 MiB
  write(VgaPci::kDispiId, 0xb0c2);
  EXPECT_EQ(read(VgaPci::kDispiId), 0xb0c2);
  write(VgaPci::kDispiId, 0x1234);  // not an ID: ignored
  EXPECT_EQ(read(VgaPci::kDispiId), 0xb0c2);
  // GETCAPS: the resolution and depth registers read their maxima.
  write(VgaPci::kDispiEnable, VgaPci::kDispiGetCaps);
  EXPECT_EQ(read(VgaPci::kDispiXres), VgaPci::kDispiMaxXres);
  EXPECT_EQ(read(VgaPci::kDispiBpp), 32);
}

TEST_F(VgaPciTest, EnablingAModeScansItOut) {
  EXPECT_FALSE(vga_.mode().active());
  write(VgaPci::kDispiXres, 800);
  write(VgaPci::kDispiYres, 600);
  write(VgaPci::kDispiBpp, 16);
  EXPECT_FALSE(vga_.mode().active());  // not enabled yet
  write(VgaPci::kDispiEnable, VgaPci::kDispiEnabled | VgaPci::kDispiLfbEnabled);
  EXPECT_EQ(vga_.mode(), (FramebufferFormat{800, 600, 16, 1600}));
  EXPECT_EQ(read(VgaPci::kDispiVirtWidth), 800);
  EXPECT_EQ(read(VgaPci::kDispiVirtHeight), (16u << 20) / 1600);
  // A wider virtual screen and panning move where the picture starts.
  write(VgaPci::kDispiVirtWidth, 1024);
  write(VgaPci::kDispiXOffset, 8);
  write(VgaPci::kDispiYOffset, 2);
  EXPECT_EQ(vga_.mode().stride, 2048u);
  EXPECT_EQ(vga_.mode().offset, 2u * 2048 + 8 * 2);
  // 8 bits per pixel (the DAC's colours) are shown; 4 (planar) are not
  // (logged under -d unimp).
  write(VgaPci::kDispiEnable, 0);
  write(VgaPci::kDispiBpp, 8);
  write(VgaPci::kDispiEnable, VgaPci::kDispiEnabled);
  EXPECT_EQ(vga_.mode(), (FramebufferFormat{800, 600, 8, 800}));
  write(VgaPci::kDispiEnable, 0);
  write(VgaPci::kDispiBpp, 4);
  write(VgaPci::kDispiEnable, VgaPci::kDispiEnabled);
  EXPECT_FALSE(vga_.mode().active());
  write(VgaPci::kDispiEnable, 0);
  EXPECT_FALSE(vga_.mode().active());
}

TEST_F(VgaPciTest, ModeSetClearsTheFramebufferUnlessAskedNotTo) {
  const_cast<uint8_t*>(vga_.framebuffer())[0] = 0x5a;
  write(VgaPci::kDispiXres, 640);
  write(VgaPci::kDispiYres, 480);
  write(VgaPci::kDispiBpp, 32);
  write(VgaPci::kDispiEnable, VgaPci::kDispiEnabled | VgaPci::kDispiNoClear);
  EXPECT_EQ(vga_.framebuffer()[0], 0x5a);
  write(VgaPci::kDispiEnable, 0);
  write(VgaPci::kDispiEnable, VgaPci::kDispiEnabled);
  EXPECT_EQ(vga_.framebuffer()[0], 0);
}

// Without a linear framebuffer a guest reaches the framebuffer 64 KiB at a
// time through the legacy VGA's window at 0xA0000, the bank register
// choosing which 64 KiB.
TEST_F(VgaPciTest, BankedWindowShowsTheFramebufferWhileAModeIsOn) {
  Vga legacy;
  auto memory_root = MemoryRegion::container("memory", 1 << 20);
  legacy.map(*memory_root, *io_root_);
  legacy.set_vbe_window(&vga_);
  AddressSpace memory("memory", memory_root.get());
  EXPECT_EQ(vga_.banked_byte(0), nullptr);  // no VBE mode: the window is the planes'
  write(VgaPci::kDispiXres, 640);
  write(VgaPci::kDispiYres, 480);
  write(VgaPci::kDispiBpp, 8);
  write(VgaPci::kDispiEnable, VgaPci::kDispiEnabled);
  write(VgaPci::kDispiBank, 3);
  memory.write(0xa0000 + 0x10, 0x77, 1);
  EXPECT_EQ(vga_.framebuffer()[3 * 0x10000 + 0x10], 0x77);
  const_cast<uint8_t*>(vga_.framebuffer())[3 * 0x10000 + 0xffff] = 0x42;
  EXPECT_EQ(memory.read(0xaffff, 1), 0x42u);
  write(VgaPci::kDispiBank, 256);  // past the 16 MiB: refused
  EXPECT_EQ(read(VgaPci::kDispiBank), 3);
  write(VgaPci::kDispiEnable, 0);
  memory.write(0xa0000 + 0x10, 0x11, 1);
  EXPECT_EQ(vga_.framebuffer()[3 * 0x10000 + 0x10], 0x77);  // the planes took it
}

TEST_F(VgaPciTest, ResetReturnsToTextMode) {
  vga_.set_mode({1024, 768, 24, 3072});
  EXPECT_TRUE(vga_.mode().active());
  vga_.reset();
  EXPECT_FALSE(vga_.mode().active());
  EXPECT_EQ(read(VgaPci::kDispiId), 0xb0c5);
}

}  // namespace
}  // namespace vx86
