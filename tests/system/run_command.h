// Runs a program and collects its exit status, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace vx86::test {

struct CommandResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, killed
// after timeout_s.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s = 60);

}  // namespace vx86::test
