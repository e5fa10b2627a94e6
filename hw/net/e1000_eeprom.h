// The 82540EM's serial EEPROM: 64 16-bit words (the MAC address, IDs and a
// checksum) read by software either bit by bit through EECD (the Microwire
// protocol of a 93C46: a start bit, the READ opcode and six address bits
// clocked in on SK's rising edges, then the data clocked out on DO, most
// significant bit first, continuing into the following words) or a word at a
// time through EERD. Writes are not modelled (logged under -d unimp).
#pragma once

#include <array>
#include <cstdint>

#include "core/state.h"
#include "hw/net/nic.h"

namespace vx86 {

class E1000Eeprom {
 public:
  static constexpr unsigned kWords = 64;
  static constexpr uint16_t kChecksumTarget = 0xBABA;  // sum of all 64 words
  // EECD bits.
  static constexpr uint32_t kClock = 1u << 0;       // SK
  static constexpr uint32_t kChipSelect = 1u << 1;  // CS
  static constexpr uint32_t kDataIn = 1u << 2;      // DI (to the EEPROM)
  static constexpr uint32_t kDataOut = 1u << 3;     // DO (from the EEPROM)
  static constexpr uint32_t kRequest = 1u << 6;     // REQ: software wants the pins
  static constexpr uint32_t kGrant = 1u << 7;       // GNT
  static constexpr uint32_t kPresent = 1u << 8;     // PRES
  // EERD bits.
  static constexpr uint32_t kReadStart = 1u << 0;
  static constexpr uint32_t kReadDone = 1u << 4;
  static constexpr unsigned kReadAddressShift = 8;
  static constexpr unsigned kReadDataShift = 16;

  // The contents an 82540EM's EEPROM has for this MAC address and these PCI
  // subsystem IDs, with a valid checksum.
  E1000Eeprom(const MacAddress& mac, uint16_t subsystem_vendor, uint16_t subsystem);

  uint16_t word(unsigned index) const { return words_[index % kWords]; }
  uint32_t read_eecd() const;
  void write_eecd(uint32_t value);
  uint32_t read_eerd() const { return eerd_; }
  void write_eerd(uint32_t value);
  // The pins' state after a device reset.
  void reset();
  void visit_state(StateVisitor& v);

 private:
  std::array<uint16_t, kWords> words_{};
  uint32_t eecd_ = 0;  // what software last wrote (SK, CS, DI, REQ...)
  uint32_t eerd_ = 0;
  // Microwire: bits clocked in since CS rose, and the read in progress.
  uint16_t command_ = 0;
  uint8_t command_bits_ = 0;
  bool reading_ = false;
  uint8_t read_address_ = 0;
  uint8_t read_bit_ = 15;
  bool data_out_ = false;
};

}  // namespace vx86
