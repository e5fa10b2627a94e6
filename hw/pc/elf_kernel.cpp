#include "hw/pc/elf_kernel.h"

#include <algorithm>
#include <cstring>

#include "core/memory.h"
#include "hw/pc/e820.h"

namespace vx86 {

using boot_image::fail;
using boot_image::get32;
using boot_image::get64;
using boot_image::hex;
using boot_image::put32;
using boot_image::put64;

namespace {

constexpr uint8_t kElfClass32 = 1, kElfClass64 = 2;
constexpr uint8_t kElfDataLittle = 1;
constexpr uint16_t kElfTypeExec = 2;
constexpr uint16_t kMachine386 = 3, kMachineX86_64 = 62;
constexpr uint32_t kPtLoad = 1, kPtNote = 4;
constexpr uint32_t kXenElfnotePhys32Entry = 18;

// struct hvm_start_info and its tables (Xen public/arch-x86/hvm/start_info.h).
constexpr uint32_t kHvmStartMagic = 0x336ec578;
constexpr uint32_t kHvmStartVersion = 1;  // version 1 has the memory map
constexpr std::size_t kHvmStartInfoSize = 56;
constexpr std::size_t kHvmModlistEntrySize = 32;
constexpr std::size_t kHvmMemmapEntrySize = 24;

uint16_t get16(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

[[noreturn]] void bad_kernel(const std::string& why) {
  fail(LinuxBootError::Input::kKernel, why);
}

// Finds XEN_ELFNOTE_PHYS32_ENTRY among the notes in [offset, offset + size).
std::optional<uint64_t> find_pvh_note(std::span<const uint8_t> image, uint64_t offset,
                                      uint64_t size) {
  auto align4 = [](uint64_t v) { return (v + 3) & ~uint64_t{3}; };
  uint64_t at = offset, end = offset + size;
  while (at + 12 <= end) {
    uint64_t namesz = get32(image, at), descsz = get32(image, at + 4);
    uint32_t type = get32(image, at + 8);
    uint64_t name = at + 12, desc = name + align4(namesz);
    uint64_t next = desc + align4(descsz);
    if (next > end || next <= at) bad_kernel("corrupt ELF note at file offset " + hex(at));
    if (type == kXenElfnotePhys32Entry && namesz == 4 && std::memcmp(&image[name], "Xen", 4) == 0) {
      if (descsz == 4) return get32(image, desc);
      if (descsz == 8) return get64(image, desc);
      bad_kernel("the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has " + std::to_string(descsz) +
                 " bytes; expected 4 or 8");
    }
    at = next;
  }
  return std::nullopt;
}

}  // namespace

bool is_elf_image(std::span<const uint8_t> image) {
  return image.size() >= 4 && std::memcmp(image.data(),
                                          "\x7f"
                                          "ELF",
                                          4) == 0;
}

ElfKernel parse_elf_kernel(std::span<const uint8_t> image) {
  ElfKernel elf;
  if (image.size() < 52 || !is_elf_image(image)) bad_kernel("truncated ELF header");
  uint8_t elf_class = image[4];
  if (elf_class != kElfClass32 && elf_class != kElfClass64) {
    bad_kernel("unknown ELF class " + std::to_string(elf_class));
  }
  elf.is_64bit = elf_class == kElfClass64;
  if (elf.is_64bit && image.size() < 64) bad_kernel("truncated ELF header");
  if (image[5] != kElfDataLittle) bad_kernel("big-endian ELF file; x86 kernels are little-endian");
  uint16_t type = get16(image, 16), machine = get16(image, 18);
  if (type != kElfTypeExec)
    bad_kernel("ELF file is not an executable (e_type " + std::to_string(type) + ")");
  if (machine != kMachine386 && machine != kMachineX86_64) {
    bad_kernel("ELF file is not for x86 (e_machine " + std::to_string(machine) + ")");
  }
  uint64_t phoff;
  unsigned phentsize, phnum, want_phentsize;
  if (elf.is_64bit) {
    elf.entry = get64(image, 24);
    phoff = get64(image, 32);
    phentsize = get16(image, 54);
    phnum = get16(image, 56);
    want_phentsize = 56;
  } else {
    elf.entry = get32(image, 24);
    phoff = get32(image, 28);
    phentsize = get16(image, 42);
    phnum = get16(image, 44);
    want_phentsize = 32;
  }
  if (phnum == 0) bad_kernel("ELF file has no program headers");
  if (phentsize != want_phentsize) {
    bad_kernel("ELF program header size " + std::to_string(phentsize) + ", expected " +
               std::to_string(want_phentsize));
  }
  if (phoff > image.size() || uint64_t{phnum} * phentsize > image.size() - phoff) {
    bad_kernel("ELF program headers lie beyond the end of the file");
  }
  for (unsigned i = 0; i < phnum; ++i) {
    uint64_t ph = phoff + uint64_t{i} * phentsize;
    uint32_t p_type = get32(image, ph);
    ElfSegment seg;
    if (elf.is_64bit) {
      seg.file_offset = get64(image, ph + 8);
      seg.vaddr = get64(image, ph + 16);
      seg.paddr = get64(image, ph + 24);
      seg.file_size = get64(image, ph + 32);
      seg.mem_size = get64(image, ph + 40);
    } else {
      seg.file_offset = get32(image, ph + 4);
      seg.vaddr = get32(image, ph + 8);
      seg.paddr = get32(image, ph + 12);
      seg.file_size = get32(image, ph + 16);
      seg.mem_size = get32(image, ph + 20);
    }
    if (p_type != kPtLoad && p_type != kPtNote) continue;
    if (seg.file_offset > image.size() || seg.file_size > image.size() - seg.file_offset) {
      bad_kernel("ELF segment " + std::to_string(i) + " (file offset " + hex(seg.file_offset) +
                 ", " + hex(seg.file_size) + " bytes) lies beyond the end of the file");
    }
    if (p_type == kPtNote) {
      if (!elf.pvh_entry) elf.pvh_entry = find_pvh_note(image, seg.file_offset, seg.file_size);
      continue;
    }
    if (seg.file_size > seg.mem_size) {
      bad_kernel("ELF segment " + std::to_string(i) + " has more file bytes than memory bytes");
    }
    if (seg.mem_size) elf.segments.push_back(seg);
  }
  if (elf.segments.empty()) bad_kernel("ELF file has no loadable segment");
  return elf;
}

uint64_t load_elf_segments(AddressSpace& memory, const LinuxBootMemory& ram,
                           std::span<const uint8_t> image, const ElfKernel& elf) {
  uint64_t top = 0;
  for (const ElfSegment& seg : elf.segments) {
    boot_image::check_load_range(LinuxBootError::Input::kKernel, "ELF segment", ram, seg.paddr,
                                 seg.mem_size);
  }
  for (const ElfSegment& seg : elf.segments) {
    if (seg.file_size) memory.load_buffer(seg.paddr, image.data() + seg.file_offset, seg.file_size);
    std::vector<uint8_t> zeros(seg.mem_size - seg.file_size, 0);  // .bss
    if (!zeros.empty()) memory.load_buffer(seg.paddr + seg.file_size, zeros.data(), zeros.size());
    top = std::max(top, seg.paddr + seg.mem_size);
  }
  return top;
}

BootCpuState load_pvh_kernel(AddressSpace& memory, const LinuxBootMemory& ram,
                             std::span<const uint8_t> image, const ElfKernel& elf,
                             std::span<const BootModule> modules, const std::string& cmdline) {
  if (!elf.pvh_entry) bad_kernel("ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
  if (*elf.pvh_entry >= (1ull << 32))
    bad_kernel("PVH entry " + hex(*elf.pvh_entry) + " is not below 4 GiB");
  if (modules.size() > kBootMaxModules) {
    fail(LinuxBootError::Input::kInitrd,
         "at most " + std::to_string(kBootMaxModules) + " modules can be loaded");
  }
  if (cmdline.size() + 1 > kBootInfoEnd - kBootStringsAddr) {
    fail(LinuxBootError::Input::kCmdline,
         "kernel command line is " + std::to_string(cmdline.size()) + " bytes; at most " +
             std::to_string(kBootInfoEnd - kBootStringsAddr - 1) + " fit");
  }
  uint64_t top = load_elf_segments(memory, ram, image, elf);
  std::vector<uint64_t> module_addrs = boot_image::load_modules(memory, ram, modules, top);

  memory.load_buffer(kBootStringsAddr, cmdline.c_str(), cmdline.size() + 1);

  std::vector<uint8_t> modlist(modules.size() * kHvmModlistEntrySize, 0);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    put64(modlist, i * kHvmModlistEntrySize, module_addrs[i]);
    put64(modlist, i * kHvmModlistEntrySize + 8, modules[i].data.size());
  }
  if (!modlist.empty()) memory.load_buffer(kBootModListAddr, modlist.data(), modlist.size());

  std::vector<E820Entry> map =
      pc_e820_map(ram.ram_below_4g, ram.ram_above_4g, ram.firmware_size, ram.reserved);
  std::vector<uint8_t> memmap(map.size() * kHvmMemmapEntrySize, 0);
  for (std::size_t i = 0; i < map.size(); ++i) {
    put64(memmap, i * kHvmMemmapEntrySize, map[i].addr);
    put64(memmap, i * kHvmMemmapEntrySize + 8, map[i].size);
    put32(memmap, i * kHvmMemmapEntrySize + 16, static_cast<uint32_t>(map[i].type));
  }
  memory.load_buffer(kBootMemMapAddr, memmap.data(), memmap.size());

  std::vector<uint8_t> info(kHvmStartInfoSize, 0);
  put32(info, 0, kHvmStartMagic);
  put32(info, 4, kHvmStartVersion);
  put32(info, 12, static_cast<uint32_t>(modules.size()));
  put64(info, 16, modules.empty() ? 0 : kBootModListAddr);
  put64(info, 24, kBootStringsAddr);
  put64(info, 32, 0);  // rsdp_paddr: the kernel finds the RSDP by scanning 0xE0000
  put64(info, 40, kBootMemMapAddr);
  put32(info, 48, static_cast<uint32_t>(map.size()));
  memory.load_buffer(kBootInfoAddr, info.data(), info.size());

  BootCpuState cpu = boot_image::flat32_entry(memory, *elf.pvh_entry);
  cpu.rbx = kBootInfoAddr;
  return cpu;
}

}  // namespace vx86
