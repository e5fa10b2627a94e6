// What the i8042 sees of a PS/2 device: bytes it sends (queued), and bytes
// written to it. The keyboard and the mouse derive from this.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>

#include "core/state.h"

namespace vx86 {

// A fixed-size byte FIFO that saves and loads as fixed-size fields.
class ByteQueue {
 public:
  static constexpr unsigned kCapacity = 256;
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == kCapacity; }
  unsigned size() const { return count_; }
  // Returns false (and drops the byte) when full.
  bool push(uint8_t byte) {
    if (full()) return false;
    bytes_[(head_ + count_) % kCapacity] = byte;
    ++count_;
    return true;
  }
  uint8_t pop() {
    uint8_t b = bytes_[head_];
    head_ = static_cast<uint16_t>((head_ + 1) % kCapacity);
    --count_;
    return b;
  }
  void clear() { head_ = count_ = 0; }
  void visit_state(StateVisitor& v, const std::string& name) {
    v.begin(name);
    v.array("bytes", std::span<uint8_t>(bytes_));
    v.field("head", head_);
    v.field("count", count_);
    v.end();
  }

 private:
  std::array<uint8_t, kCapacity> bytes_{};
  uint16_t head_ = 0;
  uint16_t count_ = 0;
};

class Ps2Device {
 public:
  virtual ~Ps2Device() = default;
  // A byte from the controller (a command or its argument).
  virtual void write_from_host(uint8_t byte) = 0;
  bool has_data() const { return !replies_.empty() || !queue_.empty(); }
  // Replies to commands go out before queued key codes or motion packets, so
  // a driver waiting for an ACK sees it next.
  uint8_t pop() { return replies_.empty() ? queue_.pop() : replies_.pop(); }
  // Called when bytes were queued for the controller.
  void set_data_ready(std::function<void()> cb) { data_ready_ = std::move(cb); }

 protected:
  // Queues command replies for the controller and tells it.
  void send(std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) reply(b);
    notify();
  }
  void send_byte(uint8_t b) {
    reply(b);
    notify();
  }
  // Queues without notifying; remembers the byte for a resend command.
  void reply(uint8_t b) {
    replies_.push(b);
    last_sent_ = b;
  }
  void push(uint8_t b) {
    queue_.push(b);
    last_sent_ = b;
  }
  void notify() {
    if (data_ready_) data_ready_();
  }
  void clear_queues() {
    replies_.clear();
    queue_.clear();
  }
  void visit_queues(StateVisitor& v) {
    v.field("last_sent", last_sent_);
    replies_.visit_state(v, "replies");
    queue_.visit_state(v, "queue");
  }
  unsigned queue_room() const { return ByteQueue::kCapacity - queue_.size(); }
  ByteQueue replies_;  // answers to commands
  ByteQueue queue_;    // scan codes or movement packets
  uint8_t last_sent_ = 0;

 private:
  std::function<void()> data_ready_;
};

}  // namespace vx86
