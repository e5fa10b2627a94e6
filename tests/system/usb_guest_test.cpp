// USB devices as QEMU users add them (-usb with -device usb-tablet,
// usb-mouse, usb-kbd, usb-storage, or libvirt's -device piix3-usb-uhci,id=usb
// and bus=usb.0,port=N) and drive them (QMP input-send-event): the Debian
// guest (workload usb) enumerates them through the UHCI driver, binds usbhid
// and usb-storage, and reads the events from /dev/input. Every device, descriptor, report
// descriptor, input capability and event it reports, and every QMP answer,
// must be the same as under qemu-system-x86_64 with the same options and
// events, hub included (a second device on -usb's two ports goes behind a
// hub that QEMU, and vx86, plug in by themselves), and the monitor's info usb.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

struct UsbRun {
  std::vector<std::string> results;  // the guest's usb-* lines but its events
  std::vector<std::string> events;   // its usb-event lines, device by device
  std::vector<Json> answers;         // input-send-event's answers, in order
  std::string info_usb;              // the monitor's info usb at the end
  std::string serial;
};

Json key(const std::string& name, bool down) {
  return {{"type", "key"},
          {"data", {{"down", down}, {"key", {{"type", "qcode"}, {"data", name}}}}}};
}
// A key by QEMU's number (its XT scan code; 0x80 marks E0-prefixed keys).
Json numbered_key(int code, bool down) {
  return {{"type", "key"},
          {"data", {{"down", down}, {"key", {{"type", "number"}, {"data", code}}}}}};
}
Json button(const std::string& name, bool down) {
  return {{"type", "btn"}, {"data", {{"down", down}, {"button", name}}}};
}
Json axis(const std::string& type, const std::string& name, int value) {
  return {{"type", type}, {"data", {{"axis", name}, {"value", value}}}};
}

// A file for one run (removed if it is there).
std::string temp_file(const std::string& tag, const std::string& what) {
  const std::string path =
      ::testing::TempDir() + "/vx86-usb-" + tag + "-" + std::to_string(getpid()) + "." + what;
  std::filesystem::remove(path);
  return path;
}

// The command that boots the guest to its usb workload (kernel arguments
// `append` added), with usb_options, its console in serial and QMP on sock.
std::vector<std::string> usb_guest_command(std::vector<std::string> emulator,
                                           const std::filesystem::path& guest,
                                           const std::string& append,
                                           const std::vector<std::string>& usb_options,
                                           const std::string& serial, const std::string& sock) {
  for (std::string& arg : debian_guest_boot_options(guest, "usb", serial)) {
    if (arg.rfind("console=", 0) == 0) arg += " " + append;
    emulator.push_back(arg);
  }
  emulator.insert(emulator.end(), usb_options.begin(), usb_options.end());
  emulator.push_back("-qmp");
  emulator.push_back("unix:" + sock + ",server=on,wait=off");
  return emulator;
}

// Boots the guest with the USB options, waits for its input devices (and
// disks), sends each group of events with one input-send-event, and collects
// what the guest saw.
UsbRun run_usb(std::vector<std::string> emulator, const std::filesystem::path& guest,
               const std::vector<std::string>& usb_options, unsigned inputs, unsigned disks,
               const std::vector<Json>& groups, const std::string& tag) {
  const std::string serial = temp_file(tag, "serial"), sock = temp_file(tag, "sock");
  Process process(usb_guest_command(
      std::move(emulator), guest,
      "vx86.usbinputs=" + std::to_string(inputs) + " vx86.usbdisks=" + std::to_string(disks),
      usb_options, serial, sock));
  UsbRun run;
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  auto event_count = [&] { return guest_results(file_text(serial), "usb-event").size(); };
  bool ready = false;
  for (auto deadline = std::chrono::steady_clock::now() + 300s;
       !ready && std::chrono::steady_clock::now() < deadline;) {
    ready = file_text(serial).find("vx86-result: usb-ready") != std::string::npos;
    if (!ready) std::this_thread::sleep_for(200ms);
  }
  if (ready) {
    for (const Json& group : groups) {
      run.answers.push_back(qmp.execute("input-send-event", {{"events", group}}));
      std::this_thread::sleep_for(150ms);  // one report each: the guest polls every 8 ms
    }
    // Until the guest has printed nothing new for 2 s.
    std::size_t seen = event_count();
    for (int quiet = 0; quiet < 10;) {
      std::this_thread::sleep_for(200ms);
      const std::size_t now = event_count();
      quiet = now == seen ? quiet + 1 : 0;
      seen = now;
    }
  }
  run.info_usb = qmp.execute("human-monitor-command", {{"command-line", "info usb"}})["return"];
  std::erase(run.info_usb, '\r');  // QEMU's monitor ends lines with CR LF
  qmp.execute("quit");
  process.wait(30s);
  run.serial = file_text(serial);
  std::filesystem::remove(serial);
  for (const std::string& line : guest_results(run.serial, "usb-")) {
    if (line.rfind("vx86-result: usb-event", 0) != 0) run.results.push_back(line);
  }
  // Each device's events in order (the guest reads the devices in parallel).
  for (const std::string device : {"tablet", "mouse", "keyboard"}) {
    for (const std::string& line : guest_results(run.serial, "usb-event " + device + " ")) {
      run.events.push_back(line);
    }
  }
  return run;
}

