// QMP as a client meets it: the vx86 program with -qmp (or -mon
// mode=control) on a real socket. The same conversation goes to
// qemu-system-x86_64 side by side, and the answers must agree (keys, error
// classes and texts); then the machine's life cycle and its events.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/qmp_client.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

std::string socket_path(const std::string& what) {
  return ::testing::TempDir() + "/vx86-qmp-" + what + "-" + std::to_string(getpid()) + ".sock";
}

std::set<std::string> keys(const Json& j) {
  std::set<std::string> k;
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) k.insert(key);
  }
  return k;
}

bool have_qemu() {
  return std::system("qemu-system-x86_64 --version >/dev/null 2>&1") == 0;
}

// Requests whose answers vx86 and QEMU must agree on, in order.
const char* const kConversation[] = {
    R"({"execute": "query-status"})",
    R"({"execute": "qmp_capabilities", "id": 1})",
    R"({"execute": "qmp_capabilities"})",
    R"({"execute": "query-status", "id": "a"})",
    R"({"execute": "query-version"})",
    R"({"execute": "query-name"})",
    R"({"execute": "query-kvm"})",
    R"({"execute": "query-target"})",
    R"({"execute": "nonesuch"})",
    R"({"execute": "stop", "arguments": {"x": 1}})",
    R"({"execute": "human-monitor-command"})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": 5}})",
    R"([1, 2])",
    R"({"foo": 1})",
    R"({"execute": 1})",
    R"({"execute": "query-status", "arguments": []})",
    R"({"execute": "query-status" bad})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": "info status"}})",
    R"({"execute": "set_link", "arguments": {"name": "nonesuch", "up": false}})",
    R"({"execute": "set_link", "arguments": {"name": "nonesuch"}})",
    R"({"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "nosuchkey"}]}})",
    R"({"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "a"}],
                                             "hold-time": 20}})",
    R"({"execute": "send-key", "arguments": {"keys": []}})",
    R"({"execute": "send-key"})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": "sendkey ctrl-nosuchkey"}})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": "sendkey a 0"}})",
    // The default machine's empty CD-ROM drive, ide1-cd0.
    R"({"execute": "eject", "arguments": {"device": "nonesuch"}})",
    R"({"execute": "eject"})",
    R"({"execute": "eject", "arguments": {"device": "ide1-cd0", "id": "x"}})",
    R"({"execute": "blockdev-change-medium", "arguments": {"id": "nonesuch", "filename": "/x"}})",
    R"({"execute": "blockdev-change-medium", "arguments": {"device": "ide1-cd0",
                                                           "filename": "/nonexistent/x.iso"}})",
    R"({"execute": "blockdev-change-medium", "arguments": {"device": "ide1-cd0", "filename": "/x",
                                                           "format": "nosuchformat"}})",
    R"({"execute": "eject", "arguments": {"device": "ide1-cd0"}})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": "eject nonesuch"}})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": "info block ide1-cd0"}})",
    // Input events: the default machine has the PS/2 keyboard and mouse only.
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "key", "data": {"down": true, "key": {"type": "qcode", "data": "a"}}},
        {"type": "key", "data": {"down": false, "key": {"type": "qcode", "data": "a"}}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "rel", "data": {"axis": "x", "value": 10}},
        {"type": "btn", "data": {"down": true, "button": "left"}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "abs", "data": {"axis": "x", "value": 10}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "btn", "data": {"down": true, "button": "thumb"}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "key", "data": {"down": true, "key": {"type": "qcode", "data": "nosuchkey"}}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "rel", "data": {"axis": "z", "value": 1}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "rel", "data": {"axis": "x"}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [
        {"type": "rel", "data": {"axis": "x", "value": "far"}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [{"type": "touch", "data": {}}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [{"type": "key"}]}})",
    R"({"execute": "input-send-event", "arguments": {"events": [5]}})",
    R"({"execute": "input-send-event", "arguments": {"events": 5}})",
    R"({"execute": "input-send-event"})",
    // Keys by QEMU's numbers (appended: the checks above count on the indices).
    R"({"execute": "send-key", "arguments": {"keys": [{"type": "number", "data": 30},
                                                      {"type": "number", "data": 200}]}})",
    R"({"execute": "human-monitor-command", "arguments": {"command-line": "sendkey 0x1e"}})",
    // Chardevs added and removed as libvirt hot-plugs channels.
    R"({"execute": "chardev-add", "arguments": {"id": "serial0",
                                                "backend": {"type": "null", "data": {}}}})",
    R"({"execute": "chardev-add", "arguments": {"id": "c1",
                                                "backend": {"type": "bogus", "data": {}}}})",
    R"({"execute": "chardev-add", "arguments": {"id": "c1", "backend": {"type": "socket",
        "data": {"addr": {"type": "fd", "data": {"str": "nofd"}}}}}})",
    R"({"execute": "chardev-add", "arguments": {"id": "c1", "backend": {"type": "file",
        "data": {"out": "/nonexistent/x"}}}})",
    R"({"execute": "chardev-add", "arguments": {"id": "c1"}})",
    R"({"execute": "chardev-add", "arguments": {"id": "c2",
                                                "backend": {"type": "pty", "data": {}}}})",
    R"({"execute": "chardev-add", "arguments": {"id": "c3",
                                                "backend": {"type": "null", "data": {}}}})",
    R"({"execute": "chardev-remove", "arguments": {"id": "serial0"}})",
    R"({"execute": "chardev-remove", "arguments": {"id": "nonesuch"}})",
    R"({"execute": "chardev-remove", "arguments": {"id": "c2"}})",
    R"({"execute": "chardev-remove", "arguments": {"id": "c3"}})",
    R"({"execute": "chardev-remove", "arguments": {"id": "c3"}})",
    // getfd without an fd passed along, closefd of a name never given.
    R"({"execute": "getfd", "arguments": {"fdname": "fd0"}})",
    R"({"execute": "closefd", "arguments": {"fdname": "fd0"}})",
    // The backends libvirt adds before device_add and removes after device_del.
    R"({"execute": "netdev_add", "arguments": {"type": "user", "id": "n1"}})",
    R"({"execute": "netdev_add", "arguments": {"type": "user", "id": "n1"}})",
    R"({"execute": "netdev_add", "arguments": {"type": "foo", "id": "n2"}})",
    R"({"execute": "netdev_add", "arguments": {"type": "user"}})",
    R"({"execute": "netdev_add", "arguments": {"type": "user", "id": "n4", "bogus": 1}})",
    R"({"execute": "netdev_add", "arguments": {"type": "tap", "id": "t1", "fd": "nosuch"}})",
    R"({"execute": "netdev_del", "arguments": {"id": "n1"}})",
    R"({"execute": "netdev_del", "arguments": {"id": "n1"}})",
    R"({"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "f1",
                                                 "filename": "/nonexistent/x"}})",
    R"({"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "f5"}})",
    R"({"execute": "blockdev-add", "arguments": {"driver": "qcow2", "file": "f1"}})",
    R"({"execute": "blockdev-add", "arguments": {"driver": "raw", "file": "f9",
                                                 "node-name": "q6"}})",
    R"({"execute": "blockdev-del", "arguments": {"node-name": "nosuch"}})",
};

