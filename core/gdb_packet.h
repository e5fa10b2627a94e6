// The framing of the GDB remote serial protocol: "$payload#cc" packets with a
// modulo-256 checksum, '+'/'-' acknowledgements, and a bare 0x03 byte for an
// interrupt (Ctrl-C in gdb). Binary payloads escape '#', '$', '}' and '*' as
// '}' followed by the byte XOR 0x20.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vx86 {

class GdbPacketReader {
 public:
  struct Callbacks {
    // A complete packet; checksum_ok is false when it did not match (the
    // caller answers '-' and gdb sends it again).
    std::function<void(const std::string& payload, bool checksum_ok)> packet;
    std::function<void()> interrupt;  // 0x03 between packets
  };

  explicit GdbPacketReader(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
  void feed(const uint8_t* data, std::size_t len);
  void reset() { state_ = State::kIdle; }

 private:
  enum class State { kIdle, kPayload, kChecksum1, kChecksum2 };
  Callbacks callbacks_;
  State state_ = State::kIdle;
  std::string payload_;
  uint8_t sum_ = 0;
  int checksum_high_ = 0;  // the first checksum digit's value, -1 if not hex
};

// "$payload#cc" with payload's special bytes escaped.
std::string gdb_frame_packet(const std::string& payload);
// Undoes the '}' escapes of a binary payload (X packets).
std::vector<uint8_t> gdb_unescape_binary(const std::string& data);
// Lower-case hex of bytes, and its inverse (false on an odd length or a
// non-hex character).
std::string gdb_hex_encode(const uint8_t* data, std::size_t len);
inline std::string gdb_hex_encode(const std::string& s) {
  return gdb_hex_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
bool gdb_hex_decode(const std::string& hex, std::vector<uint8_t>* out);

}  // namespace vx86
