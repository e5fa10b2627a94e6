// The monitor's `x /Ni` and `xp /Ni`: guest instructions disassembled by
// capstone in AT&T syntax and laid out as QEMU's monitor lays them out
// (QEMU uses capstone too, so the text is the same).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace vx86 {

// Fills buf from a guest address; returns the bytes it could read.
using CodeReader = std::function<std::size_t(uint64_t addr, uint8_t* buf, std::size_t len)>;

// count instructions from addr, decoded as code_bits (16, 32 or 64) code.
std::string disassemble_for_monitor(const CodeReader& read, uint64_t addr, unsigned count,
                                    unsigned code_bits);

}  // namespace vx86
