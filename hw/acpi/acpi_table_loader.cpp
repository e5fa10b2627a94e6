#include "hw/acpi/acpi_table_loader.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace vx86 {

namespace {

constexpr char kTablesFile[] = "etc/acpi/tables";
constexpr char kRsdpFile[] = "etc/acpi/rsdp";
constexpr std::size_t kRsdpSize = 36;

uint64_t load_le(const std::vector<uint8_t>& b, std::size_t at, unsigned size) {
  if (at + size > b.size()) throw std::logic_error("ACPI table loader: offset past the tables");
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
  return v;
}

class LoaderScript {
 public:
  void allocate(const char* file, uint32_t align, uint8_t zone) {
    uint8_t* e = entry(kLoaderAllocate);
    name(e + 4, file);
    put32(e + 4 + kLoaderFileNameSize, align);
    e[4 + kLoaderFileNameSize + 4] = zone;
  }
  // The pointer of `size` bytes at dest_file + offset, which holds an offset
  // into src_file, gets src_file's address added.
  void add_pointer(const char* dest_file, const char* src_file, uint32_t offset, uint8_t size) {
    uint8_t* e = entry(kLoaderAddPointer);
    name(e + 4, dest_file);
    name(e + 4 + kLoaderFileNameSize, src_file);
    put32(e + 4 + 2 * kLoaderFileNameSize, offset);
    e[4 + 2 * kLoaderFileNameSize + 4] = size;
  }
  // The byte at offset becomes what makes [start, start + length) sum to 0.
  void add_checksum(const char* file, uint32_t offset, uint32_t start, uint32_t length) {
    uint8_t* e = entry(kLoaderAddChecksum);
    name(e + 4, file);
    put32(e + 4 + kLoaderFileNameSize, offset);
    put32(e + 4 + kLoaderFileNameSize + 4, start);
    put32(e + 4 + kLoaderFileNameSize + 8, length);
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  uint8_t* entry(uint32_t command) {
    bytes_.resize(bytes_.size() + kLoaderEntrySize, 0);
    uint8_t* e = bytes_.data() + bytes_.size() - kLoaderEntrySize;
    put32(e, command);
    return e;
  }
  static void name(uint8_t* at, const char* file) {
    std::strncpy(reinterpret_cast<char*>(at), file, kLoaderFileNameSize - 1);
  }
  static void put32(uint8_t* at, uint32_t v) {
    for (unsigned i = 0; i < 4; ++i) at[i] = static_cast<uint8_t>(v >> (8 * i));
  }
  std::vector<uint8_t> bytes_;
};

}  // namespace

AcpiFwCfgFiles build_acpi_fw_cfg_files(const AcpiConfig& config) {
  // Built at address 0, every pointer in the tables is an offset into them.
  AcpiTables built = build_acpi_tables(config, 0);
  AcpiFwCfgFiles files;
  files.tables = built.blob;
  files.rsdp.assign(built.blob.begin(), built.blob.begin() + kRsdpSize);
  const std::vector<uint8_t>& t = files.tables;

  // A checksum the script computes starts at 0: SeaBIOS subtracts the
  // range's sum from the byte, but OVMF overwrites the byte with the sum's
  // negation, counting the byte itself, which is right only from 0 (QEMU's
  // tables leave those bytes 0 too). OVMF would otherwise refuse the FADT
  // as a table that does not sum to 0, and the guest would have no DSDT.
  std::vector<uint8_t>& zeroed = files.tables;
  LoaderScript script;
  script.allocate(kRsdpFile, 16, kLoaderZoneFseg);
  script.allocate(kTablesFile, 64, kLoaderZoneHigh);
  auto table_length = [&](uint64_t at) { return static_cast<uint32_t>(load_le(t, at + 4, 4)); };
  const uint64_t rsdt = load_le(t, 16, 4), xsdt = load_le(t, 24, 8);
  // The tables the RSDT and XSDT list, and the FADT's FACS and DSDT.
  const uint32_t entries = (table_length(rsdt) - 36) / 4;
  for (uint32_t i = 0; i < entries; ++i) {
    const uint64_t table = load_le(t, rsdt + 36 + 4 * i, 4);
    if (std::memcmp(&t[table], "FACP", 4) == 0) {
      script.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(table + 36), 4);  // FACS
      script.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(table + 40), 4);  // DSDT
      script.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(table + 140),
                         8);  // X_DSDT
      script.add_checksum(kTablesFile, static_cast<uint32_t>(table + 9),
                          static_cast<uint32_t>(table), table_length(table));
      zeroed[table + 9] = 0;
    }
    script.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(rsdt + 36 + 4 * i), 4);
    script.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(xsdt + 36 + 8 * i), 8);
  }
  script.add_checksum(kTablesFile, static_cast<uint32_t>(rsdt + 9), static_cast<uint32_t>(rsdt),
                      table_length(rsdt));
  script.add_checksum(kTablesFile, static_cast<uint32_t>(xsdt + 9), static_cast<uint32_t>(xsdt),
                      table_length(xsdt));
  zeroed[rsdt + 9] = 0;
  zeroed[xsdt + 9] = 0;
  // The RSDP's RSDT and XSDT addresses, then its two checksums in order.
  script.add_pointer(kRsdpFile, kTablesFile, 16, 4);
  script.add_pointer(kRsdpFile, kTablesFile, 24, 8);
  script.add_checksum(kRsdpFile, 8, 0, 20);
  script.add_checksum(kRsdpFile, 32, 0, kRsdpSize);
  files.rsdp[8] = files.rsdp[32] = 0;
  files.loader = script.take();
  return files;
}

}  // namespace vx86
