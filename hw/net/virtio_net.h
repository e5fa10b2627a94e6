// virtio-net (virtio 1.x, 5.1): a receive queue and a transmit queue of
// Ethernet frames, each behind a virtio_net_hdr, joined to a NetBackend.
// No offloads are offered (no checksum or segmentation features), so every
// frame is whole and checksummed by the guest. Configuration: the MAC
// address and the link status.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

#include "core/netdev.h"
#include "hw/net/nic.h"
#include "hw/virtio/virtio_device.h"

namespace vx86 {

class VirtioNet : public VirtioDevice, public NetworkCard {
 public:
  static constexpr uint16_t kDeviceId = 1;
  static constexpr uint16_t kQueueSize = 256;
  static constexpr unsigned kRxQueue = 0;
  static constexpr unsigned kTxQueue = 1;
  // Feature bits (5.1.3).
  static constexpr int kFeatureMac = 5;
  static constexpr int kFeatureStatus = 16;
  static constexpr uint16_t kStatusLinkUp = 1;
  static constexpr unsigned kConfigSize = 10;  // mac, status, max_virtqueue_pairs
  // virtio_net_hdr: 10 bytes for a legacy driver without mergeable buffers,
  // 12 (with num_buffers) otherwise.
  static constexpr unsigned kLegacyHeaderBytes = 10;
  static constexpr unsigned kHeaderBytes = 12;
  // The largest frame taken from the guest (64 KiB as a GSO frame would be)
  // and the frames kept while the guest has no receive buffers posted.
  static constexpr std::size_t kMaxFrameBytes = 65536;
  static constexpr std::size_t kMaxPendingFrames = 256;

  // The backend outlives this device; nullptr: not connected (frames sent
  // are dropped and nothing arrives), as QEMU's NIC without a netdev.
  VirtioNet(NetBackend* backend, MacAddress mac);
  ~VirtioNet() override;

  const char* name() const override { return "virtio-net"; }
  uint64_t device_features() const override;
  unsigned config_size() const override { return kConfigSize; }
  void read_config(uint8_t* buf) override;
  void handle_queue(unsigned index) override;
  void device_reset() override;

  const char* model() const override { return "virtio-net-pci"; }
  const MacAddress& mac() const override { return mac_; }
  const NetBackend* backend() const override { return backend_; }
  bool link_up() const override { return link_up_; }
  // The guest sees the status change (a configuration interrupt).
  void set_link(bool up) override;
  // A frame for the guest (the backend's receiver, under the device lock).
  void receive(const uint8_t* frame, std::size_t len);

  struct Counters {
    uint64_t rx_frames = 0, tx_frames = 0, rx_dropped = 0, tx_dropped = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  unsigned header_bytes() const;
  void transmit();
  // Puts pending frames into the guest's receive buffers while it has some.
  void deliver_pending();
  // false: no receive buffer was available (the frame stays pending).
  bool deliver(const std::vector<uint8_t>& frame);

  NetBackend* backend_;
  MacAddress mac_;
  bool link_up_ = true;
  std::deque<std::vector<uint8_t>> pending_;
  Counters counters_;
};

}  // namespace vx86