struct Transcript {
  Json greeting;
  std::vector<Json> answers;
};

Transcript converse(QmpClient& client) {
  Transcript t;
  t.greeting = client.next();
  for (const char* request : kConversation) t.answers.push_back(client.request(request));
  client.execute("quit");
  return t;
}

TEST(QmpSystemTest, ConversationAgreesWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "no qemu-system-x86_64 to compare with";
  const std::string bios = std::string(VX86_GUEST_DIR) + "/hello.bin";
  const std::string vx86_sock = socket_path("vx86"), qemu_sock = socket_path("qemu");
  std::filesystem::remove(vx86_sock);
  std::filesystem::remove(qemu_sock);
  Process vx86({VX86_BINARY, "-display", "none", "-S", "-bios", bios, "-serial", "null", "-qmp",
                "unix:" + vx86_sock + ",server=on,wait=off"});
  Process qemu({"qemu-system-x86_64", "-display", "none", "-S", "-machine", "pc", "-m", "64",
                "-serial", "null", "-qmp", "unix:" + qemu_sock + ",server=on,wait=off"});
  QmpClient to_vx86, to_qemu;
  ASSERT_TRUE(to_vx86.connect_unix(vx86_sock));
  ASSERT_TRUE(to_qemu.connect_unix(qemu_sock));
  Transcript ours = converse(to_vx86), theirs = converse(to_qemu);

  EXPECT_EQ(keys(ours.greeting["QMP"]), keys(theirs.greeting["QMP"]));
  EXPECT_EQ(keys(ours.greeting["QMP"]["version"]), keys(theirs.greeting["QMP"]["version"]));
  EXPECT_EQ(keys(ours.greeting["QMP"]["version"]["qemu"]),
            keys(theirs.greeting["QMP"]["version"]["qemu"]));
  ASSERT_EQ(ours.answers.size(), theirs.answers.size());
  for (std::size_t i = 0; i < ours.answers.size(); ++i) {
    const Json& a = ours.answers[i];
    const Json& b = theirs.answers[i];
    SCOPED_TRACE(std::string(kConversation[i]) + "\n  vx86: " + a.dump() + "\n  qemu: " + b.dump());
    EXPECT_EQ(keys(a), keys(b));
    if (b.contains("error")) {
      EXPECT_EQ(a["error"]["class"], b["error"]["class"]);
      const std::string desc = b["error"]["desc"];
      if (desc.rfind("JSON parse error", 0) == 0) {
        EXPECT_EQ(a["error"]["desc"].get<std::string>().rfind("JSON parse error, ", 0), 0u);
      } else {
        EXPECT_EQ(a["error"]["desc"], b["error"]["desc"]);
      }
    } else if (b["return"].is_object()) {
      EXPECT_EQ(keys(a["return"]), keys(b["return"]));
    } else {
      EXPECT_EQ(a["return"].type(), b["return"].type());
    }
    if (b.contains("id")) {
      EXPECT_EQ(a["id"], b["id"]);
    }
  }
  // Values that must be equal too.
  EXPECT_EQ(ours.answers[3]["return"]["status"], theirs.answers[3]["return"]["status"]);
  EXPECT_EQ(ours.answers[7], theirs.answers[7]);  // query-target
  auto without_cr = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    return s;
  };
  EXPECT_EQ(without_cr(ours.answers[17]["return"]), without_cr(theirs.answers[17]["return"]));
  // eject nonesuch, and the ejected CD-ROM drive's info block but for the
  // name of the device holding it.
  EXPECT_EQ(without_cr(ours.answers[33]["return"]), without_cr(theirs.answers[33]["return"]));
  auto without_attached = [&](const Json& answer) {
    std::string s = without_cr(answer["return"]);
    const auto at = s.find("    Attached to:");
    if (at != std::string::npos) s.erase(at, s.find('\n', at) + 1 - at);
    return s;
  };
  EXPECT_EQ(without_attached(ours.answers[34]), without_attached(theirs.answers[34]));
  EXPECT_EQ(without_attached(ours.answers[34]),
            "ide1-cd0: [not inserted]\n    Removable device: not locked, tray open\n");
  EXPECT_EQ(vx86.wait(10s), 0);
  EXPECT_EQ(qemu.wait(10s), 0);
}

