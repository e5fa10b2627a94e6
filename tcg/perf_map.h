// -perfmap: a /tmp/perf-<pid>.map file naming each block of generated code
// ("START SIZE NAME" per line: tb:GUEST_PC for blocks, vx86-stub:... for the
// shared stubs), which `perf report` reads to put guest
// addresses on samples in the JIT's code buffer (as QEMU's -perfmap does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vx86::tcg {

// Creates the map file for this process; false with *error set on failure.
bool perf_map_open(std::string* error);
bool perf_map_enabled();
// Names host code [code, code + size); a no-op unless the map is open.
void perf_map_add(const void* code, std::size_t size, const char* name);
void perf_map_add_block(const void* code, std::size_t size, uint64_t guest_pc);
std::string perf_map_path();

}  // namespace vx86::tcg
