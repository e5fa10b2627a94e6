// The base of every device model: realize once configured, reset to power-on
// state, and list its saved state. Devices are instances, never globals.
#pragma once

#include <string>

#include "core/state.h"

namespace vx86 {

class Device {
 public:
  explicit Device(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& type_name() const { return type_name_; }
  const std::string& id() const { return id_; }
  void set_id(std::string id) { id_ = std::move(id); }

  // Called once after construction and configuration; maps regions, connects
  // lines. Throws std::runtime_error with a user-facing message on bad config.
  virtual void realize() {}
  // Puts the device in its power-on state (machine reset).
  virtual void reset() {}
  // Lists every field of the device's state (save and load).
  virtual void visit_state(StateVisitor& v) {}

 private:
  std::string type_name_;
  std::string id_;
};

}  // namespace vx86