// Starts `argv` paused with QMP on `sock`, asks QMP `command` and the human
// monitor's `info` (carriage returns dropped), and quits it.
std::pair<Json, std::string> query_and_info(std::vector<std::string> argv, const std::string& sock,
                                            const std::string& command, const std::string& info) {
  argv.insert(argv.end(),
              {"-display", "none", "-S", "-qmp", "unix:" + sock + ",server=on,wait=off"});
  Process emulator(argv);
  QmpClient qmp;
  std::pair<Json, std::string> out;
  if (!qmp.connect_unix(sock)) return out;
  qmp.next();
  qmp.execute("qmp_capabilities");
  out.first = qmp.execute(command)["return"];
  out.second = qmp.execute("human-monitor-command", {{"command-line", info}})["return"];
  out.second.erase(std::remove(out.second.begin(), out.second.end(), '\r'), out.second.end());
  qmp.execute("quit");
  emulator.wait(10s);
  return out;
}

// query-chardev and info chardev: the same chardevs under QEMU's labels
// (serialN, compat_monitorN, a mux and its ID-base), described in QEMU's
// words. QEMU lists them in its hash order, so both lists are sorted; the
// pty's number differs from run to run.
TEST(QmpSystemTest, QueryChardevAgreesWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string dir = ::testing::TempDir() + "/vx86-chardev-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto chardevs_of = [&](std::vector<std::string> argv, const std::string& sock) {
    std::filesystem::remove(dir + "/s0.sock");
    argv.insert(argv.end(), {"-nodefaults", "-serial", "file:" + dir + "/serial", "-serial", "pty",
                             "-serial", "mon:stdio", "-chardev", "null,id=nul0", "-chardev",
                             "socket,id=s0,path=" + dir + "/s0.sock,server=on,wait=off",
                             // A virtserialport is open once a guest program opens it; a
                             // virtconsole always.
                             "-device", "virtio-serial-pci", "-chardev", "null,id=port0", "-device",
                             "virtserialport,chardev=port0", "-chardev", "null,id=console0",
                             "-device", "virtconsole,chardev=console0"});
    auto [query, info] = query_and_info(std::move(argv), sock, "query-chardev", "info chardev");
    std::vector<std::string> lines;
    for (Json entry : query) {
      std::string filename = entry["filename"];
      if (filename.rfind("pty:", 0) == 0) entry["filename"] = "pty:PATH";
      lines.push_back(entry.dump());
    }
    std::istringstream text(info);
    for (std::string line; std::getline(text, line);) {
      if (const std::size_t at = line.find("pty:/dev/"); at != std::string::npos) {
        line = line.substr(0, at) + "pty:PATH";
      }
      lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  // One QMP socket path for both (it is in the answers); the runs take turns.
  const auto ours = chardevs_of({VX86_BINARY, "-bios", bios}, socket_path("chardev"));
  const auto theirs = chardevs_of({"qemu-system-x86_64"}, socket_path("chardev"));
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(ours.size(), 18u);  // 9 chardevs, each in both lists
  std::filesystem::remove_all(dir);
}

// info usb and query-pci's USB function for the ways QEMU users spell USB
// devices: -usbdevice, -usb with -device (explicit ports, a hub given by
// hand, the hub plugged in by itself) and libvirt's controller with an id;
// the guest has not run, so every device still has address 0.
TEST(QmpSystemTest, UsbDevicesAgreeWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  const std::vector<std::vector<std::string>> configurations = {
      {"-usbdevice", "tablet", "-usbdevice", "keyboard"},
      {"-usb", "-device", "usb-hub,port=2", "-device", "usb-mouse,port=2.4,id=m0", "-device",
       "usb-kbd"},
      {"-usb", "-device", "usb-tablet", "-device", "usb-mouse", "-device", "usb-kbd"},
      {"-machine", "usb=on", "-device", "piix3-usb-uhci,id=usb1,addr=0x6", "-device",
       "usb-kbd,bus=usb1.0", "-device", "usb-tablet,bus=usb-bus.0"},
      {},
  };
  for (const auto& options : configurations) {
    std::vector<std::string> ours_argv = {VX86_BINARY, "-bios", bios, "-nic", "none"};
    std::vector<std::string> qemu_argv = {"qemu-system-x86_64", "-nic", "none"};
    ours_argv.insert(ours_argv.end(), options.begin(), options.end());
    qemu_argv.insert(qemu_argv.end(), options.begin(), options.end());
    auto usb_functions = [](const Json& pci) {
      std::vector<Json> found;
      for (const Json& bus : pci) {
        for (const Json& device : bus["devices"]) {
          if (device["class_info"]["class"] == 0x0c03) {
            found.push_back({device["slot"], device["function"], device["id"]});
          }
        }
      }
      return found;
    };
    const auto ours = query_and_info(ours_argv, socket_path("usb"), "query-pci", "info usb");
    const auto theirs = query_and_info(qemu_argv, socket_path("usb"), "query-pci", "info usb");
    std::string where;
    for (const std::string& o : options) where += o + " ";
    EXPECT_EQ(ours.second, theirs.second) << where;
    EXPECT_EQ(usb_functions(ours.first), usb_functions(theirs.first)) << where;
  }
}

// A device_add that is refused (no such bus, a port in use) leaves its drive
// free for the next one, as under QEMU.
TEST(QmpSystemTest, RefusedDeviceAddLeavesTheDriveFree) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  const std::string disk = ::testing::TempDir() + "/vx86-devadd-" + std::to_string(getpid());
  std::ofstream(disk) << std::string(1 << 20, '\0');
  auto run = [&](std::vector<std::string> argv) {
    for (const std::string& arg :
         {std::string("-display"), std::string("none"), std::string("-S"), std::string("-nic"),
          std::string("none"), std::string("-usb"), std::string("-drive"),
          "file=" + disk + ",format=raw,if=none,id=d0", std::string("-qmp")}) {
      argv.push_back(arg);
    }
    const std::string sock = socket_path("devadd");
    argv.push_back("unix:" + sock + ",server=on,wait=off");
    Process emulator(argv);
    QmpClient qmp;
    std::vector<std::string> out;
    if (!qmp.connect_unix(sock)) return out;
    qmp.next();
    qmp.execute("qmp_capabilities");
    for (const Json& args : {Json{{"driver", "usb-storage"}, {"drive", "d0"}, {"bus", "nosuch.0"}},
                             Json{{"driver", "usb-storage"}, {"drive", "d0"}, {"port", "9"}},
                             Json{{"driver", "usb-storage"}, {"drive", "d0"}, {"id", "stick"}}}) {
      out.push_back(qmp.execute("device_add", args).contains("error") ? "error" : "ok");
    }
    std::string info =
        qmp.execute("human-monitor-command", {{"command-line", "info usb"}})["return"];
    std::erase(info, '\r');
    out.push_back(info);
    qmp.execute("quit");
    emulator.wait(10s);
    return out;
  };
  const std::vector<std::string> ours = run({VX86_BINARY, "-bios", bios});
  EXPECT_EQ(ours, (std::vector<std::string>{
                      "error", "error", "ok",
                      "  Device 0.0, Port 1, Speed 12 Mb/s, Product QEMU USB MSD, ID: stick\n"}));
  EXPECT_EQ(ours, run({"qemu-system-x86_64"}));
  std::filesystem::remove(disk);
}

