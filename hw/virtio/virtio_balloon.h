// virtio-balloon (virtio 1.x, 5.5): the host asks for a number of guest
// pages (num_pages, in the configuration); the driver inflates the balloon
// with pages it gives up (their frame numbers on the inflate queue, whose
// memory vx86 hands back to the host), deflates it when asked for fewer, and
// reports how many it holds (actual). No optional features: no statistics,
// no deflate-on-OOM, no free-page hinting.
#pragma once

#include <cstdint>
#include <functional>

#include "hw/virtio/virtio_device.h"

namespace vx86 {

class VirtioBalloon : public VirtioDevice {
 public:
  static constexpr uint16_t kDeviceId = 5;
  static constexpr uint16_t kQueueSize = 128;  // as QEMU's
  static constexpr uint64_t kPageSize = 4096;  // the balloon's unit, whatever the guest's pages

  explicit VirtioBalloon(uint64_t ram_size);

  const char* name() const override { return "virtio-balloon"; }
  uint64_t device_features() const override { return 0; }
  unsigned config_size() const override { return 8; }
  void read_config(uint8_t* buf) override;
  void write_config(unsigned offset, const uint8_t* data, unsigned len) override;
  void handle_queue(unsigned index) override;
  void device_reset() override;
  void visit_device_state(StateVisitor& v) override;

  // QMP balloon: the guest's memory should become `bytes` (at most all of it).
  void set_target(uint64_t bytes);
  // The guest's memory now, as the driver reports it (RAM less the balloon).
  uint64_t actual_bytes() const { return ram_size_ - uint64_t{actual_} * kPageSize; }
  // Told when the driver reports a new size (QMP's BALLOON_CHANGE).
  void set_change_listener(std::function<void(uint64_t actual_bytes)> listener) {
    listener_ = std::move(listener);
  }
  // Pages handed back to the host so far.
  uint64_t discarded_pages() const { return discarded_; }

 private:
  uint64_t ram_size_;
  uint32_t num_pages_ = 0;  // what the host asks for
  uint32_t actual_ = 0;     // what the driver holds
  uint64_t discarded_ = 0;
  std::function<void(uint64_t)> listener_;
};

}  // namespace vx86
