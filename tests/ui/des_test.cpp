// DES against published vectors, and VNC authentication's key handling.
#include "ui/des.h"

#include <gtest/gtest.h>

namespace vx86 {
namespace {

std::array<uint8_t, 8> block_of(uint64_t v) {
  std::array<uint8_t, 8> b{};
  for (int i = 0; i < 8; ++i)
    b[static_cast<std::size_t>(i)] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return b;
}

TEST(DesTest, PublishedVectors) {
  // The worked example of FIPS 46's tutorials.
  EXPECT_EQ(Des(block_of(0x133457799BBCDFF1)).encrypt(block_of(0x0123456789ABCDEF)),
            block_of(0x85E813540F0AB405));
  // NIST SP 800-17's variable-plaintext test: key 0101..01, plaintext 8000..00.
  EXPECT_EQ(Des(block_of(0x0101010101010101)).encrypt(block_of(0x8000000000000000)),
            block_of(0x95F8A5E5DD31D900));
  // Its variable-key test: key 8001..01, plaintext 0.
  EXPECT_EQ(Des(block_of(0x8001010101010101)).encrypt(block_of(0)), block_of(0x95A8D72813DAA94D));
}

TEST(DesTest, VncResponseUsesTheFirstEightBytesBitReversed) {
  std::array<uint8_t, 16> challenge{};
  for (std::size_t i = 0; i < 16; ++i) challenge[i] = static_cast<uint8_t>(i * 17);
  // A password longer than eight bytes counts only its first eight.
  EXPECT_EQ(vnc_auth_response(challenge, "password"), vnc_auth_response(challenge, "password123"));
  EXPECT_NE(vnc_auth_response(challenge, "password"), vnc_auth_response(challenge, "passworx"));
  // "a" (0x61) becomes the key byte 0x86, the rest zeros.
  const auto response = vnc_auth_response(challenge, "a");
  const auto first = Des(block_of(0x8600000000000000)).encrypt(block_of(0x0011223344556677));
  EXPECT_TRUE(std::equal(first.begin(), first.end(), response.begin()));
}

}  // namespace
}  // namespace vx86
