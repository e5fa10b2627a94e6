// AES-NI, PCLMULQDQ and SHA in a real guest: the Debian kernel's
// aesni_intel, ghash_clmulni_intel, crc32_pclmul, sha1_ssse3 and
// sha256_ssse3 drivers load under -cpu max (the first three are refused
// under qemu64, which lacks the instructions, and the SHA ones offer no
// sha*-ni there), and every algorithm they register passes the kernel's own
// crypto self-test, their AVX and AVX2 versions (XCTR, GCM, SHA with AVX and
// AVX2) too. Under qemu-system-x86_64 -cpu max the same drivers give the
// same list but for the SHA extensions, which only vx86 has.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

// The guest's "vx86-result: crypto..." lines under -cpu cpu.
std::vector<std::string> crypto_reports(const std::vector<std::string>& emulator,
                                        const std::filesystem::path& guest, const std::string& cpu,
                                        const std::string& tag) {
  return guest_results(run_guest_workload(emulator, guest, "crypto", {"-cpu", cpu}, tag), "crypto");
}

TEST(CryptoGuestTest, KernelDriversPassTheirSelfTestsAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "crypto");
  const auto ours = crypto_reports({VX86_BINARY}, guest, "max", "vx86-max");
  const std::vector<std::string> modules = {"aesni_intel", "ghash_clmulni_intel", "crc32_pclmul",
                                            "sha1_ssse3", "sha256_ssse3"};
  ASSERT_GE(ours.size(), modules.size());
  for (std::size_t i = 0; i < modules.size(); ++i) {
    EXPECT_EQ(ours[i], "vx86-result: crypto-module " + modules[i] + " loaded");
  }
  for (const std::string& line : {std::string("vx86-result: crypto aes-aesni passed"),
                                  std::string("vx86-result: crypto generic-gcm-aesni passed"),
                                  std::string("vx86-result: crypto ghash-clmulni passed"),
                                  std::string("vx86-result: crypto crc32-pclmul passed"),
                                  std::string("vx86-result: crypto sha1-ni passed"),
                                  std::string("vx86-result: crypto sha224-ni passed"),
                                  std::string("vx86-result: crypto sha256-ni passed"),
                                  std::string("vx86-result: crypto sha256-avx passed"),
                                  std::string("vx86-result: crypto sha256-avx2 passed")}) {
    EXPECT_NE(std::find(ours.begin(), ours.end(), line), ours.end()) << line;
  }
  for (std::size_t i = modules.size(); i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].substr(ours[i].size() - 7), " passed") << ours[i];
  }
  // Without the instructions the drivers refuse to load (the SHA modules
  // load for their SSSE3 versions).
  const auto qemu64 = crypto_reports({VX86_BINARY}, guest, "qemu64", "vx86-qemu64");
  ASSERT_GE(qemu64.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(qemu64.begin(), qemu64.begin() + 3),
            (std::vector<std::string>{"vx86-result: crypto-module aesni_intel refused",
                                      "vx86-result: crypto-module ghash_clmulni_intel refused",
                                      "vx86-result: crypto-module crc32_pclmul refused"}));
  for (const std::string& line : qemu64) {
    EXPECT_EQ(line.find("-ni "), std::string::npos) << line;
  }
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  // QEMU 7.2's max has no SHA extensions (sha*-ni); the rest, the AVX and
  // AVX2 versions included, must be the same.
  auto theirs = crypto_reports({"qemu-system-x86_64", "-accel", "tcg"}, guest, "max", "qemu-max");
  auto only_in_one = [](const std::string& line) { return line.find("-ni ") != line.npos; };
  std::erase_if(theirs, only_in_one);
  auto common = ours;
  std::erase_if(common, only_in_one);
  EXPECT_EQ(common, theirs);
}

}  // namespace
}  // namespace vx86::test