// query-mice, info mice and mouse_set as QEMU numbers and orders the mice:
// the PS/2 mouse current until a USB pointer is used (the guest has not run)
// or chosen by hand.
TEST(QmpSystemTest, MiceAgreeWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto run = [&](std::vector<std::string> argv) {
    for (const char* arg : {"-display", "none", "-S", "-nic", "none", "-usb", "-device",
                            "usb-tablet", "-device", "usb-mouse", "-device", "usb-kbd", "-qmp"}) {
      argv.push_back(arg);
    }
    const std::string sock = socket_path("mice");
    argv.push_back("unix:" + sock + ",server=on,wait=off");
    Process emulator(argv);
    QmpClient qmp;
    std::vector<Json> out;
    if (!qmp.connect_unix(sock)) return out;
    qmp.next();
    qmp.execute("qmp_capabilities");
    out.push_back(qmp.execute("query-mice"));
    for (const char* line :
         {"info mice", "mouse_set 3", "info mice", "mouse_set 9", "mouse_set 1",
          "mouse_move 10 -5 1", "mouse_button 3", "mouse_button 0", "mouse_set 2", "info mice"}) {
      Json answer = qmp.execute("human-monitor-command", {{"command-line", line}});
      std::string text = answer.value("return", "");
      std::erase(text, '\r');
      out.push_back(text);
    }
    out.push_back(qmp.execute("query-mice"));
    qmp.execute("quit");
    emulator.wait(10s);
    return out;
  };
  const std::vector<Json> ours = run({VX86_BINARY, "-bios", bios});
  const std::vector<Json> theirs = run({"qemu-system-x86_64"});
  ASSERT_EQ(ours.size(), 12u);
  EXPECT_EQ(ours[1],
            "  Mouse #4: QEMU HID Mouse\n  Mouse #3: QEMU HID Tablet (absolute)\n"
            "* Mouse #2: QEMU PS/2 Mouse\n");
  EXPECT_EQ(ours, theirs);
}

