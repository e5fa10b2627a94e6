// A 256-byte SMBus EEPROM, as QEMU puts eight of them at 0x50-0x57 for the
// memory modules' SPD data (empty: all zero, as QEMU's on the q35). The
// byte at its address pointer is read (and the pointer moves on) by
// Receive Byte; Send Byte sets the pointer; Read/Write Byte Data go to the
// command code's byte.
#pragma once

#include <array>
#include <cstdint>

#include "core/state.h"
#include "hw/i2c/smbus_device.h"

namespace vx86 {

class SmbusEeprom : public SmbusDevice {
 public:
  uint8_t receive_byte() override { return bytes_[pointer_++]; }
  void send_byte(uint8_t value) override { pointer_ = value; }
  uint8_t read_byte(uint8_t command) override {
    pointer_ = static_cast<uint8_t>(command + 1);
    return bytes_[command];
  }
  void write_byte(uint8_t command, uint8_t value) override {
    bytes_[command] = value;
    pointer_ = static_cast<uint8_t>(command + 1);
  }
  void reset() { pointer_ = 0; }
  void visit_state(StateVisitor& v) {
    v.field("bytes", bytes_);
    v.field("pointer", pointer_);
  }

 private:
  std::array<uint8_t, 256> bytes_{};
  uint8_t pointer_ = 0;
};

}  // namespace vx86