struct Configuration {
  std::vector<std::string> options;
  unsigned inputs;
  unsigned disks;
  std::vector<Json> groups;
  std::vector<std::string> expected_events;  // "LABEL TYPE CODE VALUE"
};

// Raw disk images for usb-storage: 4 and 8 MiB.
std::string disk_image(int n) {
  const std::string path = ::testing::TempDir() + "/vx86-usb-disk" + std::to_string(n) + "-" +
                           std::to_string(getpid()) + ".raw";
  if (!std::filesystem::exists(path)) {
    std::ofstream(path, std::ios::binary) << "vx86 usb disk " << n;
    std::filesystem::resize_file(path, (4u << 20) * static_cast<unsigned>(n + 1));
  }
  return path;
}

std::vector<Configuration> configurations() {
  const Json ok = Json::object();
  return {
      // A tablet and a keyboard on -usb's bus: the keyboard goes behind a hub.
      {{"-usb", "-device", "usb-tablet", "-device", "usb-kbd"},
       2,
       0,
       {Json::array({axis("abs", "x", 16384), axis("abs", "y", 100)}),
        Json::array({button("left", true)}), Json::array({button("left", false)}),
        Json::array({button("wheel-up", true), button("wheel-up", false)}),
        Json::array({axis("abs", "x", 32767), button("right", true), button("middle", true)}),
        Json::array({key("shift", true), key("a", true)}),
        Json::array({key("a", false), key("shift", false)}),
        Json::array({key("b", true), key("b", false)}), Json::array({key("caps_lock", true)}),
        Json::array({key("caps_lock", false)}),
        // Relative motion goes to the PS/2 mouse, which the guest does not read.
        Json::array({axis("rel", "x", 5)})},
       {"tablet 3 0 16384", "tablet 3 1 100", "tablet 1 272 1", "tablet 1 272 0", "tablet 2 8 1",
        "tablet 2 11 120", "tablet 1 273 1", "tablet 1 274 1", "tablet 3 0 32767",
        // Caps Lock's LED is the kernel's own doing.
        "keyboard 1 42 1", "keyboard 1 30 1", "keyboard 1 30 0", "keyboard 1 42 0",
        "keyboard 1 48 1", "keyboard 1 48 0", "keyboard 1 58 1", "keyboard 17 1 1",
        "keyboard 1 58 0"}},
      // A mouse: motion beyond one report's reach, the side button, the
      // wheel; an absolute move has no taker (the command fails as a whole).
      {{"-usb", "-device", "usb-mouse"},
       1,
       0,
       {Json::array({axis("rel", "x", 300), axis("rel", "y", -20)}),
        Json::array({button("side", true)}),
        Json::array({button("wheel-down", true), button("wheel-down", false)}),
        Json::array({axis("abs", "x", 100), button("right", true)}),
        Json::array({button("side", false)})},
       {"mouse 2 0 127", "mouse 2 1 -20", "mouse 2 0 127", "mouse 2 0 46", "mouse 1 275 1",
        "mouse 2 8 -1", "mouse 2 11 -120", "mouse 1 275 0"}},
      // libvirt's way: an explicit controller, bus and port.
      {{"-device", "piix3-usb-uhci,id=usb,addr=0x5", "-device", "usb-kbd,bus=usb.0,port=2,id=kbd0"},
       1,
       0,
       {Json::array({key("ctrl", true), key("ret", true)}),
        Json::array({key("ret", false), key("ctrl", false)}),
        // By number: a, right Ctrl and Up (E0-prefixed).
        Json::array({numbered_key(0x1e, true), numbered_key(0x1e, false)}),
        Json::array({numbered_key(0x9d, true), numbered_key(0x9d, false)}),
        Json::array({numbered_key(0xc8, true), numbered_key(0xc8, false)})},
       {"keyboard 1 29 1", "keyboard 1 28 1", "keyboard 1 28 0", "keyboard 1 29 0",
        "keyboard 1 30 1", "keyboard 1 30 0", "keyboard 1 97 1", "keyboard 1 97 0",
        "keyboard 1 103 1", "keyboard 1 103 0"}},
      // Two disks (one removable) and a mouse: the second disk goes behind the hub.
      {{"-usb", "-drive", "file=" + disk_image(0) + ",format=raw,if=none,id=d0", "-drive",
        "file=" + disk_image(1) + ",format=raw,if=none,id=d1,readonly=on", "-device",
        "usb-storage,drive=d0", "-device", "usb-storage,drive=d1,removable=on", "-device",
        "usb-mouse"},
       1,
       2,
       {Json::array({button("left", true)})},
       {"mouse 1 272 1"}},
  };
}

