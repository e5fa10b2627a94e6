// virtio-serial as QEMU and libvirt users set it up: a virtio-serial-pci
// with a named virtserialport on a socket chardev and a virtconsole on a
// file. The Debian guest (workload vserial) lists its ports with their names,
// writes a line to its console (/dev/hvc0), and echoes a line the test sends
// through the socket; QMP says when the guest opens and closes each port
// (VSERPORT_CHANGE). Everything the guest, the socket, the console file and
// QMP show must equal what they show under qemu-system-x86_64.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"
#include "tests/system/unix_socket.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

struct SerialRun {
  std::vector<std::string> results;  // the guest's vserial lines
  std::string console;               // what the virtconsole's file got
  std::string echo;                  // the guest's answer on the port
  std::vector<Json> port_changes;    // VSERPORT_CHANGE data, in order
  std::string serial;
  std::optional<int> status;
};

SerialRun run_vserial(std::vector<std::string> emulator, const std::filesystem::path& guest,
                      const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-vserial-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", console = base + ".hvc", port = base + ".port",
                    qmp_socket = base + ".qmp";
  for (const std::string& file : {serial, console, port, qmp_socket}) {
    std::filesystem::remove(file);
  }
  for (const std::string& arg : debian_guest_boot_options(guest, "vserial", serial)) {
    emulator.push_back(arg);
  }
  // libvirt's way of writing them (its channel and console elements).
  const std::vector<std::string> devices = {
      "-device",
      "virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x5",
      "-chardev",
      "socket,id=charchannel0,path=" + port + ",server=on,wait=off",
      "-device",
      "virtserialport,bus=virtio-serial0.0,nr=2,chardev=charchannel0,id=channel0,name=vx86.echo",
      "-chardev",
      "file,id=charconsole0,path=" + console,
      "-device",
      "virtconsole,chardev=charconsole0,id=console0",
      "-qmp",
      "unix:" + qmp_socket + ",server=on,wait=off"};
  emulator.insert(emulator.end(), devices.begin(), devices.end());
  Process process(emulator);
  SerialRun run;
  QmpClient qmp;
  QmpClient channel;
  if (qmp.connect_unix(qmp_socket) && channel.connect_unix(port)) {
    qmp.next();
    qmp.execute("qmp_capabilities");
    // Sent at once: it waits in vx86 (or QEMU) until the guest opens the port.
    channel.send_text("ping");
    for (int tries = 0; tries < 30 && run.echo.empty(); ++tries) {
      run.echo = channel.next_line().value_or("");
    }
  }
  run.status = process.wait(300s);
  // What QMP sent before the machine went away.
  for (Json event = qmp.next(); !event.is_null(); event = qmp.next()) {
    if (event.value("event", "") == "VSERPORT_CHANGE") run.port_changes.push_back(event["data"]);
  }
  run.serial = file_text(serial);
  run.results = guest_results(run.serial, "vserial-");
  run.console = file_text(console);
  for (const std::string& file : {serial, console, port, qmp_socket}) {
    std::filesystem::remove(file);
  }
  return run;
}

// The VSERPORT_CHANGE events timing cannot change: the first of each port,
// and the console's last.
std::vector<Json> settled(const std::vector<Json>& changes) {
  std::vector<Json> out;
  std::set<std::string> seen;
  Json console_last;
  for (const Json& change : changes) {
    if (seen.insert(change["id"].get<std::string>()).second) out.push_back(change);
    if (change["id"] == "console0") console_last = change;
  }
  out.push_back(console_last);
  return out;
}

const std::vector<Json> settled_changes = {
    {{"id", "console0"}, {"open", true}},
    {{"id", "channel0"}, {"open", true}},
    {{"id", "console0"}, {"open", false}},
};

