// Where the Debian guest of scripts/build-guest.sh is (build/guest in the
// source tree), for system tests that boot it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {

inline std::filesystem::path debian_guest_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "build" /
         "guest";
}

// The options that boot the guest to a workload (vx86.workload=NAME) with
// its console on the serial port in serial_file, without a NIC, in 256 MiB.
inline std::vector<std::string> debian_guest_boot_options(const std::filesystem::path& guest,
                                                          const std::string& workload,
                                                          const std::string& serial_file) {
  return {"-display", "none",
          "-m",       "256",
          "-nic",     "none",
          "-kernel",  (guest / "vmlinuz").string(),
          "-initrd",  (guest / "initramfs.cpio.gz").string(),
          "-append",  "console=ttyS0 vx86.workload=" + workload,
          "-serial",  "file:" + serial_file};
}

// Boots the guest to a workload (emulator: the program and its options;
// extra: options after the boot options) until it powers off, expects exit
// status 0, and returns what the guest wrote on its serial port.
inline std::string run_guest_workload(std::vector<std::string> emulator,
                                      const std::filesystem::path& guest,
                                      const std::string& workload,
                                      const std::vector<std::string>& extra,
                                      const std::string& tag) {
  const std::string serial = ::testing::TempDir() + "/vx86-" + workload + "-" + tag + "-" +
                             std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  for (const std::string& arg : debian_guest_boot_options(guest, workload, serial)) {
    emulator.push_back(arg);
  }
  emulator.insert(emulator.end(), extra.begin(), extra.end());
  const CommandResult r = run_command(emulator, 300);
  EXPECT_EQ(r.status, 0) << tag << ": " << r.err;
  std::string text = file_text(serial);
  std::filesystem::remove(serial);
  return text;
}

// The guest's "vx86-result: PREFIX..." lines in serial output, whole, without
// the terminal's CRs and trailing spaces.
inline std::vector<std::string> guest_results(const std::string& serial,
                                              const std::string& prefix) {
  std::vector<std::string> results;
  const std::string marker = "vx86-result: " + prefix;
  for (std::size_t at = serial.find(marker); at != std::string::npos;
       at = serial.find(marker, at + 1)) {
    std::string line = serial.substr(at, serial.find('\n', at) - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    results.push_back(line);
  }
  return results;
}

// Expects each of `lines` among the guest's `results` (what vx86 must show
// whatever QEMU shows, so that both going wrong the same way is caught).
inline void expect_results_include(const std::vector<std::string>& results,
                                   const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    EXPECT_NE(std::find(results.begin(), results.end(), line), results.end())
        << line << "\nin\n"
        << ::testing::PrintToString(results);
  }
}

// Whether the guest's initramfs has the workload (workload_NAME in
// /etc/workloads.sh): an initramfs built before the workload was added has not.
inline bool guest_has_workload(const std::filesystem::path& guest, const std::string& workload) {
  return run_command({"sh", "-c",
                      "gzip -dc '" + (guest / "initramfs.cpio.gz").string() +
                          "' | cpio -i --to-stdout --quiet etc/workloads.sh | grep -q 'workload_" +
                          workload + "()'"})
             .status == 0;
}

}  // namespace vx86::test

// Skips the test, saying why, when the guest lacks the workload.
#define SKIP_WITHOUT_WORKLOAD(guest, workload)                            \
  if (!::vx86::test::guest_has_workload(guest, workload)) {               \
    GTEST_SKIP() << "the guest has no " << workload                       \
                 << " workload (rebuild it with scripts/build-guest.sh)"; \
  }

// Declares `guest` (the guest's directory) or skips the test, saying why.
#define SKIP_WITHOUT_DEBIAN_GUEST(guest)                                        \
  const std::filesystem::path guest = ::vx86::test::debian_guest_dir();         \
  if (!std::filesystem::exists(guest / "vmlinuz")) {                            \
    GTEST_SKIP() << "no guest in " << guest << " (run scripts/build-guest.sh)"; \
  }