// query-pci and info pci: the host bridge, the ISA bridge and the PIIX4's
// power-management function, which both machines have, must be described
// alike (QEMU also has an IDE function vx86 lacks with -nodefaults); vx86's
// VGA and NIC are listed as QEMU lists its own.
TEST(QmpSystemTest, QueryPciAgreesWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto pci_of = [](std::vector<std::string> argv, const std::string& sock) {
    return query_and_info(std::move(argv), sock, "query-pci", "info pci");
  };
  auto [ours, ours_text] =
      pci_of({VX86_BINARY, "-bios", bios, "-nodefaults"}, socket_path("pci-vx86"));
  auto [theirs, theirs_text] =
      pci_of({"qemu-system-x86_64", "-nodefaults"}, socket_path("pci-qemu"));
  ASSERT_EQ(ours.size(), 1u);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(keys(ours[0]), keys(theirs[0]));
  // The host bridge, the ISA bridge and the PIIX4 power-management function
  // (QEMU also has the IDE function at 01.1, which vx86 makes only for a drive).
  auto function = [](const Json& bus, int slot, int fn) {
    for (const Json& d : bus["devices"]) {
      if (d["slot"] == slot && d["function"] == fn) return d;
    }
    return Json();
  };
  for (const auto& [slot, fn] : {std::pair{0, 0}, std::pair{1, 0}, std::pair{1, 3}}) {
    const Json a = function(ours[0], slot, fn);
    const Json b = function(theirs[0], slot, fn);
    SCOPED_TRACE("vx86: " + a.dump() + "\nqemu: " + b.dump());
    EXPECT_EQ(keys(a), keys(b));
    for (const char* key : {"bus", "slot", "function", "class_info", "id", "irq_pin", "regions"}) {
      EXPECT_EQ(a[key], b[key]) << key;
    }
  }
  // The text of the first two functions (each 4 lines) is QEMU's.
  auto first_lines = [](const std::string& text, int n) {
    size_t at = 0;
    for (int i = 0; i < n && at != std::string::npos; ++i) at = text.find('\n', at + 1);
    return text.substr(0, at);
  };
  EXPECT_EQ(first_lines(ours_text, 8), first_lines(theirs_text, 8));

  // A default machine: the IDE function at 00:01.1 (for the default CD-ROM
  // drive) and the VGA at 00:02.0 as under QEMU, then the NIC.
  auto [machine, text] = pci_of({VX86_BINARY, "-bios", bios, "-serial", "null", "-netdev",
                                 "user,id=n0", "-device", "virtio-net-pci,netdev=n0,id=nic0"},
                                socket_path("pci-default"));
  ASSERT_EQ(machine[0]["devices"].size(), 6u) << text;
  EXPECT_EQ(machine[0]["devices"][2]["class_info"]["desc"], "IDE controller");
  EXPECT_EQ(machine[0]["devices"][2]["function"], 1);
  EXPECT_EQ(machine[0]["devices"][3]["class_info"]["desc"], "Bridge");
  EXPECT_EQ(machine[0]["devices"][3]["function"], 3);
  EXPECT_EQ(machine[0]["devices"][3]["irq"], 9) << "the SCI, as SeaBIOS sets it";
  EXPECT_EQ(machine[0]["devices"][4]["class_info"]["desc"], "VGA controller");
  EXPECT_EQ(machine[0]["devices"][4]["regions"][0]["size"], 16 << 20);
  EXPECT_EQ(machine[0]["devices"][5]["class_info"]["desc"], "Ethernet controller");
  EXPECT_EQ(machine[0]["devices"][5]["qdev_id"], "nic0");
  EXPECT_NE(text.find("  Bus  0, device   2, function 0:\n    VGA controller: PCI device "
                      "1234:1111\n      PCI subsystem 1af4:1100\n      BAR0: 32 bit memory at "
                      "0xffffffffffffffff [0x00fffffe].\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Ethernet controller: PCI device 1af4:1000\n      PCI subsystem 1af4:0001\n"
                      "      IRQ 11, pin A\n"),
            std::string::npos)
      << text;
}

