// A real X server for display tests: Xvfb on a display number nobody uses,
// xwd to read a window back, and the checks the SDL window and the VNC
// viewer tests share.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/screen_text.h"

namespace vx86::test {

using namespace std::chrono_literals;

inline bool have(const char* tool) {
  return std::system(("command -v " + std::string(tool) + " >/dev/null 2>&1").c_str()) == 0;
}

inline std::string run_output(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof(buf), p)) out += buf;
    pclose(p);
  }
  return out;
}

// An XWD dump (ZPixmap, 32 bits per pixel, as xwd writes a 24-bit window).
inline std::optional<Ppm> read_xwd(const std::string& path) {
  const std::string d = file_text(path);
  auto be32 = [&](std::size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(d[at])) << 24 |
           static_cast<uint32_t>(static_cast<uint8_t>(d[at + 1])) << 16 |
           static_cast<uint32_t>(static_cast<uint8_t>(d[at + 2])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(d[at + 3]));
  };
  if (d.size() < 100) return {};
  const uint32_t header = be32(0), format = be32(8), width = be32(16), height = be32(20);
  const uint32_t byte_order = be32(28), bits_per_pixel = be32(44), bytes_per_line = be32(48);
  const uint32_t ncolors = be32(76);
  const std::size_t pixels = header + ncolors * 12;
  if (format != 2 || bits_per_pixel != 32 || pixels + bytes_per_line * height > d.size()) return {};
  Ppm p;
  p.width = static_cast<int>(width);
  p.height = static_cast<int>(height);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      const std::size_t at = pixels + y * bytes_per_line + x * 4;
      uint32_t v = 0;
      for (int i = 0; i < 4; ++i) {
        const auto b =
            static_cast<uint32_t>(static_cast<uint8_t>(d[at + static_cast<std::size_t>(i)]));
        v |= byte_order == 0 ? b << (8 * i) : b << (8 * (3 - i));
      }
      p.rgb.push_back(static_cast<uint8_t>(v >> 16));
      p.rgb.push_back(static_cast<uint8_t>(v >> 8));
      p.rgb.push_back(static_cast<uint8_t>(v));
    }
  }
  return p;
}

// Xvfb on a display number nobody uses, DISPLAY pointing at it, for the
// test's lifetime.
class VirtualXServer {
 public:
  VirtualXServer() {
    // A new number for each server of this process: a killed server's
    // abstract socket may linger for a moment.
    static int servers = 0;
    number_ = 100 + getpid() % 300 + 5 * servers++;
    while (std::filesystem::exists(socket_path())) ++number_;
    const std::string display = ":" + std::to_string(number_);
    xvfb_ = std::make_unique<Process>(std::vector<std::string>{"Xvfb", display, "-screen", "0",
                                                               "1280x1024x24", "-nolisten", "tcp"});
    for (int i = 0; i < 100 && !std::filesystem::exists(socket_path()); ++i) {
      std::this_thread::sleep_for(50ms);
    }
    setenv("DISPLAY", display.c_str(), 1);
  }
  ~VirtualXServer() {
    xvfb_.reset();  // killed: its socket and lock file stay behind
    std::filesystem::remove(socket_path());
    std::filesystem::remove("/tmp/.X" + std::to_string(number_) + "-lock");
  }

 private:
  std::string socket_path() const { return "/tmp/.X11-unix/X" + std::to_string(number_); }
  int number_ = 0;
  std::unique_ptr<Process> xvfb_;
};

// Whether X window `id` shows what QMP screendump draws, pixel for pixel,
// within a few seconds; the last pictures of both are left in shown/dumped.
inline bool window_equals_screendump(QmpClient& qmp, const std::string& id, const std::string& base,
                                     std::optional<Ppm>* shown, std::optional<Ppm>* dumped) {
  const std::string dump = base + ".ppm", xwd = base + ".xwd";
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(200ms);
    if (qmp.execute("screendump", {{"filename", dump}}) != Json::parse(R"({"return": {}})")) {
      return false;
    }
    std::system(("xwd -silent -id " + id + " > " + xwd).c_str());
    *dumped = read_ppm(dump);
    *shown = read_xwd(xwd);
    if (*dumped && *shown && (*shown)->width == (*dumped)->width &&
        (*shown)->height == (*dumped)->height && (*shown)->rgb == (*dumped)->rgb) {
      return true;
    }
  }
  return false;
}

// What the guest's usb workload reports for a tablet moved to a quarter of
// the way into the 720x400 text screen, then to its far corner, then a
// left click.
inline const std::vector<std::string> kTabletMoveAndClick = {
    "vx86-result: usb-event tablet 3 0 8203",  "vx86-result: usb-event tablet 3 1 8212",
    "vx86-result: usb-event tablet 3 0 32767", "vx86-result: usb-event tablet 3 1 32767",
    "vx86-result: usb-event tablet 1 272 1",   "vx86-result: usb-event tablet 1 272 0"};

// The guest's last tablet events, once `expected.size()` are in (moves made
// while the guest booted may come first).
inline std::vector<std::string> last_tablet_events(const std::string& serial,
                                                   const std::vector<std::string>& expected) {
  std::vector<std::string> events;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(100ms);
    events = guest_results(file_text(serial), "usb-event tablet");
    if (events.size() >= expected.size() && events.back() == expected.back()) break;
  }
  if (events.size() < expected.size()) return events;
  return {events.end() - static_cast<long>(expected.size()), events.end()};
}

}  // namespace vx86::test
