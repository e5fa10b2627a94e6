// -netdev tap as QEMU users put a guest on the host's network: the test
// makes a TAP interface (ip tuntap, as root) with an address of its own, and
// the Debian guest on it, with a static address, fetches 2 MiB from the
// host's HTTP server on that address and serves 2 MiB the host reads from
// it; qemu-system-x86_64 on the same interface must see the same. The
// up and down scripts run with the interface's name, as QEMU runs them.
// Skipped with the reason where no TAP interface can be made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/net_exchange.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

// A TAP interface owned by the test, up, with the host's address on a
// /24 nobody else on this host uses.
class TapInterface {
 public:
  TapInterface() {
    name_ = "vx86t" + std::to_string(getpid() % 100000);
    const std::string addresses = run_command({"ip", "-4", "addr"}).out;
    for (unsigned net = 20 + getpid() % 200; net < 250; ++net) {
      const std::string prefix = "10.213." + std::to_string(net) + ".";
      if (addresses.find(prefix) == std::string::npos) {
        host_ = prefix + "1";
        guest_ = prefix + "15";
        break;
      }
    }
    CommandResult made = run_command({"ip", "tuntap", "add", "dev", name_, "mode", "tap"});
    if (made.status != 0) {
      why_not_ = "cannot make a TAP interface (" + made.err.substr(0, made.err.find('\n')) +
                 "): needs root and /dev/net/tun";
      return;
    }
    made_ = true;
    if (run_command({"ip", "addr", "add", host_ + "/24", "dev", name_}).status != 0 ||
        run_command({"ip", "link", "set", name_, "up"}).status != 0) {
      why_not_ = "cannot give " + name_ + " an address";
    }
  }
  ~TapInterface() {
    if (made_) run_command({"ip", "tuntap", "del", "dev", name_, "mode", "tap"});
  }
  const std::string& why_not() const { return why_not_; }
  const std::string& name() const { return name_; }
  NetSetup setup(const std::string& nic) const {
    return {{"-netdev", "tap,id=n0,ifname=" + name_ + ",script=no,downscript=no", "-device",
             nic + ",netdev=n0"},
            host_,
            guest_,
            "vx86.ip=" + guest_ + "/24"};
  }

 private:
  std::string name_, host_, guest_, why_not_;
  bool made_ = false;
};

void expect_exchanged(const GuestNetRun& run, const std::string& guest_address) {
  const std::string data = seq_data();
  const std::string sha = sha256_of(data);
  EXPECT_EQ(run.status, std::optional<int>(0)) << run.serial;
  ASSERT_TRUE(run.results.count("net-addr")) << run.serial;
  EXPECT_EQ(run.results.at("net-addr"), guest_address + "/24");
  EXPECT_EQ(run.results.at("net-served"), sha);
  EXPECT_TRUE(run.received == data) << "read " << run.received.size() << " bytes from the guest";
  ASSERT_TRUE(run.results.count("net-fetched")) << run.serial;
  EXPECT_EQ(run.results.at("net-fetched"), sha);
}

TEST(NetTapTest, TheDebianGuestExchangesDataThroughATapInterface) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  TapInterface tap;
  if (!tap.why_not().empty()) GTEST_SKIP() << tap.why_not();
  for (const std::string nic : {"virtio-net-pci", "e1000"}) {
    SCOPED_TRACE(nic);
    const NetSetup setup = tap.setup(nic);
    expect_exchanged(run_net_workload({VX86_BINARY}, guest, nic, seq_data(), setup),
                     setup.guest_address);
  }
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    const NetSetup setup = tap.setup("virtio-net-pci");
    const GuestNetRun qemu = run_net_workload({"qemu-system-x86_64", "-accel", "tcg"}, guest,
                                              "virtio-net-pci", seq_data(), setup);
    expect_exchanged(qemu, setup.guest_address);
  }
}

// script= and downscript= run with the interface's name, when the interface
// is open and when vx86 ends; a failing script stops vx86 with its status.
TEST(NetTapTest, ScriptsRunWithTheInterfaceName) {
  TapInterface tap;
  if (!tap.why_not().empty()) GTEST_SKIP() << tap.why_not();
  const std::string base = ::testing::TempDir() + "/vx86-tap-" + std::to_string(getpid());
  const std::string up = base + "-up.sh", down = base + "-down.sh", log = base + ".log";
  std::ofstream(up) << "#!/bin/sh\necho \"up $1\" >> " << log << "\n";
  std::ofstream(down) << "#!/bin/sh\necho \"down $1\" >> " << log << "\n";
  std::filesystem::permissions(up, std::filesystem::perms::owner_all);
  std::filesystem::permissions(down, std::filesystem::perms::owner_all);
  std::filesystem::remove(log);
  const std::string hello = std::string(VX86_GUEST_DIR) + "/hello.bin";
  CommandResult r =
      run_command({VX86_BINARY, "-bios", hello, "-display", "none", "-serial", "null", "-device",
                   "isa-debug-exit,iobase=0xf4,iosize=1", "-netdev",
                   "tap,id=n0,ifname=" + tap.name() + ",script=" + up + ",downscript=" + down,
                   "-device", "e1000,netdev=n0"});
  EXPECT_EQ(r.status, 1) << r.err;  // hello's exit through isa-debug-exit
  EXPECT_EQ(file_text(log), "up " + tap.name() + "\ndown " + tap.name() + "\n");
  std::ofstream(up) << "#!/bin/sh\nexit 3\n";
  r = run_command({VX86_BINARY, "-bios", hello, "-display", "none", "-netdev",
                   "tap,id=n0,ifname=" + tap.name() + ",script=" + up + ",downscript=no"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("-netdev tap,id=n0: network script " + up + " failed with status 768"),
            std::string::npos)
      << r.err;
  for (const std::string& f : {up, down, log}) std::filesystem::remove(f);
}

}  // namespace
}  // namespace vx86::test
