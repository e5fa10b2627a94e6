#include "hw/net/e1000_eeprom.h"

#include "core/log.h"

namespace vx86 {

namespace {

// Word offsets (8254x manual, table 5-2).
constexpr unsigned kWordIdLedSettings = 0x04;
constexpr unsigned kWordSubsystemId = 0x0B;
constexpr unsigned kWordSubsystemVendor = 0x0C;
constexpr unsigned kWordDeviceId = 0x0D;
constexpr unsigned kWordVendorId = 0x0E;
constexpr unsigned kWordChecksum = 0x3F;

// Microwire: a start bit, a two-bit opcode and six address bits.
constexpr unsigned kCommandBits = 9;
constexpr uint16_t kStartAndRead = 0b110;

}  // namespace

E1000Eeprom::E1000Eeprom(const MacAddress& mac, uint16_t subsystem_vendor, uint16_t subsystem) {
  for (unsigned i = 0; i < 3; ++i) {
    words_[i] = static_cast<uint16_t>(mac[2 * i] | mac[2 * i + 1] << 8);
  }
  // No LED configuration: drivers fall back to their defaults. The words
  // that are zero ask for no flow control, no wake-up and no manageability.
  words_[kWordIdLedSettings] = 0xFFFF;
  words_[kWordSubsystemId] = subsystem;
  words_[kWordSubsystemVendor] = subsystem_vendor;
  words_[kWordDeviceId] = 0x100E;
  words_[kWordVendorId] = 0x8086;
  uint16_t sum = 0;
  for (unsigned i = 0; i < kWordChecksum; ++i) sum = static_cast<uint16_t>(sum + words_[i]);
  words_[kWordChecksum] = static_cast<uint16_t>(kChecksumTarget - sum);
}

void E1000Eeprom::reset() {
  eecd_ = 0;
  eerd_ = 0;
  command_ = 0;
  command_bits_ = 0;
  reading_ = false;
  data_out_ = false;
}

uint32_t E1000Eeprom::read_eecd() const {
  uint32_t value = (eecd_ & (kClock | kChipSelect | kDataIn | kRequest | 0x30)) | kPresent;
  if (eecd_ & kRequest) value |= kGrant;  // nothing else contends for the pins
  if (data_out_) value |= kDataOut;
  return value;
}

void E1000Eeprom::write_eecd(uint32_t value) {
  const bool rising = (value & kClock) && !(eecd_ & kClock);
  eecd_ = value;
  if (!(value & kChipSelect)) {
    // Deselected: the next selection starts a new command.
    command_ = 0;
    command_bits_ = 0;
    reading_ = false;
    data_out_ = false;
    return;
  }
  if (!rising) return;
  if (reading_) {
    data_out_ = (words_[read_address_] >> read_bit_) & 1;
    if (read_bit_ == 0) {
      read_bit_ = 15;
      read_address_ = static_cast<uint8_t>((read_address_ + 1) % kWords);
    } else {
      --read_bit_;
    }
    return;
  }
  const bool bit = value & kDataIn;
  if (command_bits_ == 0 && !bit) return;     // zeros before the start bit
  if (command_bits_ >= kCommandBits) return;  // a command that is not READ
  command_ = static_cast<uint16_t>(command_ << 1 | bit);
  if (++command_bits_ < kCommandBits) return;
  if (command_ >> 6 == kStartAndRead) {
    reading_ = true;
    read_address_ = static_cast<uint8_t>(command_ & (kWords - 1));
    read_bit_ = 15;
    data_out_ = false;  // the dummy zero before the data
  } else {
    VX86_LOG(kLogUnimp, "e1000: EEPROM command 0x%03x (only READ is modelled)\n", command_);
  }
}

void E1000Eeprom::write_eerd(uint32_t value) {
  if (!(value & kReadStart)) {
    eerd_ = value;
    return;
  }
  const unsigned address = (value >> kReadAddressShift) & 0xFF;
  eerd_ = (value & ~kReadStart) | kReadDone;
  eerd_ = (eerd_ & 0xFFFF) | static_cast<uint32_t>(word(address)) << kReadDataShift;
}

void E1000Eeprom::visit_state(StateVisitor& v) {
  v.begin("eeprom");
  v.array("words", std::span<uint16_t>(words_));
  v.field("eecd", eecd_);
  v.field("eerd", eerd_);
  v.field("command", command_);
  v.field("command_bits", command_bits_);
  v.field("reading", reading_);
  v.field("read_address", read_address_);
  v.field("read_bit", read_bit_);
  v.field("data_out", data_out_);
  v.end();
}

}  // namespace vx86
