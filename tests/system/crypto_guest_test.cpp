// AES-NI and PCLMULQDQ in a real guest: the Debian kernel's aesni_intel,
// ghash_clmulni_intel and crc32_pclmul drivers load under -cpu max (and are
// refused under qemu64, which lacks the instructions), and every algorithm
// they register passes the kernel's own crypto self-test. Under
// qemu-system-x86_64 -cpu max the same drivers give the same list, plus the
// XCTR mode that the kernel offers only with AVX (which vx86 does not have).
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
  if (run_command(
          {"sh", "-c",
           "gzip -dc '" + (guest / "initramfs.cpio.gz").string() +
               "' | cpio -i --to-stdout --quiet etc/workloads.sh | grep -q workload_crypto"})
          .status != 0) {
    GTEST_SKIP() << "the guest has no crypto workload (rebuild it with scripts/build-guest.sh)";
  }
  const auto ours = crypto_reports({VX86_BINARY}, guest, "max", "vx86-max");
  ASSERT_GE(ours.size(), 4u);
  EXPECT_EQ(ours[0], "vx86-result: crypto-module aesni_intel loaded");
  EXPECT_EQ(ours[1], "vx86-result: crypto-module ghash_clmulni_intel loaded");
  EXPECT_EQ(ours[2], "vx86-result: crypto-module crc32_pclmul loaded");
  for (const std::string& line : {std::string("vx86-result: crypto aes-aesni passed"),
                                  std::string("vx86-result: crypto generic-gcm-aesni passed"),
                                  std::string("vx86-result: crypto ghash-clmulni passed"),
                                  std::string("vx86-result: crypto crc32-pclmul passed")}) {
    EXPECT_NE(std::find(ours.begin(), ours.end(), line), ours.end()) << line;
  }
  for (std::size_t i = 3; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].substr(ours[i].size() - 7), " passed") << ours[i];
  }
  // Without the instructions the drivers refuse to load.
  EXPECT_EQ(crypto_reports({VX86_BINARY}, guest, "qemu64", "vx86-qemu64"),
            (std::vector<std::string>{"vx86-result: crypto-module aesni_intel refused",
                                      "vx86-result: crypto-module ghash_clmulni_intel refused",
                                      "vx86-result: crypto-module crc32_pclmul refused"}));
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  auto theirs = crypto_reports({"qemu-system-x86_64", "-accel", "tcg"}, guest, "max", "qemu-max");
  std::erase_if(theirs, [](const std::string& line) { return line.find("xctr") != line.npos; });
  EXPECT_EQ(ours, theirs);
}

}  // namespace
}  // namespace vx86::test
