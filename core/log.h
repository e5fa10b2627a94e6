// Logging with QEMU-style -d masks and -D file.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace vx86 {

enum LogMask : uint32_t {
  kLogInAsm = 1u << 0,        // guest instructions as translated
  kLogOutAsm = 1u << 1,       // host code generated
  kLogOp = 1u << 2,           // IR before optimisation
  kLogOpOpt = 1u << 3,        // IR after optimisation
  kLogExec = 1u << 4,         // each translation block executed
  kLogInt = 1u << 5,          // interrupts and exceptions
  kLogCpu = 1u << 6,          // CPU state before each block
  kLogMmu = 1u << 7,          // page walks and TLB fills
  kLogUnimp = 1u << 8,        // unimplemented features
  kLogGuestErrors = 1u << 9,  // guest misuse of hardware
  kLogPcall = 1u << 10,       // privilege changes
  kLogReset = 1u << 11,       // machine and CPU resets
  kLogIoport = 1u << 12,      // POST codes and unusual port I/O
  kLogGdb = 1u << 13,         // GDB remote protocol packets (vx86's own)
};

struct LogMaskInfo {
  const char* name;
  uint32_t mask;
  const char* help;
};

// Every mask name, for -d help and for parsing.
const LogMaskInfo* log_mask_table(std::size_t* count);

// Parses "in_asm,int" (or "all"); returns false and fills *bad with the unknown item.
bool parse_log_mask(std::string_view spec, uint32_t* mask, std::string* bad);

void set_log_mask(uint32_t mask);
uint32_t log_mask();
inline bool log_enabled(uint32_t mask) {
  // Atomic: the monitor's `log` changes it while vCPU threads read it.
  extern std::atomic<uint32_t> g_log_mask;
  return (g_log_mask.load(std::memory_order_relaxed) & mask) != 0;
}

// Redirects log output (default stderr). Returns false with errno set on failure.
bool set_log_file(const std::string& path);

// Writes to the log unconditionally (callers check log_enabled first on hot paths).
void log_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Logs when the mask is enabled.
#define VX86_LOG(mask, ...)                                         \
  do {                                                              \
    if (::vx86::log_enabled(mask)) ::vx86::log_printf(__VA_ARGS__); \
  } while (0)

// Messages meant for the user (warnings and errors), always on stderr.
// -msg: error and warning lines start with the time (UTC, QEMU's format)
// and the guest's name (-name) when asked.
void set_report_options(bool timestamp, const std::string& guest_name);
void error_report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace vx86
