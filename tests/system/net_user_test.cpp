// User networking as the Debian guest sees it: DHCP from libslirp on a
// virtio-net-pci or e1000 NIC, then 2 MiB from the host to the guest through
// a hostfwd rule and 2 MiB from the host's HTTP server (on 127.0.0.1, which
// is 10.0.2.2 to the guest) to the guest. The same guest under
// qemu-system-x86_64 with the same NIC must see the same network.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/net_exchange.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

// vx86's runs, one per NIC model, shared by the tests (a boot takes a while).
const GuestNetRun& vx86_run(const std::filesystem::path& guest, const std::string& model) {
  static std::map<std::string, GuestNetRun> runs;
  if (!runs.count(model)) runs[model] = run_net_workload({VX86_BINARY}, guest, model, seq_data());
  return runs[model];
}

// The guest got its lease, served and fetched the data intact, and its NIC
// interrupted through `interrupt_chip` (as /proc/interrupts names it).
void expect_data_exchanged(const GuestNetRun& run, const std::string& interrupt_chip,
                           const std::string& interrupt_name) {
  const std::string data = seq_data();
  const std::string sha = sha256_of(data);
  EXPECT_EQ(run.status, std::optional<int>(0));
  const auto& r = run.results;
  ASSERT_TRUE(r.count("net-addr")) << run.serial;
  EXPECT_EQ(r.at("net-addr"), "10.0.2.15/24");
  EXPECT_EQ(r.at("net-gateway"), "10.0.2.2");
  EXPECT_EQ(r.at("net-dns"), "10.0.2.3");
  EXPECT_EQ(r.at("net-mac"), "52:54:00:12:34:56");
  EXPECT_EQ(r.at("net-served"), sha);
  EXPECT_EQ(run.received.size(), data.size());
  EXPECT_TRUE(run.received == data) << "hostfwd brought other bytes";
  ASSERT_TRUE(r.count("net-fetched")) << run.serial;
  EXPECT_EQ(r.at("net-fetched"), sha);
  ASSERT_TRUE(r.count("net-irq")) << run.serial;
  EXPECT_NE(r.at("net-irq").find(interrupt_chip), std::string::npos) << r.at("net-irq");
  EXPECT_NE(r.at("net-irq").find(interrupt_name), std::string::npos) << r.at("net-irq");
  EXPECT_NE(run.serial.find("vx86-init: workload net done"), std::string::npos) << run.serial;
}

// The same addresses, MAC and data as qemu-system-x86_64 with the same NIC.
void expect_same_as_qemu(const std::filesystem::path& guest, const std::string& model) {
  const GuestNetRun& vx86 = vx86_run(guest, model);
  GuestNetRun qemu =
      run_net_workload({"qemu-system-x86_64", "-accel", "tcg"}, guest, model, seq_data());
  ASSERT_EQ(qemu.status, std::optional<int>(0)) << qemu.serial;
  for (const char* key :
       {"net-addr", "net-gateway", "net-dns", "net-mac", "net-served", "net-fetched"}) {
    ASSERT_TRUE(qemu.results.count(key)) << key << "\n" << qemu.serial;
    ASSERT_TRUE(vx86.results.count(key)) << key << "\n" << vx86.serial;
    EXPECT_EQ(vx86.results.at(key), qemu.results.at(key)) << key;
  }
  EXPECT_TRUE(vx86.received == qemu.received);
}

bool have_qemu() {
  return run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0;
}

TEST(NetUserTest, TheDebianGuestExchangesDataWithTheHostBothWays) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  // virtio-net's queues interrupt through MSI-X.
  expect_data_exchanged(vx86_run(guest, "virtio-net-pci"), "PCI-MSI", "-input.0");
}

TEST(NetUserTest, TheGuestSeesTheSameNetworkAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  expect_same_as_qemu(guest, "virtio-net-pci");
}

// Linux's e1000 driver on vx86's 82540EM: the MAC from the EEPROM, the link
// from the PHY, checksum offload and TSO on transmit, INTx through the IOAPIC.
TEST(NetUserTest, TheDebianGuestExchangesDataThroughAnE1000) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  expect_data_exchanged(vx86_run(guest, "e1000"), "IO-APIC", "eth0");
}

TEST(NetUserTest, AnE1000GuestSeesTheSameNetworkAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  expect_same_as_qemu(guest, "e1000");
}

