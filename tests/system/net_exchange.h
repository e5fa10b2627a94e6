// The host's half of the Debian guest's net workload (scripts/guest/
// workloads.sh): an HTTP server the guest fetches 2 MiB from, and 2 MiB read
// from the guest's port 8080, over user networking or a TAP interface.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {

using namespace std::chrono_literals;

// What the guest's `seq 1 400000 | head -c 2097152` makes.
inline std::string seq_data() {
  std::string s;
  for (int i = 1; s.size() < 2097152; ++i) s += std::to_string(i) + "\n";
  s.resize(2097152);
  return s;
}

inline std::string sha256_of(const std::string& data) {
  const std::string path = ::testing::TempDir() + "/vx86-net-sha-" + std::to_string(getpid());
  std::ofstream(path, std::ios::binary) << data;
  CommandResult r = run_command({"sha256sum", path});
  std::filesystem::remove(path);
  return r.out.substr(0, 64);
}

// "vx86-result: KEY VALUE..." lines.
inline std::map<std::string, std::string> results(const std::string& serial) {
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

// A listening TCP socket on `address` (default 127.0.0.1) with a port of
// the kernel's choice.
inline int listen_loopback(int* port, const std::string& address = "127.0.0.1") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

inline int free_port() {
  int port = 0;
  int fd = listen_loopback(&port);
  close(fd);
  return port;
}

// Serves `data` to one HTTP GET on `listener`, within the timeout.
inline void serve_once(int listener, const std::string& data, std::chrono::seconds timeout) {
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

// Reads `want` bytes from address:port.
inline std::string read_from(const std::string& address, int port, size_t want,
                             std::chrono::seconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
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

// Where the host's half of the exchange happens: by default user
// networking (the host's HTTP server on 127.0.0.1, 10.0.2.2 to the guest;
// the guest's port 8080 through a hostfwd rule); with `network` set, the
// NIC options given, the HTTP server on host_address (which the guest is
// told with vx86.nethost=) and the guest reached at guest_address:8080.
struct NetSetup {
  std::vector<std::string> network;  // "-nic ..." or "-netdev ... -device ..."
  std::string host_address, guest_address;
  std::string append;  // more for the kernel command line
};

// Boots the guest's net workload under `emulator` (argv before the guest
// options) with a NIC of `model` and does the host's half of the exchange.
inline GuestNetRun run_net_workload(std::vector<std::string> argv,
                                    const std::filesystem::path& guest, const std::string& model,
                                    const std::string& data, const NetSetup& setup = {}) {
  GuestNetRun run;
  const std::string serial = ::testing::TempDir() + "/vx86-net-" + std::to_string(getpid()) + "-" +
                             argv[0].substr(argv[0].rfind('/') + 1) + "-" + model;
  std::filesystem::remove(serial);
  const bool user = setup.network.empty();
  int http_port = 0;
  int listener = listen_loopback(&http_port, user ? "127.0.0.1" : setup.host_address);
  const int fwd_port = user ? free_port() : 8080;
  std::string append = "console=ttyS0 vx86.workload=net vx86.netport=" + std::to_string(http_port);
  if (!user) append += " vx86.nethost=" + setup.host_address + " " + setup.append;
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("256"),
        std::string("-kernel"), (guest / "vmlinuz").string(), std::string("-initrd"),
        (guest / "initramfs.cpio.gz").string(), std::string("-append"), append,
        std::string("-serial"), "file:" + serial}) {
    argv.push_back(a);
  }
  if (user) {
    argv.push_back("-nic");
    argv.push_back("user,model=" + model + ",hostfwd=tcp:127.0.0.1:" + std::to_string(fwd_port) +
                   "-:8080");
  } else {
    argv.insert(argv.end(), setup.network.begin(), setup.network.end());
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
    run.received = read_from(user ? "127.0.0.1" : setup.guest_address, fwd_port, data.size(), 300s);
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

}  // namespace vx86::test
