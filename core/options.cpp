#include "core/options.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace vx86 {

std::optional<uint64_t> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || s[0] == '-') return std::nullopt;
  return v;
}

std::optional<int64_t> parse_signed_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_size(std::string_view text, char default_suffix) {
  if (text.empty()) return std::nullopt;
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || v < 0 || s[0] == '-') return std::nullopt;
  char suffix = *end ? *end : default_suffix;
  if (*end && end[1] != '\0') {
    // Allow "64MB"/"64MiB"-free forms only as QEMU does: one letter.
    return std::nullopt;
  }
  double mult = 1;
  switch (std::toupper(static_cast<unsigned char>(suffix))) {
    case 0:
    case 'B':
      mult = 1;
      break;
    case 'K':
      mult = 1024.0;
      break;
    case 'M':
      mult = 1024.0 * 1024;
      break;
    case 'G':
      mult = 1024.0 * 1024 * 1024;
      break;
    case 'T':
      mult = 1024.0 * 1024 * 1024 * 1024;
      break;
    case 'P':
      mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
      break;
    case 'E':
      mult = 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024;
      break;
    default:
      return std::nullopt;
  }
  double bytes = v * mult;
  if (bytes >= 18446744073709551616.0) return std::nullopt;
  if (suffix == 0 && std::floor(v) != v) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "on" || text == "yes" || text == "true") return true;
  if (text == "off" || text == "no" || text == "false") return false;
  return std::nullopt;
}

KeyValues KeyValues::parse(std::string_view option, std::string_view text,
                           const std::string& implied_key, const std::vector<OptDesc>& descs) {
  KeyValues kv;
  kv.option_ = std::string(option);
  // Split on single commas; ",," is a literal comma.
  std::vector<std::string> items;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',') {
      if (i + 1 < text.size() && text[i + 1] == ',') {
        cur += ',';
        ++i;
        continue;
      }
      items.push_back(cur);
      cur.clear();
      continue;
    }
    cur += text[i];
  }
  items.push_back(cur);

  bool first = true;
  for (const std::string& item : items) {
    std::string key, value;
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      if (first && !implied_key.empty()) {
        key = implied_key;
        value = item;
      } else if (item.empty()) {
        if (first && items.size() == 1) break;  // empty option text
        throw OptionError(kv.option_ + ": empty parameter in '" + std::string(text) + "'");
      } else {
        throw OptionError(kv.option_ + ": parameter '" + item + "' expects a value (" + item +
                          "=...)");
      }
    } else {
      key = item.substr(0, eq);
      value = item.substr(eq + 1);
    }
    first = false;
    kv.add(key, value, descs);
  }
  return kv;
}

void KeyValues::add(const std::string& key, const std::string& value,
                    const std::vector<OptDesc>& descs) {
  if (!descs.empty()) {
    const OptDesc* desc = nullptr;
    for (const auto& d : descs) {
      if (d.name == key) desc = &d;
    }
    if (!desc) throw OptionError(option_ + ": invalid parameter '" + key + "'");
    bool ok = true;
    switch (desc->type) {
      case OptType::kString:
        break;
      case OptType::kNumber:
        ok = parse_number(value).has_value();
        break;
      case OptType::kSize:
        ok = parse_size(value).has_value();
        break;
      case OptType::kBool:
        ok = parse_bool(value).has_value();
        break;
    }
    if (!ok) {
      static const char* kTypeNames[] = {"a string", "a number", "a size", "on or off"};
      throw OptionError(option_ + ": parameter '" + key + "' expects " +
                        kTypeNames[static_cast<int>(desc->type)] + ", not '" + value + "'");
    }
  }
  if (!values_.count(key)) order_.push_back(key);
  values_[key] = value;
  all_.emplace_back(key, value);
}

namespace {

// QEMU's JSON option form as key=value pairs: nested objects give dotted
// keys (file.filename), arrays numbered ones (key.0), booleans on/off.
void flatten_json(const nlohmann::ordered_json& value, const std::string& key,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) flatten_json(v, key.empty() ? k : key + "." + k, out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      flatten_json(value[i], key + "." + std::to_string(i), out);
    }
  } else if (value.is_string()) {
    out.emplace_back(key, value.get<std::string>());
  } else if (value.is_boolean()) {
    out.emplace_back(key, value.get<bool>() ? "on" : "off");
  } else {
    out.emplace_back(key, value.dump());  // numbers; null is "null"
  }
}

}  // namespace

KeyValues KeyValues::parse_structured(std::string_view option, std::string_view text,
                                      const std::string& implied_key,
                                      const std::vector<OptDesc>& descs) {
  if (text.empty() || text.front() != '{') return parse(option, text, implied_key, descs);
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::ordered_json::exception& e) {
    throw OptionError(std::string(option) + ": not valid JSON (" + e.what() + ")");
  }
  std::vector<std::pair<std::string, std::string>> items;
  flatten_json(json, "", items);
  KeyValues kv;
  kv.option_ = std::string(option);
  for (const auto& [key, value] : items) kv.add(key, value, descs);
  return kv;
}

std::optional<std::string> KeyValues::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string KeyValues::get_string(const std::string& key, const std::string& def) const {
  auto v = get(key);
  return v ? *v : def;
}

std::vector<std::string> KeyValues::get_all(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : all_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

uint64_t KeyValues::get_number(const std::string& key, uint64_t def) const {
  auto v = get(key);
  if (!v) return def;
  auto n = parse_number(*v);
  if (!n)
    throw OptionError(option_ + ": parameter '" + key + "' expects a number, not '" + *v + "'");
  return *n;
}

uint64_t KeyValues::get_size(const std::string& key, uint64_t def) const {
  auto v = get(key);
  if (!v) return def;
  auto n = parse_size(*v);
  if (!n) throw OptionError(option_ + ": parameter '" + key + "' expects a size, not '" + *v + "'");
  return *n;
}

bool KeyValues::get_bool(const std::string& key, bool def) const {
  auto v = get(key);
  if (!v) return def;
  auto b = parse_bool(*v);
  if (!b)
    throw OptionError(option_ + ": parameter '" + key + "' expects on or off, not '" + *v + "'");
  return *b;
}

}  // namespace vx86
