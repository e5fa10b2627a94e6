// -smp's sockets, cores and threads as the Debian guest sees them (workload
// topology): each CPU's package, core and thread siblings, /proc/cpuinfo's
// physical id, siblings, core id and cpu cores, and the caches each CPU
// shares. vx86's models are GenuineIntel, so Linux reads CPUID leaves 4 and
// 0BH; QEMU's qemu64 is AuthenticAMD, so the comparison is with
// qemu-system-x86_64 -cpu qemu64,vendor=GenuineIntel, whose guest must see
// the same machine line for line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

std::vector<std::string> topology(const std::vector<std::string>& emulator,
                                  const std::filesystem::path& guest, const std::string& smp,
                                  const std::string& tag) {
  return guest_results(run_guest_workload(emulator, guest, "topology", {"-smp", smp}, tag),
                       "topology");
}

TEST(SmpTopologyTest, TheGuestSeesSocketsCoresAndThreadsAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "topology");
  // QEMU's default for -smp N on pc-i440fx-7.2 (one socket of N cores),
  // libvirt's spelling with two sockets, and threads.
  const std::vector<std::string> configurations = {"2", "4,sockets=2,cores=2,threads=1",
                                                   "4,sockets=1,cores=2,threads=2"};
  std::vector<std::vector<std::string>> ours;
  for (const std::string& smp : configurations) {
    ours.push_back(topology({VX86_BINARY}, guest, smp, "vx86-" + std::to_string(ours.size())));
  }
  // Two sockets of two cores: CPUs 2 and 3 are the second package, each core
  // its own thread, the L3 shared within a package.
  const std::vector<std::string>& sockets = ours[1];
  ASSERT_GE(sockets.size(), 4u);
  EXPECT_EQ(sockets[0],
            "vx86-result: topology cpu0 package=0 die=0 core=0 threads=0 package_cpus=0-1");
  EXPECT_EQ(sockets[3],
            "vx86-result: topology cpu3 package=1 die=0 core=1 threads=3 package_cpus=2-3");
  EXPECT_NE(std::find(sockets.begin(), sockets.end(),
                      "vx86-result: topology-cache cpu2/cache/index3 level=3 type=Unified "
                      "size=16384K ways=16 sets=16384 line=64 shared=2-3"),
            sockets.end());
  // Two threads per core: CPUs 0 and 1 are one core and share its L2.
  const std::vector<std::string>& threads = ours[2];
  ASSERT_GE(threads.size(), 4u);
  EXPECT_EQ(threads[1],
            "vx86-result: topology cpu1 package=0 die=0 core=0 threads=0-1 package_cpus=0-3");
  EXPECT_NE(std::find(threads.begin(), threads.end(),
                      "vx86-result: topology-cache cpu1/cache/index2 level=2 type=Unified "
                      "size=4096K ways=16 sets=4096 line=64 shared=0-1"),
            threads.end());

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  // QEMU's vCPUs on one thread, as vx86's TCG runs them: four vCPU threads
  // that spin-wait for each other on the two shared cores here once took a
  // QEMU boot past the five-minute limit.
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    EXPECT_EQ(ours[i], topology({"qemu-system-x86_64", "-accel", "tcg,thread=single", "-cpu",
                                 "qemu64,vendor=GenuineIntel"},
                                guest, configurations[i], "qemu-" + std::to_string(i)))
        << "-smp " << configurations[i];
  }
}

}  // namespace
}  // namespace vx86::test
