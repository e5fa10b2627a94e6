#include "core/memory_dump.h"

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace vx86 {

std::string parse_dump_format(const std::string& text, DumpDefaults& defaults, DumpFormat* out) {
  std::size_t i = 0;
  unsigned count = 1;
  if (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    count = static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10));
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  }
  int format = -1;
  int size = -1;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == 'o' || c == 'd' || c == 'u' || c == 'x' || c == 'i' || c == 'c') {
      format = c;
    } else if (c == 'b') {
      size = 1;
    } else if (c == 'h') {
      size = 2;
    } else if (c == 'w') {
      size = 4;
    } else if (c == 'g' || c == 'L') {
      size = 8;
    } else {
      return std::string("invalid char in format: '") + c + "'\n";
    }
  }
  if (format < 0) format = defaults.format;
  if (format != 'i') {
    if (size < 0) size = static_cast<int>(defaults.size);
    defaults.size = static_cast<unsigned>(size);
  }
  defaults.format = static_cast<char>(format);
  out->count = count;
  out->format = static_cast<char>(format);
  out->size = size < 0 ? defaults.size : static_cast<unsigned>(size);
  return "";
}

std::optional<uint64_t> evaluate_address(
    const std::string& text,
    const std::function<std::optional<uint64_t>(const std::string&)>& register_value,
    std::string* error, std::size_t* consumed) {
  uint64_t total = 0;
  int sign = 1;
  bool expect_term = true;
  std::size_t i = 0;
  std::size_t end_of_expression = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '+' || c == '-') {
      // A binary operator after a term, a sign before one.
      sign = expect_term ? (c == '-' ? -sign : sign) : (c == '-' ? -1 : 1);
      expect_term = true;
      ++i;
    } else if (!expect_term && consumed) {
      break;  // the next argument starts here
    } else if (expect_term && c == '$') {
      std::size_t end = ++i;
      while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                   text[end] == '_' || text[end] == '.'))
        ++end;
      const auto value = register_value(text.substr(i, end - i));
      if (!value) {
        *error = "unknown register";
        return std::nullopt;
      }
      total += sign > 0 ? *value : -*value;
      expect_term = false;
      i = end_of_expression = end;
    } else if (expect_term && std::isdigit(static_cast<unsigned char>(c))) {
      char* end = nullptr;
      const uint64_t value = std::strtoull(text.c_str() + i, &end, 0);
      total += sign > 0 ? value : -value;
      expect_term = false;
      i = end_of_expression = static_cast<std::size_t>(end - text.c_str());
    } else {
      *error = "invalid char in expression";
      return std::nullopt;
    }
  }
  if (expect_term) {
    *error = "unexpected end of expression";  // QEMU's words
    return std::nullopt;
  }
  if (consumed) *consumed = end_of_expression;
  return total;
}

std::string quoted_char(uint8_t c) {
  switch (c) {
    case '\'':
      return "'\\''";
    case '\\':
      return "'\\\\'";
    case '\n':
      return "'\\n'";
    case '\r':
      return "'\\r'";
    default:
      break;
  }
  char buf[8];
  if (c >= 32 && c <= 126) {
    std::snprintf(buf, sizeof(buf), "'%c'", c);
  } else {
    std::snprintf(buf, sizeof(buf), "'\\x%02x'", c);
  }
  return buf;
}

std::string format_memory_dump(
    const DumpFormat& format, uint64_t addr,
    const std::function<std::size_t(uint64_t addr, uint8_t* buf, std::size_t len)>& read) {
  unsigned size = format.size;
  int digits = 0;
  switch (format.format) {
    case 'o':
      digits = static_cast<int>((size * 8 + 2) / 3);
      break;
    case 'u':
    case 'd':
      digits = static_cast<int>((size * 8 * 10 + 32) / 33);
      break;
    case 'c':
      size = 1;
      break;
    default:
      digits = static_cast<int>(size * 2);
      break;
  }
  const uint64_t line_size = format.size == 1 ? 8 : 16;
  uint64_t left = uint64_t{format.size} * format.count;
  std::string out;
  char buf[64];
  while (left > 0) {
    std::snprintf(buf, sizeof(buf), "%016" PRIx64 ":", addr);
    out += buf;
    const std::size_t n = static_cast<std::size_t>(left < line_size ? left : line_size);
    uint8_t bytes[16];
    if (read(addr, bytes, n) < n) {
      out += " Cannot access memory\n";
      break;
    }
    for (std::size_t i = 0; i < n; i += size) {
      uint64_t v = 0;
      for (unsigned b = 0; b < size && i + b < n; ++b) v |= uint64_t{bytes[i + b]} << (8 * b);
      out += ' ';
      switch (format.format) {
        case 'o':
          std::snprintf(buf, sizeof(buf), "%#*" PRIo64, digits, v);
          break;
        case 'u':
          std::snprintf(buf, sizeof(buf), "%*" PRIu64, digits, v);
          break;
        case 'd':
          // As QEMU: the unit zero-extended, then printed signed.
          std::snprintf(buf, sizeof(buf), "%*" PRId64, digits, static_cast<int64_t>(v));
          break;
        case 'c':
          std::snprintf(buf, sizeof(buf), "%s", quoted_char(static_cast<uint8_t>(v)).c_str());
          break;
        default:
          std::snprintf(buf, sizeof(buf), "0x%0*" PRIx64, digits, v);
          break;
      }
      out += buf;
    }
    out += "\n";
    addr += n;
    left -= n;
  }
  return out;
}

}  // namespace vx86
