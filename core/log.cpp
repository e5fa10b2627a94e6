#include "core/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace vx86 {

std::atomic<uint32_t> g_log_mask{0};

namespace {

const LogMaskInfo kMasks[] = {
    {"in_asm", kLogInAsm, "show target assembly code for each compiled TB"},
    {"out_asm", kLogOutAsm, "show generated host assembly code for each compiled TB"},
    {"op", kLogOp, "show micro ops for each compiled TB"},
    {"op_opt", kLogOpOpt, "show micro ops after optimization"},
    {"exec", kLogExec, "show trace before each executed TB"},
    {"int", kLogInt, "show interrupts/exceptions in short format"},
    {"cpu", kLogCpu, "show CPU registers before entering a TB"},
    {"mmu", kLogMmu, "log MMU-related activities"},
    {"unimp", kLogUnimp, "log unimplemented functionality"},
    {"guest_errors", kLogGuestErrors, "log when the guest OS does something invalid"},
    {"pcall", kLogPcall, "x86 only: show protected mode far calls/returns/exceptions"},
    {"cpu_reset", kLogReset, "show CPU state before CPU resets"},
    {"ioport", kLogIoport, "show all i/o ports accesses"},
    {"gdb", kLogGdb, "show the packets gdb sends to the gdbstub (vx86 only)"},
};

std::mutex g_log_lock;
FILE* g_log_file = nullptr;

FILE* log_stream() {
  return g_log_file ? g_log_file : stderr;
}

}  // namespace

const LogMaskInfo* log_mask_table(std::size_t* count) {
  *count = sizeof(kMasks) / sizeof(kMasks[0]);
  return kMasks;
}

bool parse_log_mask(std::string_view spec, uint32_t* mask, std::string* bad) {
  uint32_t result = 0;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item == "all") {
      for (const auto& m : kMasks) result |= m.mask;
      continue;
    }
    bool found = false;
    for (const auto& m : kMasks) {
      if (item == m.name) {
        result |= m.mask;
        found = true;
      }
    }
    if (!found) {
      *bad = std::string(item);
      return false;
    }
  }
  *mask = result;
  return true;
}

void set_log_mask(uint32_t mask) {
  g_log_mask.store(mask, std::memory_order_relaxed);
}
uint32_t log_mask() {
  return g_log_mask.load(std::memory_order_relaxed);
}

bool set_log_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::lock_guard lock(g_log_lock);
  if (g_log_file) std::fclose(g_log_file);
  g_log_file = f;
  std::setvbuf(f, nullptr, _IOLBF, 0);
  return true;
}

void log_printf(const char* fmt, ...) {
  std::lock_guard lock(g_log_lock);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(log_stream(), fmt, ap);
  va_end(ap);
}

namespace {

bool g_report_timestamp = false;
std::string g_report_guest_name;

// -msg timestamp=on,guest-name=on: "2026-12-05T03:22:19.085929Z NAME " first.
void report_prefix() {
  if (g_report_timestamp) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    std::tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &utc);
    std::fprintf(stderr, "%s.%06ldZ ", when, now.tv_nsec / 1000);
  }
  if (!g_report_guest_name.empty()) std::fprintf(stderr, "%s ", g_report_guest_name.c_str());
}

}  // namespace

void set_report_options(bool timestamp, const std::string& guest_name) {
  g_report_timestamp = timestamp;
  g_report_guest_name = guest_name;
}

void error_report(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_prefix();
  std::fputs("vx86: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
}

void warn_report(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_prefix();
  std::fputs("vx86: warning: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
}

}  // namespace vx86