TEST(VirtioSerialTest, TheGuestFindsItsPortsAndTalksThroughThemAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "vserial");
  const SerialRun ours = run_vserial({VX86_BINARY}, guest, "vx86");
  EXPECT_EQ(ours.status, std::optional<int>(0)) << ours.serial;
  const std::vector<std::string> expected = {
      "vx86-result: vserial-port vport0p0 name=",
      "vx86-result: vserial-port vport0p2 name=vx86.echo",
      "vx86-result: vserial-hvc 229:0",
      "vx86-result: vserial-read ping",
      // 64 queues, 32 vectors: the driver shares one vector among its queues.
      "vx86-result: vserial-irq PCI-MSI virtio0-config PCI-MSI virtio0-virtqueues",
  };
  EXPECT_EQ(ours.results, expected) << ours.serial;
  EXPECT_EQ(ours.echo, "echo ping");
  EXPECT_EQ(ours.console, "hello from hvc0\r\n");
  // The console opens as the driver takes it, the echo port when the guest
  // reads it; the console closes when Linux resets the device as it powers
  // off. The echo port's later changes (closed, open for the write, closed)
  // come within a second, which QMP throttles to the last, sent a second
  // after the first unless the machine is gone by then.
  EXPECT_EQ(settled(ours.port_changes), settled_changes) << Json(ours.port_changes).dump();
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const SerialRun qemu = run_vserial({"qemu-system-x86_64", "-accel", "tcg"}, guest, "qemu");
  EXPECT_EQ(qemu.status, std::optional<int>(0)) << qemu.serial;
  EXPECT_EQ(ours.results, qemu.results);
  EXPECT_EQ(ours.echo, qemu.echo);
  EXPECT_EQ(ours.console, qemu.console);
  EXPECT_EQ(settled(qemu.port_changes), settled_changes) << Json(qemu.port_changes).dump();
}

struct HotplugRun {
  std::vector<std::string> results;  // the guest's vserial-hotplug lines
  std::vector<Json> answers;         // device_add, device_del, DEVICE_DELETED's data
  std::string line;                  // what the guest wrote to the new port
  std::optional<int> status;
  std::string serial;
};

// As libvirt's attach-device and detach-device of a channel: getfd with the
// socket libvirt made, chardev-add on it, then device_add of the port while
// the guest runs; device_del, then chardev-remove.
// with_controller: the virtio-serial-pci is hot-plugged too (before its
// port) and device_del takes the controller, the port with it.
HotplugRun run_hotplug(std::vector<std::string> emulator, const std::filesystem::path& guest,
                       const std::string& tag, bool with_controller = false) {
  const std::string base =
      ::testing::TempDir() + "/vx86-vserial-hp-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", port = base + ".port", qmp_socket = base + ".qmp";
  for (const std::string& file : {serial, port, qmp_socket}) std::filesystem::remove(file);
  for (const std::string& arg : debian_guest_boot_options(guest, "vserial_hotplug", serial)) {
    emulator.push_back(arg);
  }
  // -no-shutdown: the guest powers off as soon as the port is gone, and the
  // emulator must stay for chardev-remove.
  std::vector<std::string> devices = {"-no-shutdown", "-qmp",
                                      "unix:" + qmp_socket + ",server=on,wait=off"};
  if (!with_controller) {
    devices.insert(devices.begin(), {"-device", "virtio-serial-pci,id=virtio-serial0"});
  }
  emulator.insert(emulator.end(), devices.begin(), devices.end());
  Process process(emulator);
  HotplugRun run;
  QmpClient qmp;
  QmpClient channel;
  if (qmp.connect_unix(qmp_socket)) {
    qmp.next();
    qmp.execute("qmp_capabilities");
    // libvirt makes the socket and passes it (getfd), then names it.
    const int listener = listening_unix_socket(port);
    run.answers.push_back(qmp.execute_with_fd("getfd", {{"fdname", "charchannel1"}}, listener));
    close(listener);
    run.answers.push_back(qmp.execute(
        "chardev-add", {{"id", "charchannel1"},
                        {"backend",
                         {{"type", "socket"},
                          {"data",
                           {{"addr", {{"type", "fd"}, {"data", {{"str", "charchannel1"}}}}},
                            {"server", true},
                            {"wait", false}}}}}}));
  }
  if (!run.answers.empty() && channel.connect_unix(port)) {
    for (auto deadline = std::chrono::steady_clock::now() + 240s;
         std::chrono::steady_clock::now() < deadline &&
         file_text(serial).find("ready for the port") == std::string::npos;) {
      std::this_thread::sleep_for(100ms);
    }
    if (with_controller) {
      run.answers.push_back(
          qmp.execute("device_add", {{"driver", "virtio-serial-pci"}, {"id", "virtio-serial0"}}));
    }
    run.answers.push_back(qmp.execute("device_add", {{"driver", "virtserialport"},
                                                     {"bus", "virtio-serial0.0"},
                                                     {"chardev", "charchannel1"},
                                                     {"id", "channel1"},
                                                     {"name", "vx86.hotplug"}}));
    for (int tries = 0; tries < 30 && run.line.empty(); ++tries) {
      run.line = channel.next_line().value_or("");
    }
    run.answers.push_back(
        qmp.execute("device_del", {{"id", with_controller ? "virtio-serial0" : "channel1"}}));
    // The port; with the controller, then its virtio backend and itself.
    for (int i = 0; i < (with_controller ? 3 : 1); ++i) {
      Json deleted;
      for (int tries = 0; tries < 12 && deleted.is_null(); ++tries) {
        deleted = qmp.wait_event("DEVICE_DELETED");
      }
      run.answers.push_back(deleted.is_null() ? Json("no DEVICE_DELETED") : deleted["data"]);
    }
    run.answers.push_back(qmp.execute("chardev-remove", {{"id", "charchannel1"}}));
    // The guest's power-off, then quit.
    for (int i = 0; i < 30 && qmp.wait_event("SHUTDOWN").is_null(); ++i) {
    }
    qmp.execute("quit");
  }
  run.status = process.wait(300s);
  run.serial = file_text(serial);
  run.results = guest_results(run.serial, "vserial-hotplug");
  for (const std::string& file : {serial, port, qmp_socket}) std::filesystem::remove(file);
  return run;
}

