#include "hw/pc/kernel_image.h"

#include <array>
#include <cstdio>
#include <cstring>

#include "core/memory.h"
#include "hw/pc/e820.h"
#include "hw/pc/elf_kernel.h"
#include "hw/pc/multiboot.h"

namespace vx86 {

namespace boot_image {

void put32(std::vector<uint8_t>& b, std::size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, std::size_t at, uint64_t v) {
  put32(b, at, static_cast<uint32_t>(v));
  put32(b, at + 4, static_cast<uint32_t>(v >> 32));
}
uint32_t get32(std::span<const uint8_t> b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}
uint64_t get64(std::span<const uint8_t> b, std::size_t at) {
  return get32(b, at) | static_cast<uint64_t>(get32(b, at + 4)) << 32;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

void fail(LinuxBootError::Input input, const std::string& why) {
  throw LinuxBootError(input, why);
}

void check_load_range(LinuxBootError::Input input, const std::string& what,
                      const LinuxBootMemory& ram, uint64_t addr, uint64_t size) {
  uint64_t end = addr + size;
  std::string where = what + " at " + hex(addr) + "-" + hex(end);
  if (end < addr || end > (1ull << 32)) fail(input, where + " is not below 4 GiB");
  if (addr < kBootInfoEnd && end > kBootInfoGdtAddr) {
    fail(input, where + " overlaps the boot loader's structures at " + hex(kBootInfoGdtAddr) + "-" +
                    hex(kBootInfoEnd));
  }
  for (const E820Entry& e : pc_e820_map(ram.ram_below_4g, 0, ram.firmware_size)) {
    if (e.type == E820Type::kRam && addr >= e.addr && end <= e.addr + e.size) return;
  }
  fail(input, where + " is not in RAM (RAM below 4 GiB ends at " + hex(ram.ram_below_4g) +
                  "; the legacy area 0x9fc00-0x100000 is not RAM)");
}

std::vector<uint64_t> load_modules(AddressSpace& memory, const LinuxBootMemory& ram,
                                   std::span<const BootModule> modules, uint64_t from) {
  constexpr uint64_t kPage = 0x1000;
  std::vector<uint64_t> addrs;
  uint64_t next = std::max<uint64_t>(from, 0x100000);
  for (const BootModule& m : modules) {
    uint64_t addr = (next + kPage - 1) & ~(kPage - 1);
    if (addr + m.data.size() > ram.ram_below_4g) {
      fail(LinuxBootError::Input::kInitrd,
           m.name + ": " + std::to_string(m.data.size()) + " bytes do not fit in RAM between " +
               hex(addr) + " and " + hex(ram.ram_below_4g) + "; give more RAM with -m");
    }
    memory.load_buffer(addr, m.data.data(), m.data.size());
    addrs.push_back(addr);
    next = addr + m.data.size();
  }
  return addrs;
}

BootCpuState flat32_entry(AddressSpace& memory, uint64_t entry) {
  // Null, unused, then flat code and data as in the Linux 32-bit boot protocol.
  std::vector<uint8_t> gdt(32, 0);
  put64(gdt, 16, 0x00cf9b000000ffffull);
  put64(gdt, 24, 0x00cf93000000ffffull);
  memory.load_buffer(kBootInfoGdtAddr, gdt.data(), gdt.size());
  BootCpuState cpu;
  cpu.mode = BootCpuState::Mode::kFlat32;
  cpu.entry = entry;
  cpu.gdt_base = kBootInfoGdtAddr;
  cpu.gdt_limit = static_cast<uint16_t>(gdt.size() - 1);
  cpu.code_selector = 0x10;
  cpu.data_selector = 0x18;
  return cpu;
}

}  // namespace boot_image

namespace {

bool is_bzimage(std::span<const uint8_t> image) {
  return image.size() >= 0x206 && std::memcmp(&image[0x202], "HdrS", 4) == 0;
}

}  // namespace

KernelFormat detect_kernel_format(std::span<const uint8_t> image) {
  if (is_elf_image(image)) {
    ElfKernel elf = parse_elf_kernel(image);
    if (elf.pvh_entry) return KernelFormat::kPvhElf;
    if (find_multiboot_header(image)) return KernelFormat::kMultiboot;
    boot_image::fail(LinuxBootError::Input::kKernel,
                     std::string(elf.is_64bit ? "64" : "32") +
                         "-bit ELF kernel has neither a PVH entry note "
                         "(XEN_ELFNOTE_PHYS32_ENTRY) nor a multiboot header, so vx86 "
                         "does not know how to enter it");
  }
  if (find_multiboot_header(image)) return KernelFormat::kMultiboot;
  if (is_bzimage(image)) {
    parse_bzimage(image);
    return KernelFormat::kLinux;
  }
  boot_image::fail(LinuxBootError::Input::kKernel,
                   "not a Linux bzImage (no \"HdrS\" header), an ELF kernel, nor a multiboot "
                   "kernel (no multiboot header in the first 8 KiB)");
}

BootCpuState load_kernel_image(AddressSpace& memory, const LinuxBootMemory& ram,
                               std::span<const uint8_t> kernel, std::span<const BootModule> modules,
                               const std::string& cmdline) {
  switch (detect_kernel_format(kernel)) {
    case KernelFormat::kMultiboot:
      return load_multiboot(memory, ram, kernel, modules, cmdline).cpu;
    case KernelFormat::kPvhElf:
      return load_pvh_kernel(memory, ram, kernel, parse_elf_kernel(kernel), modules, cmdline);
    case KernelFormat::kLinux:
      break;
  }
  if (modules.size() > 1) {
    boot_image::fail(LinuxBootError::Input::kInitrd,
                     "a Linux kernel takes one initrd; a comma-separated list is for multiboot");
  }
  std::span<const uint8_t> initrd;
  if (!modules.empty()) initrd = modules[0].data;
  return load_linux(memory, ram, kernel, initrd, cmdline).cpu;
}

}  // namespace vx86
