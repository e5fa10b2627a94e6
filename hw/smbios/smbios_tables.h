// SMBIOS tables (DMTF DSP0134, version 2.8) as QEMU's pc machine makes them:
// System (type 1), Chassis (3), Processor (4), Physical Memory Array (16),
// Memory Device (17), Memory Array Mapped Address (19), System Boot (32) and
// End (127), with QEMU's handles, strings and values, so a guest's dmidecode
// and /sys/class/dmi/id read the same. Firmware gets them through fw_cfg
// (etc/smbios/smbios-tables and -anchor) and adds its own BIOS entry (type
// 0), as SeaBIOS does under QEMU; a direct kernel boot has no firmware, so
// vx86 writes a type 0 of its own and puts the entry point where Linux
// scans for it (0xF0000-0xFFFFF).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vx86 {

struct SmbiosConfig {
  std::string manufacturer = "QEMU";
  std::string product = "Standard PC (i440FX + PIIX, 1996)";
  std::string version = "pc-i440fx-7.2";  // the machine type, as QEMU's
  // -uuid in its text order (time_low first); all zero without.
  std::optional<std::array<uint8_t, 16>> uuid;
  // -smp: a processor structure per socket, with its cores and threads.
  unsigned sockets = 1, cores_per_socket = 1, threads_per_socket = 1;
  uint32_t cpuid_eax = 0, cpuid_edx = 0;  // CPUID leaf 1: the processor ID
  uint64_t ram_size = 0;
  uint64_t ram_below_4g = 0, ram_above_4g = 0;  // as mapped: 0.. and 4 GiB..
  // -smbios type=N,...: the fields given for each type, by QEMU's names
  // (checked by the command line); types 0 and 2 are built only if given.
  std::map<unsigned, std::map<std::string, std::string>> user;
  std::vector<std::string> oem_strings;  // type 11, in order
};

// The -smbios fields QEMU knows for `type` (0, 1, 2, 3, 4, 11, 17); empty
// for a type it cannot build.
const std::vector<std::string>& smbios_field_names(unsigned type);

struct SmbiosTables {
  std::vector<uint8_t> bytes;  // the structures, back to back
  uint16_t count = 0;
  uint16_t max_structure_size = 0;
};

// Types 1-127, and type 0 only if -smbios gave it: what QEMU hands firmware.
SmbiosTables build_smbios_tables(const SmbiosConfig& config);

// A type 0 (BIOS Information) for when no firmware runs, placed first.
void prepend_smbios_bios_entry(SmbiosTables* tables, const std::string& vendor,
                               const std::string& version, const std::string& date);

// The 31-byte SMBIOS 2.8 entry point ("_SM_" ... "_DMI_") for tables at
// table_address, both checksums filled in.
std::vector<uint8_t> smbios_entry_point(const SmbiosTables& tables, uint32_t table_address);

// -uuid text (8-4-4-4-12 hex digits) as 16 bytes in text order; nullopt if malformed.
std::optional<std::array<uint8_t, 16>> parse_uuid(const std::string& text);

}  // namespace vx86
