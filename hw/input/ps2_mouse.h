// PS/2 mouse: stream and remote modes, sample rate, resolution, scaling,
// wrap mode, status request, and 3-byte packets; the IntelliMouse knock
// (sample rates 200, 100, 80) switches to ID 3 with a 4th byte for the wheel.
//
// Input API: move() with screen-direction deltas (dy > 0 is down, dz > 0 is
// wheel towards the user) and set_buttons(); packets are sent while
// reporting is enabled in stream mode, else motion accumulates for a read
// data (EB) command.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "hw/input/ps2_device.h"

namespace vx86 {

class Ps2Mouse : public Device, public Ps2Device {
 public:
  static constexpr uint8_t kButtonLeft = 1, kButtonRight = 2, kButtonMiddle = 4;

  Ps2Mouse();

  void write_from_host(uint8_t byte) override;

  void move(int dx, int dy, int dz = 0);
  void set_buttons(uint8_t buttons);

  bool reporting() const { return reporting_ != 0; }
  bool remote_mode() const { return remote_ != 0; }
  uint8_t sample_rate() const { return sample_rate_; }
  uint8_t resolution() const { return resolution_; }
  uint8_t device_id() const { return device_id_; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  void set_defaults();
  // Queues one packet from the accumulated motion; false if no room.
  bool send_packet(bool force, bool as_reply = false);
  void flush_stream();

  uint8_t remote_ = 0;
  uint8_t reporting_ = 0;
  uint8_t wrap_ = 0;
  uint8_t scaling_2to1_ = 0;
  uint8_t sample_rate_ = 100;
  uint8_t resolution_ = 2;
  uint8_t device_id_ = 0;
  uint8_t buttons_ = 0;
  uint8_t reported_buttons_ = 0;
  uint8_t pending_command_ = 0;       // F3 or E8 waiting for the argument
  uint8_t knock_[3] = {};             // last three sample rates set
  int32_t dx_ = 0, dy_ = 0, dz_ = 0;  // accumulated, PS/2 directions (y up)
};

}  // namespace vx86
