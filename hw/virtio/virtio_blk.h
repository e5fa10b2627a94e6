// virtio-blk (virtio 1.x, 5.2): one request queue; read, write, flush, get
// id, discard and write-zeroes go to a DriveBackend. Configuration: capacity,
// seg_max, blk_size, discard and write-zeroes limits; read-only drives offer
// VIRTIO_BLK_F_RO and fail writes.
#pragma once

#include <memory>
#include <string>

#include "hw/block/drive_backend.h"
#include "hw/virtio/virtio_device.h"

namespace vx86 {

class VirtioBlk : public VirtioDevice {
 public:
  static constexpr uint16_t kDeviceId = 2;
  static constexpr uint16_t kQueueSize = 256;
  static constexpr unsigned kSectorSize = 512;
  // Feature bits (5.2.3).
  static constexpr int kFeatureSegMax = 2;
  static constexpr int kFeatureRo = 5;
  static constexpr int kFeatureBlkSize = 6;
  static constexpr int kFeatureFlush = 9;
  static constexpr int kFeatureDiscard = 13;
  static constexpr int kFeatureWriteZeroes = 14;
  // Request types and status (5.2.6).
  static constexpr uint32_t kTypeIn = 0;
  static constexpr uint32_t kTypeOut = 1;
  static constexpr uint32_t kTypeFlush = 4;
  static constexpr uint32_t kTypeGetId = 8;
  static constexpr uint32_t kTypeDiscard = 11;
  static constexpr uint32_t kTypeWriteZeroes = 13;
  static constexpr uint8_t kStatusOk = 0;
  static constexpr uint8_t kStatusIoErr = 1;
  static constexpr uint8_t kStatusUnsupported = 2;
  static constexpr unsigned kConfigSize = 60;
  static constexpr uint32_t kMaxDiscardSegments = 1;
  static constexpr uint32_t kMaxDiscardSectors = 0x3fffff;
  static constexpr uint64_t kMaxRequestBytes = 32ull << 20;
  static constexpr unsigned kIdBytes = 20;

  // serial: returned by GET_ID (at most 20 bytes). The drive outlives this.
  VirtioBlk(DriveBackend& drive, std::string serial);
  ~VirtioBlk() override;

  const char* name() const override { return "virtio-blk"; }
  uint64_t device_features() const override;
  unsigned config_size() const override { return kConfigSize; }
  void read_config(uint8_t* buf) override;
  void handle_queue(unsigned index) override;
  void device_reset() override;
  uint64_t requests_in_flight() const { return in_flight_; }
  const DriveBackend& drive() const { return drive_; }

 private:
  struct Request;
  void start(std::shared_ptr<Request> req);
  // The one place requests meet the backend (synchronous or not).
  void submit(std::shared_ptr<Request> req);
  void finish(std::shared_ptr<Request> req, uint8_t status, bool copy_in);

  DriveBackend& drive_;
  std::string serial_;
  uint64_t generation_ = 0;  // completions from before a reset are dropped
  uint64_t in_flight_ = 0;
  // Completions hold a weak reference: a device unplugged (and destroyed)
  // while requests still run lets them finish into nothing.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace vx86
