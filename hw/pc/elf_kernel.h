// ELF kernels for direct boot: the program headers a loader needs (PT_LOAD
// segments at their physical addresses) and the PVH entry point that Xen's
// ELF note XEN_ELFNOTE_PHYS32_ENTRY names. A kernel with that note boots
// through the PVH boot ABI: 32-bit protected mode, paging off, EBX pointing
// at a struct hvm_start_info (Xen's public/arch-x86/hvm/start_info.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/boot_state.h"
#include "hw/pc/kernel_image.h"

namespace vx86 {

class AddressSpace;

struct ElfSegment {
  uint64_t file_offset = 0;
  uint64_t paddr = 0;
  uint64_t vaddr = 0;
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
};

struct ElfKernel {
  bool is_64bit = false;
  uint64_t entry = 0;                 // e_entry, a virtual address
  std::vector<ElfSegment> segments;   // PT_LOAD only, with mem_size > 0
  std::optional<uint64_t> pvh_entry;  // XEN_ELFNOTE_PHYS32_ENTRY
};

bool is_elf_image(std::span<const uint8_t> image);

// Parses an x86 ELF executable (32- or 64-bit, little-endian); throws
// LinuxBootError (kKernel) naming what is wrong with it.
ElfKernel parse_elf_kernel(std::span<const uint8_t> image);

// Copies the segments to their physical addresses after checking each lies
// in RAM and clear of the loader's structures (boot_image::check_load_range);
// returns the end of the highest one.
uint64_t load_elf_segments(AddressSpace& memory, const LinuxBootMemory& ram,
                           std::span<const uint8_t> image, const ElfKernel& elf);

// Boots a kernel through its PVH entry note: the segments, the initrd as the
// one module, the command line and the E820 map in hvm_start_info.
BootCpuState load_pvh_kernel(AddressSpace& memory, const LinuxBootMemory& ram,
                             std::span<const uint8_t> image, const ElfKernel& elf,
                             std::span<const BootModule> modules, const std::string& cmdline);

}  // namespace vx86
