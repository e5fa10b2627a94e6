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
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

// What the guest's `seq 1 400000 | head -c 2097152` makes.
std::string seq_data() {
  std::string s;
  for (int i = 1; s.size() < 2097152; ++i) s += std::to_string(i) + "\n";
  s.resize(2097152);
  return s;
}

std::string sha256_of(const std::string& data) {
  const std::string path = ::testing::TempDir() + "/vx86-net-sha-" + std::to_string(getpid());
  std::ofstream(path, std::ios::binary) << data;
  CommandResult r = run_command({"sha256sum", path});
  std::filesystem::remove(path);
  return r.out.substr(0, 64);
}

// "vx86-result: KEY VALUE..." lines.
std::map<std::string, std::string> results(const std::string& serial) {
  std::map<std::string, std::string> out;
  const std::string tag = "vx86-result: ";
  for (size_t at = serial.find(tag); at != std::string::npos; at = serial.find(tag, at + 1)) {
    size_t end = serial.find_first_of("\r\n", at);
    std::string line = serial.substr(at + tag.size(), end - at - tag.size());
    size_t space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (out.count(key)) value = out[key] + "\n" + value;
    out[key] = value;
  }
  return out;
}

// A listening TCP socket on 127.0.0.1 with a port of the kernel's choice.
int listen_loopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

int free_port() {
  int port = 0;
  int fd = listen_loopback(&port);
  close(fd);
  return port;
}

// Serves `data` to one HTTP GET on `listener`, within the timeout.
void serve_once(int listener, const std::string& data, std::chrono::seconds timeout) {
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count() * 1000)) != 1) return;
  int fd = accept(listener, nullptr, nullptr);
  if (fd < 0) return;
  std::string request;
  char buf[1024];
  while (request.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  std::string reply =
      "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: " +
      std::to_string(data.size()) + "\r\n\r\n" + data;
  if (request.rfind("GET /data ", 0) != 0) reply = "HTTP/1.0 404 Not Found\r\n\r\n";
  for (size_t sent = 0; sent < reply.size();) {
    ssize_t n = write(fd, reply.data() + sent, reply.size() - sent);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  close(fd);
}

// Reads `want` bytes from 127.0.0.1:port.
std::string read_from(int port, size_t want, std::chrono::seconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 1000) != 1) continue;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return got;
}

struct GuestNetRun {
  std::map<std::string, std::string> results;
  std::string serial;
  std::string received;  // what came from the guest through hostfwd
  std::optional<int> status;
};

// Boots the guest's net workload under `emulator` (argv before the guest
// options) with a NIC of `model` and does the host's half of the exchange.
GuestNetRun run_net_workload(std::vector<std::string> argv, const std::filesystem::path& guest,
                             const std::string& model, const std::string& data) {
  GuestNetRun run;
  const std::string serial = ::testing::TempDir() + "/vx86-net-" + std::to_string(getpid()) + "-" +
                             argv[0].substr(argv[0].rfind('/') + 1) + "-" + model;
  std::filesystem::remove(serial);
  int http_port = 0;
  int listener = listen_loopback(&http_port);
  const int fwd_port = free_port();
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("256"),
        std::string("-kernel"), (guest / "vmlinuz").string(), std::string("-initrd"),
        (guest / "initramfs.cpio.gz").string(), std::string("-append"),
        "console=ttyS0 vx86.workload=net vx86.netport=" + std::to_string(http_port),
        std::string("-serial"), "file:" + serial, std::string("-nic"),
        "user,model=" + model + ",hostfwd=tcp:127.0.0.1:" + std::to_string(fwd_port) + "-:8080"}) {
    argv.push_back(a);
  }
  Process emulator(argv);
  std::thread server([&] { serve_once(listener, data, 600s); });
  auto deadline = std::chrono::steady_clock::now() + 600s;
  while (std::chrono::steady_clock::now() < deadline &&
         file_text(serial).find("vx86-result: net-listening") == std::string::npos &&
         file_text(serial).find("workload net done") == std::string::npos) {
    std::this_thread::sleep_for(200ms);
  }
  if (file_text(serial).find("vx86-result: net-listening") != std::string::npos) {
    run.received = read_from(fwd_port, data.size(), 300s);
  }
  run.status = emulator.wait(300s);
  shutdown(listener, SHUT_RDWR);
  server.join();
  close(listener);
  run.serial = file_text(serial);
  run.results = results(run.serial);
  std::filesystem::remove(serial);
  return run;
}

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
