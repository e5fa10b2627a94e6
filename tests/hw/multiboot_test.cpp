// -kernel beyond bzImages: multiboot kernels (a.out kludge and ELF) and ELF
// kernels with a PVH entry note, with small synthetic images; the loaders'
// structures in guest memory, the entry state and the refusals.
#include "hw/pc/multiboot.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/clock.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/pc/e820.h"
#include "hw/pc/elf_kernel.h"
#include "hw/pc/kernel_image.h"
#include "hw/pc/pc_machine.h"

namespace vx86 {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

struct Ram {
  explicit Ram(uint64_t size)
      : root(MemoryRegion::container("system", UINT64_MAX)), ram(MemoryRegion::ram("ram", size)) {
    root->add_subregion(0, ram.get());
    space = std::make_unique<AddressSpace>("memory", root.get());
  }
  uint64_t read(uint64_t addr, unsigned size) { return space->read(addr, size); }
  std::string string_at(uint64_t addr) {
    return reinterpret_cast<const char*>(ram->host_ptr() + addr);
  }
  LinuxBootMemory layout() const {
    LinuxBootMemory layout;
    layout.ram_below_4g = ram->size();
    layout.firmware_size = 64 * 1024;
    return layout;
  }
  std::unique_ptr<MemoryRegion> root;
  std::unique_ptr<MemoryRegion> ram;
  std::unique_ptr<AddressSpace> space;
};

void put(std::vector<uint8_t>& b, std::size_t at, uint64_t value, unsigned size) {
  if (b.size() < at + size) b.resize(at + size);
  for (unsigned i = 0; i < size; ++i) b[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// A multiboot image with the a.out kludge: the header at file offset 0x40,
// the file loaded at load_addr, entry 0x10 bytes past the header's end.
struct AoutKernel {
  uint32_t flags = 0x00010003;
  uint32_t load_addr = 0x200000;
  uint32_t load_end_addr = 0;  // whole file
  uint32_t bss_end_addr = 0x203000;
  uint32_t entry_offset = 0x80;
  bool bad_checksum = false;
  std::vector<uint8_t> build() const {
    std::vector<uint8_t> image(0x1000);
    for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 5 + 3);
    put(image, 0x40, kMultibootHeaderMagic, 4);
    put(image, 0x44, flags, 4);
    put(image, 0x48, -(kMultibootHeaderMagic + flags) + (bad_checksum ? 1 : 0), 4);
    put(image, 0x4c, load_addr + 0x40, 4);
    put(image, 0x50, load_addr, 4);
    put(image, 0x54, load_end_addr, 4);
    put(image, 0x58, bss_end_addr, 4);
    put(image, 0x5c, load_addr + entry_offset, 4);
    return image;
  }
};

// An x86 ELF executable with one PT_LOAD segment (file bytes at 0x1000) and,
// optionally, a multiboot header at its start and a PVH note.
struct ElfImage {
  bool is_64bit = false;
  uint64_t paddr = 0x300000;
  uint64_t vaddr = 0xc0300000;
  uint64_t entry = 0xc0300020;
  uint64_t file_size = 0x200, mem_size = 0x800;
  bool multiboot = false;
  std::optional<uint64_t> pvh_entry;
  uint16_t e_type = 2;
  std::vector<uint8_t> build() const {
    std::vector<uint8_t> image(0x1000 + file_size, 0);
    std::memcpy(image.data(),
                "\x7f"
                "ELF",
                4);
    image[4] = is_64bit ? 2 : 1;
    image[5] = 1;
    image[6] = 1;
    put(image, 16, e_type, 2);
    put(image, 18, is_64bit ? 62 : 3, 2);
    unsigned phentsize = is_64bit ? 56 : 32;
    unsigned phnum = pvh_entry ? 2 : 1;
    uint64_t phoff = 0x100;
    if (is_64bit) {
      put(image, 24, entry, 8);
      put(image, 32, phoff, 8);
      put(image, 54, phentsize, 2);
      put(image, 56, phnum, 2);
    } else {
      put(image, 24, entry, 4);
      put(image, 28, phoff, 4);
      put(image, 42, phentsize, 2);
      put(image, 44, phnum, 2);
    }
    auto phdr = [&](uint64_t at, uint32_t type, uint64_t off, uint64_t va, uint64_t pa,
                    uint64_t filesz, uint64_t memsz) {
      put(image, at, type, 4);
      if (is_64bit) {
        put(image, at + 8, off, 8);
        put(image, at + 16, va, 8);
        put(image, at + 24, pa, 8);
        put(image, at + 32, filesz, 8);
        put(image, at + 40, memsz, 8);
      } else {
        put(image, at + 4, off, 4);
        put(image, at + 8, va, 4);
        put(image, at + 12, pa, 4);
        put(image, at + 16, filesz, 4);
        put(image, at + 20, memsz, 4);
      }
    };
    phdr(phoff, 1, 0x1000, vaddr, paddr, file_size, mem_size);
    if (pvh_entry) {
      // Note "Xen", type 18, an 8-byte entry, at file offset 0x800.
      put(image, 0x800, 4, 4);
      put(image, 0x804, 8, 4);
      put(image, 0x808, 18, 4);
      std::memcpy(&image[0x80c], "Xen", 4);
      put(image, 0x810, *pvh_entry, 8);
      phdr(phoff + phentsize, 4, 0x800, 0, 0, 0x18, 0x18);
    }
    for (uint64_t i = 0; i < file_size; ++i) image[0x1000 + i] = static_cast<uint8_t>(i + 9);
    if (multiboot) {
      put(image, 0x1000, kMultibootHeaderMagic, 4);
      put(image, 0x1004, 2, 4);
      put(image, 0x1008, -(kMultibootHeaderMagic + 2), 4);
    }
    return image;
  }
};

// An ELF kernel with a PVH note, 32- or 64-bit, or a multiboot ELF kernel.
std::vector<uint8_t> pvh_elf(bool is_64bit) {
  ElfImage elf;
  elf.is_64bit = is_64bit;
  elf.pvh_entry = 0x300010;
  return elf.build();
}
std::vector<uint8_t> multiboot_elf() {
  ElfImage elf;
  elf.multiboot = true;
  return elf.build();
}

std::string boot_error(Ram& ram, const std::vector<uint8_t>& kernel,
                       const std::vector<BootModule>& modules = {},
                       LinuxBootError::Input* input = nullptr) {
  try {
    load_kernel_image(*ram.space, ram.layout(), kernel, modules, "");
  } catch (const LinuxBootError& e) {
    if (input) *input = e.input();
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(MultibootTest, FindsTheHeaderOnlyWithAValidChecksum) {
  AoutKernel aout;
  auto header = find_multiboot_header(aout.build());
  ASSERT_TRUE(header);
  EXPECT_EQ(header->file_offset, 0x40u);
  EXPECT_EQ(header->load_addr, 0x200000u);
  EXPECT_EQ(header->entry_addr, 0x200080u);
  aout.bad_checksum = true;
  EXPECT_FALSE(find_multiboot_header(aout.build()));
  // Beyond the first 8 KiB it does not count.
  std::vector<uint8_t> late(0x3000, 0);
  put(late, 0x2000, kMultibootHeaderMagic, 4);
  put(late, 0x2008, -kMultibootHeaderMagic, 4);
  EXPECT_FALSE(find_multiboot_header(late));
  put(late, 0x1ff0, kMultibootHeaderMagic, 4);
  put(late, 0x1ff8, -kMultibootHeaderMagic, 4);
  EXPECT_TRUE(find_multiboot_header(late));
}

TEST(MultibootTest, AoutKludgeLoadsTheFileAndBuildsTheMbi) {
  Ram ram(64 * kMiB);
  AoutKernel aout;
  auto kernel = aout.build();
  ram.space->write(0x201800, 0xff, 1);  // inside the bss: must be cleared
  std::vector<BootModule> modules = {{"mod1 arg", std::vector<uint8_t>(5000, 0x11)},
                                     {"mod2", std::vector<uint8_t>(100, 0x22)}};
  auto result = load_multiboot(*ram.space, ram.layout(), kernel, modules, "hello cmdline");

  for (std::size_t at : {0u, 0x40u, 0xfffu}) EXPECT_EQ(ram.read(0x200000 + at, 1), kernel[at]);
  EXPECT_EQ(ram.read(0x201800, 1), 0u);
  EXPECT_EQ(result.kernel_start, 0x200000u);
  EXPECT_EQ(result.kernel_end, 0x203000u);

  const BootCpuState& cpu = result.cpu;
  EXPECT_EQ(cpu.mode, BootCpuState::Mode::kFlat32);
  EXPECT_EQ(cpu.entry, 0x200080u);
  EXPECT_EQ(cpu.rax, 0x2BADB002u);
  EXPECT_EQ(cpu.rbx, kBootInfoAddr);
  EXPECT_EQ(ram.read(cpu.gdt_base + cpu.code_selector, 8), 0x00cf9b000000ffffull);
  EXPECT_EQ(ram.read(cpu.gdt_base + cpu.data_selector, 8), 0x00cf93000000ffffull);

  uint64_t mbi = cpu.rbx;
  uint32_t flags = static_cast<uint32_t>(ram.read(mbi, 4));
  EXPECT_EQ(flags, kMbiMemory | kMbiCmdline | kMbiMods | kMbiMmap | kMbiBootLoaderName);
  EXPECT_EQ(ram.read(mbi + 4, 4), 0x9fc00u >> 10);            // mem_lower
  EXPECT_EQ(ram.read(mbi + 8, 4), (64 * kMiB - kMiB) >> 10);  // mem_upper
  EXPECT_EQ(ram.string_at(ram.read(mbi + 16, 4)), "hello cmdline");
  EXPECT_EQ(ram.string_at(ram.read(mbi + 64, 4)), "vx86");

  // Modules: page-aligned above the kernel's bss, in order, with their names.
  ASSERT_EQ(ram.read(mbi + 20, 4), 2u);
  uint64_t mods = ram.read(mbi + 24, 4);
  uint64_t start1 = ram.read(mods, 4), end1 = ram.read(mods + 4, 4);
  uint64_t start2 = ram.read(mods + 16, 4), end2 = ram.read(mods + 20, 4);
  EXPECT_EQ(start1, 0x203000u);
  EXPECT_EQ(end1 - start1, 5000u);
  EXPECT_EQ(start2 % 0x1000, 0u);
  EXPECT_GE(start2, end1);
  EXPECT_EQ(end2 - start2, 100u);
  EXPECT_EQ(ram.read(start1 + 4999, 1), 0x11u);
  EXPECT_EQ(ram.read(start2, 1), 0x22u);
  EXPECT_EQ(ram.string_at(ram.read(mods + 8, 4)), "mod1 arg");
  EXPECT_EQ(ram.string_at(ram.read(mods + 24, 4)), "mod2");

  // The memory map is the machine's E820 map, 24 bytes an entry.
  auto e820 = pc_e820_map(64 * kMiB, 0, 64 * 1024);
  ASSERT_EQ(ram.read(mbi + 44, 4), e820.size() * 24);
  uint64_t mmap = ram.read(mbi + 48, 4);
  for (std::size_t i = 0; i < e820.size(); ++i) {
    uint64_t at = mmap + i * 24;
    EXPECT_EQ(ram.read(at, 4), 20u);
    EXPECT_EQ(ram.read(at + 4, 8), e820[i].addr);
    EXPECT_EQ(ram.read(at + 12, 8), e820[i].size);
    EXPECT_EQ(ram.read(at + 20, 4), static_cast<uint32_t>(e820[i].type));
  }
}

TEST(MultibootTest, ElfKernelLoadsAtPhysicalAddresses) {
  Ram ram(64 * kMiB);
  ElfImage elf;
  elf.multiboot = true;
  auto kernel = elf.build();
  EXPECT_EQ(detect_kernel_format(kernel), KernelFormat::kMultiboot);
  ram.space->write(0x300400, 0xff, 1);
  BootCpuState cpu = load_kernel_image(*ram.space, ram.layout(), kernel, {}, "x");
  EXPECT_EQ(cpu.entry, 0x300020u);  // e_entry, translated to its physical address
  EXPECT_EQ(cpu.rax, 0x2BADB002u);
  EXPECT_EQ(ram.read(0x300000, 4), kMultibootHeaderMagic);
  EXPECT_EQ(ram.read(0x3001ff, 1), kernel[0x11ff]);
  EXPECT_EQ(ram.read(0x300400, 1), 0u);  // bss
  EXPECT_EQ(ram.read(cpu.rbx, 4) & kMbiMods, 0u);
  EXPECT_EQ(ram.string_at(ram.read(cpu.rbx + 16, 4)), "x");
}

TEST(MultibootTest, RefusesBadImages) {
  Ram ram(64 * kMiB);
  LinuxBootError::Input input{};
  std::string err;

  AoutKernel low;  // onto the loader's MBI and GDT
  low.load_addr = 0x8000;
  low.bss_end_addr = 0;
  err = boot_error(ram, low.build(), {}, &input);
  EXPECT_TRUE(contains(err, "overlaps the boot loader's structures")) << err;
  EXPECT_EQ(input, LinuxBootError::Input::kKernel);

  AoutKernel high;  // beyond the end of RAM
  high.load_addr = 0x4000000 - 0x800;
  high.bss_end_addr = 0;
  err = boot_error(ram, high.build());
  EXPECT_TRUE(contains(err, "is not in RAM")) << err;

  AoutKernel hole;  // the legacy VGA/ROM area is not RAM
  hole.load_addr = 0xa0000;
  hole.bss_end_addr = 0;
  EXPECT_TRUE(contains(boot_error(ram, hole.build()), "is not in RAM"));

  AoutKernel long_end;  // load_end_addr past the end of the file
  long_end.load_end_addr = 0x200000 + 0x2000;
  EXPECT_TRUE(contains(boot_error(ram, long_end.build()), "the file has only"));

  AoutKernel bad_entry;
  bad_entry.entry_offset = 0x10000;
  EXPECT_TRUE(contains(boot_error(ram, bad_entry.build()), "entry_addr"));

  AoutKernel short_bss;
  short_bss.bss_end_addr = 0x200800;
  EXPECT_TRUE(contains(boot_error(ram, short_bss.build()), "bss_end_addr"));

  auto truncated = AoutKernel().build();  // header with the address fields cut off
  truncated.resize(0x50);
  EXPECT_TRUE(contains(boot_error(ram, truncated), "truncated header"));

  AoutKernel unknown_flags;  // a requirement vx86 does not know
  unknown_flags.flags |= 0x100;
  EXPECT_TRUE(contains(boot_error(ram, unknown_flags.build()), "requires features"));

  AoutKernel no_addresses;  // no kludge and not ELF
  no_addresses.flags = 0x2;
  EXPECT_TRUE(contains(boot_error(ram, no_addresses.build()), "not ELF"));

  ElfImage elf64;
  elf64.is_64bit = true;
  elf64.multiboot = true;
  EXPECT_TRUE(contains(boot_error(ram, elf64.build()), "64-bit ELF"));

  ElfImage bad_elf_entry;
  bad_elf_entry.multiboot = true;
  bad_elf_entry.entry = 0x1234;
  EXPECT_TRUE(contains(boot_error(ram, bad_elf_entry.build()), "in no loadable segment"));

  std::vector<BootModule> too_big = {{"big", std::vector<uint8_t>(64 * kMiB, 0)}};
  err = boot_error(ram, AoutKernel().build(), too_big, &input);
  EXPECT_TRUE(contains(err, "do not fit in RAM")) << err;
  EXPECT_EQ(input, LinuxBootError::Input::kInitrd);
}

TEST(ElfKernelTest, RefusesElfWithoutAnEntryConvention) {
  Ram ram(64 * kMiB);
  std::string err = boot_error(ram, ElfImage().build());
  EXPECT_TRUE(contains(err, "32-bit ELF kernel has neither a PVH entry note")) << err;
  ElfImage elf64;
  elf64.is_64bit = true;
  EXPECT_TRUE(contains(boot_error(ram, elf64.build()), "64-bit ELF kernel has neither"));

  ElfImage relocatable;
  relocatable.e_type = 1;
  EXPECT_TRUE(contains(boot_error(ram, relocatable.build()), "not an executable"));

  // Every truncation of a valid image is refused, never read past its end.
  auto good = pvh_elf(false);
  for (std::size_t size : {3u, 40u, 60u, 0x120u, 0x810u, 0x1100u}) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + size);
    EXPECT_FALSE(boot_error(ram, cut).empty()) << size;
  }
}

// Any header byte set to 0xff or 0x80 either still loads or is refused with
// LinuxBootError: never another exception, an out-of-bounds read or a crash.
TEST(ElfKernelTest, CorruptHeadersAreRefusedCleanly) {
  Ram ram(64 * kMiB);
  std::vector<std::pair<std::vector<uint8_t>, std::size_t>> images = {{pvh_elf(false), 0x200},
                                                                      {pvh_elf(true), 0x200},
                                                                      {multiboot_elf(), 0x200},
                                                                      {pvh_elf(false), 0x820},
                                                                      {AoutKernel().build(), 0x60}};
  for (auto& [good, header_end] : images) {
    for (std::size_t at = 0; at < header_end; ++at) {
      for (uint8_t value : {uint8_t{0xff}, uint8_t{0x80}}) {
        std::vector<uint8_t> bad = good;
        bad[at] = value;
        boot_error(ram, bad);
      }
    }
  }
}

TEST(ElfKernelTest, PvhKernelGetsHvmStartInfo) {
  Ram ram(64 * kMiB);
  ElfImage elf;
  elf.is_64bit = true;
  elf.pvh_entry = 0x300010;
  auto kernel = elf.build();
  EXPECT_EQ(detect_kernel_format(kernel), KernelFormat::kPvhElf);
  std::vector<BootModule> initrd = {{"initrd", std::vector<uint8_t>(3000, 0x44)}};
  BootCpuState cpu = load_kernel_image(*ram.space, ram.layout(), kernel, initrd, "console=ttyS0");

  EXPECT_EQ(cpu.mode, BootCpuState::Mode::kFlat32);
  EXPECT_EQ(cpu.entry, 0x300010u);
  EXPECT_EQ(cpu.rax, 0u);
  EXPECT_EQ(ram.read(cpu.gdt_base + cpu.code_selector, 8), 0x00cf9b000000ffffull);
  EXPECT_EQ(ram.read(0x300000, 1), kernel[0x1000]);
  EXPECT_EQ(ram.read(0x3007ff, 1), 0u);

  uint64_t info = cpu.rbx;
  EXPECT_EQ(ram.read(info, 4), 0x336ec578u);
  EXPECT_EQ(ram.read(info + 4, 4), 1u);
  EXPECT_EQ(ram.string_at(ram.read(info + 24, 8)), "console=ttyS0");
  EXPECT_EQ(ram.read(info + 32, 8), 0u);  // rsdp_paddr: found by scanning
  ASSERT_EQ(ram.read(info + 12, 4), 1u);
  uint64_t mod = ram.read(info + 16, 8);
  uint64_t mod_addr = ram.read(mod, 8);
  EXPECT_EQ(mod_addr % 0x1000, 0u);
  EXPECT_GE(mod_addr, 0x300800u);
  EXPECT_EQ(ram.read(mod + 8, 8), 3000u);
  EXPECT_EQ(ram.read(mod_addr + 2999, 1), 0x44u);

  auto e820 = pc_e820_map(64 * kMiB, 0, 64 * 1024);
  ASSERT_EQ(ram.read(info + 48, 4), e820.size());
  uint64_t map = ram.read(info + 40, 8);
  for (std::size_t i = 0; i < e820.size(); ++i) {
    EXPECT_EQ(ram.read(map + i * 24, 8), e820[i].addr);
    EXPECT_EQ(ram.read(map + i * 24 + 8, 8), e820[i].size);
    EXPECT_EQ(ram.read(map + i * 24 + 16, 4), static_cast<uint32_t>(e820[i].type));
  }
}

TEST(ElfKernelTest, PvhSegmentOutsideRamIsRefused) {
  Ram ram(16 * kMiB);
  ElfImage elf;
  elf.pvh_entry = 0x2000010;
  elf.paddr = 0x2000000;
  std::string err = boot_error(ram, elf.build());
  EXPECT_TRUE(contains(err, "ELF segment at 0x2000000-0x2000800 is not in RAM")) << err;
}

TEST(MultibootTest, PcMachineLoadsModulesAndReloadsOnReset) {
  Clocks clocks;
  RecordingSystemControl control;
  PcConfig config;
  config.ram_size = 32 * kMiB;
  config.kernel = AoutKernel().build();
  config.initrd_modules = {{"a", {1, 2, 3}}, {"b", {4}}};
  config.kernel_cmdline = "mb";
  PcMachine machine(config, clocks, control);
  ASSERT_TRUE(machine.boot_state().has_value());
  EXPECT_EQ(machine.boot_state()->rax, 0x2BADB002u);
  EXPECT_EQ(machine.memory().read(kBootInfoAddr + 20, 4), 2u);
  machine.memory().write(0x200000, 0, 1);
  machine.reset();
  EXPECT_EQ(machine.memory().read(0x200000, 1), config.kernel[0]);
}

}  // namespace
}  // namespace vx86