// The q35's functions through query-pci and info pci, as under QEMU's q35:
// the MCH, the LPC bridge, the AHCI and the SMBus controllers with their
// IDs, classes, pins and BARs.
TEST(QmpSystemTest, QueryPciOnTheQ35AgreesWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto [ours, ours_text] = query_and_info({VX86_BINARY, "-bios", bios, "-nodefaults", "-M", "q35"},
                                          socket_path("pci-q35-vx86"), "query-pci", "info pci");
  auto [theirs, theirs_text] = query_and_info({"qemu-system-x86_64", "-nodefaults", "-M", "q35"},
                                              socket_path("pci-q35-qemu"), "query-pci", "info pci");
  ASSERT_EQ(ours.size(), 1u);
  ASSERT_EQ(theirs.size(), 1u);
  ASSERT_EQ(ours[0]["devices"].size(), theirs[0]["devices"].size()) << ours_text << theirs_text;
  for (std::size_t i = 0; i < ours[0]["devices"].size(); ++i) {
    const Json& a = ours[0]["devices"][i];
    const Json& b = theirs[0]["devices"][i];
    SCOPED_TRACE("vx86: " + a.dump() + "\nqemu: " + b.dump());
    for (const char* key : {"bus", "slot", "function", "class_info", "id", "irq_pin", "regions"}) {
      EXPECT_EQ(a[key], b[key]) << key;
    }
  }
  // vx86 routes the PCI interrupts at reset as SeaBIOS would (it boots
  // kernels without firmware), so the interrupt line is set before any runs.
  auto without_irq_lines = [](std::string text) {
    return std::regex_replace(text, std::regex("IRQ [0-9]+, pin"), "IRQ _, pin");
  };
  EXPECT_EQ(without_irq_lines(ours_text), without_irq_lines(theirs_text));
  EXPECT_NE(ours_text.find("IRQ 10, pin A"), std::string::npos) << ours_text;
}

