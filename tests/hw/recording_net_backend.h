// A network backend for NIC tests: records the frames the NIC sends and
// hands it frames to receive, as a network would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/netdev.h"

namespace vx86::test {

class RecordingNetBackend : public NetBackend {
 public:
  const std::string& id() const override { return id_; }
  void set_receiver(Receiver r) override { receiver = std::move(r); }
  void send(const uint8_t* frame, std::size_t len) override {
    sent.emplace_back(frame, frame + len);
  }
  std::string describe() const override { return "test"; }
  void deliver(const std::vector<uint8_t>& frame) { receiver(frame.data(), frame.size()); }

  Receiver receiver;
  std::vector<std::vector<uint8_t>> sent;

 private:
  std::string id_ = "test";
};

}  // namespace vx86::test
