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

// The guest's "vx86-result: rng-..." lines.
std::vector<std::string> rng_reports(const std::string& serial) {
  std::vector<std::string> reports;
  const std::string marker = "vx86-result: rng-";
  for (std::size_t at = serial.find(marker); at != std::string::npos;
       at = serial.find(marker, at + 1)) {
    std::string line = serial.substr(at, serial.find('\n', at) - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    reports.push_back(line);
  }
  return reports;
}

std::vector<std::string> run_rng(std::vector<std::string> emulator,
                                 const std::filesystem::path& guest,
                                 const std::vector<std::string>& rng_options,
                                 const std::string& tag) {
  const std::string serial =
      ::testing::TempDir() + "/vx86-rng-" + tag + "-" + std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  for (const std::string& arg :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("256"),
        std::string("-nic"), std::string("none"), std::string("-kernel"),
        (guest / "vmlinuz").string(), std::string("-initrd"),
        (guest / "initramfs.cpio.gz").string(), std::string("-append"),
        std::string("console=ttyS0 vx86.workload=rng"), std::string("-serial"), "file:" + serial}) {
    emulator.push_back(arg);
  }
  emulator.insert(emulator.end(), rng_options.begin(), rng_options.end());
  const CommandResult r = run_command(emulator, 300);
  EXPECT_EQ(r.status, 0) << tag << ": " << r.err;
  const std::string text = file_text(serial);
  std::filesystem::remove(serial);
  return rng_reports(text);
}

TEST(VirtioRngTest, TheGuestReadsItsHardwareRngAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  if (run_command({"sh", "-c",
                   "gzip -dc '" + (guest / "initramfs.cpio.gz").string() +
                       "' | cpio -t --quiet | grep -q virtio_rng.ko && gzip -dc '" +
                       (guest / "initramfs.cpio.gz").string() +
                       "' | cpio -i --to-stdout --quiet etc/workloads.sh | grep -q workload_rng"})
          .status != 0) {
    GTEST_SKIP() << "the guest has no virtio_rng module or rng workload (rebuild it with "
                    "scripts/build-guest.sh)";
  }
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