TEST(UsbGuestTest, TheGuestSeesUsbInputDevicesAndTheirEventsAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "usb");
  const std::vector<Configuration> configs = configurations();
  std::vector<UsbRun> ours;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const Configuration& c = configs[i];
    ours.push_back(run_usb({VX86_BINARY}, guest, c.options, c.inputs, c.disks, c.groups,
                           "vx86-" + std::to_string(i)));
    std::vector<std::string> expected;
    for (const std::string& e : c.expected_events)
      expected.push_back("vx86-result: usb-event " + e);
    EXPECT_EQ(ours.back().events, expected) << "configuration " << i << "\n" << ours.back().serial;
    EXPECT_NE(ours.back().results.size(), 0u) << ours.back().serial;
  }
  // What the answers are without QEMU to compare with.
  EXPECT_EQ(ours[1].answers[3], Json::parse(R"({"error": {"class": "GenericError",
                            "desc": "Input handler not found for event type abs"}})"));
  EXPECT_EQ(ours[0].answers[0], Json::parse(R"({"return": {}})"));
  EXPECT_EQ(ours[0].info_usb,
            "  Device 0.2, Port 1, Speed 12 Mb/s, Product QEMU USB Tablet\n"
            "  Device 0.3, Port 2, Speed 12 Mb/s, Product QEMU USB Hub\n"
            "  Device 0.4, Port 2.1, Speed 12 Mb/s, Product QEMU USB Keyboard\n");
  EXPECT_EQ(ours[2].info_usb,
            "  Device 0.2, Port 2, Speed 12 Mb/s, Product QEMU USB Keyboard, ID: kbd0\n");

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const Configuration& c = configs[i];
    const UsbRun qemu = run_usb({"qemu-system-x86_64", "-accel", "tcg"}, guest, c.options, c.inputs,
                                c.disks, c.groups, "qemu-" + std::to_string(i));
    EXPECT_EQ(ours[i].results, qemu.results) << "configuration " << i << "\n" << qemu.serial;
    EXPECT_EQ(ours[i].events, qemu.events) << "configuration " << i;
    EXPECT_EQ(ours[i].answers, qemu.answers) << "configuration " << i;
    EXPECT_EQ(ours[i].info_usb, qemu.info_usb) << "configuration " << i;
  }
}

struct HotplugRun {
  std::vector<std::string> results;  // usb-device, usb-event, usb-gone... lines
  std::vector<Json> answers;
  std::vector<Json> deleted;  // DEVICE_DELETED events
  std::string serial;
};

