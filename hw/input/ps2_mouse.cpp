#include "hw/input/ps2_mouse.h"

#include <algorithm>

#include "core/log.h"

namespace vx86 {

namespace {
constexpr uint8_t kAck = 0xfa, kResend = 0xfe, kBatOk = 0xaa;
}  // namespace

Ps2Mouse::Ps2Mouse() : Device("ps2-mouse") {}

void Ps2Mouse::set_defaults() {
  sample_rate_ = 100;
  resolution_ = 2;
  scaling_2to1_ = 0;
  reporting_ = 0;
  remote_ = 0;
  dx_ = dy_ = dz_ = 0;
}

void Ps2Mouse::reset() {
  clear_queues();
  set_defaults();
  wrap_ = 0;
  device_id_ = 0;
  buttons_ = reported_buttons_ = 0;
  pending_command_ = 0;
  last_sent_ = 0;
  knock_[0] = knock_[1] = knock_[2] = 0;
}

bool Ps2Mouse::send_packet(bool force, bool as_reply) {
  unsigned size = device_id_ == 3 ? 4 : 3;
  if (!as_reply && queue_room() < size) return false;
  // Two's complement 9-bit deltas; larger motion is sent in several packets.
  int dx = std::clamp(dx_, -255, 255);
  int dy = std::clamp(dy_, -255, 255);
  int dz = std::clamp(dz_, -8, 7);
  if (!force && dx == 0 && dy == 0 && dz == 0 && buttons_ == reported_buttons_) return false;
  uint8_t b0 =
      static_cast<uint8_t>(0x08 | (buttons_ & 0x07) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
  uint8_t packet[4] = {b0, static_cast<uint8_t>(dx), static_cast<uint8_t>(dy),
                       static_cast<uint8_t>(dz)};
  for (unsigned i = 0; i < size; ++i) {
    if (as_reply) {
      reply(packet[i]);
    } else {
      push(packet[i]);
    }
  }
  dx_ -= dx;
  dy_ -= dy;
  dz_ -= dz;
  reported_buttons_ = buttons_;
  return true;
}

void Ps2Mouse::flush_stream() {
  if (remote_ || !reporting_ || wrap_) return;
  bool sent = false;
  while (send_packet(false)) sent = true;
  if (sent) notify();
}

void Ps2Mouse::move(int dx, int dy, int dz) {
  if (!remote_ && !reporting_) return;  // a disabled stream-mode mouse does not count
  dx_ += dx;
  dy_ -= dy;  // PS/2 y grows upwards
  dz_ += dz;
  flush_stream();
}

void Ps2Mouse::set_buttons(uint8_t buttons) {
  buttons_ = buttons & 0x07;
  flush_stream();
}

void Ps2Mouse::write_from_host(uint8_t byte) {
  if (pending_command_) {
    uint8_t command = pending_command_;
    pending_command_ = 0;
    if (command == 0xf3) {
      sample_rate_ = byte;
      knock_[0] = knock_[1];
      knock_[1] = knock_[2];
      knock_[2] = byte;
      if (knock_[0] == 200 && knock_[1] == 100 && knock_[2] == 80) device_id_ = 3;
    } else {
      resolution_ = byte & 3;
    }
    dx_ = dy_ = dz_ = 0;
    send_byte(kAck);
    return;
  }
  if (wrap_ && byte != 0xec && byte != 0xff) {
    send_byte(byte);  // wrap mode echoes
    return;
  }
  switch (byte) {
    case 0xff:  // reset
      reset();
      send({kAck, kBatOk, 0x00});
      break;
    case 0xfe:  // resend
      send_byte(last_sent_);
      break;
    case 0xf6:  // set defaults
      set_defaults();
      send_byte(kAck);
      break;
    case 0xf5:  // disable data reporting
      reporting_ = 0;
      dx_ = dy_ = dz_ = 0;
      send_byte(kAck);
      break;
    case 0xf4:  // enable data reporting
      reporting_ = 1;
      dx_ = dy_ = dz_ = 0;
      send_byte(kAck);
      break;
    case 0xf3:  // set sample rate
    case 0xe8:  // set resolution
      pending_command_ = byte;
      send_byte(kAck);
      break;
    case 0xf2:  // get device ID
      send({kAck, device_id_});
      break;
    case 0xf0:  // set remote mode
      remote_ = 1;
      dx_ = dy_ = dz_ = 0;
      send_byte(kAck);
      break;
    case 0xee:  // set wrap mode
      wrap_ = 1;
      send_byte(kAck);
      break;
    case 0xec:  // reset wrap mode
      wrap_ = 0;
      send_byte(kAck);
      break;
    case 0xeb:  // read data: the packet is the reply
      reply(kAck);
      send_packet(true, /*as_reply=*/true);
      notify();
      break;
    case 0xea:  // set stream mode
      remote_ = 0;
      dx_ = dy_ = dz_ = 0;
      send_byte(kAck);
      break;
    case 0xe9: {  // status request
      // Byte 1: remote, enabled, 2:1 scaling, left, middle, right.
      uint8_t status = static_cast<uint8_t>(
          (remote_ ? 0x40 : 0) | (reporting_ ? 0x20 : 0) | (scaling_2to1_ ? 0x10 : 0) |
          ((buttons_ & kButtonLeft) ? 0x04 : 0) | ((buttons_ & kButtonMiddle) ? 0x02 : 0) |
          ((buttons_ & kButtonRight) ? 0x01 : 0));
      send({kAck, status, resolution_, sample_rate_});
      break;
    }
    case 0xe7:  // scaling 2:1
      scaling_2to1_ = 1;
      send_byte(kAck);
      break;
    case 0xe6:  // scaling 1:1
      scaling_2to1_ = 0;
      send_byte(kAck);
      break;
    default:
      VX86_LOG(kLogGuestErrors, "ps2-mouse: unknown command 0x%02x\n", byte);
      send_byte(kResend);
      break;
  }
}

void Ps2Mouse::visit_state(StateVisitor& v) {
  v.begin("ps2-mouse");
  v.field("remote", remote_);
  v.field("reporting", reporting_);
  v.field("wrap", wrap_);
  v.field("scaling_2to1", scaling_2to1_);
  v.field("sample_rate", sample_rate_);
  v.field("resolution", resolution_);
  v.field("device_id", device_id_);
  v.field("buttons", buttons_);
  v.field("reported_buttons", reported_buttons_);
  v.field("pending_command", pending_command_);
  v.field("knock", knock_);
  v.field("dx", dx_);
  v.field("dy", dy_);
  v.field("dz", dz_);
  visit_queues(v);
  v.end();
}

}  // namespace vx86
