// virtio-net with no CPU and no PCI: the test is the driver and the network.
// It negotiates features, lays out the receive and transmit queues in a
// guest memory array and exchanges frames with a backend that records what
// the NIC sends and hands it frames to receive.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "hw/net/virtio_net.h"
#include "tests/hw/array_memory.h"
#include "tests/hw/recording_net_backend.h"

namespace vx86 {
namespace {

using test::ArrayMemory;
using RecordingBackend = test::RecordingNetBackend;

constexpr uint16_t kSize = 16;
// Per queue: descriptor table, available ring, used ring.
constexpr uint64_t kRing[2][3] = {{0x1000, 0x2000, 0x3000}, {0x4000, 0x5000, 0x6000}};
constexpr uint64_t kBuffers = 0x10000;

std::vector<uint8_t> frame_of(size_t len, uint8_t seed) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(seed + i * 3);
  return f;
}

class VirtioNetTest : public ::testing::Test {
 protected:
  void SetUp() override { start(true); }

  void start(bool modern, bool with_backend = true) {
    net_.reset();  // it lets go of the backend
    net_ = std::make_unique<VirtioNet>(with_backend ? &backend_ : nullptr,
                                       MacAddress{0x52, 0x54, 0, 0x12, 0x34, 0x56});
    net_->bind(&mem_, [this](int source) { interrupts_.push_back(source); });
    handshake(modern);
  }

  // What a driver does after a reset: features, queues, DRIVER_OK.
  void handshake(bool modern) {
    net_->set_status(virtio::kStatusAcknowledge | virtio::kStatusDriver);
    uint64_t features = 1ull << VirtioNet::kFeatureMac | 1ull << VirtioNet::kFeatureStatus;
    if (modern) features |= 1ull << virtio::kFeatureVersion1;
    net_->set_driver_features(features);
    uint8_t status = virtio::kStatusAcknowledge | virtio::kStatusDriver;
    if (modern) status |= virtio::kStatusFeaturesOk;
    net_->set_status(status);
    for (unsigned q = 0; q < 2; ++q) {
      net_->queue(q).set_size(kSize);
      net_->queue(q).set_addresses(kRing[q][0], kRing[q][1], kRing[q][2]);
      net_->queue(q).set_ready(true);
    }
    net_->set_status(status | virtio::kStatusDriverOk);
    next_desc_[0] = next_desc_[1] = 0;
    avail_idx_[0] = avail_idx_[1] = 0;
    next_buffer_ = kBuffers;
  }

  // Makes a chain of buffers (each {length, device-writable}) available;
  // returns their guest addresses.
  std::vector<uint64_t> post(unsigned q, const std::vector<std::pair<uint32_t, bool>>& bufs) {
    std::vector<uint64_t> addrs;
    uint16_t head = next_desc_[q];
    for (size_t i = 0; i < bufs.size(); ++i) {
      uint16_t d = next_desc_[q]++ % kSize;
      uint64_t entry = kRing[q][0] + 16u * d;
      mem_.put<uint64_t>(entry, next_buffer_);
      mem_.put<uint32_t>(entry + 8, bufs[i].first);
      uint16_t flags = (bufs[i].second ? 2 : 0) | (i + 1 < bufs.size() ? 1 : 0);
      mem_.put<uint16_t>(entry + 12, flags);
      mem_.put<uint16_t>(entry + 14, static_cast<uint16_t>((d + 1) % kSize));
      addrs.push_back(next_buffer_);
      next_buffer_ += bufs[i].first;
    }
    mem_.put<uint16_t>(kRing[q][1] + 4 + 2u * (avail_idx_[q] % kSize), head % kSize);
    mem_.put<uint16_t>(kRing[q][1] + 2, ++avail_idx_[q]);
    return addrs;
  }
  uint16_t used_idx(unsigned q) const { return mem_.get<uint16_t>(kRing[q][2] + 2); }
  uint32_t used_len(unsigned q, unsigned n) const {
    return mem_.get<uint32_t>(kRing[q][2] + 4 + 8u * n + 4);
  }
  void write(uint64_t addr, const std::vector<uint8_t>& bytes) {
    std::memcpy(mem_.bytes.data() + addr, bytes.data(), bytes.size());
  }
  std::vector<uint8_t> read(uint64_t addr, size_t len) const {
    return {mem_.bytes.begin() + static_cast<long>(addr),
            mem_.bytes.begin() + static_cast<long>(addr + len)};
  }

