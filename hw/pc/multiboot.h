// Multiboot (version 0.6.96) kernels for -kernel, as QEMU boots them: the
// image is loaded through its header's a.out-kludge address fields (flag bit
// 16) or, without them, its ELF program headers; -initrd files become the
// modules, -append the command line, and the multiboot information structure
// (MBI) carries memory sizes and the E820 map. The CPU enters in 32-bit
// protected mode, paging off, flat CS/DS, EAX = 0x2BADB002, EBX = the MBI.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/boot_state.h"
#include "hw/pc/kernel_image.h"

namespace vx86 {

class AddressSpace;

inline constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;
inline constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;
inline constexpr std::size_t kMultibootSearchBytes = 8192;

// Flags of the multiboot header (the low 16 bits are requirements).
inline constexpr uint32_t kMultibootPageAlignModules = 1u << 0;
inline constexpr uint32_t kMultibootMemoryInfo = 1u << 1;
inline constexpr uint32_t kMultibootVideoMode = 1u << 2;
inline constexpr uint32_t kMultibootAoutKludge = 1u << 16;

// Flags of the MBI saying which fields are valid.
inline constexpr uint32_t kMbiMemory = 1u << 0;
inline constexpr uint32_t kMbiCmdline = 1u << 2;
inline constexpr uint32_t kMbiMods = 1u << 3;
inline constexpr uint32_t kMbiMmap = 1u << 6;
inline constexpr uint32_t kMbiBootLoaderName = 1u << 9;

struct MultibootHeader {
  std::size_t file_offset = 0;  // where the header is in the image
  uint32_t flags = 0;
  // The a.out kludge fields, valid with kMultibootAoutKludge.
  uint32_t header_addr = 0, load_addr = 0, load_end_addr = 0, bss_end_addr = 0, entry_addr = 0;
};

// The header in the first 8 KiB (4-byte aligned, valid checksum), if any.
std::optional<MultibootHeader> find_multiboot_header(std::span<const uint8_t> image);

struct MultibootResult {
  BootCpuState cpu;
  uint64_t kernel_start = 0, kernel_end = 0;  // physical range of the image and its bss
};

// Loads a multiboot kernel and its modules and writes the MBI at
// kBootInfoAddr. Throws LinuxBootError naming the fault.
MultibootResult load_multiboot(AddressSpace& memory, const LinuxBootMemory& ram,
                               std::span<const uint8_t> image, std::span<const BootModule> modules,
                               const std::string& cmdline);

}  // namespace vx86
