// -vnc with a real viewer: TigerVNC's under Xvfb connects to vx86's VNC
// server, shows what screendump draws pixel for pixel (and what its window
// shows for QEMU's VNC server on the same boot sector's screen), and keys
// typed and pointer moves made in its window reach the Debian guest.
// QMP's query-vnc, info vnc and the VNC_* events are QEMU's.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/screen_text.h"
#include "tests/system/screen_wait.h"
#include "tests/system/x_display.h"

namespace vx86::test {
namespace {

// A VNC display number whose port (5900 + N) nobody uses now.
unsigned free_vnc_display() {
  for (unsigned display = 100 + getpid() % 500;; ++display) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(5900 + display));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free) return display;
  }
}

bool have_viewer() {
  return have("Xvfb") && have("xtigervncviewer") && have("xdotool") && have("xwd");
}

// The viewer's window for the desktop called `name`.
std::string viewer_window(const std::string& name) {
  const std::string window =
      run_output("timeout 30 xdotool search --sync --name '^" + name + " - TigerVNC$' | head -n 1");
  return window.substr(0, window.find('\n'));
}

// TigerVNC's viewer on display N of this host, as a user starts it (by
// port: it takes display numbers from 100 up as ports).
std::unique_ptr<Process> start_viewer(unsigned display) {
  return std::make_unique<Process>(std::vector<std::string>{
      "xtigervncviewer", "-Shared=1", "127.0.0.1::" + std::to_string(5900 + display)});
}

TEST(VncTest, ViewerShowsTheConsoleAndTypesIntoIt) {
  if (!have_viewer())
    GTEST_SKIP() << "no Xvfb, xtigervncviewer, xdotool or xwd "
                    "(scripts/install-deps.sh installs them)";
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  std::string error;
  const PsfFont* font = default_console_font(&error);
  ASSERT_NE(font, nullptr) << error;
  VirtualXServer x_server;
  const std::string base = ::testing::TempDir() + "/vx86-vnc-" + std::to_string(getpid());
  const std::string sock = base + ".sock", serial = base + ".serial";
  std::filesystem::remove(serial);
  const unsigned display = free_vnc_display();
  Process vx86({VX86_BINARY, "-vnc", "127.0.0.1:" + std::to_string(display), "-m", "256", "-nic",
                "none", "-kernel", (guest / "vmlinuz").string(), "-initrd",
                (guest / "initramfs.cpio.gz").string(), "-append", "console=ttyS0 console=tty0",
                "-serial", "file:" + serial, "-qmp", "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  qmp.execute("qmp_capabilities");
  EXPECT_EQ(qmp.execute("query-vnc")["return"],
            Json::parse(R"({"enabled": true, "auth": "none", "family": "ipv4", "clients": [],
                            "service": ")" +
                        std::to_string(5900 + display) + R"(", "host": "127.0.0.1"})"));
  const std::string text = wait_for_screen_text(qmp, *font, base + ".ppm", "BusyBox");
  ASSERT_NE(text.find("BusyBox"), std::string::npos) << text;

  auto viewer = start_viewer(display);
  const std::string id = viewer_window("vx86");
  ASSERT_FALSE(id.empty()) << "no TigerVNC window for vx86";
  const Json connected = qmp.wait_event("VNC_CONNECTED");
  EXPECT_EQ(connected["data"]["client"]["host"], "127.0.0.1");
  qmp.wait_event("VNC_INITIALIZED");
  const Json clients = qmp.execute("query-vnc")["return"]["clients"];
  ASSERT_EQ(clients.size(), 1u) << clients;
  const std::string port = std::to_string(5900 + display);
  EXPECT_EQ(qmp.execute("query-vnc-servers")["return"],
            Json::parse(R"([{"auth": "none", "clients": )" + clients.dump() +
                        R"(, "server": [{"auth": "none", "family": "ipv4", "service": ")" + port +
                        R"(", "host": "127.0.0.1", "websocket": false}], "id": "default"}])"));
  EXPECT_EQ(clients[0]["service"], connected["data"]["client"]["service"]);
  const std::string info =
      qmp.execute("human-monitor-command", {{"command-line", "info vnc"}})["return"];
  EXPECT_EQ(info, "default:\n  Server: 127.0.0.1:" + std::to_string(5900 + display) +
                      " (ipv4)\n    Auth: none (Sub: none)\n  Client: 127.0.0.1:" +
                      clients[0]["service"].get<std::string>() +
                      " (ipv4)\n    x509_dname: none\n    sasl_username: none\n");

  // The viewer shows what screendump draws.
  std::optional<Ppm> shown, dumped;
  EXPECT_TRUE(window_equals_screendump(qmp, id, base, &shown, &dumped))
      << "the viewer and screendump differ; viewer text:\n"
      << (shown ? read_text(*shown, *font) : "(none)");

  // Keys typed into the viewer run a command in the guest's shell (real key
  // events through XTEST into the focused window: the viewer ignores events
  // sent to it directly).
  std::system(("xdotool windowfocus --sync " + id).c_str());
  std::system("xdotool type --delay 30 'echo vx86-vnc-ok > /dev/ttyS0'");
  std::system("xdotool key Return");
  bool echoed = false;
  for (int i = 0; i < 200 && !echoed; ++i) {
    std::this_thread::sleep_for(100ms);
    echoed = file_text(serial).find("vx86-vnc-ok") != std::string::npos;
  }
  EXPECT_TRUE(echoed) << "the typed command did not run; serial:\n" << file_text(serial);
  // ... and the viewer shows it.
  EXPECT_TRUE(window_equals_screendump(qmp, id, base, &shown, &dumped));
  EXPECT_NE(read_text(*shown, *font).find("echo vx86-vnc-ok"), std::string::npos)
      << read_text(*shown, *font);

  viewer.reset();
  qmp.wait_event("VNC_DISCONNECTED");
  EXPECT_EQ(qmp.execute("query-vnc")["return"]["clients"], Json::array());
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
  for (const char* ext : {".ppm", ".xwd", ".serial"}) std::filesystem::remove(base + ext);
}

