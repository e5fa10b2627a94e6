#include "core/memory_dump.h"

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

namespace {

// QEMU's monitor expressions, by recursive descent with its precedence:
// sums (+ -) of bit operations (& | ^) of products (* / %) of unary terms
// (+ - ~, parentheses, $register, 'c', numbers in C notation). All
// arithmetic is 64-bit and wraps.
class ExpressionParser {
 public:
  using RegisterValue = std::function<std::optional<uint64_t>(const std::string&)>;
  ExpressionParser(const std::string& text, const RegisterValue& register_value, bool in_line)
      : text_(text), register_value_(register_value), in_line_(in_line) {}

  std::optional<uint64_t> parse(std::string* error, std::size_t* consumed) {
    const std::optional<uint64_t> value = sum();
    if (value && !in_line_) {
      skip_spaces();
      if (pos_ < text_.size()) fail("invalid char in expression");
    }
    if (!error_.empty()) {
      *error = error_;
      return std::nullopt;
    }
    if (consumed) *consumed = end_of_term_;
    return value;
  }

 private:
  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  std::optional<uint64_t> fail(const char* why) {
    if (error_.empty()) error_ = why;
    return std::nullopt;
  }
  // The binary operator among ops that comes next, or 0.
  char binary_operator(const char* ops) {
    const std::size_t before = pos_;
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] != '\0' && std::strchr(ops, text_[pos_])) {
      return text_[pos_++];
    }
    pos_ = before;
    return 0;
  }
  std::optional<uint64_t> sum() {
    std::optional<uint64_t> value = logic();
    while (value) {
      const char op = binary_operator("+-");
      if (!op) break;
      const std::optional<uint64_t> right = logic();
      if (!right) return std::nullopt;
      value = op == '+' ? *value + *right : *value - *right;
    }
    return value;
  }
  std::optional<uint64_t> product() {
    std::optional<uint64_t> value = unary();
    while (value) {
      const char op = binary_operator("*/%");
      if (!op) break;
      const std::optional<uint64_t> right = unary();
      if (!right) return std::nullopt;
      if (op != '*' && *right == 0) return fail("division by zero");
      value = op == '*' ? *value * *right : op == '/' ? *value / *right : *value % *right;
    }
    return value;
  }
  std::optional<uint64_t> logic() {
    std::optional<uint64_t> value = product();
    while (value) {
      const char op = binary_operator("&|^");
      if (!op) break;
      const std::optional<uint64_t> right = product();
      if (!right) return std::nullopt;
      value = op == '&' ? *value & *right : op == '|' ? *value | *right : *value ^ *right;
    }
    return value;
  }
  std::optional<uint64_t> unary() {
    skip_spaces();
    if (pos_ >= text_.size()) return fail("unexpected end of expression");  // QEMU's words
    const char c = text_[pos_];
    if (c == '+' || c == '-' || c == '~') {
      ++pos_;
      const std::optional<uint64_t> v = unary();
      if (!v) return std::nullopt;
      return c == '+' ? *v : c == '-' ? uint64_t{0} - *v : ~*v;
    }
    if (c == '(') {
      ++pos_;
      const std::optional<uint64_t> v = sum();
      if (!v) return std::nullopt;
      skip_spaces();
      if (pos_ >= text_.size() || text_[pos_] != ')') return fail("')' expected");
      end_of_term_ = ++pos_;
      return v;
    }
    if (c == '$') {
      std::size_t end = ++pos_;
      while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                    text_[end] == '_' || text_[end] == '.')) {
        ++end;
      }
      const std::optional<uint64_t> v = register_value_(text_.substr(pos_, end - pos_));
      if (!v) return fail("unknown register");
      pos_ = end_of_term_ = end;
      return v;
    }
    if (c == '\'' && pos_ + 2 < text_.size() && text_[pos_ + 2] == '\'') {  // 'a'
      const uint64_t v = static_cast<unsigned char>(text_[pos_ + 1]);
      pos_ = end_of_term_ = pos_ + 3;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      errno = 0;
      char* end = nullptr;
      const uint64_t v = std::strtoull(text_.c_str() + pos_, &end, 0);
      if (errno == ERANGE) return fail("number too large");
      pos_ = end_of_term_ = static_cast<std::size_t>(end - text_.c_str());
      return v;
    }
    return fail("invalid char in expression");
  }

  const std::string& text_;
  const RegisterValue& register_value_;
  bool in_line_;  // more arguments may follow the expression
  std::size_t pos_ = 0;
  std::size_t end_of_term_ = 0;
  std::string error_;
};

}  // namespace

std::optional<uint64_t> evaluate_address(
    const std::string& text,
    const std::function<std::optional<uint64_t>(const std::string&)>& register_value,
    std::string* error, std::size_t* consumed) {
  return ExpressionParser(text, register_value, consumed != nullptr).parse(error, consumed);
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