  ArrayMemory mem_;
  RecordingBackend backend_;
  std::unique_ptr<VirtioNet> net_;
  std::vector<int> interrupts_;
  uint16_t next_desc_[2] = {};
  uint16_t avail_idx_[2] = {};
  uint64_t next_buffer_ = kBuffers;
};

TEST_F(VirtioNetTest, ConfigurationHoldsTheMacAndTheLinkStatus) {
  uint8_t cfg[VirtioNet::kConfigSize];
  net_->read_config(cfg);
  EXPECT_EQ(std::vector<uint8_t>(cfg, cfg + 6),
            (std::vector<uint8_t>{0x52, 0x54, 0, 0x12, 0x34, 0x56}));
  EXPECT_EQ(cfg[6] | cfg[7] << 8, VirtioNet::kStatusLinkUp);
  EXPECT_EQ(cfg[8] | cfg[9] << 8, 1);  // one queue pair
  // No offloads: only the MAC and the status (plus the transport's bits).
  EXPECT_EQ(net_->device_features(),
            1ull << VirtioNet::kFeatureMac | 1ull << VirtioNet::kFeatureStatus);
}

TEST_F(VirtioNetTest, TransmittedFramesReachTheBackendWithoutTheirHeader) {
  const auto frame = frame_of(60, 1);
  // Header in its own buffer, the frame split over two more.
  auto addrs = post(VirtioNet::kTxQueue, {{12, false}, {20, false}, {40, false}});
  write(addrs[1], {frame.begin(), frame.begin() + 20});
  write(addrs[2], {frame.begin() + 20, frame.end()});
  net_->notify(VirtioNet::kTxQueue);
  ASSERT_EQ(backend_.sent.size(), 1u);
  EXPECT_EQ(backend_.sent[0], frame);
  EXPECT_EQ(used_idx(VirtioNet::kTxQueue), 1);
  EXPECT_EQ(used_len(VirtioNet::kTxQueue, 0), 0u);
  EXPECT_EQ(interrupts_, std::vector<int>{1});
  EXPECT_EQ(net_->counters().tx_frames, 1u);
}

TEST_F(VirtioNetTest, ReceivedFramesGetAHeaderWithOneBuffer) {
  auto addrs = post(VirtioNet::kRxQueue, {{1526 + 12, true}});
  const auto frame = frame_of(1514, 9);
  backend_.deliver(frame);
  ASSERT_EQ(used_idx(VirtioNet::kRxQueue), 1);
  EXPECT_EQ(used_len(VirtioNet::kRxQueue, 0), 12u + frame.size());
  auto header = read(addrs[0], 12);
  EXPECT_EQ(header, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}));  // num_buffers 1
  EXPECT_EQ(read(addrs[0] + 12, frame.size()), frame);
  EXPECT_EQ(interrupts_, std::vector<int>{0});
}

TEST_F(VirtioNetTest, LegacyDriversGetTheShortHeader) {
  start(false);
  auto addrs = post(VirtioNet::kRxQueue, {{10, true}, {1514, true}});
  const auto frame = frame_of(100, 4);
  backend_.deliver(frame);
  ASSERT_EQ(used_idx(VirtioNet::kRxQueue), 1);
  EXPECT_EQ(used_len(VirtioNet::kRxQueue, 0), 10u + frame.size());
  EXPECT_EQ(read(addrs[1], frame.size()), frame);
  // And transmit frames start after 10 bytes.
  auto tx = post(VirtioNet::kTxQueue, {{10 + 60, false}});
  write(tx[0] + 10, frame_of(60, 7));
  net_->notify(VirtioNet::kTxQueue);
  ASSERT_EQ(backend_.sent.size(), 1u);
  EXPECT_EQ(backend_.sent[0], frame_of(60, 7));
}

