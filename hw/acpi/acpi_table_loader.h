// The ACPI tables as QEMU hands them to firmware through fw_cfg: the tables
// in one file (etc/acpi/tables), the RSDP in another (etc/acpi/rsdp), and
// etc/table-loader, QEMU's "BIOS linker/loader" script that tells firmware
// where to allocate each file (the RSDP in the F segment, where the OS scans
// for it), which pointers to relocate by the address it chose, and which
// checksums to fix afterwards. SeaBIOS runs that script, so a firmware boot
// gets the same tables as a direct kernel boot.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/acpi/acpi_tables.h"

namespace vx86 {

struct AcpiFwCfgFiles {
  std::vector<uint8_t> tables;  // etc/acpi/tables
  std::vector<uint8_t> rsdp;    // etc/acpi/rsdp
  std::vector<uint8_t> loader;  // etc/table-loader
};

// Loader commands (QEMU's BiosLinkerLoaderEntry: 128 bytes each).
constexpr uint32_t kLoaderAllocate = 1;
constexpr uint32_t kLoaderAddPointer = 2;
constexpr uint32_t kLoaderAddChecksum = 3;
constexpr std::size_t kLoaderEntrySize = 128;
constexpr std::size_t kLoaderFileNameSize = 56;
constexpr uint8_t kLoaderZoneHigh = 1;
constexpr uint8_t kLoaderZoneFseg = 2;

AcpiFwCfgFiles build_acpi_fw_cfg_files(const AcpiConfig& config);

}  // namespace vx86
