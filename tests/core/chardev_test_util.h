// Helpers shared by the chardev tests: a frontend that records what it gets,
// and bounded waits that keep the main loop turning.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/chardev.h"
#include "core/main_loop.h"

namespace vx86::test {

struct RecordingFrontend : CharFrontend {
  static constexpr std::size_t kUnlimited = SIZE_MAX;
  std::size_t room = kUnlimited;  // bytes it will still take
  std::string received;
  std::vector<ChardevEvent> events;

  std::size_t can_receive() override { return room; }
  void receive(const uint8_t* data, std::size_t len) override {
    received.append(reinterpret_cast<const char*>(data), len);
    if (room != kUnlimited) room -= len;
  }
  void chardev_event(ChardevEvent event) override { events.push_back(event); }
  int count(ChardevEvent event) const {
    return static_cast<int>(std::count(events.begin(), events.end(), event));
  }
};

// Turns the loop until cond holds or ~1000 rounds have passed; returns cond().
inline bool run_until(MainLoop& loop, const std::function<bool()>& cond, int rounds = 1000) {
  for (int i = 0; i < rounds && !cond(); ++i) loop.run_once(10);
  return cond();
}

// Reads from fd, turning the loop meanwhile, until want bytes came, the peer
// closed, or ~1000 rounds passed.
inline std::string read_fd_until(MainLoop& loop, int fd, std::size_t want, int rounds = 1000) {
  std::string got;
  for (int i = 0; i < rounds && got.size() < want; ++i) {
    loop.run_once(1);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, std::min(sizeof(buf), want - got.size()));
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

inline void write_fd(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace vx86::test
