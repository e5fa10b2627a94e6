// virtio-balloon with the test as its driver: the host's target in the
// configuration, the driver's report of what it holds, and pages on the
// inflate queue handed back to the host (those in guest memory only).
#include "hw/virtio/virtio_balloon.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/hw/array_memory.h"

namespace vx86 {
namespace {

using test::ArrayMemory;

constexpr uint16_t kSize = 16;
constexpr uint64_t kRing[2][3] = {{0x1000, 0x2000, 0x3000}, {0x4000, 0x5000, 0x6000}};
constexpr uint64_t kPfnArrays = 0x8000;

class VirtioBalloonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    balloon_.bind(&mem_, [this](int source) { interrupts_.push_back(source); });
    balloon_.set_change_listener([this](uint64_t actual) { changes_.push_back(actual); });
    balloon_.set_status(virtio::kStatusAcknowledge | virtio::kStatusDriver);
    balloon_.set_driver_features(1ull << virtio::kFeatureVersion1);
    const uint8_t status =
        virtio::kStatusAcknowledge | virtio::kStatusDriver | virtio::kStatusFeaturesOk;
    balloon_.set_status(status);
    for (unsigned q = 0; q < 2; ++q) {
      balloon_.queue(q).set_size(kSize);
      balloon_.queue(q).set_addresses(kRing[q][0], kRing[q][1], kRing[q][2]);
      balloon_.queue(q).set_ready(true);
    }
    balloon_.set_status(status | virtio::kStatusDriverOk);
  }

  // The driver's config: num_pages and actual.
  std::pair<uint32_t, uint32_t> config() {
    uint8_t c[8];
    balloon_.read_config(c);
    auto le = [&](int at) {
      return static_cast<uint32_t>(c[at] | c[at + 1] << 8 | c[at + 2] << 16 | c[at + 3] << 24);
    };
    return {le(0), le(4)};
  }
  void report_actual(uint32_t pages) {
    const uint8_t bytes[4] = {static_cast<uint8_t>(pages), static_cast<uint8_t>(pages >> 8),
                              static_cast<uint8_t>(pages >> 16), static_cast<uint8_t>(pages >> 24)};
    balloon_.write_config(4, bytes, 4);
  }
  // One buffer of page frame numbers on queue q, then the notification.
  void send_pfns(unsigned q, const std::vector<uint32_t>& pfns) {
    const uint64_t buffer = kPfnArrays + 0x400 * q;
    for (std::size_t i = 0; i < pfns.size(); ++i) mem_.put<uint32_t>(buffer + 4 * i, pfns[i]);
    const uint16_t d = next_desc_[q]++ % kSize;
    mem_.put<uint64_t>(kRing[q][0] + 16u * d, buffer);
    mem_.put<uint32_t>(kRing[q][0] + 16u * d + 8, static_cast<uint32_t>(4 * pfns.size()));
    mem_.put<uint16_t>(kRing[q][0] + 16u * d + 12, 0);
    mem_.put<uint16_t>(kRing[q][1] + 4 + 2u * (avail_[q] % kSize), d);
    mem_.put<uint16_t>(kRing[q][1] + 2, ++avail_[q]);
    balloon_.notify(q);
  }
  uint16_t used_idx(unsigned q) const { return mem_.get<uint16_t>(kRing[q][2] + 2); }

  ArrayMemory mem_;
  VirtioBalloon balloon_{256ull << 20};
  std::vector<int> interrupts_;
  std::vector<uint64_t> changes_;
  uint16_t next_desc_[2] = {};
  uint16_t avail_[2] = {};
};

TEST_F(VirtioBalloonTest, TheHostsTargetBecomesAPageCountWithAConfigInterrupt) {
  EXPECT_EQ(config(), (std::pair<uint32_t, uint32_t>{0, 0}));
  EXPECT_EQ(balloon_.actual_bytes(), 256ull << 20);
  balloon_.set_target(192ull << 20);  // 64 MiB back: 16384 pages
  EXPECT_EQ(config().first, 16384u);
  ASSERT_FALSE(interrupts_.empty());
  EXPECT_EQ(interrupts_.back(), VirtioDevice::kConfigInterrupt);
  // More than the guest has: all of it stays; a target of all: none back.
  balloon_.set_target(1ull << 40);
  EXPECT_EQ(config().first, 0u);
  // The driver's report: what query-balloon says, and one change each.
  report_actual(16384);
  report_actual(16384);
  EXPECT_EQ(balloon_.actual_bytes(), 192ull << 20);
  EXPECT_EQ(changes_, (std::vector<uint64_t>{192ull << 20}));
  // num_pages is the host's: the driver's writes there are ignored.
  const uint8_t zeros[4] = {};
  balloon_.write_config(0, zeros, 4);
  EXPECT_EQ(config().first, 0u);
  // A reset empties the driver's balloon.
  balloon_.set_status(0);
  EXPECT_EQ(config().second, 0u);
}

TEST_F(VirtioBalloonTest, InflatedPagesGoBackToTheHostDeflatedOnesNeedNothing) {
  // Pages 16 and 17 are in the guest's memory, page 0x100000 (4 GiB) is not.
  send_pfns(0, {16, 17, 0x100000});
  EXPECT_EQ(used_idx(0), 1);
  EXPECT_EQ(mem_.discarded, (std::vector<uint64_t>{16 * 4096, 17 * 4096}));
  EXPECT_EQ(balloon_.discarded_pages(), 2u);
  send_pfns(1, {16});
  EXPECT_EQ(used_idx(1), 1);
  EXPECT_EQ(mem_.discarded.size(), 2u);
}

}  // namespace
}  // namespace vx86
