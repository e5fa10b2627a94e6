// The CFI flash as OVMF uses it for its variables: its probe (clear status
// must not read back as written, read status must read 0), byte programs
// and block erases that reach the backing file, read-only flash.
#include "hw/block/pflash_cfi01.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/memory.h"

namespace vx86 {
namespace {

constexpr uint64_t kBase = 0xffc00000;

class PflashTest : public ::testing::Test {
 protected:
  void make(bool read_only) {
    std::vector<uint8_t> contents(16 * 1024, 0xab);
    flash_ = std::make_unique<PflashCfi01>("flash", contents, read_only,
                                           [this](uint64_t offset, std::vector<uint8_t> bytes) {
                                             persisted_.push_back({offset, bytes});
                                           });
    flash_->map(*system_, kBase, 1);
  }
  uint8_t in(uint64_t offset) { return static_cast<uint8_t>(mem_.read(kBase + offset, 1)); }
  void out(uint64_t offset, uint8_t v) { mem_.write(kBase + offset, v, 1); }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  AddressSpace mem_{"memory", system_.get()};
  std::unique_ptr<PflashCfi01> flash_;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> persisted_;
};

TEST_F(PflashTest, OvmfsProbeFindsAFlash) {
  make(false);
  const uint8_t original = in(0);
  EXPECT_EQ(original, 0xab) << "read-array mode: plain memory";
  out(0, 0x50);  // clear status
  EXPECT_EQ(in(0), original) << "not RAM";
  out(0, 0x70);  // read status
  EXPECT_EQ(in(0), 0x00) << "cleared status: a flash";
  out(0, 0xff);
  EXPECT_EQ(in(0), original);
}

TEST_F(PflashTest, ProgramAndEraseReachTheFile) {
  make(false);
  out(0x1234, 0x10);
  out(0x1234, 0x42);
  EXPECT_EQ(in(0x1234) & PflashCfi01::kStatusReady, PflashCfi01::kStatusReady) << "status mode";
  out(0, 0xff);
  EXPECT_EQ(in(0x1234), 0x42);
  ASSERT_EQ(persisted_.size(), 1u);
  EXPECT_EQ(persisted_[0].first, 0x1234u);
  EXPECT_EQ(persisted_[0].second, std::vector<uint8_t>{0x42});

  out(0x1000, 0x20);
  out(0x1000, 0xd0);  // erase the block at 0x1000
  out(0, 0xff);
  EXPECT_EQ(in(0x1234), 0xff);
  EXPECT_EQ(in(0x0fff), 0xab) << "the block before stays";
  ASSERT_EQ(persisted_.size(), 2u);
  EXPECT_EQ(persisted_[1].first, 0x1000u);
  EXPECT_EQ(persisted_[1].second.size(), PflashCfi01::kBlockSize);

  out(0x2000, 0x20);
  out(0x2000, 0x00);  // not the confirmation: an error, nothing erased
  EXPECT_NE(in(0x2000) & PflashCfi01::kStatusEraseError, 0);
  out(0, 0x50);
  EXPECT_EQ(in(0x2000), 0xab);
}

TEST_F(PflashTest, AReadOnlyFlashIgnoresCommands) {
  make(true);
  out(0x10, 0x10);
  out(0x10, 0x00);
  EXPECT_EQ(in(0x10), 0xab);
  EXPECT_TRUE(persisted_.empty());
}

}  // namespace
}  // namespace vx86
