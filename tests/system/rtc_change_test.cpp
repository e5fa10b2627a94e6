// QMP's RTC_CHANGE as libvirt keeps a guest's clock adjustment: the Debian
// guest (workload rtcset) sets its clock to 2031-02-03 04:05:06 UTC and
// writes it to the RTC (hwclock -w); the event's offset is that date less
// the host's time, in seconds, and its members and the RTC's QOM path are
// QEMU's, for the default machine and for one with two CPUs, no HPET and
// libvirt's -device VGA.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kGuestDate = 1927857906;  // 2031-02-03T04:05:06Z

struct RtcChangeRun {
  std::vector<Json> changes;  // RTC_CHANGE data, offsets as they came
  int64_t expected_offset = 0;
  std::string serial;
};

RtcChangeRun run_rtcset(std::vector<std::string> emulator, const std::filesystem::path& guest,
                        const std::vector<std::string>& machine, const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-rtcset-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", qmp_socket = base + ".qmp";
  std::filesystem::remove(serial);
  std::filesystem::remove(qmp_socket);
  for (const std::string& arg : debian_guest_boot_options(guest, "rtcset", serial)) {
    emulator.push_back(arg);
  }
  emulator.insert(emulator.end(), machine.begin(), machine.end());
  emulator.push_back("-qmp");
  emulator.push_back("unix:" + qmp_socket + ",server=on,wait=off");
  Process process(emulator);
  RtcChangeRun run;
  QmpClient qmp;
  if (qmp.connect_unix(qmp_socket)) {
    qmp.next();
    qmp.execute("qmp_capabilities");
    // wait_event gives up after 10 s; the guest takes longer to boot.
    Json change;
    for (int i = 0; i < 30 && change.is_null(); ++i) change = qmp.wait_event("RTC_CHANGE");
    if (!change.is_null()) run.changes.push_back(change["data"]);
    run.expected_offset = kGuestDate - std::time(nullptr);
  }
  process.wait(120s);
  run.serial = file_text(serial);
  std::filesystem::remove(serial);
  std::filesystem::remove(qmp_socket);
  return run;
}

// The data with the offset checked against the host's clock and then left
// out (the two runs happen at different times).
Json checked(const RtcChangeRun& run, const std::string& who) {
  if (run.changes.empty()) {
    ADD_FAILURE() << who << ": no RTC_CHANGE\n" << run.serial;
    return Json();
  }
  Json data = run.changes.front();
  const int64_t offset = data.value("offset", int64_t{0});
  EXPECT_NEAR(offset, run.expected_offset, 10) << who;
  data.erase("offset");
  return data;
}

TEST(RtcChangeTest, SettingTheGuestsClockIsReportedAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "rtcset");
  const std::vector<std::vector<std::string>> machines = {
      {},
      {"-smp", "2", "-no-hpet", "-nodefaults", "-device", "VGA,id=video0,bus=pci.0,addr=0x2"},
  };
  std::vector<Json> ours;
  for (std::size_t i = 0; i < machines.size(); ++i) {
    const RtcChangeRun run = run_rtcset({VX86_BINARY}, guest, machines[i], "vx86");
    EXPECT_NE(run.serial.find("vx86-result: rtcset Mon Feb  3 04:05:06 2031"), std::string::npos)
        << run.serial;
    ours.push_back(checked(run, "vx86 machine " + std::to_string(i)));
  }
  EXPECT_EQ(ours[0], Json({{"qom-path", "/machine/unattached/device[10]"}}));
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  for (std::size_t i = 0; i < machines.size(); ++i) {
    const RtcChangeRun qemu =
        run_rtcset({"qemu-system-x86_64", "-accel", "tcg"}, guest, machines[i], "qemu");
    EXPECT_EQ(ours[i], checked(qemu, "qemu machine " + std::to_string(i)));
  }
}

}  // namespace
}  // namespace vx86::test
