// Machine options libvirt writes, seen from the Debian guest: -no-hpet and
// -machine hpet=off take the HPET away (no ACPI table, no clocksource), as
// under qemu-system-x86_64.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/system/debian_guest.h"

namespace vx86::test {
namespace {

bool mentions_hpet(const std::string& console) {
  for (const char* word : {"HPET", "hpet"}) {
    if (console.find(word) != std::string::npos) return true;
  }
  return false;
}

TEST(MachineOptionsTest, NoHpetTakesTheHpetAway) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "check");
  const std::string with = run_guest_workload({VX86_BINARY}, guest, "check", {}, "hpet");
  EXPECT_NE(with.find("ACPI: HPET"), std::string::npos);
  EXPECT_NE(with.find("clocksource: Switched to clocksource"), std::string::npos);
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"-no-hpet"}, std::vector<std::string>{"-machine", "hpet=off"}}) {
    const std::string without =
        run_guest_workload({VX86_BINARY}, guest, "check", options, "nohpet");
    EXPECT_FALSE(mentions_hpet(without)) << options.back() << "\n" << without;
    EXPECT_NE(without.find("vx86-init: workload check done"), std::string::npos) << options.back();
  }
}

}  // namespace
}  // namespace vx86::test
