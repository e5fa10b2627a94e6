// DES encryption of single 64-bit blocks (FIPS 46-3), for VNC
// authentication only: RFB's challenge-response encrypts the server's 16
// random bytes with the password as the key. Hand-written because none of
// the project's libraries has DES (zlib, boost) and VNC needs nothing else
// of a crypto library; DES is broken, and VNC passwords are only as strong
// as QEMU's.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace vx86 {

class Des {
 public:
  // key: 8 bytes, the low bit of each (parity) unused.
  explicit Des(const std::array<uint8_t, 8>& key);
  std::array<uint8_t, 8> encrypt(const std::array<uint8_t, 8>& block) const;

 private:
  std::array<uint64_t, 16> subkeys_{};  // 48 bits each
};

// RFB's VNC authentication: the response to `challenge` for `password`
// (its first 8 bytes, zero-padded, each byte's bits reversed as the key).
std::array<uint8_t, 16> vnc_auth_response(const std::array<uint8_t, 16>& challenge,
                                          const std::string& password);

}  // namespace vx86
