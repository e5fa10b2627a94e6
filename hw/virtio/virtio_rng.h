// virtio-rng (virtio 1.x, 5.4): one request queue of device-writable
// buffers, which the device fills with bytes from an entropy source. No
// features, no configuration.
#pragma once

#include <memory>

#include "core/entropy_source.h"
#include "hw/virtio/virtio_device.h"

namespace vx86 {

class VirtioRng : public VirtioDevice {
 public:
  static constexpr uint16_t kDeviceId = 4;
  static constexpr uint16_t kQueueSize = 8;  // as QEMU's
  // At most this much per buffer chain, so that one request cannot hold the
  // device lock for long.
  static constexpr std::size_t kMaxBytesPerRequest = 64 * 1024;

  explicit VirtioRng(std::shared_ptr<EntropySource> source);

  const char* name() const override { return "virtio-rng"; }
  uint64_t device_features() const override { return 0; }
  unsigned config_size() const override { return 0; }
  void read_config(uint8_t* buf) override {}
  void handle_queue(unsigned index) override;

 private:
  std::shared_ptr<EntropySource> source_;
};

}  // namespace vx86
