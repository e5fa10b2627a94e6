// -cpu ...,tsc-frequency= as the Debian guest sees it: the rate it reads
// from CPUID without calibrating, the TSC it keeps time with and the TSC
// deadline timer it ticks with, all at the rate asked for.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/system/debian_guest.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

TEST(TscFrequencyTest, TheDebianGuestRunsAtTheRateAskedFor) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  const std::string serial = ::testing::TempDir() + "/vx86-tsc-" + std::to_string(getpid());
  CommandResult r = run_command(
      {VX86_BINARY, "-display", "none", "-m", "256", "-cpu", "qemu64,tsc-frequency=2500000000",
       "-kernel", (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
       "-append", "console=ttyS0 vx86.workload=check", "-serial", "file:" + serial},
      300);
  std::ifstream in(serial);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(serial);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(out.find("tsc: Detected 2500.000 MHz processor"), std::string::npos) << out;
  EXPECT_NE(out.find("vx86-result: clocksource tsc"), std::string::npos) << out;
  EXPECT_NE(out.find("vx86-result: clockevent lapic-deadline"), std::string::npos) << out;
  EXPECT_NE(out.find("vx86-init: workload check done"), std::string::npos) << out;
}

}  // namespace
}  // namespace vx86::test
