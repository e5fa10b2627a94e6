// Runs DiffSequences natively on an x86-64 host, in forked child processes
// (many sequences per child), with the code, scratch buffer and scratch stack
// at the same addresses the vx86 run uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/target-x86/diff_generator.h"

namespace vx86::x86::testing {

struct NativeResult {
  bool ran = false;  // false: the sequence crashed the child (or was not run)
  uint64_t regs[16] = {};
  uint32_t flags = 0;
  uint8_t data[kDiffDataSize] = {};
  uint8_t stack[kDiffStackSize] = {};
};

// True when this host can run the native side (x86-64 and the fixed
// addresses can be mapped); otherwise *why says why not.
bool native_runner_available(std::string* why);

// Runs every sequence; results[i] matches sequences[i].
void run_native(const std::vector<const DiffSequence*>& sequences,
                std::vector<NativeResult>* results);

}  // namespace vx86::x86::testing
