#include "hw/pc/multiboot.h"

#include <algorithm>
#include <vector>

#include "core/memory.h"
#include "hw/pc/e820.h"
#include "hw/pc/elf_kernel.h"

namespace vx86 {

using boot_image::fail;
using boot_image::get32;
using boot_image::hex;
using boot_image::put32;
using boot_image::put64;

namespace {

constexpr std::size_t kHeaderSize = 32;  // through entry_addr
constexpr std::size_t kMbiSize = 88;     // through the VBE fields
constexpr std::size_t kModEntrySize = 16;
constexpr std::size_t kMmapEntrySize = 24;  // size field + 20-byte entry
constexpr uint32_t kKnownRequirements =
    kMultibootPageAlignModules | kMultibootMemoryInfo | kMultibootVideoMode;
constexpr char kBootLoaderName[] = "vx86";

[[noreturn]] void bad_kernel(const std::string& why) {
  fail(LinuxBootError::Input::kKernel, "multiboot: " + why);
}

struct LoadedImage {
  uint64_t start = 0, end = 0, entry = 0;
};

// The a.out kludge: the header says which file bytes go where.
LoadedImage load_aout_kludge(AddressSpace& memory, const LinuxBootMemory& ram,
                             std::span<const uint8_t> image, const MultibootHeader& h) {
  if (h.header_addr < h.load_addr || h.header_addr - h.load_addr > h.file_offset) {
    bad_kernel("header_addr " + hex(h.header_addr) + " and load_addr " + hex(h.load_addr) +
               " put the image before the start of the file");
  }
  uint64_t text_offset = h.file_offset - (h.header_addr - h.load_addr);
  uint64_t load_size = image.size() - text_offset;
  if (h.load_end_addr) {
    if (h.load_end_addr <= h.load_addr) {
      bad_kernel("load_end_addr " + hex(h.load_end_addr) + " is not above load_addr " +
                 hex(h.load_addr));
    }
    load_size = h.load_end_addr - h.load_addr;
    if (load_size > image.size() - text_offset) {
      bad_kernel("load_end_addr " + hex(h.load_end_addr) + " asks for " + hex(load_size) +
                 " bytes but the file has only " + hex(image.size() - text_offset));
    }
  }
  uint64_t end = h.load_addr + load_size;
  if (h.bss_end_addr) {
    if (h.bss_end_addr < end) {
      bad_kernel("bss_end_addr " + hex(h.bss_end_addr) + " is below the end of the image " +
                 hex(end));
    }
    end = h.bss_end_addr;
  }
  if (h.entry_addr < h.load_addr || h.entry_addr >= end) {
    bad_kernel("entry_addr " + hex(h.entry_addr) + " is outside the image " + hex(h.load_addr) +
               "-" + hex(end));
  }
  boot_image::check_load_range(LinuxBootError::Input::kKernel, "multiboot image", ram, h.load_addr,
                               end - h.load_addr);
  memory.load_buffer(h.load_addr, image.data() + text_offset, load_size);
  std::vector<uint8_t> bss(end - h.load_addr - load_size, 0);
  if (!bss.empty()) memory.load_buffer(h.load_addr + load_size, bss.data(), bss.size());
  return {h.load_addr, end, h.entry_addr};
}

// Without the kludge the image must be a 32-bit ELF file.
LoadedImage load_elf(AddressSpace& memory, const LinuxBootMemory& ram,
                     std::span<const uint8_t> image) {
  if (!is_elf_image(image)) {
    bad_kernel("the header has no load addresses (flag bit 16) and the image is not ELF");
  }
  ElfKernel elf = parse_elf_kernel(image);
  if (elf.is_64bit) bad_kernel("the kernel is a 64-bit ELF file; multiboot needs 32-bit ELF");
  LoadedImage loaded;
  loaded.start = UINT64_MAX;
  // e_entry is virtual; the CPU starts with paging off, at its physical address.
  std::optional<uint64_t> entry;
  for (const ElfSegment& seg : elf.segments) {
    loaded.start = std::min(loaded.start, seg.paddr);
    if (elf.entry >= seg.vaddr && elf.entry - seg.vaddr < seg.mem_size) {
      entry = seg.paddr + (elf.entry - seg.vaddr);
    }
  }
  if (!entry) bad_kernel("ELF entry point " + hex(elf.entry) + " is in no loadable segment");
  loaded.end = load_elf_segments(memory, ram, image, elf);
  loaded.entry = *entry;
  return loaded;
}

}  // namespace

std::optional<MultibootHeader> find_multiboot_header(std::span<const uint8_t> image) {
  std::size_t limit = std::min(image.size(), kMultibootSearchBytes);
  for (std::size_t at = 0; at + 12 <= limit; at += 4) {
    uint32_t magic = get32(image, at);
    if (magic != kMultibootHeaderMagic) continue;
    uint32_t flags = get32(image, at + 4);
    if (magic + flags + get32(image, at + 8) != 0) continue;
    MultibootHeader h;
    h.file_offset = at;
    h.flags = flags;
    if (flags & kMultibootAoutKludge) {
      if (at + kHeaderSize > image.size()) bad_kernel("truncated header");
      h.header_addr = get32(image, at + 12);
      h.load_addr = get32(image, at + 16);
      h.load_end_addr = get32(image, at + 20);
      h.bss_end_addr = get32(image, at + 24);
      h.entry_addr = get32(image, at + 28);
    }
    return h;
  }
  return std::nullopt;
}

MultibootResult load_multiboot(AddressSpace& memory, const LinuxBootMemory& ram,
                               std::span<const uint8_t> image, std::span<const BootModule> modules,
                               const std::string& cmdline) {
  std::optional<MultibootHeader> header = find_multiboot_header(image);
  if (!header) bad_kernel("no multiboot header in the first 8 KiB");
  uint32_t unknown = header->flags & 0xffff & ~kKnownRequirements;
  if (unknown)
    bad_kernel("the kernel requires features vx86 does not know (flags " + hex(unknown) + ")");
  if (modules.size() > kBootMaxModules) {
    fail(LinuxBootError::Input::kInitrd,
         "at most " + std::to_string(kBootMaxModules) + " multiboot modules can be loaded");
  }

  // The strings: command line, boot loader name, module names.
  std::vector<uint8_t> strings;
  auto add_string = [&](const std::string& s) {
    uint64_t addr = kBootStringsAddr + strings.size();
    strings.insert(strings.end(), s.begin(), s.end());
    strings.push_back(0);
    return static_cast<uint32_t>(addr);
  };
  uint32_t cmdline_addr = add_string(cmdline);
  uint32_t name_addr = add_string(kBootLoaderName);
  std::vector<uint32_t> module_names;
  for (const BootModule& m : modules) module_names.push_back(add_string(m.name));
  if (strings.size() > kBootInfoEnd - kBootStringsAddr) {
    fail(LinuxBootError::Input::kCmdline,
         "the command line and module names take " + std::to_string(strings.size()) +
             " bytes; at most " + std::to_string(kBootInfoEnd - kBootStringsAddr) + " fit");
  }

  LoadedImage loaded = (header->flags & kMultibootAoutKludge)
                           ? load_aout_kludge(memory, ram, image, *header)
                           : load_elf(memory, ram, image);
  std::vector<uint64_t> module_addrs = boot_image::load_modules(memory, ram, modules, loaded.end);
  memory.load_buffer(kBootStringsAddr, strings.data(), strings.size());

  std::vector<uint8_t> mods(modules.size() * kModEntrySize, 0);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    put32(mods, i * kModEntrySize, static_cast<uint32_t>(module_addrs[i]));
    put32(mods, i * kModEntrySize + 4,
          static_cast<uint32_t>(module_addrs[i] + modules[i].data.size()));
    put32(mods, i * kModEntrySize + 8, module_names[i]);
  }
  if (!mods.empty()) memory.load_buffer(kBootModListAddr, mods.data(), mods.size());

