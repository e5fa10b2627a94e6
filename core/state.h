// Device state save and restore. A device lists its fields once, in
// visit_state(); the same function serves saving and loading.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace vx86 {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateVisitor {
 public:
  virtual ~StateVisitor() = default;
  virtual bool loading() const = 0;
  // Saves or restores `size` raw bytes under name.
  virtual void bytes(const std::string& name, void* data, std::size_t size) = 0;
  // Enters a named section (one device, one sub-unit).
  virtual void begin(const std::string& section) = 0;
  virtual void end() = 0;

  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void field(const std::string& name, T& value) { bytes(name, &value, sizeof(T)); }
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void array(const std::string& name, std::span<T> values) {
    bytes(name, values.data(), values.size_bytes());
  }
};

// Saves into a flat keyed blob ("section/field" -> bytes).
class StateWriter : public StateVisitor {
 public:
  bool loading() const override { return false; }
  void bytes(const std::string& name, void* data, std::size_t size) override;
  void begin(const std::string& section) override;
  void end() override;
  std::vector<uint8_t> serialize() const;
  const std::map<std::string, std::vector<uint8_t>>& fields() const { return fields_; }

 private:
  std::string prefix() const;
  std::vector<std::string> sections_;
  std::map<std::string, std::vector<uint8_t>> fields_;
};

// Restores from a StateWriter's blob; a missing or resized field is an error.
class StateReader : public StateVisitor {
 public:
  explicit StateReader(std::map<std::string, std::vector<uint8_t>> fields);
  static StateReader deserialize(std::span<const uint8_t> blob);
  bool loading() const override { return true; }
  void bytes(const std::string& name, void* data, std::size_t size) override;
  void begin(const std::string& section) override;
  void end() override;

 private:
  std::string prefix() const;
  std::vector<std::string> sections_;
  std::map<std::string, std::vector<uint8_t>> fields_;
};

}  // namespace vx86
