#include "hw/acpi/aml.h"

#include <initializer_list>
#include <stdexcept>
#include <string>

namespace vx86::aml {

namespace {

constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0a;
constexpr uint8_t kWordPrefix = 0x0b;
constexpr uint8_t kDWordPrefix = 0x0c;
constexpr uint8_t kStringPrefix = 0x0d;
constexpr uint8_t kQWordPrefix = 0x0e;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kMethodOp = 0x14;
constexpr uint8_t kDualNamePrefix = 0x2e;
constexpr uint8_t kMultiNamePrefix = 0x2f;
constexpr uint8_t kExtOpPrefix = 0x5b;
constexpr uint8_t kDeviceOp = 0x82;  // after kExtOpPrefix
constexpr uint8_t kReturnOp = 0xa4;
constexpr uint8_t kLocal0Op = 0x60;
constexpr uint8_t kArg0Op = 0x68;
constexpr uint8_t kStoreOp = 0x70;
constexpr uint8_t kAndOp = 0x7b;
constexpr uint8_t kNotifyOp = 0x86;
constexpr uint8_t kIfOp = 0xa0;
constexpr uint8_t kElseOp = 0xa1;
constexpr uint8_t kOrOp = 0x7d;
constexpr uint8_t kLNotOp = 0x92;
constexpr uint8_t kLEqualOp = 0x93;
constexpr uint8_t kCreateDWordFieldOp = 0x8a;
constexpr uint8_t kOpRegionOp = 0x80;  // after kExtOpPrefix
constexpr uint8_t kFieldOp = 0x81;     // after kExtOpPrefix
constexpr uint8_t kSystemIo = 0x01;
// FieldFlags: DWordAcc (3), NoLock (0 << 4), WriteAsZeros (2 << 5).
constexpr uint8_t kDwordAccWriteAsZeros = 0x03 | (2u << 5);

void append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

// An opcode followed by its operands (and target, if it has one).
Bytes operation(uint8_t op, std::initializer_list<Bytes> operands) {
  Bytes out{op};
  for (const Bytes& operand : operands) append(out, operand);
  return out;
}

void put_le(Bytes& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// PkgLength (20.2.4) counts its own bytes too.
Bytes with_pkg_length(const Bytes& body) {
  std::size_t n = body.size();
  Bytes out;
  if (n + 1 < 0x40) {
    out.push_back(static_cast<uint8_t>(n + 1));
  } else {
    int extra = n + 2 < (1u << 12) ? 1 : n + 3 < (1u << 20) ? 2 : 3;
    std::size_t total = n + 1 + extra;
    if (total >= (1u << 28)) throw std::length_error("AML package too large");
    out.push_back(static_cast<uint8_t>((extra << 6) | (total & 0xf)));
    for (int i = 0; i < extra; ++i) out.push_back(static_cast<uint8_t>(total >> (4 + 8 * i)));
  }
  append(out, body);
  return out;
}

Bytes name_seg(const std::string& seg) {
  if (seg.empty() || seg.size() > 4) throw std::invalid_argument("bad AML name segment: " + seg);
  Bytes out(seg.begin(), seg.end());
  out.resize(4, '_');
  return out;
}

}  // namespace

Bytes name_string(const std::string& path) {
  Bytes out;
  std::size_t i = 0;
  while (i < path.size() && (path[i] == '\\' || path[i] == '^')) out.push_back(path[i++]);
  std::vector<Bytes> segs;
  while (i < path.size()) {
    std::size_t dot = path.find('.', i);
    if (dot == std::string::npos) dot = path.size();
    segs.push_back(name_seg(path.substr(i, dot - i)));
    i = dot + 1;
  }
  if (segs.empty()) {
    out.push_back(0x00);  // NullName
  } else if (segs.size() == 2) {
    out.push_back(kDualNamePrefix);
  } else if (segs.size() > 2) {
    out.push_back(kMultiNamePrefix);
    out.push_back(static_cast<uint8_t>(segs.size()));
  }
  for (const Bytes& s : segs) append(out, s);
  return out;
}

Bytes integer(uint64_t value) {
  Bytes out;
  if (value == 0) {
    out.push_back(kZeroOp);
  } else if (value == 1) {
    out.push_back(kOneOp);
  } else if (value <= 0xff) {
    out = {kBytePrefix, static_cast<uint8_t>(value)};
  } else if (value <= 0xffff) {
    out.push_back(kWordPrefix);
    put_le(out, value, 2);
  } else if (value <= 0xffffffff) {
    out.push_back(kDWordPrefix);
    put_le(out, value, 4);
  } else {
    out.push_back(kQWordPrefix);
    put_le(out, value, 8);
  }
  return out;
}

Bytes string(const std::string& text) {
  Bytes out;
  out.reserve(text.size() + 2);
  out.push_back(kStringPrefix);
  for (char c : text) out.push_back(static_cast<uint8_t>(c));
  out.push_back(0);
  return out;
}

Bytes eisa_id(const std::string& id) {
  if (id.size() != 7) throw std::invalid_argument("EISA id must be 7 characters: " + id);
  auto hex = [&](char c) -> uint32_t {
    if (c >= '0' && c <= '9') return static_cast<uint32_t>(c - '0');
    if (c >= 'A' && c <= 'F') return static_cast<uint32_t>(c - 'A' + 10);
    throw std::invalid_argument("bad EISA id: " + id);
  };
  uint32_t vendor = ((static_cast<uint32_t>(id[0]) & 0x1f) << 10) |
                    ((static_cast<uint32_t>(id[1]) & 0x1f) << 5) |
                    (static_cast<uint32_t>(id[2]) & 0x1f);
  // Stored big-endian: vendor bytes, then the four product digits.
  uint32_t value = (vendor >> 8) | ((vendor & 0xff) << 8) |
                   (((hex(id[3]) << 4) | hex(id[4])) << 16) |
                   (((hex(id[5]) << 4) | hex(id[6])) << 24);
  return integer(value);
}

Bytes buffer(const Bytes& data) {
  Bytes body = integer(data.size());
  append(body, data);
  Bytes out{kBufferOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes package(const std::vector<Bytes>& elements) {
  if (elements.size() > 255) throw std::length_error("AML package with more than 255 elements");
  Bytes body{static_cast<uint8_t>(elements.size())};
  for (const Bytes& e : elements) append(body, e);
  Bytes out{kPackageOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes name(const std::string& path, const Bytes& object) {
  Bytes out{kNameOp};
  append(out, name_string(path));
  append(out, object);
  return out;
}

Bytes scope(const std::string& path, const Bytes& terms) {
  Bytes body = name_string(path);
  append(body, terms);
  Bytes out{kScopeOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes device(const std::string& path, const Bytes& terms) {
  Bytes body = name_string(path);
  append(body, terms);
  Bytes out{kExtOpPrefix, kDeviceOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes method_returning(const std::string& path, const Bytes& value) {
  Bytes body = name_string(path);
  body.push_back(0);  // no arguments, not serialized
  body.push_back(kReturnOp);
  append(body, value);
  Bytes out{kMethodOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes method(const std::string& path, unsigned args, const Bytes& terms) {
  if (args > 7) throw std::invalid_argument("AML methods take at most 7 arguments");
  Bytes body = name_string(path);
  body.push_back(static_cast<uint8_t>(args));  // NotSerialized, SyncLevel 0
  append(body, terms);
  Bytes out{kMethodOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes io_region(const std::string& name, uint16_t address, uint16_t length) {
  Bytes out{kExtOpPrefix, kOpRegionOp};
  append(out, name_string(name));
  out.push_back(kSystemIo);
  append(out, integer(address));
  append(out, integer(length));
  return out;
}

Bytes dword_field(const std::string& region, const std::vector<FieldUnit>& units) {
  Bytes body = name_string(region);
  body.push_back(kDwordAccWriteAsZeros);
  for (const FieldUnit& unit : units) {
    append(body, name_seg(unit.name));
    // A NamedField's PkgLength is its size in bits, not a byte count.
    if (unit.bits == 0 || unit.bits >= 0x40) {
      throw std::invalid_argument("AML field units here are 1-63 bits");
    }
    body.push_back(static_cast<uint8_t>(unit.bits));
  }
  Bytes out{kExtOpPrefix, kFieldOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes local(unsigned index) {
  if (index > 7) throw std::invalid_argument("AML has Local0-Local7");
  return {static_cast<uint8_t>(kLocal0Op + index)};
}

Bytes arg(unsigned index) {
  if (index > 6) throw std::invalid_argument("AML has Arg0-Arg6");
  return {static_cast<uint8_t>(kArg0Op + index)};
}

Bytes store(const Bytes& source, const Bytes& target) {
  return operation(kStoreOp, {source, target});
}

Bytes bit_and(const Bytes& left, const Bytes& right) {
  return operation(kAndOp, {left, right, Bytes{0x00}});  // NullName: no target
}

Bytes if_then(const Bytes& predicate, const Bytes& terms) {
  Bytes body = predicate;
  append(body, terms);
  Bytes out{kIfOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes if_then_else(const Bytes& predicate, const Bytes& terms, const Bytes& else_terms) {
  Bytes out = if_then(predicate, terms);
  out.push_back(kElseOp);
  append(out, with_pkg_length(else_terms));
  return out;
}

Bytes bit_and_to(const Bytes& left, const Bytes& right, const Bytes& target) {
  return operation(kAndOp, {left, right, target});
}

Bytes bit_or_to(const Bytes& left, const Bytes& right, const Bytes& target) {
  return operation(kOrOp, {left, right, target});
}

Bytes equal(const Bytes& left, const Bytes& right) {
  return operation(kLEqualOp, {left, right});
}

Bytes not_equal(const Bytes& left, const Bytes& right) {
  return operation(kLNotOp, {equal(left, right)});
}

Bytes return_value(const Bytes& value) {
  return operation(kReturnOp, {value});
}

Bytes create_dword_field(const Bytes& source, unsigned byte_index, const std::string& name) {
  return operation(kCreateDWordFieldOp, {source, integer(byte_index), name_string(name)});
}

Bytes uuid(const std::string& text) {
  // 8-4-4-4-12 hex digits; the first three groups are stored little-endian
  // (ACPI 6.4, 19.6.142).
  auto hex_byte = [&](size_t pos) {
    if (pos + 2 > text.size()) throw std::invalid_argument("bad UUID " + text);
    return static_cast<uint8_t>(std::stoul(text.substr(pos, 2), nullptr, 16));
  };
  if (text.size() != 36) throw std::invalid_argument("bad UUID " + text);
  static constexpr size_t kOrder[16] = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
  Bytes data;
  for (size_t pos : kOrder) data.push_back(hex_byte(pos));
  return buffer(data);
}

Bytes notify(const Bytes& object, const Bytes& value) {
  Bytes out{kNotifyOp};
  append(out, object);
  append(out, value);
  return out;
}

Bytes call(const std::string& path, const std::vector<Bytes>& args) {
  Bytes out = name_string(path);
  for (const Bytes& a : args) append(out, a);
  return out;
}

Bytes join(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const Bytes& p : parts) append(out, p);
  return out;
}

namespace resource {

namespace {
// General flags of address space descriptors: producer, MinFixed, MaxFixed.
constexpr uint8_t kFixedWindow = 0x0c;
constexpr uint8_t kTypeMemory = 0, kTypeIo = 1, kTypeBusNumber = 2;

Bytes large(uint8_t tag, const Bytes& body) {
  Bytes out{tag};
  put_le(out, body.size(), 2);
  append(out, body);
  return out;
}

Bytes address_space(uint8_t tag, int width, uint8_t type, uint8_t type_flags, uint64_t min,
                    uint64_t max) {
  Bytes body{type, kFixedWindow, type_flags};
  put_le(body, 0, width);              // granularity
  put_le(body, min, width);            // minimum
  put_le(body, max, width);            // maximum
  put_le(body, 0, width);              // translation offset
  put_le(body, max - min + 1, width);  // length
  return large(tag, body);
}
}  // namespace

Bytes io(uint16_t min, uint16_t max, uint8_t alignment, uint8_t length) {
  Bytes out{0x47, 0x01};  // IO, 16-bit decode
  put_le(out, min, 2);
  put_le(out, max, 2);
  out.push_back(alignment);
  out.push_back(length);
  return out;
}

Bytes irq_no_flags(uint8_t irq) {
  Bytes out{0x22};
  put_le(out, 1u << irq, 2);
  return out;
}

Bytes word_bus_number(uint16_t min, uint16_t max) {
  return address_space(0x88, 2, kTypeBusNumber, 0, min, max);
}

Bytes word_io(uint16_t min, uint16_t max) {
  return address_space(0x88, 2, kTypeIo, 0x03, min, max);  // entire range
}

Bytes dword_memory(uint32_t min, uint32_t max) {
  return address_space(0x87, 4, kTypeMemory, 0x01, min, max);  // read-write, non-cacheable
}

Bytes qword_memory(uint64_t min, uint64_t max) {
  return address_space(0x8a, 8, kTypeMemory, 0x01, min, max);
}

Bytes fixed_memory32(uint32_t base, uint32_t length) {
  Bytes body{0x01};  // read-write
  put_le(body, base, 4);
  put_le(body, length, 4);
  return large(0x86, body);
}

Bytes template_of(const std::vector<Bytes>& descriptors) {
  Bytes data = join(descriptors);
  data.push_back(0x79);  // end tag
  data.push_back(0x00);  // checksum: none
  return buffer(data);
}

}  // namespace resource

}  // namespace vx86::aml
