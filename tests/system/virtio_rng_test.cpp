// virtio-rng-pci as a QEMU user adds it (-object rng-random ... -device
// virtio-rng-pci,rng=ID, or the device alone): the Debian guest finds the
// device, picks it as its hardware RNG, reads 64 KiB of random bytes from
// /dev/hwrng through MSI-X interrupts, and reports the same as under
// qemu-system-x86_64 with the same options.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

std::vector<std::string> run_rng(const std::vector<std::string>& emulator,
                                 const std::filesystem::path& guest,
                                 const std::vector<std::string>& rng_options,
                                 const std::string& tag) {
  return guest_results(run_guest_workload(emulator, guest, "rng", rng_options, tag), "rng-");
}

TEST(VirtioRngTest, TheGuestReadsItsHardwareRngAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "rng");
  const std::vector<std::vector<std::string>> configurations = {
      {"-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-pci,rng=rng0"},
      {"-device", "virtio-rng-pci"},  // the host's getrandom
  };
  const std::vector<std::string> expected = {
      "vx86-result: rng-available virtio_rng.0",
      "vx86-result: rng-current virtio_rng.0",
      "vx86-result: rng-bytes 65536",
      "vx86-result: rng-irq PCI-MSI virtio0-config PCI-MSI virtio0-input",
      "vx86-result: rng-gzip-smaller no",
  };
  std::vector<std::vector<std::string>> ours;
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    ours.push_back(run_rng({VX86_BINARY}, guest, configurations[i], "vx86-" + std::to_string(i)));
    EXPECT_EQ(ours.back(), expected) << "configuration " << i;
  }
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    EXPECT_EQ(ours[i], run_rng({"qemu-system-x86_64", "-accel", "tcg"}, guest, configurations[i],
                               "qemu-" + std::to_string(i)))
        << "configuration " << i;
  }
}

}  // namespace
}  // namespace vx86::test
