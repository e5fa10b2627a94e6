// -rtc base= as QEMU users give it: the Debian guest takes its time from the
// RTC at boot, so with base=DATE it lives on that date, and with
// base=localtime the RTC shows the host's local time (here a time zone
// 9 hours east, TZ=JST-9), which the guest takes for UTC, as under QEMU.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"

namespace vx86::test {
namespace {

// The guest's rtc-system, rtc-hardware (seconds since the epoch) and rtc-date.
struct RtcSeen {
  int64_t system = 0, hardware = 0;
  std::string date;
};

RtcSeen rtc_seen(const std::vector<std::string>& emulator, const std::filesystem::path& guest,
                 const std::string& base, const std::string& tag) {
  RtcSeen seen;
  for (const std::string& line : guest_results(
           run_guest_workload(emulator, guest, "rtc", {"-rtc", "base=" + base}, tag), "rtc-")) {
    const std::string value = line.substr(line.find(' ', 13) + 1);
    if (line.find("rtc-system") != std::string::npos) seen.system = std::atoll(value.c_str());
    if (line.find("rtc-hardware") != std::string::npos) seen.hardware = std::atoll(value.c_str());
    if (line.find("rtc-date") != std::string::npos) seen.date = value;
  }
  return seen;
}

void expect_date_base(const RtcSeen& seen, const std::string& who) {
  const int64_t start = 1273129689;  // 2010-05-06T07:08:09 UTC
  EXPECT_EQ(seen.date, "2010-05-06") << who;
  EXPECT_GE(seen.hardware, start) << who;
  EXPECT_LT(seen.hardware, start + 120) << who;
  EXPECT_GE(seen.system, start) << who;
  EXPECT_LT(seen.system, start + 120) << who;
}

TEST(RtcBaseTest, TheGuestLivesOnTheDateTheRtcStartsAt) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "rtc");
  const bool have_qemu = run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0;
  expect_date_base(rtc_seen({VX86_BINARY}, guest, "2010-05-06T07:08:09", "vx86-date"), "vx86");
  // On the virtual clock (which stops while the machine is paused) too.
  expect_date_base(rtc_seen({VX86_BINARY}, guest, "2010-05-06T07:08:09,clock=vm", "vx86-date-vm"),
                   "vx86 vm");
  if (have_qemu) {
    expect_date_base(rtc_seen({"qemu-system-x86_64", "-accel", "tcg"}, guest, "2010-05-06T07:08:09",
                              "qemu-date"),
                     "qemu");
  }
  // The guest's RTC shows the host's time 9 hours east of UTC (taken
  // around the run: the guest read it in between).
  auto local_run = [&](const std::vector<std::string>& emulator, const std::string& tag) {
    const int64_t before = std::time(nullptr);
    const RtcSeen seen = rtc_seen(emulator, guest, "localtime", tag);
    const int64_t after = std::time(nullptr);
    EXPECT_GE(seen.hardware, before + 9 * 3600) << tag;
    EXPECT_LE(seen.hardware, after + 9 * 3600) << tag;
  };
  local_run({"env", "TZ=JST-9", VX86_BINARY}, "vx86-local");
  if (have_qemu)
    local_run({"env", "TZ=JST-9", "qemu-system-x86_64", "-accel", "tcg"}, "qemu-local");
}

}  // namespace
}  // namespace vx86::test
