#include "core/gdb_packet.h"

namespace vx86 {

namespace {

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

void GdbPacketReader::feed(const uint8_t* data, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    const uint8_t c = data[i];
    switch (state_) {
      case State::kIdle:
        // Acknowledgements ('+', '-') and stray bytes are ignored here.
        if (c == '$') {
          payload_.clear();
          sum_ = 0;
          state_ = State::kPayload;
        } else if (c == 0x03 && callbacks_.interrupt) {
          callbacks_.interrupt();
        }
        break;
      case State::kPayload:
        if (c == '#') {
          state_ = State::kChecksum1;
        } else {
          payload_.push_back(static_cast<char>(c));
          sum_ = static_cast<uint8_t>(sum_ + c);
        }
        break;
      case State::kChecksum1:
        checksum_high_ = hex_value(c);
        state_ = State::kChecksum2;
        break;
      case State::kChecksum2: {
        state_ = State::kIdle;
        const int low = hex_value(c);
        const bool ok = checksum_high_ >= 0 && low >= 0 && (checksum_high_ << 4 | low) == sum_;
        if (callbacks_.packet) callbacks_.packet(payload_, ok);
        break;
      }
    }
  }
}

std::string gdb_frame_packet(const std::string& payload) {
  std::string out = "$";
  uint8_t sum = 0;
  for (char ch : payload) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out.push_back('}');
      out.push_back(static_cast<char>(c ^ 0x20));
      sum = static_cast<uint8_t>(sum + '}' + (c ^ 0x20));
    } else {
      out.push_back(ch);
      sum = static_cast<uint8_t>(sum + c);
    }
  }
  out.push_back('#');
  out.push_back(kHexDigits[sum >> 4]);
  out.push_back(kHexDigits[sum & 15]);
  return out;
}

std::vector<uint8_t> gdb_unescape_binary(const std::string& data) {
  std::vector<uint8_t> out;
  out.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto c = static_cast<uint8_t>(data[i]);
    if (c == '}' && i + 1 < data.size()) c = static_cast<uint8_t>(data[++i]) ^ 0x20;
    out.push_back(c);
  }
  return out;
}

std::string gdb_hex_encode(const uint8_t* data, std::size_t len) {
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out.push_back(kHexDigits[data[i] >> 4]);
    out.push_back(kHexDigits[data[i] & 15]);
  }
  return out;
}

bool gdb_hex_decode(const std::string& hex, std::vector<uint8_t>* out) {
  if (hex.size() % 2) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(static_cast<uint8_t>(hex[i]));
    const int low = hex_value(static_cast<uint8_t>(hex[i + 1]));
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<uint8_t>(high << 4 | low));
  }
  return true;
}

}  // namespace vx86
