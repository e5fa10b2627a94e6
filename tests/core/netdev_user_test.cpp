// -netdev user against libslirp itself: the test is the guest's network
// card. A DHCP DISCOVER gets an OFFER with QEMU's addresses, rules are
// parsed as QEMU spells them, and a host port that cannot be bound is
// refused with the rule named.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "core/main_loop.h"
#include "core/netdev_user.h"

namespace vx86 {
namespace {

using namespace std::chrono_literals;

const uint8_t kGuestMac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

uint16_t ip_checksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += p[i] << 8 | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Ethernet + IPv4 + UDP 68->67 + BOOTP with the DHCP DISCOVER option.
std::vector<uint8_t> dhcp_discover() {
  const size_t bootp = 236 + 4 + 3 + 1;  // fixed part, cookie, option 53, end
  const size_t udp_len = 8 + bootp, ip_len = 20 + udp_len;
  std::vector<uint8_t> f(14 + ip_len, 0);
  std::memset(f.data(), 0xff, 6);  // broadcast
  std::memcpy(f.data() + 6, kGuestMac, 6);
  put16(f, 12, 0x0800);
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  put16(f, 16, static_cast<uint16_t>(ip_len));
  ip[8] = 64;
  ip[9] = 17;                     // UDP
  std::memset(ip + 16, 0xff, 4);  // to 255.255.255.255 from 0.0.0.0
  put16(f, 24, ip_checksum(ip, 20));
  uint8_t* udp = ip + 20;
  put16(f, 34, 68);
  put16(f, 36, 67);
  put16(f, 38, static_cast<uint16_t>(udp_len));  // checksum 0: none
  uint8_t* b = udp + 8;
  b[0] = 1;  // BOOTREQUEST
  b[1] = 1;  // Ethernet
  b[2] = 6;
  b[4] = 0x12;  // xid
  b[5] = 0x34;
  std::memcpy(b + 28, kGuestMac, 6);
  const uint8_t tail[] = {99, 130, 83, 99, 53, 1, 1, 255};  // cookie, DISCOVER, end
  std::memcpy(b + 236, tail, sizeof(tail));
  return f;
}

class NetdevUserTest : public ::testing::Test {
 protected:
  std::unique_ptr<UserNetBackend> make(const std::string& text) {
    std::vector<OptDesc> keys = UserNetBackend::option_keys();
    keys.push_back({"type", OptType::kString, ""});
    keys.push_back({"id", OptType::kString, ""});
    return std::make_unique<UserNetBackend>(
        "n0", KeyValues::parse("-netdev user", text, "type", keys), loop_);
  }
  // Runs the main loop until a frame for the guest arrives or time is up.
  std::vector<uint8_t> next_frame(UserNetBackend& net) {
    std::vector<uint8_t> got;
    net.set_receiver([&](const uint8_t* f, std::size_t len) {
      if (got.empty()) got.assign(f, f + len);
    });
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (got.empty() && std::chrono::steady_clock::now() < deadline) loop_.run_once(50);
    return got;
  }

  MainLoop loop_;
};

TEST_F(NetdevUserTest, DhcpOffersQemusAddresses) {
  auto net = make("user,id=n0");
  net->send(dhcp_discover().data(), dhcp_discover().size());
  std::vector<uint8_t> reply = next_frame(*net);
  ASSERT_GT(reply.size(), 14u + 20 + 8 + 240);
  const uint8_t* b = reply.data() + 14 + 20 + 8;
  EXPECT_EQ(b[0], 2);  // BOOTREPLY
  EXPECT_EQ(std::vector<uint8_t>(b + 28, b + 34), std::vector<uint8_t>(kGuestMac, kGuestMac + 6));
  char yiaddr[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, b + 16, yiaddr, sizeof(yiaddr));
  EXPECT_STREQ(yiaddr, "10.0.2.15");
  // Options: message type OFFER (2), router 10.0.2.2, DNS 10.0.2.3.
  std::map<int, std::vector<uint8_t>> options;
  for (size_t at = 240; at + 1 < reply.size() - 42 && b[at] != 255;) {
    if (b[at] == 0) {
      ++at;
      continue;
    }
    options[b[at]] = std::vector<uint8_t>(b + at + 2, b + at + 2 + b[at + 1]);
    at += 2 + b[at + 1];
  }
  EXPECT_EQ(options[53], std::vector<uint8_t>{2});
  EXPECT_EQ(options[3], (std::vector<uint8_t>{10, 0, 2, 2}));
  EXPECT_EQ(options[6], (std::vector<uint8_t>{10, 0, 2, 3}));
  EXPECT_EQ(options[1], (std::vector<uint8_t>{255, 255, 255, 0}));
}

TEST_F(NetdevUserTest, DhcpFollowsTheNetOption) {
  auto net = make("user,id=n0,net=192.168.76.0/24,dhcpstart=192.168.76.9");
  net->send(dhcp_discover().data(), dhcp_discover().size());
  std::vector<uint8_t> reply = next_frame(*net);
  ASSERT_GT(reply.size(), 14u + 20 + 8 + 240);
  const uint8_t* b = reply.data() + 14 + 20 + 8;
  EXPECT_EQ(std::vector<uint8_t>(b + 16, b + 20), (std::vector<uint8_t>{192, 168, 76, 9}));
}

TEST_F(NetdevUserTest, HostForwardRulesParseAsQemuSpellsThem) {
  in_addr guest{};
  inet_pton(AF_INET, "10.0.2.15", &guest);
  HostForward f = parse_host_forward("tcp::2222-:22", guest);
  EXPECT_FALSE(f.udp);
  EXPECT_EQ(f.host_addr.s_addr, htonl(INADDR_ANY));
  EXPECT_EQ(f.host_port, 2222);
  EXPECT_EQ(f.guest_addr.s_addr, guest.s_addr);
  EXPECT_EQ(f.guest_port, 22);
  f = parse_host_forward("udp:127.0.0.1:5353-10.0.2.20:53", guest);
  EXPECT_TRUE(f.udp);
  EXPECT_EQ(f.host_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(f.guest_addr.s_addr, inet_addr("10.0.2.20"));
  f = parse_host_forward("::8080-:80", guest);  // the protocol defaults to tcp
  EXPECT_FALSE(f.udp);
  for (const char* bad : {"tcp:2222-:22", "sctp::1-:2", "tcp::70000-:22", "tcp::22", "tcp::x-:22",
                          "tcp:1.2.3:22-:22", "tcp::22-:", ":8080-:80"}) {
    try {
      parse_host_forward(bad, guest);
      ADD_FAILURE() << bad << " accepted";
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST_F(NetdevUserTest, AHostPortInUseIsRefusedWithTheRule) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string rule = "tcp:127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "-:22";
  try {
    make("user,id=n0,hostfwd=" + rule);
    ADD_FAILURE() << "a bound port was taken";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("could not set up host forwarding rule '" + rule + "'"),
              std::string::npos)
        << e.what();
  }
  close(fd);
}

TEST_F(NetdevUserTest, BadNetworksAreRefused) {
  for (const char* bad : {"user,id=n0,net=10.0.2.0/33", "user,id=n0,net=10.0.2",
                          "user,id=n0,host=10.0.3.2", "user,id=n0,dhcpstart=10.0.2.255",
                          "user,id=n0,net=10.0.0.0/255.0.255.0", "user,id=n0,ipv4=off,ipv6=off"}) {
    EXPECT_THROW(make(bad), OptionError) << bad;
  }
}

}  // namespace
}  // namespace vx86