// In a graphics mode (vga=0x318, the fb workload filling the framebuffer)
// the viewer's desktop takes the mode's size (DesktopSize) and shows what
// screendump draws.
TEST(VncTest, ViewerFollowsTheGuestIntoAGraphicsMode) {
  if (!have_viewer())
    GTEST_SKIP() << "no Xvfb, xtigervncviewer, xdotool or xwd "
                    "(scripts/install-deps.sh installs them)";
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  VirtualXServer x_server;
  const std::string base = ::testing::TempDir() + "/vx86-vnc-fb-" + std::to_string(getpid());
  const std::string sock = base + ".sock", serial = base + ".serial";
  std::filesystem::remove(serial);
  const unsigned display = free_vnc_display();
  Process vx86({VX86_BINARY, "-vnc", "127.0.0.1:" + std::to_string(display), "-m", "256", "-nic",
                "none", "-kernel", (guest / "vmlinuz").string(), "-initrd",
                (guest / "initramfs.cpio.gz").string(), "-append",
                "console=tty0 console=ttyS0 vga=0x318 vx86.workload=fb", "-serial",
                "file:" + serial, "-qmp", "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  qmp.next();
  qmp.execute("qmp_capabilities");
  // Connected while the guest is still in text mode.
  auto viewer = start_viewer(display);
  const std::string id = viewer_window("vx86");
  ASSERT_FALSE(id.empty()) << "no TigerVNC window for vx86";
  for (int i = 0; i < 1200 && file_text(serial).find("fb-ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(file_text(serial).find("fb-ready"), std::string::npos) << file_text(serial);
  std::optional<Ppm> shown, dumped;
  const bool same = window_equals_screendump(qmp, id, base, &shown, &dumped);
  ASSERT_TRUE(shown && dumped);
  EXPECT_EQ(shown->width, 1024);
  EXPECT_EQ(shown->height, 768);
  EXPECT_TRUE(same) << "the viewer and screendump differ";
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
  for (const char* ext : {".ppm", ".xwd", ".serial"}) std::filesystem::remove(base + ext);
}

// With a USB tablet the viewer's pointer positions reach the guest as
// absolute positions, as from the SDL window: a quarter of the way into the
// 720x400 screen, its far corner, then a click.
TEST(VncTest, PointerInTheViewerMovesTheTablet) {
  if (!have_viewer())
    GTEST_SKIP() << "no Xvfb, xtigervncviewer, xdotool or xwd "
                    "(scripts/install-deps.sh installs them)";
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "usb");
  VirtualXServer x_server;
  const std::string serial =
      ::testing::TempDir() + "/vx86-vnc-tablet-" + std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  const unsigned display = free_vnc_display();
  Process vx86({VX86_BINARY, "-vnc", "127.0.0.1:" + std::to_string(display), "-m", "256", "-nic",
                "none", "-kernel", (guest / "vmlinuz").string(), "-initrd",
                (guest / "initramfs.cpio.gz").string(), "-append",
                "console=ttyS0 vx86.workload=usb", "-serial", "file:" + serial, "-usb", "-device",
                "usb-tablet"});
  for (int i = 0; i < 600 && file_text(serial).find("usb-ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(file_text(serial).find("usb-ready"), std::string::npos) << file_text(serial);
  auto viewer = start_viewer(display);
  const std::string id = viewer_window("vx86");
  ASSERT_FALSE(id.empty()) << "no TigerVNC window for vx86";
  std::this_thread::sleep_for(500ms);
  // The viewer passes on the pointer's motion, not its warps: the pointer
  // jumps to the window's corner, then moves from there (XTEST).
  std::system(("xdotool mousemove --window " + id + " 0 0").c_str());
  std::this_thread::sleep_for(300ms);
  std::system("xdotool mousemove_relative 180 100");
  std::this_thread::sleep_for(300ms);
  std::system("xdotool mousemove_relative 539 299");
  std::this_thread::sleep_for(300ms);
  std::system("xdotool click 1");
  EXPECT_EQ(last_tablet_events(serial, kTabletMoveAndClick), kTabletMoveAndClick)
      << file_text(serial);
  std::filesystem::remove(serial);
}

// What the viewer shows of SeaBIOS booting the test's boot sector is what it
// shows for qemu-system-x86_64's VNC server, pixel for pixel but for the
// cursor's cell (QEMU blinks it).
TEST(VncTest, ViewerShowsWhatItShowsForQemu) {
  if (!have_viewer())
    GTEST_SKIP() << "no Xvfb, xtigervncviewer, xdotool or xwd "
                    "(scripts/install-deps.sh installs them)";
  if (!have("qemu-system-x86_64")) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  if (!std::filesystem::exists("/usr/share/seabios/bios-256k.bin")) {
    GTEST_SKIP() << "no SeaBIOS (Debian's seabios)";
  }
  const std::string base = ::testing::TempDir() + "/vx86-vnc-qemu-" + std::to_string(getpid());
  const std::string disk = base + ".img";
  {
    std::string sector = file_text(std::string(VX86_GUEST_DIR) + "/mbr.bin");
    ASSERT_EQ(sector.size(), 512u);
    std::ofstream(disk, std::ios::binary) << sector << std::string((4 << 20) - 512, '\0');
  }
  VirtualXServer x_server;
  // The viewer's picture once the boot sector has run (it halts there).
  auto shown_for = [&](const std::string& emulator, const std::string& name) {
    const std::string serial = base + "-" + name + ".serial";
    std::filesystem::remove(serial);
    const unsigned display = free_vnc_display();
    Process process({emulator, "-vnc", "127.0.0.1:" + std::to_string(display), "-m", "128", "-nic",
                     "none", "-serial", "file:" + serial, "-drive",
                     "file=" + disk + ",format=raw,if=ide"});
    for (int i = 0; i < 300 && file_text(serial).find("vx86-mbr") == std::string::npos; ++i) {
      std::this_thread::sleep_for(100ms);
    }
    auto viewer = start_viewer(display);
    const std::string id = viewer_window(name);
    std::optional<Ppm> picture;
    if (id.empty()) return picture;
    std::this_thread::sleep_for(1s);  // the first update
    const std::string xwd = base + "-" + name + ".xwd";
    std::system(("xwd -silent -id " + id + " > " + xwd).c_str());
    picture = read_xwd(xwd);
    for (const std::string& f : {serial, xwd}) std::filesystem::remove(f);
    return picture;
  };
  const std::optional<Ppm> ours = shown_for(VX86_BINARY, "vx86");
  const std::optional<Ppm> theirs = shown_for("qemu-system-x86_64", "QEMU");
  ASSERT_TRUE(ours && theirs) << "no viewer window";
  ASSERT_EQ(ours->width, theirs->width);
  ASSERT_EQ(ours->height, theirs->height);
  // SeaBIOS's banner and the boot sector's line are there.
  EXPECT_GT(std::count_if(ours->rgb.begin(), ours->rgb.end(), [](uint8_t v) { return v != 0; }),
            1000);
  std::set<std::pair<int, int>> cells;  // (column, row) of the 9x16 cells that differ
  for (int y = 0; y < ours->height; ++y) {
    for (int x = 0; x < ours->width; ++x) {
      const std::size_t at = static_cast<std::size_t>(y * ours->width + x) * 3;
      if (!std::equal(&ours->rgb[at], &ours->rgb[at] + 3, &theirs->rgb[at])) {
        cells.insert({x / 9, y / 16});
      }
    }
  }
  EXPECT_LE(cells.size(), 1u) << "the viewers differ in " << cells.size() << " cells";
  std::filesystem::remove(disk);
}

// -vnc ...,password=on: a viewer gets in only with the password the monitor
// set (none at first), and QMP and the monitor answer as QEMU's do; the same
// viewer and password files give the same outcomes with QEMU's server.
TEST(VncTest, PasswordKeepsOthersOut) {
  if (!have_viewer() || !have("vncpasswd")) {
    GTEST_SKIP() << "no Xvfb, xtigervncviewer, vncpasswd, xdotool or xwd "
                    "(scripts/install-deps.sh installs them)";
  }
  VirtualXServer x_server;
  const std::string base = ::testing::TempDir() + "/vx86-vnc-pw-" + std::to_string(getpid());
  const std::string good = base + "-good.pw", bad = base + "-bad.pw";
  ASSERT_EQ(std::system(("echo secret12345 | vncpasswd -f > " + good).c_str()), 0);
  ASSERT_EQ(std::system(("echo guess | vncpasswd -f > " + bad).c_str()), 0);
  // What happens, in order: each viewer got in or not, and the monitors' answers.
  auto outcomes = [&](const std::string& emulator) {
    std::vector<std::string> out;
    const std::string sock = base + ".sock";
    const unsigned display = free_vnc_display();
    Process process({emulator, "-S", "-display", "none", "-nodefaults", "-vnc",
                     "127.0.0.1:" + std::to_string(display) + ",password=on", "-qmp",
                     "unix:" + sock + ",server=on,wait=off"});
    QmpClient qmp;
    if (!qmp.connect_unix(sock)) return std::vector<std::string>{"no QMP"};
    qmp.next();
    qmp.execute("qmp_capabilities");
    out.push_back(qmp.execute("query-vnc")["return"]["auth"].get<std::string>());
    auto viewer_gets_in = [&](const std::string& password_file) {
      Process viewer({"xtigervncviewer", "-Shared=1", "-passwd", password_file,
                      "127.0.0.1::" + std::to_string(5900 + display)});
      if (qmp.wait_event("VNC_CONNECTED").is_null()) return std::string("no connection");
      std::this_thread::sleep_for(2s);
      qmp.execute("query-status");  // reads the events that came meanwhile
      const bool in = !qmp.take_events("VNC_INITIALIZED").empty();
      return std::string(in ? "in" : "out");
    };
    out.push_back("before: " + viewer_gets_in(good));
    qmp.wait_event("VNC_DISCONNECTED");
    auto hmp = [&](const std::string& line) {
      std::string reply = qmp.execute("human-monitor-command", {{"command-line", line}})["return"];
      std::erase(reply, '\r');
      return reply;
    };
    out.push_back(hmp("change vnc password secret12"));
    out.push_back(hmp("info vnc").substr(hmp("info vnc").find("Auth:")));
    out.push_back("good: " + viewer_gets_in(good));
    qmp.wait_event("VNC_DISCONNECTED");
    out.push_back("bad: " + viewer_gets_in(bad));
    qmp.wait_event("VNC_DISCONNECTED");
    out.push_back(qmp.execute("set_password", {{"protocol", "rdp"}, {"password", "x"}}).dump());
    out.push_back(qmp.execute("set_password", {{"protocol", "vnc"}, {"password", "other"}}).dump());
    out.push_back("after a new password: " + viewer_gets_in(good));
    qmp.wait_event("VNC_DISCONNECTED");
    // An expired password lets nobody in, even once set again (as in QEMU),
    // until expire_password never.
    qmp.execute("set_password", {{"protocol", "vnc"}, {"password", "secret12"}});
    out.push_back(qmp.execute("expire_password", {{"protocol", "vnc"}, {"time", "now"}}).dump());
    out.push_back("expired: " + viewer_gets_in(good));
    qmp.wait_event("VNC_DISCONNECTED");
    qmp.execute("set_password", {{"protocol", "vnc"}, {"password", "secret12"}});
    out.push_back("set again: " + viewer_gets_in(good));
    qmp.wait_event("VNC_DISCONNECTED");
    qmp.execute("expire_password", {{"protocol", "vnc"}, {"time", "never"}});
    out.push_back("never: " + viewer_gets_in(good));
    qmp.execute("quit");
    process.wait(10s);
    return out;
  };
  const std::vector<std::string> ours = outcomes(VX86_BINARY);
  const std::vector<std::string> expected = {
      "vnc",
      "before: out",
      "",
      "Auth: vnc (Sub: none)\n",
      "good: in",
      "bad: out",
      R"({"error":{"class":"GenericError","desc":"Parameter 'protocol' does not accept value 'rdp'"}})",
      R"({"return":{}})",
      "after a new password: out",
      R"({"return":{}})",
      "expired: out",
      "set again: out",
      "never: in"};
  EXPECT_EQ(ours, expected);
  if (have("qemu-system-x86_64")) {
    EXPECT_EQ(outcomes("qemu-system-x86_64"), ours);
  }
  for (const std::string& f : {good, bad}) std::filesystem::remove(f);
}

}  // namespace
}  // namespace vx86::test