// Root ports and a function behind one, after SeaBIOS numbered the buses
// and opened the windows: query-pci (the bridges' bus numbers and ranges,
// the function nested under its port) and info pci (the function listed
// after its port) must be QEMU's, addresses and IRQs included, and so must
// the refusal of hot-plug into pcie.0 (the q35 has it in its root ports).
TEST(QmpSystemTest, QueryPciBehindRootPortsAgreesWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  auto pci_of = [](std::vector<std::string> argv, const std::string& sock) {
    argv.insert(argv.end(),
                {"-nodefaults", "-M", "q35", "-display", "none", "-device",
                 "pcie-root-port,port=16,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x2",
                 "-device", "pcie-root-port,port=17,chassis=2,id=pci.2,bus=pcie.0,addr=0x2.0x1",
                 "-device", "virtio-rng-pci,bus=pci.2,addr=0x0,id=rng0", "-qmp",
                 "unix:" + sock + ",server=on,wait=off"});
    Process emulator(argv);
    QmpClient qmp;
    std::pair<Json, std::string> out;
    if (!qmp.connect_unix(sock)) return out;
    qmp.next();
    qmp.execute("qmp_capabilities");
    // SeaBIOS has numbered the buses once the second port has a bus behind it.
    for (int i = 0; i < 200; ++i) {
      out.first = qmp.execute("query-pci")["return"];
      bool numbered = false;
      for (const Json& dev : out.first[0]["devices"]) {
        if (dev.contains("pci_bridge") && dev["pci_bridge"]["bus"]["secondary"] == 2) {
          numbered = true;
        }
      }
      if (numbered) break;
      std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(500ms);  // and has finished with them
    out.first = qmp.execute("query-pci")["return"];
    out.second = qmp.execute("human-monitor-command", {{"command-line", "info pci"}})["return"];
    out.second.erase(std::remove(out.second.begin(), out.second.end(), '\r'), out.second.end());
    const Json refused =
        qmp.execute("device_add", {{"driver", "virtio-rng-pci"}, {"bus", "pcie.0"}});
    out.second += "device_add: " + refused.dump() + "\n";
    qmp.execute("quit");
    emulator.wait(10s);
    return out;
  };
  auto [ours, ours_text] = pci_of({VX86_BINARY}, socket_path("pci-ports-vx86"));
  auto [theirs, theirs_text] = pci_of({"qemu-system-x86_64"}, socket_path("pci-ports-qemu"));
  EXPECT_NE(ours_text.find("  Bus  2, device   0, function 0:\n"
                           "    Class 0255: PCI device 1af4:1044\n"),
            std::string::npos)
      << ours_text;
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(ours_text, theirs_text);
  EXPECT_NE(ours_text.find("Bus 'pcie.0' does not support hotplugging"), std::string::npos)
      << ours_text;
}

// query-block and info block for the same drives as under QEMU: every
// member vx86 gives must be QEMU's, with QEMU's value (QEMU gives more: node
// names, qcow2 details), and the text must match but for QEMU's node names.
TEST(QmpSystemTest, QueryBlockAgreesWithQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  const std::string dir = ::testing::TempDir() + "/vx86-block-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string raw = dir + "/d0.img", qcow2 = dir + "/d1.qcow2";
  ASSERT_EQ(std::system(("qemu-img create -q -f raw " + raw +
                         " 8M && qemu-img create -q -f qcow2 " + qcow2 + " 16M")
                            .c_str()),
            0);
  const std::vector<std::string> drives = {
      "-drive", "file=" + raw + ",format=raw,if=none,id=d0,cache=none", "-drive",
      "file=" + qcow2 + ",format=qcow2,if=none,id=d1,readonly=on,cache=unsafe"};
  auto block_of = [&](std::vector<std::string> argv, const std::string& sock) {
    argv.insert(argv.end(), drives.begin(), drives.end());
    argv.push_back("-nodefaults");
    auto out = query_and_info(std::move(argv), sock, "query-block", "info block");
    // QEMU's node names: "d0 (#block107): ..." -> "d0: ..."
    for (size_t at; (at = out.second.find(" (#block")) != std::string::npos;) {
      out.second.erase(at, out.second.find(')', at) + 1 - at);
    }
    return out;
  };
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  auto [ours, ours_text] = block_of({VX86_BINARY, "-bios", bios}, socket_path("block-vx86"));
  auto [theirs, theirs_text] = block_of({"qemu-system-x86_64"}, socket_path("block-qemu"));
  EXPECT_EQ(ours_text, theirs_text);
  ASSERT_EQ(ours.size(), 2u);
  ASSERT_EQ(theirs.size(), 2u);
  // Each member of ours, recursively, is in theirs with the same value.
  std::function<void(const Json&, const Json&, const std::string&)> within =
      [&](const Json& a, const Json& b, const std::string& path) {
        for (const auto& [key, value] : a.items()) {
          ASSERT_TRUE(b.contains(key)) << path + "." + key << " is not QEMU's";
          if (value.is_object()) {
            within(value, b[key], path + "." + key);
          } else {
            EXPECT_EQ(value, b[key]) << path + "." + key;
          }
        }
      };
  for (size_t i = 0; i < 2; ++i) within(ours[i], theirs[i], "[" + std::to_string(i) + "]");
  std::filesystem::remove_all(dir);
}

// -S, then cont, stop, a look at the registers, reset and quit, each with
// its event, as a management tool drives QEMU.
TEST(QmpSystemTest, LifeCycleWithEvents) {
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  const std::string sock = socket_path("life");
  std::filesystem::remove(sock);
  Process vx86({VX86_BINARY, "-display", "none", "-S", "-bios", bios, "-serial", "null", "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  ASSERT_EQ(qmp.execute("qmp_capabilities"), Json::parse(R"({"return": {}})"));
  EXPECT_EQ(qmp.execute("query-status")["return"]["status"], "prelaunch");

  EXPECT_EQ(qmp.execute("cont"), Json::parse(R"({"return": {}})"));
  EXPECT_FALSE(qmp.wait_event("RESUME").is_null());
  EXPECT_EQ(qmp.execute("query-status")["return"],
            Json::parse(R"({"status": "running", "singlestep": false, "running": true})"));

  EXPECT_EQ(qmp.execute("stop"), Json::parse(R"({"return": {}})"));
  EXPECT_FALSE(qmp.wait_event("STOP").is_null());
  EXPECT_EQ(qmp.execute("query-status")["return"]["status"], "paused");
  Json regs = qmp.execute("human-monitor-command", {{"command-line", "info registers"}});
  // QEMU's layout: the CPU's number, then EIP= (RIP= in 64-bit code).
  EXPECT_EQ(regs["return"].get<std::string>().rfind("\nCPU#0\n", 0), 0u) << regs;
  EXPECT_NE(regs["return"].get<std::string>().find("IP="), std::string::npos) << regs;
  // The machine's memory map, bus masters' view with its MSI window included.
  const std::string mtree =
      qmp.execute("human-monitor-command", {{"command-line", "info mtree"}})["return"];
  EXPECT_NE(mtree.find("address-space: pci-dma"), std::string::npos) << mtree;
  EXPECT_NE(mtree.find("00000000fee00000-00000000feefffff (prio 1, i/o): msi"), std::string::npos)
      << mtree;

  EXPECT_EQ(qmp.execute("system_reset"), Json::parse(R"({"return": {}})"));
  Json reset = qmp.wait_event("RESET");
  EXPECT_EQ(reset["data"], Json::parse(R"({"guest": false, "reason": "host-qmp-system-reset"})"));

  EXPECT_EQ(qmp.execute("quit"), Json::parse(R"({"return": {}})"));
  Json shutdown = qmp.wait_event("SHUTDOWN");
  EXPECT_EQ(shutdown["data"], Json::parse(R"({"guest": false, "reason": "host-qmp-quit"})"));
  EXPECT_EQ(vx86.wait(10s), 0);
}

// QEMU's other spelling: a -chardev socket on TCP and -mon mode=control.
TEST(QmpSystemTest, MonModeControlOnTcp) {
  const std::string bios = std::string(VX86_GUEST_DIR) + "/spin.bin";
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  close(probe);
  Process vx86(
      {VX86_BINARY, "-display", "none", "-bios", bios, "-serial", "null", "-name", "guest=qmp-test",
       "-chardev",
       "socket,id=qmp0,host=127.0.0.1,port=" + std::to_string(port) + ",server=on,wait=off", "-mon",
       "chardev=qmp0,mode=control"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_tcp(port));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  ASSERT_EQ(qmp.execute("qmp_capabilities"), Json::parse(R"({"return": {}})"));
  EXPECT_EQ(qmp.execute("query-status")["return"]["status"], "running");
  EXPECT_EQ(qmp.execute("query-name")["return"], Json::parse(R"({"name": "qmp-test"})"));
  qmp.execute("quit");
  EXPECT_EQ(vx86.wait(10s), 0);
}

// system_powerdown presses the ACPI power button of the booted Debian guest,
// whose acpid powers it off: POWERDOWN, then a SHUTDOWN caused by the guest.
TEST(QmpSystemTest, SystemPowerdownAsksTheGuestToPowerOff) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  const std::string sock = socket_path("guest");
  const std::string serial = ::testing::TempDir() + "/vx86-qmp-serial-" + std::to_string(getpid());
  std::filesystem::remove(sock);
  std::filesystem::remove(serial);
  Process vx86({VX86_BINARY, "-display", "none", "-m", "256", "-kernel",
                (guest / "vmlinuz").string(), "-initrd", (guest / "initramfs.cpio.gz").string(),
                "-append", "console=ttyS0", "-serial", "file:" + serial, "-qmp",
                "unix:" + sock + ",server=on,wait=off"});
  QmpClient qmp;
  ASSERT_TRUE(qmp.connect_unix(sock));
  ASSERT_TRUE(qmp.next().contains("QMP"));
  ASSERT_EQ(qmp.execute("qmp_capabilities"), Json::parse(R"({"return": {}})"));
  // Up to the shell: init has loaded the button driver and started acpid.
  bool up = false;
  for (int i = 0; i < 1200 && !up; ++i) {
    std::ifstream in(serial);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    up = text.find("vx86-init: shell") != std::string::npos;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(up) << "the guest did not reach its shell within two minutes";
  EXPECT_EQ(qmp.execute("system_powerdown"), Json::parse(R"({"return": {}})"));
  EXPECT_FALSE(qmp.wait_event("POWERDOWN").is_null());
  Json shutdown = qmp.wait_event("SHUTDOWN");
  ASSERT_FALSE(shutdown.is_null()) << "the guest did not power off";
  EXPECT_EQ(shutdown["data"], Json::parse(R"({"guest": true, "reason": "guest-shutdown"})"));
  EXPECT_EQ(vx86.wait(10s), 0);
  std::filesystem::remove(serial);
}

}  // namespace
}  // namespace vx86::test
