// virtio-balloon-pci as QEMU users drive it: QMP balloon asks the Debian
// guest (workload balloon) to give half of its 256 MiB back, then all of it
// back again; query-balloon and the monitor's info balloon follow the
// driver's reports, BALLOON_CHANGE events come, and the guest's MemTotal
// falls and rises by what it gave. Everything the guest and the monitor say
// must equal what they say under qemu-system-x86_64.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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

struct BalloonRun {
  std::vector<Json> answers;          // balloon, query-balloon and info balloon, in order
  std::vector<std::string> memtotal;  // the guest's MemTotal: at the start, inflated, deflated
  std::size_t change_events = 0;
  Json last_change;
  std::string serial;
};

std::string last_memtotal(const std::string& serial) {
  std::vector<std::string> lines = guest_results(serial, "balloon-");
  if (lines.empty()) return "";
  return lines.back().substr(lines.back().rfind(' ') + 1);
}

BalloonRun run_balloon(std::vector<std::string> emulator, const std::filesystem::path& guest,
                       const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-balloon-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", sock = base + ".sock";
  std::filesystem::remove(serial);
  std::filesystem::remove(sock);
  for (const std::string& arg : debian_guest_boot_options(guest, "balloon", serial)) {
    emulator.push_back(arg);
  }
  for (const std::string arg : {"-device", "virtio-balloon-pci", "-qmp"}) emulator.push_back(arg);
  emulator.push_back("unix:" + sock + ",server=on,wait=off");
  Process process(emulator);
  BalloonRun run;
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  auto ask = [&](const std::string& command, const Json& args = Json()) {
    run.answers.push_back(qmp.execute(command, args));
  };
  auto hmp = [&](const std::string& line) {
    Json answer = qmp.execute("human-monitor-command", {{"command-line", line}});
    std::string text = answer.value("return", "");
    std::erase(text, '\r');
    run.answers.push_back(text);
  };
  // Until query-balloon says `bytes` and the guest's MemTotal has settled.
  auto settle = [&](uint64_t bytes) {
    for (auto deadline = std::chrono::steady_clock::now() + 120s;
         std::chrono::steady_clock::now() < deadline;) {
      const Json answer = qmp.execute("query-balloon");
      if (answer.contains("return") && answer["return"]["actual"] == bytes) break;
      std::this_thread::sleep_for(200ms);
    }
    std::string seen = last_memtotal(file_text(serial));
    for (int quiet = 0; quiet < 10;) {
      std::this_thread::sleep_for(200ms);
      const std::string now = last_memtotal(file_text(serial));
      quiet = now == seen ? quiet + 1 : 0;
      seen = now;
    }
    run.memtotal.push_back(seen);
  };
  for (auto deadline = std::chrono::steady_clock::now() + 300s;
       std::chrono::steady_clock::now() < deadline &&
       file_text(serial).find("balloon-ready") == std::string::npos;) {
    std::this_thread::sleep_for(200ms);
  }
  if (file_text(serial).find("balloon-ready") != std::string::npos) {
    run.memtotal.push_back(last_memtotal(file_text(serial)));
    ask("query-balloon");
    hmp("info balloon");
    ask("balloon", {{"value", 128 << 20}});
    settle(128 << 20);
    ask("query-balloon");
    hmp("info balloon");
    hmp("balloon 256");
    settle(256 << 20);
    ask("query-balloon");
    ask("balloon", {{"value", 0}});
    ask("balloon", {{"value", "a lot"}});
  }
  qmp.execute("query-status");  // events sent before its answer are in
  const std::vector<Json> changes = qmp.take_events("BALLOON_CHANGE");
  run.change_events = changes.size();
  if (!changes.empty()) run.last_change = changes.back()["data"];
  qmp.execute("quit");
  process.wait(30s);
  run.serial = file_text(serial);
  std::filesystem::remove(serial);
  return run;
}

TEST(BalloonTest, TheGuestGivesMemoryBackAndTakesItAgainAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "balloon");
  const BalloonRun ours = run_balloon({VX86_BINARY}, guest, "vx86");
  ASSERT_EQ(ours.memtotal.size(), 3u) << ours.serial;
  const long start = std::stol(ours.memtotal[0]), inflated = std::stol(ours.memtotal[1]);
  EXPECT_EQ(start - inflated, 128 * 1024) << "KiB given back";
  EXPECT_EQ(ours.memtotal[2], ours.memtotal[0]);
  ASSERT_EQ(ours.answers.size(), 9u);
  EXPECT_EQ(ours.answers[0], Json::parse(R"({"return": {"actual": 268435456}})"));
  EXPECT_EQ(ours.answers[1], "balloon: actual=256\n");
  EXPECT_EQ(ours.answers[3], Json::parse(R"({"return": {"actual": 134217728}})"));
  EXPECT_EQ(ours.answers[4], "balloon: actual=128\n");
  EXPECT_EQ(ours.answers[6], Json::parse(R"({"return": {"actual": 268435456}})"));
  EXPECT_GE(ours.change_events, 2u);
  EXPECT_EQ(ours.last_change, Json::parse(R"({"actual": 268435456})"));

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const BalloonRun qemu = run_balloon({"qemu-system-x86_64", "-accel", "tcg"}, guest, "qemu");
  // What the balloon took and gave back (the totals themselves differ by
  // QEMU's BIOS areas, which a direct boot under vx86 leaves as RAM).
  auto changes = [](const BalloonRun& r) {
    std::vector<long> d;
    for (std::size_t i = 1; i < r.memtotal.size(); ++i) {
      d.push_back(std::stol(r.memtotal[i]) - std::stol(r.memtotal[0]));
    }
    return d;
  };
  ASSERT_EQ(qemu.memtotal.size(), 3u) << qemu.serial;
  EXPECT_EQ(changes(ours), changes(qemu));
  EXPECT_EQ(ours.answers, qemu.answers);
  EXPECT_EQ(ours.last_change, qemu.last_change);
}

}  // namespace
}  // namespace vx86::test
