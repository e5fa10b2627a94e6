#include "core/log_filter.h"

#include <optional>

#include "core/options.h"

namespace vx86 {

namespace {

std::vector<LogAddressRange> g_filter;

// A number as parse_number reads it (C syntax), but no sign: "5+-3" is no range.
bool parse_bound(std::string_view text, uint64_t* value) {
  if (text.empty() || text.front() == '+') return false;
  const std::optional<uint64_t> parsed = parse_number(text);
  if (!parsed) return false;
  *value = *parsed;
  return true;
}

bool parse_range(std::string_view item, LogAddressRange* range) {
  uint64_t a = 0;
  uint64_t b = 0;
  if (auto dots = item.find(".."); dots != std::string_view::npos) {
    if (!parse_bound(item.substr(0, dots), &a) || !parse_bound(item.substr(dots + 2), &b)) {
      return false;
    }
    if (b < a) return false;
    *range = {a, b};
    return true;
  }
  // The operator is the first '+' or '-' after the start (a hex start has none).
  auto op = item.find_first_of("+-", 1);
  if (op == std::string_view::npos) return false;
  if (!parse_bound(item.substr(0, op), &a) || !parse_bound(item.substr(op + 1), &b) || b == 0) {
    return false;
  }
  if (item[op] == '+') {
    if (a + (b - 1) < a) return false;  // wraps past the top of the address space
    *range = {a, a + (b - 1)};
  } else {
    if (b - 1 > a) return false;  // would start below zero
    *range = {a - (b - 1), a};
  }
  return true;
}

}  // namespace

bool parse_log_filter(std::string_view spec, std::vector<LogAddressRange>* ranges,
                      std::string* error) {
  std::vector<LogAddressRange> result;
  for (bool more = true; more;) {
    auto comma = spec.find(',');
    more = comma != std::string_view::npos;
    std::string_view item = spec.substr(0, comma);
    spec = more ? spec.substr(comma + 1) : std::string_view{};
    LogAddressRange range{};
    if (!parse_range(item, &range)) {
      *error = "bad range '" + std::string(item) +
               "' (expected START+SIZE, END-SIZE or START..LAST, SIZE not 0)";
      return false;
    }
    result.push_back(range);
  }
  *ranges = std::move(result);
  return true;
}

void set_log_filter(std::vector<LogAddressRange> ranges) {
  g_filter = std::move(ranges);
}

bool log_address_in_filter(uint64_t address) {
  if (g_filter.empty()) return true;
  for (const auto& range : g_filter) {
    if (address >= range.first && address <= range.last) return true;
  }
  return false;
}

}  // namespace vx86