TEST_F(VirtioNetTest, FramesWaitForReceiveBuffers) {
  backend_.deliver(frame_of(64, 1));
  backend_.deliver(frame_of(65, 2));
  EXPECT_EQ(used_idx(VirtioNet::kRxQueue), 0);
  auto first = post(VirtioNet::kRxQueue, {{2048, true}});
  auto second = post(VirtioNet::kRxQueue, {{2048, true}});
  net_->notify(VirtioNet::kRxQueue);  // the driver's kick
  ASSERT_EQ(used_idx(VirtioNet::kRxQueue), 2);
  EXPECT_EQ(read(first[0] + 12, 64), frame_of(64, 1));
  EXPECT_EQ(read(second[0] + 12, 65), frame_of(65, 2));
}

TEST_F(VirtioNetTest, OnlyTheNewestFramesWaitWhenTheGuestTakesNone) {
  for (size_t i = 0; i < VirtioNet::kMaxPendingFrames + 10; ++i) {
    backend_.deliver(frame_of(64, static_cast<uint8_t>(i)));
  }
  EXPECT_EQ(net_->counters().rx_dropped, 10u);
  auto buf = post(VirtioNet::kRxQueue, {{2048, true}});
  net_->notify(VirtioNet::kRxQueue);
  EXPECT_EQ(read(buf[0] + 12, 64), frame_of(64, 10));  // the oldest kept
}

TEST_F(VirtioNetTest, AFrameLargerThanTheBufferIsDroppedAndTheBufferReturned) {
  post(VirtioNet::kRxQueue, {{12 + 100, true}});
  backend_.deliver(frame_of(200, 1));
  ASSERT_EQ(used_idx(VirtioNet::kRxQueue), 1);
  EXPECT_EQ(used_len(VirtioNet::kRxQueue, 0), 0u);
  EXPECT_EQ(net_->counters().rx_dropped, 1u);
}

TEST_F(VirtioNetTest, LinkDownStopsTrafficAndTellsTheDriver) {
  interrupts_.clear();
  net_->set_link(false);
  EXPECT_EQ(interrupts_, std::vector<int>{VirtioDevice::kConfigInterrupt});
  uint8_t cfg[VirtioNet::kConfigSize];
  net_->read_config(cfg);
  EXPECT_EQ(cfg[6], 0);
  post(VirtioNet::kRxQueue, {{2048, true}});
  backend_.deliver(frame_of(64, 1));
  EXPECT_EQ(used_idx(VirtioNet::kRxQueue), 0);
  post(VirtioNet::kTxQueue, {{12 + 60, false}});
  net_->notify(VirtioNet::kTxQueue);
  EXPECT_TRUE(backend_.sent.empty());
  EXPECT_EQ(used_idx(VirtioNet::kTxQueue), 1);  // the buffer still comes back
  net_->set_link(true);
  backend_.deliver(frame_of(64, 1));
  EXPECT_EQ(used_idx(VirtioNet::kRxQueue), 1);
}

TEST_F(VirtioNetTest, ATransmitChainWithoutAHeaderNeedsAReset) {
  post(VirtioNet::kTxQueue, {{4, false}});
  net_->notify(VirtioNet::kTxQueue);
  EXPECT_TRUE(net_->status() & virtio::kStatusNeedsReset);
  EXPECT_TRUE(backend_.sent.empty());
}

TEST_F(VirtioNetTest, ResetDropsWaitingFrames) {
  backend_.deliver(frame_of(64, 1));
  net_->set_status(0);
  handshake(true);
  post(VirtioNet::kRxQueue, {{2048, true}});
  net_->notify(VirtioNet::kRxQueue);
  EXPECT_EQ(used_idx(VirtioNet::kRxQueue), 0);
}

TEST_F(VirtioNetTest, WithoutABackendFramesAreDropped) {
  start(true, false);
  post(VirtioNet::kTxQueue, {{12 + 60, false}});
  net_->notify(VirtioNet::kTxQueue);
  EXPECT_EQ(net_->counters().tx_dropped, 1u);
  EXPECT_EQ(used_idx(VirtioNet::kTxQueue), 1);
}

}  // namespace
}  // namespace vx86