  std::vector<E820Entry> map =
      pc_e820_map(ram.ram_below_4g, ram.ram_above_4g, ram.firmware_size, ram.reserved);
  std::vector<uint8_t> mmap(map.size() * kMmapEntrySize, 0);
  for (std::size_t i = 0; i < map.size(); ++i) {
    put32(mmap, i * kMmapEntrySize, kMmapEntrySize - 4);
    put64(mmap, i * kMmapEntrySize + 4, map[i].addr);
    put64(mmap, i * kMmapEntrySize + 12, map[i].size);
    put32(mmap, i * kMmapEntrySize + 20, static_cast<uint32_t>(map[i].type));
  }
  memory.load_buffer(kBootMemMapAddr, mmap.data(), mmap.size());

  // mem_lower: conventional memory (the RAM range at 0); mem_upper: RAM
  // from 1 MiB to the first hole, both in KiB.
  uint64_t lower = 0, upper = 0;
  for (const E820Entry& e : map) {
    if (e.type != E820Type::kRam) continue;
    if (e.addr == 0) lower = e.size;
    if (e.addr == 0x100000) upper = e.size;
  }
  std::vector<uint8_t> mbi(kMbiSize, 0);
  uint32_t flags = kMbiMemory | kMbiCmdline | kMbiMmap | kMbiBootLoaderName;
  if (!modules.empty()) flags |= kMbiMods;
  put32(mbi, 0, flags);
  put32(mbi, 4, static_cast<uint32_t>(std::min<uint64_t>(lower >> 10, 640)));
  put32(mbi, 8, static_cast<uint32_t>(upper >> 10));
  put32(mbi, 16, cmdline_addr);
  put32(mbi, 20, static_cast<uint32_t>(modules.size()));
  put32(mbi, 24, modules.empty() ? 0 : static_cast<uint32_t>(kBootModListAddr));
  put32(mbi, 44, static_cast<uint32_t>(mmap.size()));
  put32(mbi, 48, static_cast<uint32_t>(kBootMemMapAddr));
  put32(mbi, 64, name_addr);
  memory.load_buffer(kBootInfoAddr, mbi.data(), mbi.size());

  MultibootResult result;
  result.cpu = boot_image::flat32_entry(memory, loaded.entry);
  result.cpu.rax = kMultibootBootloaderMagic;
  result.cpu.rbx = kBootInfoAddr;
  result.kernel_start = loaded.start;
  result.kernel_end = loaded.end;
  return result;
}

}  // namespace vx86
