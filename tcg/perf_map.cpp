#include "tcg/perf_map.h"

#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace vx86::tcg {

namespace {

std::FILE* g_map = nullptr;
std::mutex g_map_lock;  // one file for every vCPU's code buffer

}  // namespace

std::string perf_map_path() {
  return "/tmp/perf-" + std::to_string(::getpid()) + ".map";
}

bool perf_map_open(std::string* error) {
  std::lock_guard<std::mutex> hold(g_map_lock);
  if (g_map) return true;
  const std::string path = perf_map_path();
  g_map = std::fopen(path.c_str(), "w");
  if (!g_map) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool perf_map_enabled() {
  return g_map != nullptr;
}

void perf_map_add(const void* code, std::size_t size, const char* name) {
  std::lock_guard<std::mutex> hold(g_map_lock);
  if (!g_map) return;
  // Flushed per line: perf may read the file while vx86 still runs, and
  // vx86 may be killed rather than exit.
  std::fprintf(g_map, "%" PRIxPTR " %zx %s\n", reinterpret_cast<uintptr_t>(code), size, name);
  std::fflush(g_map);
}

void perf_map_add_block(const void* code, std::size_t size, uint64_t guest_pc) {
  if (!g_map) return;
  char name[32];
  std::snprintf(name, sizeof(name), "tb:0x%" PRIx64, guest_pc);
  perf_map_add(code, size, name);
}

}  // namespace vx86::tcg