// Runs the hot-plug under vx86, checks what a user sees (the guest's ports,
// its line, the QMP answers and events) and that QEMU shows the same.
void check_hotplug(const std::filesystem::path& guest, bool with_controller,
                   const std::vector<Json>& answers) {
  const std::string tag = with_controller ? "-ctl" : "";
  const HotplugRun ours = run_hotplug({VX86_BINARY}, guest, "vx86" + tag, with_controller);
  EXPECT_EQ(ours.status, std::optional<int>(0)) << ours.serial;
  const std::vector<std::string> expected = {
      "vx86-result: vserial-hotplug before",
      "vx86-result: vserial-hotplug added vport0p1",
      "vx86-result: vserial-hotplug removed",
  };
  EXPECT_EQ(ours.results, expected) << ours.serial;
  EXPECT_EQ(ours.line, "hello from a new port");
  EXPECT_EQ(ours.answers, answers);

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const HotplugRun qemu =
      run_hotplug({"qemu-system-x86_64", "-accel", "tcg"}, guest, "qemu" + tag, with_controller);
  EXPECT_EQ(qemu.status, std::optional<int>(0)) << qemu.serial;
  EXPECT_EQ(ours.results, qemu.results);
  EXPECT_EQ(ours.line, qemu.line);
  EXPECT_EQ(ours.answers, qemu.answers);
}

const Json kOk = {{"return", Json::object()}};

TEST(VirtioSerialTest, PortsComeAndGoWhileTheGuestRunsAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "vserial_hotplug");
  check_hotplug(guest, false,
                {
                    kOk,  // getfd
                    kOk,  // chardev-add
                    kOk,  // device_add
                    kOk,  // device_del
                    {{"device", "channel1"}, {"path", "/machine/peripheral/channel1"}},
                    kOk,  // chardev-remove
                });
}

// libvirt's attach-device of a channel on a machine without a
// virtio-serial controller: the controller is hot-plugged first (ACPI PCI
// hot-plug), then the port; device_del of the controller takes the port.
TEST(VirtioSerialTest, AHotPluggedControllerGoesWithItsPortsAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "vserial_hotplug");
  check_hotplug(guest, true,
                {
                    kOk,  // getfd
                    kOk,  // chardev-add
                    kOk,  // device_add of the controller
                    kOk,  // device_add of the port
                    kOk,  // device_del of the controller
                    {{"device", "channel1"}, {"path", "/machine/peripheral/channel1"}},
                    {{"path", "/machine/peripheral/virtio-serial0/virtio-backend"}},
                    {{"device", "virtio-serial0"}, {"path", "/machine/peripheral/virtio-serial0"}},
                    kOk,  // chardev-remove: the port let it go
                });
}

}  // namespace
}  // namespace vx86::test
