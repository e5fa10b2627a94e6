#include "core/state.h"

namespace vx86 {

namespace {
std::string join(const std::vector<std::string>& sections) {
  std::string p;
  for (const auto& s : sections) p += s + "/";
  return p;
}
}  // namespace

std::string StateWriter::prefix() const {
  return join(sections_);
}

void StateWriter::bytes(const std::string& name, void* data, std::size_t size) {
  auto* p = static_cast<const uint8_t*>(data);
  fields_[prefix() + name] = std::vector<uint8_t>(p, p + size);
}

void StateWriter::begin(const std::string& section) {
  sections_.push_back(section);
}
void StateWriter::end() {
  sections_.pop_back();
}

std::vector<uint8_t> StateWriter::serialize() const {
  std::vector<uint8_t> out;
  auto put32 = [&out](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put32(static_cast<uint32_t>(fields_.size()));
  for (const auto& [name, value] : fields_) {
    put32(static_cast<uint32_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
    put32(static_cast<uint32_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
  }
  return out;
}

StateReader::StateReader(std::map<std::string, std::vector<uint8_t>> fields)
    : fields_(std::move(fields)) {}

StateReader StateReader::deserialize(std::span<const uint8_t> blob) {
  std::size_t pos = 0;
  auto get32 = [&]() {
    if (pos + 4 > blob.size()) throw StateError("truncated state");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(blob[pos + i]) << (8 * i);
    pos += 4;
    return v;
  };
  auto get_bytes = [&](uint32_t n) {
    if (n > blob.size() - pos) throw StateError("truncated state");
    std::vector<uint8_t> v(blob.begin() + pos, blob.begin() + pos + n);
    pos += n;
    return v;
  };
  std::map<std::string, std::vector<uint8_t>> fields;
  uint32_t count = get32();
  for (uint32_t i = 0; i < count; ++i) {
    auto name = get_bytes(get32());
    auto value = get_bytes(get32());
    fields[std::string(name.begin(), name.end())] = std::move(value);
  }
  return StateReader(std::move(fields));
}

std::string StateReader::prefix() const {
  return join(sections_);
}

void StateReader::bytes(const std::string& name, void* data, std::size_t size) {
  auto it = fields_.find(prefix() + name);
  if (it == fields_.end()) throw StateError("state has no field '" + prefix() + name + "'");
  if (it->second.size() != size) {
    throw StateError("state field '" + prefix() + name + "' has " +
                     std::to_string(it->second.size()) + " bytes, expected " +
                     std::to_string(size));
  }
  std::memcpy(data, it->second.data(), size);
}

void StateReader::begin(const std::string& section) {
  sections_.push_back(section);
}
void StateReader::end() {
  sections_.pop_back();
}

}  // namespace vx86
