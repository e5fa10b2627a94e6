// A device on an SMBus (System Management Bus): the transactions a host
// controller runs against an address. Bytes are what SMBus 2.0 calls them;
// a device that takes none of a kind is absent to it.
#pragma once

#include <cstdint>

namespace vx86 {

class SmbusDevice {
 public:
  virtual ~SmbusDevice() = default;
  // Receive Byte / Send Byte (no command code).
  virtual uint8_t receive_byte() = 0;
  virtual void send_byte(uint8_t value) = 0;
  // Read Byte / Write Byte (Data): at a command code.
  virtual uint8_t read_byte(uint8_t command) = 0;
  virtual void write_byte(uint8_t command, uint8_t value) = 0;
};

}  // namespace vx86