// Boots with -usb and nothing on it; once the guest's drivers wait, plugs a
// tablet in (device_add), moves it, unplugs it (device_del), and tries the
// commands' refusals.
HotplugRun run_hotplug(std::vector<std::string> emulator, const std::filesystem::path& guest,
                       const std::string& tag) {
  const std::string serial = temp_file("hot-" + tag, "serial");
  const std::string sock = temp_file("hot-" + tag, "sock");
  Process process(
      usb_guest_command(std::move(emulator), guest, "vx86.usbinputs=1", {"-usb"}, serial, sock));
  HotplugRun run;
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  auto wait_for = [&](const std::string& text) {
    for (auto deadline = std::chrono::steady_clock::now() + 120s;
         std::chrono::steady_clock::now() < deadline;) {
      if (file_text(serial).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  };
  auto hmp = [&](const std::string& line) {
    Json answer = qmp.execute("human-monitor-command", {{"command-line", line}});
    if (answer.contains("return")) {
      std::string text = answer["return"];
      std::erase(text, '\r');
      answer["return"] = text;
    }
    return answer;
  };
  if (wait_for("vx86-result: usb-waiting")) {
    // Long enough for Linux to suspend the idle root hub: the connection wakes it.
    std::this_thread::sleep_for(3s);
    run.answers.push_back(qmp.execute("device_add", {{"driver", "usb-tablet"}, {"id", "tab0"}}));
    if (wait_for("vx86-result: usb-ready")) {
      std::this_thread::sleep_for(500ms);
      run.answers.push_back(
          qmp.execute("input-send-event", {{"events", Json::array({axis("abs", "x", 1234)})}}));
      wait_for("usb-event tablet 3 0 1234");
      run.answers.push_back(hmp("info usb"));
      run.answers.push_back(qmp.execute("device_del", {{"id", "tab0"}}));
      wait_for("vx86-result: usb-gone tablet");
      run.answers.push_back(hmp("info usb"));
      run.answers.push_back(qmp.execute("device_del", {{"id", "tab0"}}));
      run.answers.push_back(qmp.execute("device_add", {{"driver", "no-such-device"}}));
      run.answers.push_back(hmp("device_add usb-kbd,id=kbd0"));
      run.answers.push_back(qmp.execute("device_add", {{"driver", "usb-mouse"}, {"id", "kbd0"}}));
    }
  }
  qmp.execute("query-status");  // events sent before its answer are in
  run.deleted = qmp.take_events("DEVICE_DELETED");
  qmp.execute("quit");
  process.wait(30s);
  run.serial = file_text(serial);
  std::filesystem::remove(serial);
  for (const std::string& line : guest_results(run.serial, "usb-")) {
    // The devices and events, not the descriptors (UsbGuestTest has those).
    if (line.find("usb-descriptors") == std::string::npos &&
        line.find("usb-report") == std::string::npos) {
      run.results.push_back(line);
    }
  }
  return run;
}

TEST(UsbGuestTest, DevicesComeAndGoWhileTheGuestRuns) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "usb");
  const HotplugRun ours = run_hotplug({VX86_BINARY}, guest, "vx86");
  ASSERT_EQ(ours.answers.size(), 9u) << ours.serial;
  EXPECT_EQ(ours.answers[0], Json::parse(R"({"return": {}})"));
  EXPECT_EQ(ours.answers[2]["return"],
            "  Device 0.2, Port 1, Speed 12 Mb/s, Product QEMU USB Tablet, ID: tab0\n");
  EXPECT_EQ(ours.answers[3], Json::parse(R"({"return": {}})"));
  EXPECT_EQ(ours.answers[4]["return"], "");
  EXPECT_EQ(ours.answers[5]["error"]["desc"], "Device 'tab0' not found");
  EXPECT_EQ(ours.answers[6]["error"]["desc"], "'no-such-device' is not a valid device model name");
  ASSERT_EQ(ours.deleted.size(), 1u);
  EXPECT_EQ(ours.deleted[0]["data"]["device"], "tab0");
  EXPECT_EQ(ours.deleted[0]["data"]["path"], "/machine/peripheral/tab0");
  const std::vector<std::string> events = {"vx86-result: usb-event tablet 3 0 1234",
                                           "vx86-result: usb-gone tablet"};
  EXPECT_EQ(std::vector<std::string>(ours.results.end() - 2, ours.results.end()), events)
      << ours.serial;

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const HotplugRun qemu = run_hotplug({"qemu-system-x86_64", "-accel", "tcg"}, guest, "qemu");
  EXPECT_EQ(ours.results, qemu.results) << qemu.serial;
  EXPECT_EQ(ours.answers, qemu.answers);
  ASSERT_EQ(qemu.deleted.size(), ours.deleted.size());
  EXPECT_EQ(ours.deleted[0]["data"], qemu.deleted[0]["data"]);
}

}  // namespace
}  // namespace vx86::test
