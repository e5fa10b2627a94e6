// Where the Debian guest of scripts/build-guest.sh is (build/guest in the
// source tree), for system tests that boot it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

namespace vx86::test {

inline std::filesystem::path debian_guest_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "build" /
         "guest";
}

}  // namespace vx86::test

// Declares `guest` (the guest's directory) or skips the test, saying why.
#define SKIP_WITHOUT_DEBIAN_GUEST(guest)                                        \
  const std::filesystem::path guest = ::vx86::test::debian_guest_dir();         \
  if (!std::filesystem::exists(guest / "vmlinuz")) {                            \
    GTEST_SKIP() << "no guest in " << guest << " (run scripts/build-guest.sh)"; \
  }
