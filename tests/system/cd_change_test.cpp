// Changing a CD-ROM's medium while the guest runs, as QEMU users do with the
// monitor's eject/change or QMP's eject/blockdev-change-medium: the Debian
// guest (workload cdchange) reads /dev/sr0 twice a second and reports what it
// finds. Linux's sr driver must see each change (UNIT ATTENTION, then the new
// capacity and data; NOT READY, MEDIUM NOT PRESENT while the tray is open),
// and the same steps under qemu-system-x86_64 must give the same reports.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
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

// A "disc" of random 2 KiB blocks; returns the sha256 of its first 256 KiB
// (what the guest reports).
std::string make_disc(const std::string& path, unsigned blocks, unsigned seed) {
  std::mt19937 rng(seed);
  std::string data(blocks * 2048u, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
  std::ofstream(path + ".head", std::ios::binary) << data.substr(0, 256 * 1024);
  CommandResult sum = run_command({"sha256sum", path + ".head"});
  std::filesystem::remove(path + ".head");
  return sum.out.substr(0, 64);
}

struct ChangeRun {
  std::vector<std::string> reports;  // the guest's cd-medium lines, in order
  std::vector<Json> answers;         // the QMP answers, in order
  std::vector<Json> tray_events;     // DEVICE_TRAY_MOVED
  Json block_while_open;             // query-block's ide1-cd0 once ejected
  std::string info_block_open;       // info block then
  std::string serial;
};

std::vector<std::string> reports_in(const std::string& serial) {
  std::vector<std::string> out;
  const std::string tag = "vx86-result: cd-medium ";
  for (std::size_t at = serial.find(tag); at != std::string::npos; at = serial.find(tag, at + 1)) {
    std::string report = serial.substr(at + tag.size(), serial.find('\n', at) - at - tag.size());
    if (!report.empty() && report.back() == '\r') report.pop_back();  // the tty's line ends
    out.push_back(report);
  }
  return out;
}

// Boots the guest with disc a in the drive; ejects it, inserts b over QMP,
// then a again through the human monitor's change; each time waits for the
// guest to report what it reads.
ChangeRun run_changes(std::vector<std::string> emulator, const std::filesystem::path& guest,
                      const std::string& a, const std::string& b, const std::string& a_sum,
                      const std::string& b_sum, const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-cd-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", sock = base + ".sock";
  std::filesystem::remove(serial);
  std::filesystem::remove(sock);
  for (const std::string& arg :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("256"),
        std::string("-nic"), std::string("none"), std::string("-kernel"),
        (guest / "vmlinuz").string(), std::string("-initrd"),
        (guest / "initramfs.cpio.gz").string(), std::string("-append"),
        std::string("console=ttyS0 vx86.workload=cdchange"), std::string("-cdrom"), a,
        std::string("-serial"), "file:" + serial, std::string("-qmp"),
        "unix:" + sock + ",server=on,wait=off"}) {
    emulator.push_back(arg);
  }
  Process process(emulator);
  ChangeRun run;
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  auto wait_report = [&](const std::string& what) {
    for (auto deadline = std::chrono::steady_clock::now() + 300s;
         std::chrono::steady_clock::now() < deadline;) {
      const auto reports = reports_in(file_text(serial));
      if (!reports.empty() && reports.back() == what) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  };
  auto ask = [&](const std::string& command, const Json& args) {
    run.answers.push_back(qmp.execute(command, args));
  };
  if (wait_report(a_sum)) {
    ask("eject", {{"device", "ide1-cd0"}});
    if (wait_report("none")) {
      const Json block = qmp.execute("query-block");
      for (const Json& drive : block["return"]) {
        if (drive["device"] == "ide1-cd0") run.block_while_open = drive;
      }
      run.info_block_open =
          qmp.execute("human-monitor-command", {{"command-line", "info block ide1-cd0"}})["return"];
      ask("blockdev-change-medium", {{"device", "ide1-cd0"}, {"filename", b}, {"format", "raw"}});
      if (wait_report(b_sum)) {
        ask("human-monitor-command", {{"command-line", "change ide1-cd0 " + a + " raw"}});
        wait_report(a_sum);
      }
    }
  }
  qmp.execute("query-status");  // events sent before its answer are in
  run.tray_events = qmp.take_events("DEVICE_TRAY_MOVED");
  qmp.execute("quit");
  process.wait(30s);
  run.serial = file_text(serial);
  run.reports = reports_in(run.serial);
  std::filesystem::remove(serial);
  return run;
}

TEST(CdChangeTest, TheGuestSeesEjectAndChangeAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "cdchange");
  const std::string dir = ::testing::TempDir() + "/vx86-cddiscs-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string a = dir + "/a.iso", b = dir + "/b.iso";
  const std::string a_sum = make_disc(a, 512, 1), b_sum = make_disc(b, 300, 2);

  const ChangeRun ours = run_changes({VX86_BINARY}, guest, a, b, a_sum, b_sum, "vx86");
  // The change from b to a shows the guest no medium for one read: the
  // drive answers NOT READY once before UNIT ATTENTION, as QEMU's does.
  const std::vector<std::string> expected = {a_sum, "none", b_sum, "none", a_sum};
  EXPECT_EQ(ours.reports, expected) << ours.serial;
  ASSERT_EQ(ours.answers.size(), 3u) << ours.serial;
  EXPECT_EQ(ours.answers[0], Json::parse(R"({"return": {}})"));
  EXPECT_EQ(ours.answers[1], Json::parse(R"({"return": {}})"));
  EXPECT_EQ(ours.answers[2], Json::parse(R"({"return": ""})"));
  // Open after eject, closed by the guest (Linux's cdrom driver closes an
  // open tray when a program opens the drive), then opened and closed by
  // each change.
  std::vector<bool> trays;
  for (const Json& e : ours.tray_events) {
    ASSERT_TRUE(e.contains("data")) << "not a DEVICE_TRAY_MOVED event: " << e.dump();
    EXPECT_EQ(e["data"]["device"], "ide1-cd0");
    trays.push_back(e["data"]["tray-open"].get<bool>());
  }
  EXPECT_EQ(trays, (std::vector<bool>{true, false, true, false, true, false}));
  EXPECT_EQ(ours.block_while_open["tray_open"], false);
  EXPECT_EQ(ours.block_while_open["removable"], true);
  EXPECT_FALSE(ours.block_while_open.contains("inserted"));
  EXPECT_NE(ours.info_block_open.find("ide1-cd0: [not inserted]"), std::string::npos)
      << ours.info_block_open;
  EXPECT_NE(ours.info_block_open.find("Removable device: not locked, tray closed"),
            std::string::npos)
      << ours.info_block_open;

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const ChangeRun qemu =
      run_changes({"qemu-system-x86_64", "-accel", "tcg"}, guest, a, b, a_sum, b_sum, "qemu");
  EXPECT_EQ(qemu.reports, ours.reports) << qemu.serial;
  EXPECT_EQ(qemu.answers, ours.answers);
  ASSERT_EQ(qemu.tray_events.size(), ours.tray_events.size());
  for (std::size_t i = 0; i < ours.tray_events.size(); ++i) {
    EXPECT_EQ(qemu.tray_events[i]["data"]["tray-open"], ours.tray_events[i]["data"]["tray-open"]);
  }
  for (const char* key : {"tray_open", "removable", "locked", "device", "type"}) {
    EXPECT_EQ(qemu.block_while_open[key], ours.block_while_open[key]) << key;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vx86::test
