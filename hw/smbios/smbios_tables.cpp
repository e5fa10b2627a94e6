#include "hw/smbios/smbios_tables.h"

#include <algorithm>
#include <numeric>

namespace vx86 {

namespace {

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024, kGiB = 1024 * kMiB;
constexpr uint64_t kMaxDimmSize = 16 * kGiB;  // QEMU splits RAM into DIMMs of at most this
constexpr uint16_t kArrayHandle = 0x1000;
constexpr uint16_t kNoErrorInformation = 0xfffe;

// One structure: the formatted area, then its strings (each NUL-ended) and
// the NUL that ends the set.
class Structure {
 public:
  Structure(uint8_t type, uint16_t handle) { put8(type), put8(0), put16(handle); }
  void put8(uint8_t v) { bytes_.push_back(v); }
  void put16(uint16_t v) { put8(v & 0xff), put8(v >> 8); }
  void put32(uint32_t v) { put16(v & 0xffff), put16(v >> 16); }
  void put64(uint64_t v) { put32(v & 0xffffffff), put32(v >> 32); }
  void zeros(unsigned count) { bytes_.insert(bytes_.end(), count, 0); }
  // A string field: its number, or 0 for none.
  void string(const std::string& text) {
    if (text.empty()) return put8(0);
    strings_.push_back(text);
    put8(static_cast<uint8_t>(strings_.size()));
  }
  // A string the formatted area does not point to (type 11's are counted).
  void counted_string(const std::string& text) { strings_.push_back(text); }
  void append_to(SmbiosTables* tables) {
    bytes_[1] = static_cast<uint8_t>(bytes_.size());
    for (const std::string& s : strings_) {
      bytes_.insert(bytes_.end(), s.begin(), s.end());
      bytes_.push_back(0);
    }
    if (strings_.empty()) bytes_.push_back(0);
    bytes_.push_back(0);
    tables->bytes.insert(tables->bytes.end(), bytes_.begin(), bytes_.end());
    ++tables->count;
    tables->max_structure_size =
        std::max(tables->max_structure_size, static_cast<uint16_t>(bytes_.size()));
  }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<std::string> strings_;
};

// A -smbios field of `type`, or `otherwise`.
std::string field(const SmbiosConfig& c, unsigned type, const std::string& name,
                  const std::string& otherwise = "") {
  const auto t = c.user.find(type);
  if (t == c.user.end()) return otherwise;
  const auto f = t->second.find(name);
  return f == t->second.end() ? otherwise : f->second;
}

// Type 0, as QEMU makes it from -smbios type=0 (SeaBIOS then keeps it).
void add_bios(const SmbiosConfig& c, SmbiosTables* t) {
  Structure s(0, 0x0000);
  s.string(field(c, 0, "vendor"));
  s.string(field(c, 0, "version"));
  s.put16(0xe800);  // starting segment, as SeaBIOS's
  s.string(field(c, 0, "date"));
  s.put8(0);                                                // ROM size
  s.put64(0x08);                                            // characteristics are not supported
  s.put8(0);                                                // extension byte 1
  s.put8(0x14 | (field(c, 0, "uefi") == "on" ? 0x08 : 0));  // targeted content, VM [, UEFI]
  const std::string release = field(c, 0, "release");
  const std::size_t dot = release.find('.');
  s.put8(dot == std::string::npos ? 0 : static_cast<uint8_t>(std::stoul(release.substr(0, dot))));
  s.put8(dot == std::string::npos ? 0 : static_cast<uint8_t>(std::stoul(release.substr(dot + 1))));
  s.put16(0xffff);  // no embedded controller
  s.append_to(t);
}

void add_baseboard(const SmbiosConfig& c, SmbiosTables* t) {
  Structure s(2, 0x0200);
  for (const char* name : {"manufacturer", "product", "version", "serial", "asset"}) {
    s.string(field(c, 2, name));
  }
  s.put8(0x01);  // features: a hosting board
  s.string(field(c, 2, "location"));
  s.put16(0x0300);  // in the chassis
  s.put8(0x0a);     // motherboard
  s.put8(0);        // contained objects: none
  s.append_to(t);
}

void add_oem_strings(const SmbiosConfig& c, SmbiosTables* t) {
  Structure s(11, 0x0e00);
  s.put8(static_cast<uint8_t>(c.oem_strings.size()));
  for (const std::string& text : c.oem_strings) s.counted_string(text);
  s.append_to(t);
}

void add_system(const SmbiosConfig& c, SmbiosTables* t) {
  Structure s(1, 0x0100);
  s.string(field(c, 1, "manufacturer", c.manufacturer));
  s.string(field(c, 1, "product", c.product));
  s.string(field(c, 1, "version", c.version));
  s.string(field(c, 1, "serial"));
  // The UUID's first three fields are stored little-endian (SMBIOS 2.6+).
  std::array<uint8_t, 16> u{};
  if (c.uuid) u = *c.uuid;
  if (auto given = parse_uuid(field(c, 1, "uuid"))) u = *given;
  for (int i : {3, 2, 1, 0, 5, 4, 7, 6}) s.put8(u[i]);
  for (int i = 8; i < 16; ++i) s.put8(u[i]);
  s.put8(0x06);  // woken by the power switch
  s.string(field(c, 1, "sku"));
  s.string(field(c, 1, "family"));
  s.append_to(t);
}

void add_chassis(const SmbiosConfig& c, SmbiosTables* t) {
  Structure s(3, 0x0300);
  s.string(field(c, 3, "manufacturer", c.manufacturer));
  s.put8(0x01);  // type: other
  s.string(field(c, 3, "version", c.version));
  s.string(field(c, 3, "serial"));
  s.string(field(c, 3, "asset"));
  s.put8(0x03);  // boot-up state: safe
  s.put8(0x03);  // power supply state: safe
  s.put8(0x03);  // thermal state: safe
  s.put8(0x02);  // security status: unknown
  s.put32(0);    // OEM-defined
  s.put8(0);     // height
  s.put8(0);     // power cords
  s.put8(0);     // contained elements: none
  s.put8(0);
  s.string(field(c, 3, "sku"));
  s.append_to(t);
}

void add_processor(const SmbiosConfig& c, unsigned socket, SmbiosTables* t) {
  Structure s(4, static_cast<uint16_t>(0x0400 + socket));
  s.string(field(c, 4, "sock_pfx", "CPU") + " " + std::to_string(socket));
  s.put8(0x03);  // central processor
  s.put8(0x01);  // family: other
  s.string(field(c, 4, "manufacturer", c.manufacturer));
  const std::string id = field(c, 4, "processor-id");
  s.put64(id.empty() ? (uint64_t{c.cpuid_edx} << 32 | c.cpuid_eax) : std::stoull(id, nullptr, 0));
  s.string(field(c, 4, "version", c.version));
  s.put8(0);        // voltage: unknown
  s.put16(0);       // external clock: unknown
  s.put16(2000);    // maximum speed, MHz
  s.put16(2000);    // current speed
  s.put8(0x41);     // socket populated, CPU enabled
  s.put8(0x01);     // upgrade: other
  s.put16(0xffff);  // no L1, L2, L3 cache information
  s.put16(0xffff);
  s.put16(0xffff);
  s.string(field(c, 4, "serial"));
  s.string(field(c, 4, "asset"));
  s.string(field(c, 4, "part"));
  const uint8_t cores = static_cast<uint8_t>(std::min(c.cores_per_socket, 255u));
  s.put8(cores);  // core count
  s.put8(cores);  // cores enabled
  s.put8(static_cast<uint8_t>(std::min(c.threads_per_socket, 255u)));
  s.put16(0x02);  // characteristics: unknown
  s.put16(0x01);  // family 2: other
  s.append_to(t);
}

void add_memory(const SmbiosConfig& c, SmbiosTables* t) {
  const uint64_t dimms = std::max<uint64_t>(1, (c.ram_size + kMaxDimmSize - 1) / kMaxDimmSize);
  {
    Structure s(16, kArrayHandle);
    s.put8(0x01);  // location: other
    s.put8(0x03);  // use: system memory
    s.put8(0x06);  // error correction: multi-bit ECC
    const uint64_t kib = c.ram_size / kKiB;
    s.put32(kib < 0x80000000 ? static_cast<uint32_t>(kib) : 0x80000000);
    s.put16(kNoErrorInformation);
    s.put16(static_cast<uint16_t>(dimms));
    s.put64(kib < 0x80000000 ? 0 : c.ram_size);
    s.append_to(t);
  }
  for (uint64_t i = 0; i < dimms; ++i) {
    const uint64_t size = i + 1 < dimms ? kMaxDimmSize : (c.ram_size - 1) % kMaxDimmSize + 1;
    const uint64_t mib = (size + kMiB - 1) / kMiB;
    Structure s(17, static_cast<uint16_t>(0x1100 + i));
    s.put16(kArrayHandle);
    s.put16(kNoErrorInformation);
    s.put16(0xffff);  // total width: unknown
    s.put16(0xffff);  // data width: unknown
    s.put16(mib < 0x7fff ? static_cast<uint16_t>(mib) : 0x7fff);
    s.put8(0x09);  // form factor: DIMM
    s.put8(0);     // not in a set
    s.string(field(c, 17, "loc_pfx", "DIMM") + " " + std::to_string(i));
    s.string(field(c, 17, "bank"));
    s.put8(0x07);   // type: RAM
    s.put16(0x02);  // type detail: other
    const auto speed = static_cast<uint16_t>(std::stoul(field(c, 17, "speed", "0"), nullptr, 0));
    s.put16(speed);
    s.string(field(c, 17, "manufacturer", c.manufacturer));
    s.string(field(c, 17, "serial"));
    s.string(field(c, 17, "asset"));
    s.string(field(c, 17, "part"));
    s.put8(0);  // attributes
    s.put32(mib < 0x7fff ? 0 : static_cast<uint32_t>(mib));
    s.put16(speed);  // configured speed
    s.put16(0);      // minimum, maximum, configured voltage
    s.put16(0);
    s.put16(0);
    s.append_to(t);
  }
  const std::pair<uint64_t, uint64_t> ranges[] = {{0, c.ram_below_4g}, {4 * kGiB, c.ram_above_4g}};
  uint16_t instance = 0;
  for (const auto& [start, size] : ranges) {
    if (size == 0) continue;
    Structure s(19, static_cast<uint16_t>(0x1300 + instance++));
    const uint64_t start_kib = start / kKiB, end_kib = (start + size - 1) / kKiB;
    const bool fits = start_kib < UINT32_MAX && end_kib < UINT32_MAX;
    s.put32(fits ? static_cast<uint32_t>(start_kib) : UINT32_MAX);
    s.put32(fits ? static_cast<uint32_t>(end_kib) : UINT32_MAX);
    s.put16(kArrayHandle);
    s.put8(0x01);  // partition width
    s.put64(fits ? 0 : start);
    s.put64(fits ? 0 : start + size - 1);
    s.append_to(t);
  }
}

}  // namespace

const std::vector<std::string>& smbios_field_names(unsigned type) {
  static const std::map<unsigned, std::vector<std::string>> kNames = {
      {0, {"vendor", "version", "date", "release", "uefi"}},
      {1, {"manufacturer", "product", "version", "serial", "uuid", "sku", "family"}},
      {2, {"manufacturer", "product", "version", "serial", "asset", "location"}},
      {3, {"manufacturer", "version", "serial", "asset", "sku"}},
      {4, {"sock_pfx", "manufacturer", "version", "serial", "asset", "part", "processor-id"}},
      {11, {"value", "path"}},
      {17, {"loc_pfx", "bank", "manufacturer", "serial", "asset", "part", "speed"}},
  };
  static const std::vector<std::string> kNone;
  const auto it = kNames.find(type);
  return it == kNames.end() ? kNone : it->second;
}

SmbiosTables build_smbios_tables(const SmbiosConfig& config) {
  SmbiosTables t;
  if (config.user.count(0)) add_bios(config, &t);
  add_system(config, &t);
  if (config.user.count(2)) add_baseboard(config, &t);
  add_chassis(config, &t);
  for (unsigned socket = 0; socket < config.sockets; ++socket) add_processor(config, socket, &t);
  if (!config.oem_strings.empty()) add_oem_strings(config, &t);
  add_memory(config, &t);
  Structure boot(32, 0x2000);
  boot.zeros(6);
  boot.put8(0);  // no errors detected
  boot.append_to(&t);
  Structure(127, 0x7f00).append_to(&t);
  return t;
}

void prepend_smbios_bios_entry(SmbiosTables* tables, const std::string& vendor,
                               const std::string& version, const std::string& date) {
  SmbiosTables first;
  Structure s(0, 0x0000);
  s.string(vendor);
  s.string(version);
  s.put16(0xf000);  // starting address segment
  s.string(date);
  s.put8(0);        // ROM size: 64 KiB
  s.put64(0x08);    // characteristics are not supported
  s.put8(0);        // extension byte 1
  s.put8(0x10);     // extension byte 2: the tables describe a virtual machine
  s.put16(0);       // BIOS release 0.0
  s.put16(0xffff);  // no embedded controller
  s.append_to(&first);
  first.bytes.insert(first.bytes.end(), tables->bytes.begin(), tables->bytes.end());
  first.count = static_cast<uint16_t>(first.count + tables->count);
  first.max_structure_size = std::max(first.max_structure_size, tables->max_structure_size);
  *tables = std::move(first);
}

std::vector<uint8_t> smbios_entry_point(const SmbiosTables& tables, uint32_t table_address) {
  std::vector<uint8_t> ep = {'_', 'S', 'M', '_', 0, 0x1f, 2, 8};
  auto put16 = [&ep](uint16_t v) { ep.push_back(v & 0xff), ep.push_back(v >> 8); };
  auto put32 = [&](uint32_t v) { put16(v & 0xffff), put16(v >> 16); };
  put16(tables.max_structure_size);
  ep.insert(ep.end(), 6, 0);  // entry point revision, formatted area
  for (char ch : std::string("_DMI_")) ep.push_back(static_cast<uint8_t>(ch));
  ep.push_back(0);  // intermediate checksum
  put16(static_cast<uint16_t>(tables.bytes.size()));
  put32(table_address);
  put16(tables.count);
  ep.push_back(0x28);  // SMBIOS 2.8, in BCD
  auto checksum = [&ep](std::size_t from, std::size_t to) {
    return static_cast<uint8_t>(-std::accumulate(ep.begin() + from, ep.begin() + to, 0u));
  };
  ep[0x15] = checksum(0x10, 0x1f);
  ep[0x04] = checksum(0, 0x1f);
  return ep;
}

std::optional<std::array<uint8_t, 16>> parse_uuid(const std::string& text) {
  if (text.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> out{};
  unsigned n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const char ch = text[i];
    int v = ch >= '0' && ch <= '9'   ? ch - '0'
            : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
            : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                     : -1;
    if (v < 0) return std::nullopt;
    out[n / 2] = static_cast<uint8_t>(out[n / 2] << 4 | v);
    ++n;
  }
  return out;
}

}  // namespace vx86