// The monitor's view of the NICs, and their links going down and up, with a
// -netdev/-device pair and a -nic on a machine that only spins.
TEST(NetUserTest, InfoNetworkAndSetLinkOverQmp) {
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  const std::string sock =
      ::testing::TempDir() + "/vx86-net-qmp-" + std::to_string(getpid()) + ".sock";
  Process vx86({VX86_BINARY, "-display", "none", "-bios", bios, "-serial", "null", "-netdev",
                "user,id=n0,net=192.168.7.0/24", "-device",
                "virtio-net-pci,netdev=n0,id=nic0,mac=52:54:00:ab:cd:ef", "-nic", "user", "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  qmp.execute("qmp_capabilities");
  auto info = [&] {
    return qmp.execute("human-monitor-command", {{"command-line", "info network"}})["return"]
        .get<std::string>();
  };
  std::string before = info();
  EXPECT_NE(before.find("nic0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:ab:cd:ef\n"
                        " \\ n0: index=0,type=user,net=192.168.7.0,restrict=off\n"),
            std::string::npos)
      << before;
  // -nic without model=: QEMU's default model.
  EXPECT_NE(before.find("e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"),
            std::string::npos)
      << before;
  EXPECT_EQ(qmp.execute("set_link", {{"name", "nic0"}, {"up", false}}),
            Json::parse(R"({"return": {}})"));
  EXPECT_NE(info().find("macaddr=52:54:00:ab:cd:ef,link=down"), std::string::npos) << info();
  // By the backend's id, as QEMU allows.
  qmp.execute("set_link", {{"name", "n0"}, {"up", true}});
  EXPECT_EQ(info(), before);
  EXPECT_EQ(qmp.execute("set_link", {{"name", "eth9"}, {"up", true}})["error"]["class"],
            "DeviceNotFound");
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
}

bool accepts_connections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// hostfwd_add / hostfwd_remove in the human monitor, as QEMU spells them.
TEST(NetUserTest, MonitorAddsAndRemovesHostForwards) {
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  const std::string sock =
      ::testing::TempDir() + "/vx86-net-fwd-" + std::to_string(getpid()) + ".sock";
  Process vx86({VX86_BINARY, "-display", "none", "-bios", bios, "-serial", "null", "-netdev",
                "user,id=n0", "-device", "virtio-net-pci,netdev=n0", "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  qmp.execute("qmp_capabilities");
  auto hmp = [&](const std::string& line) {
    return qmp.execute("human-monitor-command", {{"command-line", line}})["return"]
        .get<std::string>();
  };
  const int port = free_port();
  const std::string host = "tcp:127.0.0.1:" + std::to_string(port);
  EXPECT_FALSE(accepts_connections(port));
  EXPECT_EQ(hmp("hostfwd_add " + host + "-:22"), "");
  EXPECT_TRUE(accepts_connections(port));
  EXPECT_NE(hmp("hostfwd_add n0 " + host + "-:23").find("could not set up host forwarding rule"),
            std::string::npos);
  EXPECT_EQ(hmp("hostfwd_remove n0 " + host), "host forwarding rule for " + host + " removed\n");
  EXPECT_FALSE(accepts_connections(port));
  EXPECT_NE(hmp("hostfwd_remove " + host).find("not found"), std::string::npos);
  EXPECT_NE(hmp("hostfwd_add n9 " + host + "-:22").find("netdev 'n9' not found"),
            std::string::npos);
  EXPECT_NE(hmp("hostfwd_add tcp::x-:22").find("invalid host forwarding rule"), std::string::npos);
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
}

// QEMU's defaults: one e1000 on user networking, none with -nic none or
// -nodefaults (which also drops the VGA and the serial port on stdio).
TEST(NetUserTest, TheDefaultNicAndHowToGoWithout) {
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto network_of = [&](std::vector<std::string> extra) {
    const std::string sock =
        ::testing::TempDir() + "/vx86-net-default-" + std::to_string(getpid()) + ".sock";
    std::vector<std::string> argv = {VX86_BINARY,
                                     "-display",
                                     "none",
                                     "-bios",
                                     bios,
                                     "-qmp",
                                     "unix:" + sock + ",server=on,wait=off"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Process vx86(argv);
    QmpClient qmp;
    if (!qmp.connect_unix(sock)) return std::string("no QMP");
    qmp.next();
    qmp.execute("qmp_capabilities");
    std::string info =
        qmp.execute("human-monitor-command", {{"command-line", "info network"}})["return"];
    if (std::find(extra.begin(), extra.end(), "-nodefaults") != extra.end()) {
      EXPECT_EQ(qmp.execute("screendump", {{"filename", "/dev/null"}})["error"]["desc"],
                "There is no console to take a screendump from");
    }
    qmp.execute("quit");
    vx86.wait(10s);
    return info;
  };
  EXPECT_EQ(network_of({"-serial", "null"}),
            "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
            " \\ __default_nic: index=0,type=user,net=10.0.2.0,restrict=off\n");
  EXPECT_EQ(network_of({"-serial", "null", "-nic", "none"}), "");
  EXPECT_EQ(network_of({"-serial", "null", "-net", "none"}), "");
  EXPECT_EQ(network_of({"-nodefaults"}), "");
  // -net nic with -net user: one pair.
  EXPECT_EQ(network_of({"-serial", "null", "-net", "nic,macaddr=52:54:00:00:00:01", "-net",
                        "user,restrict=on"}),
            "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:00:00:01\n"
            " \\ __net_user: index=0,type=user,net=10.0.2.0,restrict=on\n");
}

}  // namespace
}  // namespace vx86::test
