// The transport-independent part of a virtio device (virtio 1.x, chapter 2):
// feature negotiation, the status byte, the ISR, the virtqueues and the
// device-specific configuration. A transport (virtio-pci) gives it guest
// memory and turns ISR changes into interrupts; a device model (virtio-blk)
// derives from it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/state.h"
#include "hw/virtio/virtqueue.h"

namespace vx86 {

namespace virtio {
// Status bits (2.1).
constexpr uint8_t kStatusAcknowledge = 1;
constexpr uint8_t kStatusDriver = 2;
constexpr uint8_t kStatusDriverOk = 4;
constexpr uint8_t kStatusFeaturesOk = 8;
constexpr uint8_t kStatusNeedsReset = 0x40;
constexpr uint8_t kStatusFailed = 0x80;
// Reserved feature bits (6).
constexpr int kFeatureIndirectDesc = 28;
constexpr int kFeatureEventIdx = 29;
constexpr int kFeatureVersion1 = 32;
// ISR bits.
constexpr uint8_t kIsrQueue = 1;
constexpr uint8_t kIsrConfig = 2;
}  // namespace virtio

class VirtioDevice {
 public:
  VirtioDevice(uint16_t device_id, unsigned num_queues, uint16_t queue_size);
  // Queues of different sizes (virtio-serial's control queues are smaller).
  VirtioDevice(uint16_t device_id, const std::vector<uint16_t>& queue_sizes);
  virtual ~VirtioDevice();
  VirtioDevice(const VirtioDevice&) = delete;
  VirtioDevice& operator=(const VirtioDevice&) = delete;

  uint16_t device_id() const { return device_id_; }

  // --- What a device model provides.
  virtual const char* name() const = 0;
  // Device-specific feature bits; the transport bits are added here.
  virtual uint64_t device_features() const = 0;
  virtual unsigned config_size() const = 0;
  // Fills config_size() bytes of device configuration (little-endian).
  virtual void read_config(uint8_t* buf) = 0;
  virtual void write_config(unsigned offset, const uint8_t* data, unsigned len) {}
  // The driver notified queue `index` (only called after DRIVER_OK).
  virtual void handle_queue(unsigned index) = 0;
  virtual void device_reset() {}
  virtual void visit_device_state(StateVisitor& v) {}

  // --- What a transport uses.
  // What the device tells its transport: used buffers in a queue (the queue
  // index, >= 0), a configuration change, or the ISR was read and cleared.
  static constexpr int kConfigInterrupt = -1;
  static constexpr int kIsrCleared = -2;
  using InterruptSink = std::function<void(int source)>;
  void bind(DmaMemory* memory, InterruptSink interrupt);
  uint64_t offered_features() const;
  uint64_t driver_features() const { return driver_features_; }
  // Legacy drivers write all their features at once; modern ones 32 bits at a
  // time before FEATURES_OK.
  void set_driver_features(uint64_t features);
  bool has_feature(int bit) const { return (driver_features_ >> bit) & 1; }
  uint8_t status() const { return status_; }
  // 0 resets the device; FEATURES_OK is kept only if the features are valid.
  void set_status(uint8_t status);
  uint8_t isr() const { return isr_; }
  uint8_t read_and_clear_isr();
  uint8_t config_generation() const { return config_generation_; }
  unsigned num_queues() const { return static_cast<unsigned>(queues_.size()); }
  Virtqueue& queue(unsigned index) { return *queues_[index]; }
  void notify(unsigned index);
  void reset();
  void visit_state(StateVisitor& v);

 protected:
  DmaMemory& memory() { return *memory_; }
  // The next chain the driver made available: false when there is none, or
  // when the driver broke the ring's rules (the device is then marked broken).
  bool take(Virtqueue& queue, VirtqElement* element);
  // Returns a finished chain and raises the queue interrupt if the driver
  // wants one.
  void complete(Virtqueue& queue, const VirtqElement& element, uint32_t written);
  // The driver broke the protocol: set DEVICE_NEEDS_RESET and tell it.
  void mark_broken(const char* why);
  bool broken() const { return status_ & virtio::kStatusNeedsReset; }
  // The device configuration changed (capacity): config interrupt.
  void config_changed();

 private:
  void set_isr(uint8_t bits, int source);

  uint16_t device_id_;
  std::vector<std::unique_ptr<Virtqueue>> queues_;
  DmaMemory* memory_ = nullptr;
  InterruptSink interrupt_;
  uint64_t driver_features_ = 0;
  uint8_t status_ = 0;
  uint8_t isr_ = 0;
  uint8_t config_generation_ = 0;
};

}  // namespace vx86
