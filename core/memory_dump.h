// The human monitor's `x` and `xp`: QEMU's /FMT syntax (count, format
// o/x/d/u/c/i, size b/h/w/g, the last format and size kept as defaults),
// its address expressions ($pc, $eax, numbers joined by + and -) and its
// memory dump layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vx86 {

struct DumpFormat {
  unsigned count = 1;
  char format = 'x';  // o x d u c i
  unsigned size = 4;  // bytes per unit: 1 2 4 8
};

// QEMU's defaults for the next `x`/`xp` without a format: the last ones used.
struct DumpDefaults {
  char format = 'x';
  unsigned size = 4;
};

// Parses "/FMT" (the text after the slash) into *out, updating the
// defaults as QEMU does; returns "" or QEMU's complaint.
std::string parse_dump_format(const std::string& text, DumpDefaults& defaults, DumpFormat* out);

// Evaluates an expression as QEMU's monitor does: numbers (0x hex, 0 octal,
// decimal), characters ('a') and $registers (looked up with register_value),
// unary + - ~, parentheses, and the binary operators + - * / % & | ^ with
// QEMU's precedence (* / % bind tightest, then the bit operations, then + -).
// Returns nullopt with *error set in QEMU's words ("unknown register",
// "division by zero", "')' expected"...). Without consumed the whole text
// must be the expression; with it, the expression ends before a term that
// no operator joins (as QEMU reads "o 0x80 0x55"), and *consumed says where.
std::optional<uint64_t> evaluate_address(
    const std::string& text,
    const std::function<std::optional<uint64_t>(const std::string&)>& register_value,
    std::string* error, std::size_t* consumed = nullptr);

// A character as QEMU's monitor quotes it: 'a', '\n', '\x01'.
std::string quoted_char(uint8_t c);

// Formats count units at addr in QEMU's layout (16 bytes a line, 8 for
// bytes; "Cannot access memory" where read returns fewer bytes than asked).
// read fills buf from an address and returns how many bytes it could read.
std::string format_memory_dump(
    const DumpFormat& format, uint64_t addr,
    const std::function<std::size_t(uint64_t addr, uint8_t* buf, std::size_t len)>& read);

}  // namespace vx86
