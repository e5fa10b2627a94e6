// QEMU's option syntax: "value,key=value,flag=on" with ",," escaping a comma.
// Each user of an option declares its keys; unknown keys and bad values give
// a one-line error naming the option and the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vx86 {

class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OptType { kString, kNumber, kSize, kBool };

struct OptDesc {
  std::string name;
  OptType type = OptType::kString;
  std::string help;
};

class KeyValues {
 public:
  // Parses text for option `option` (e.g. "-drive"). implied_key names the key
  // of a leading bare value ("file" for -drive x.img,...), or "" for none.
  // When descs is non-empty, keys outside it are refused; values are checked
  // against their type.
  static KeyValues parse(std::string_view option, std::string_view text,
                         const std::string& implied_key, const std::vector<OptDesc>& descs);

  // As parse, or QEMU's JSON form when text starts with '{' (-device,
  // -blockdev, -netdev and -object take both, as libvirt writes them):
  // {"driver":"qcow2","file":{"filename":"x"}} is driver=qcow2,file.filename=x.
  static KeyValues parse_structured(std::string_view option, std::string_view text,
                                    const std::string& implied_key,
                                    const std::vector<OptDesc>& descs);

  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::optional<std::string> get(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& def = "") const;
  uint64_t get_number(const std::string& key, uint64_t def) const;
  uint64_t get_size(const std::string& key, uint64_t def) const;
  bool get_bool(const std::string& key, bool def) const;
  const std::map<std::string, std::string>& values() const { return values_; }
  // Keys in the order given (duplicates keep the last value).
  const std::vector<std::string>& order() const { return order_; }
  // Every value given for a key that may repeat (-netdev ...,hostfwd=...), in order.
  std::vector<std::string> get_all(const std::string& key) const;
  const std::string& option() const { return option_; }

 private:
  // Checks key and value against descs (when not empty) and records them.
  void add(const std::string& key, const std::string& value, const std::vector<OptDesc>& descs);

  std::string option_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> order_;
  std::vector<std::pair<std::string, std::string>> all_;
};

// "0x10", "16", "020" (octal as C)
std::optional<uint64_t> parse_number(std::string_view text);
// The same for a number that may be negative (QEMU's int properties: -1).
std::optional<int64_t> parse_signed_number(std::string_view text);
// "512", "64M", "2G", "1.5G" (suffix-less means bytes unless default_suffix given)
std::optional<uint64_t> parse_size(std::string_view text, char default_suffix = 0);
// on/off, yes/no, true/false
std::optional<bool> parse_bool(std::string_view text);

}  // namespace vx86
