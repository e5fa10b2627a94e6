#include "hw/virtio/virtio_device.h"

#include "core/log.h"

namespace vx86 {

using namespace virtio;

VirtioDevice::VirtioDevice(uint16_t device_id, unsigned num_queues, uint16_t queue_size)
    : device_id_(device_id) {
  for (unsigned i = 0; i < num_queues; ++i)
    queues_.push_back(std::make_unique<Virtqueue>(queue_size));
}

VirtioDevice::VirtioDevice(uint16_t device_id, const std::vector<uint16_t>& queue_sizes)
    : device_id_(device_id) {
  for (uint16_t size : queue_sizes) queues_.push_back(std::make_unique<Virtqueue>(size));
}

VirtioDevice::~VirtioDevice() = default;

void VirtioDevice::bind(DmaMemory* memory, InterruptSink interrupt) {
  memory_ = memory;
  interrupt_ = std::move(interrupt);
}

uint64_t VirtioDevice::offered_features() const {
  return device_features() | 1ull << kFeatureIndirectDesc | 1ull << kFeatureEventIdx |
         1ull << kFeatureVersion1;
}

void VirtioDevice::set_driver_features(uint64_t features) {
  // Features the device did not offer are dropped (a legacy driver has no
  // FEATURES_OK handshake to refuse them).
  driver_features_ = features & offered_features();
  for (auto& q : queues_) q->set_event_idx(has_feature(kFeatureEventIdx));
}

void VirtioDevice::set_status(uint8_t status) {
  if (status == 0) {
    reset();
    return;
  }
  if ((status & kStatusFeaturesOk) && !(status_ & kStatusFeaturesOk)) {
    // Modern drivers must accept VERSION_1 (a legacy driver never sets FEATURES_OK).
    if (!has_feature(kFeatureVersion1)) status &= static_cast<uint8_t>(~kStatusFeaturesOk);
  }
  uint8_t before = status_;
  status_ = static_cast<uint8_t>((status & ~kStatusNeedsReset) | (status_ & kStatusNeedsReset));
  if ((status_ & kStatusDriverOk) && !(before & kStatusDriverOk)) {
    // Buffers made available before DRIVER_OK are taken now.
    for (unsigned i = 0; i < queues_.size(); ++i) notify(i);
  }
}

uint8_t VirtioDevice::read_and_clear_isr() {
  uint8_t v = isr_;
  if (v) {
    isr_ = 0;
    if (interrupt_) interrupt_(kIsrCleared);
  }
  return v;
}

void VirtioDevice::set_isr(uint8_t bits, int source) {
  isr_ |= bits;
  if (interrupt_) interrupt_(source);
}

void VirtioDevice::notify(unsigned index) {
  if (index >= queues_.size() || !(status_ & kStatusDriverOk) || broken()) return;
  if (!queues_[index]->ready()) return;
  handle_queue(index);
}

bool VirtioDevice::take(Virtqueue& queue, VirtqElement* element) {
  switch (queue.pop(*memory_, element)) {
    case Virtqueue::Pop::kElement:
      return true;
    case Virtqueue::Pop::kBroken:
      mark_broken("malformed descriptor chain");
      return false;
    case Virtqueue::Pop::kEmpty:
      break;
  }
  return false;
}

void VirtioDevice::complete(Virtqueue& queue, const VirtqElement& element, uint32_t written) {
  if (!queue.push(*memory_, element, written)) {
    mark_broken("used ring not writable");
    return;
  }
  if (!queue.should_notify(*memory_)) return;
  for (unsigned i = 0; i < queues_.size(); ++i) {
    if (queues_[i].get() == &queue) set_isr(kIsrQueue, static_cast<int>(i));
  }
}

void VirtioDevice::mark_broken(const char* why) {
  VX86_LOG(kLogGuestErrors, "%s: %s; device needs reset\n", name(), why);
  if (broken()) return;
  status_ |= kStatusNeedsReset;
  if (has_feature(kFeatureVersion1)) set_isr(kIsrConfig, kConfigInterrupt);
}

void VirtioDevice::config_changed() {
  ++config_generation_;
  if (status_ & kStatusDriverOk) set_isr(kIsrConfig, kConfigInterrupt);
}

void VirtioDevice::reset() {
  device_reset();
  driver_features_ = 0;
  status_ = 0;
  for (auto& q : queues_) q->reset();
  if (isr_) {
    isr_ = 0;
    if (interrupt_) interrupt_(kIsrCleared);
  }
}

void VirtioDevice::visit_state(StateVisitor& v) {
  v.begin("virtio");
  v.field("driver_features", driver_features_);
  v.field("status", status_);
  v.field("isr", isr_);
  v.field("config_generation", config_generation_);
  for (auto& q : queues_) {
    v.begin("queue");
    q->visit(v);
    v.end();
  }
  visit_device_state(v);
  v.end();
}

}  // namespace vx86
