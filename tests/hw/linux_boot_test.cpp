// Direct Linux boot: the loader against the Linux/x86 boot protocol, with the
// real Debian guest kernel when it has been built (scripts/build-guest.sh)
// and with tiny synthetic bzImages for the error paths.
#include "hw/pc/linux_boot.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/clock.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/display/vga_pci.h"
#include "hw/pc/e820.h"
#include "hw/pc/pc_machine.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

// RAM from address 0, as the pc machine has it below 4 GiB.
struct GuestRam {
  explicit GuestRam(uint64_t size)
      : root(MemoryRegion::container("system", UINT64_MAX)), ram(MemoryRegion::ram("ram", size)) {
    root->add_subregion(0, ram.get());
    space = std::make_unique<AddressSpace>("memory", root.get());
  }
  uint64_t read(uint64_t addr, unsigned size) { return space->read(addr, size); }
  std::vector<uint8_t> bytes(uint64_t addr, std::size_t len) {
    return std::vector<uint8_t>(ram->host_ptr() + addr, ram->host_ptr() + addr + len);
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
  for (unsigned i = 0; i < size; ++i) b[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// A bzImage with protocol 2.15's header, `setup_sects` setup sectors and a
// protected-mode "kernel" of pm_size patterned bytes.
struct FakeKernel {
  uint16_t version = 0x020f;
  uint8_t setup_sects = 4;
  uint8_t loadflags = 0x01;
  uint32_t initrd_addr_max = 0x7fffffff;
  uint32_t cmdline_size = 255;
  uint32_t init_size = 0x200000;
  std::size_t pm_size = 8192;
  std::vector<uint8_t> build() const {
    std::size_t setup = ((setup_sects ? setup_sects : 4) + 1) * 512;
    std::vector<uint8_t> image(setup + pm_size, 0);
    image[0x1f1] = setup_sects;
    put(image, 0x1fe, 0xaa55, 2);
    image[0x200] = 0xeb;
    image[0x201] = 0x6a;  // header ends at 0x26c
    std::memcpy(&image[0x202], "HdrS", 4);
    put(image, 0x206, version, 2);
    image[0x211] = loadflags;
    put(image, 0x214, 0x100000, 4);
    put(image, 0x22c, initrd_addr_max, 4);
    put(image, 0x230, 0x200000, 4);
    image[0x234] = 1;
    put(image, 0x238, cmdline_size, 4);
    put(image, 0x258, 0x1000000, 8);
    put(image, 0x260, init_size, 4);
    for (std::size_t i = 0; i < pm_size; ++i) image[setup + i] = static_cast<uint8_t>(i * 7 + 1);
    return image;
  }
};

std::string load_error(GuestRam& ram, const std::vector<uint8_t>& kernel,
                       const std::vector<uint8_t>& initrd = {}, const std::string& cmdline = "",
                       LinuxBootError::Input* input = nullptr) {
  try {
    load_linux(*ram.space, ram.layout(), kernel, initrd, cmdline);
  } catch (const LinuxBootError& e) {
    if (input) *input = e.input();
    return e.what();
  }
  return "";
}

TEST(E820Test, PcLayout) {
  auto map = pc_e820_map(256 * kMiB, 0, 64 * 1024);
  ASSERT_EQ(map.size(), 4u);
  EXPECT_EQ(map[0].addr, 0u);
  EXPECT_EQ(map[0].size, 0x9fc00u);
  EXPECT_EQ(map[0].type, E820Type::kRam);
  EXPECT_EQ(map[1].addr, 0x9fc00u);
  EXPECT_EQ(map[1].size, 0x100000u - 0x9fc00u);
  EXPECT_EQ(map[1].type, E820Type::kReserved);
  EXPECT_EQ(map[2].addr, 0x100000u);
  EXPECT_EQ(map[2].size, 255 * kMiB);
  EXPECT_EQ(map[2].type, E820Type::kRam);
  EXPECT_EQ(map[3].addr, 0xffff0000u);
  EXPECT_EQ(map[3].type, E820Type::kReserved);

  auto big = pc_e820_map(0xc0000000, 1ull << 30, 256 * 1024);
  ASSERT_EQ(big.size(), 5u);
  EXPECT_EQ(big[3].addr, 0xfffc0000u);
  EXPECT_EQ(big[4].addr, 1ull << 32);
  EXPECT_EQ(big[4].size, 1ull << 30);
  EXPECT_EQ(big[4].type, E820Type::kRam);
}

TEST(LinuxBootTest, SyntheticKernelLayout) {
  GuestRam ram(64 * kMiB);
  FakeKernel fake;
  auto kernel = fake.build();
  std::vector<uint8_t> initrd(10000, 0x5a);
  auto result = load_linux(*ram.space, ram.layout(), kernel, initrd, "console=ttyS0");

  EXPECT_EQ(result.kernel_addr, 0x100000u);
  EXPECT_EQ(ram.bytes(0x100000, fake.pm_size),
            std::vector<uint8_t>(kernel.begin() + 5 * 512, kernel.end()));
  // Highest page-aligned place below the end of RAM.
  EXPECT_EQ(result.initrd_addr, (64 * kMiB - 10000) & ~0xfffull);
  EXPECT_EQ(ram.bytes(result.initrd_addr, initrd.size()), initrd);

  const uint64_t bp = kLinuxBootParamsAddr;
  EXPECT_EQ(ram.bytes(bp + 0x202, 4), std::vector<uint8_t>({'H', 'd', 'r', 'S'}));
  EXPECT_EQ(ram.read(bp + 0x1fe, 2), 0xaa55u);
  EXPECT_EQ(ram.read(bp + 0x206, 2), 0x020fu);
  EXPECT_EQ(ram.read(bp + 0x210, 1), 0xffu);  // type_of_loader
  EXPECT_EQ(ram.read(bp + 0x211, 1), 0x81u);  // LOADED_HIGH | CAN_USE_HEAP
  EXPECT_EQ(ram.read(bp + 0x224, 2), 0xfe00u);
  EXPECT_EQ(ram.read(bp + 0x218, 4), result.initrd_addr);
  EXPECT_EQ(ram.read(bp + 0x21c, 4), 10000u);
  uint64_t cmdline = ram.read(bp + 0x228, 4);
  EXPECT_EQ(cmdline, kLinuxBootCmdlineAddr);
  auto text = ram.bytes(cmdline, 14);
  EXPECT_EQ(std::string(text.begin(), text.end()), std::string("console=ttyS0\0", 14));
  EXPECT_EQ(ram.read(bp + 0x1e8, 1), 4u);  // e820_entries
  EXPECT_EQ(ram.read(bp + 0x2d0 + 2 * 20, 8), 0x100000u);
  EXPECT_EQ(ram.read(bp + 0x2d0 + 2 * 20 + 8, 8), 63 * kMiB);
  EXPECT_EQ(ram.read(bp + 0x2d0 + 2 * 20 + 16, 4), 1u);
  EXPECT_EQ(ram.read(bp + 0x070, 8), 0u);  // acpi_rsdp_addr

  const BootCpuState& cpu = result.cpu;
  EXPECT_EQ(cpu.mode, BootCpuState::Mode::kFlat32);
  EXPECT_EQ(cpu.entry, 0x100000u);
  EXPECT_EQ(cpu.rsi, bp);
  EXPECT_EQ(cpu.code_selector, 0x10);
  EXPECT_EQ(cpu.data_selector, 0x18);
  EXPECT_EQ(cpu.gdt_limit, 0x1f);
  EXPECT_EQ(ram.read(cpu.gdt_base + 0x10, 8), 0x00cf9b000000ffffull);
  EXPECT_EQ(ram.read(cpu.gdt_base + 0x18, 8), 0x00cf93000000ffffull);
}

TEST(LinuxBootTest, ZeroSetupSectsMeansFour) {
  GuestRam ram(64 * kMiB);
  FakeKernel fake;
  fake.setup_sects = 0;
  auto kernel = fake.build();
  load_linux(*ram.space, ram.layout(), kernel, {}, "");
  EXPECT_EQ(ram.bytes(0x100000, fake.pm_size),
            std::vector<uint8_t>(kernel.begin() + 5 * 512, kernel.end()));
  EXPECT_EQ(ram.read(kLinuxBootParamsAddr + 0x218, 4), 0u);  // no initrd
}

TEST(LinuxBootTest, InitrdStaysBelowInitrdAddrMax) {
  GuestRam ram(128 * kMiB);
  FakeKernel fake;
  fake.initrd_addr_max = 0x4ffffff;
  auto result =
      load_linux(*ram.space, ram.layout(), fake.build(), std::vector<uint8_t>(5000, 1), "");
  EXPECT_EQ(result.initrd_addr, 0x5000000u - 0x2000u);
}

TEST(LinuxBootTest, BadImagesAreRefusedWithAReason) {
  GuestRam ram(64 * kMiB);
  FakeKernel fake;
  auto kernel = fake.build();
  auto no_magic = kernel;
  no_magic[0x202] = 'X';
  EXPECT_NE(load_error(ram, no_magic).find("not a Linux bzImage"), std::string::npos);
  auto no_flag = kernel;
  no_flag[0x1fe] = 0;
  EXPECT_NE(load_error(ram, no_flag).find("0xAA55"), std::string::npos);
  EXPECT_NE(load_error(ram, std::vector<uint8_t>(100, 0)).find("not a Linux bzImage"),
            std::string::npos);

  FakeKernel old = fake;
  old.version = 0x0205;
  EXPECT_NE(load_error(ram, old.build()).find("2.05 is too old"), std::string::npos);
  FakeKernel low = fake;
  low.loadflags = 0;
  EXPECT_NE(load_error(ram, low.build()).find("zImage"), std::string::npos);
  auto truncated = kernel;
  truncated.resize(5 * 512);
  EXPECT_NE(load_error(ram, truncated).find("no protected-mode kernel"), std::string::npos);
}

TEST(LinuxBootTest, WhatDoesNotFitIsRefused) {
  GuestRam ram(32 * kMiB);
  FakeKernel fake;
  auto kernel = fake.build();
  LinuxBootError::Input input{};
  // Needs 16 MiB (pref_address) + init_size 2 MiB = 18 MiB; 14 MiB are left.
  std::string err = load_error(ram, kernel, std::vector<uint8_t>(15 * kMiB, 0), "", &input);
  EXPECT_NE(err.find("does not fit in RAM"), std::string::npos) << err;
  EXPECT_EQ(input, LinuxBootError::Input::kInitrd);
  EXPECT_EQ(load_error(ram, kernel, std::vector<uint8_t>(13 * kMiB, 0)), "");

  err = load_error(ram, kernel, {}, std::string(256, 'a'), &input);
  EXPECT_NE(err.find("at most 255"), std::string::npos) << err;
  EXPECT_EQ(input, LinuxBootError::Input::kCmdline);

  GuestRam tiny(16 * kMiB);
  err = load_error(tiny, kernel, {}, "", &input);
  EXPECT_NE(err.find("needs 18 MiB"), std::string::npos) << err;
  EXPECT_EQ(input, LinuxBootError::Input::kKernel);
}

// A 64 MiB pc machine booting the synthetic kernel with `cmdline`.
PcConfig pc_config_for(const std::string& cmdline) {
  PcConfig config;
  config.ram_size = 64 * kMiB;
  config.kernel = FakeKernel().build();
  config.kernel_cmdline = cmdline;
  return config;
}

TEST(LinuxBootTest, PcMachineBootsWithoutFirmwareAndReloadsOnReset) {
  Clocks clocks;
  RecordingSystemControl control;
  PcConfig config = pc_config_for("quiet");
  config.initrd = std::vector<uint8_t>(4096, 0x33);
  PcMachine machine(config, clocks, control);
  ASSERT_TRUE(machine.boot_state().has_value());
  EXPECT_EQ(machine.boot_state()->entry, 0x100000u);
  // The reset vector holds HLT, and the e820 map reserves that ROM.
  EXPECT_EQ(machine.memory().read(0xfffffff0, 1), 0xf4u);
  EXPECT_EQ(machine.memory().read(kLinuxBootParamsAddr + 0x2d0 + 3 * 20, 8), 0xffff0000u);

  uint8_t first = config.kernel[5 * 512];
  machine.memory().write(0x100000, first ^ 0xff, 1);
  machine.reset();
  EXPECT_EQ(machine.memory().read(0x100000, 1), first);
}

// vga=0x318: vx86 plays the VESA BIOS. The VGA's framebuffer is mapped where
// SeaBIOS puts it, and screen_info describes it for vesafb.
TEST(LinuxBootTest, VgaModeOnTheCommandLineSetsUpTheFramebuffer) {
  Clocks clocks;
  RecordingSystemControl control;
  PcMachine machine(pc_config_for("console=tty0 vga=0x318"), clocks, control);
  ASSERT_NE(machine.vga_pci(), nullptr);
  EXPECT_EQ(machine.vga_pci()->devfn(), pci::devfn(2, 0));
  EXPECT_EQ(machine.vga_pci()->mode(), (FramebufferFormat{1024, 768, 24, 3072}));
  EXPECT_EQ(machine.vga_pci()->framebuffer_address(), 0xfd000000u);
  machine.memory().write(0xfd000000 + 3 * 1025, 0xabcdef, 4);  // reaches the framebuffer
  EXPECT_EQ(machine.vga_pci()->framebuffer()[3 * 1025], 0xef);
  const uint64_t si = kLinuxBootParamsAddr;
  EXPECT_EQ(machine.memory().read(si + 0x0f, 1), 0x23u);  // VIDEO_TYPE_VLFB
  EXPECT_EQ(machine.memory().read(si + 0x12, 2), 1024u);
  EXPECT_EQ(machine.memory().read(si + 0x14, 2), 768u);
  EXPECT_EQ(machine.memory().read(si + 0x16, 2), 24u);
  EXPECT_EQ(machine.memory().read(si + 0x18, 4), 0xfd000000u);
  EXPECT_EQ(machine.memory().read(si + 0x1c, 4), 256u);  // 16 MiB in 64 KiB units
  EXPECT_EQ(machine.memory().read(si + 0x24, 2), 3072u);
  EXPECT_EQ(machine.memory().read(si + 0x26, 8), 0x0000000808081008ull);  // 8@16, 8@8, 8@0
  EXPECT_EQ(machine.memory().read(si + 0x32, 2), 6u);                     // pages
  EXPECT_EQ(machine.memory().read(si + 0x1fa, 2), 0x318u);                // vid_mode
  // A reset reloads the kernel, which sets the mode again.
  machine.reset();
  EXPECT_EQ(machine.vga_pci()->mode().width, 1024u);
}

TEST(LinuxBootTest, TextModeWithoutVgaOrWithAModeVx86LacksFine) {
  Clocks clocks;
  RecordingSystemControl control;
  for (const char* cmdline : {"console=tty0", "vga=0x301", "vga=normal"}) {
    PcMachine machine(pc_config_for(cmdline), clocks, control);
    EXPECT_FALSE(machine.vga_pci()->mode().active()) << cmdline;
    EXPECT_EQ(machine.memory().read(kLinuxBootParamsAddr + 0x0f, 1), 0x22u) << cmdline;  // VGAC
  }
}

TEST(LinuxBootTest, VesaModeNumbersAsQemusVgaBios) {
  EXPECT_EQ(linux_vga_mode(0x318), (FramebufferFormat{1024, 768, 24, 3072}));
  EXPECT_EQ(linux_vga_mode(0x344), (FramebufferFormat{1024, 768, 32, 4096}));
  EXPECT_EQ(linux_vga_mode(0x317), (FramebufferFormat{1024, 768, 16, 2048}));
  EXPECT_EQ(linux_vga_mode(0x313), (FramebufferFormat{800, 600, 15, 1600}));
  EXPECT_EQ(linux_vga_mode(0x347), (FramebufferFormat{1600, 1200, 32, 6400}));
  for (uint16_t none : {0xffff, 0xfffe, 0x0003, 0x0301, 0x0318 - 0x200}) {
    EXPECT_FALSE(linux_vga_mode(none)) << none;
  }
}

TEST(LinuxBootTest, PcMachineWithFirmwareHasNoBootState) {
  Clocks clocks;
  RecordingSystemControl control;
  PcConfig config;
  config.ram_size = 16 * kMiB;
  config.firmware = std::vector<uint8_t>(64 * 1024, 0x90);
  PcMachine machine(config, clocks, control);
  EXPECT_FALSE(machine.boot_state().has_value());
  EXPECT_EQ(machine.memory().read(0xfffffff0, 1), 0x90u);
}

// The Debian guest kernel from scripts/build-guest.sh ($VX86_LINUX_GUEST_DIR
// or build/guest in the source tree).
std::filesystem::path guest_dir() {
  if (const char* dir = std::getenv("VX86_LINUX_GUEST_DIR")) return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "build" /
         "guest";
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

TEST(LinuxBootTest, DebianGuestKernel) {
  auto vmlinuz = guest_dir() / "vmlinuz";
  auto initramfs = guest_dir() / "initramfs.cpio.gz";
  if (!std::filesystem::exists(vmlinuz) || !std::filesystem::exists(initramfs)) {
    GTEST_SKIP() << "no guest kernel at " << guest_dir()
                 << " (run scripts/build-guest.sh or set VX86_LINUX_GUEST_DIR)";
  }
  auto kernel = read_file(vmlinuz);
  auto initrd = read_file(initramfs);
  GuestRam ram(256 * kMiB);
  const std::string cmdline = "console=ttyS0 earlyprintk=serial,ttyS0,115200";
  BzImageInfo info = parse_bzimage(kernel);
  EXPECT_GE(info.protocol_version, 0x0206);
  auto result = load_linux(*ram.space, ram.layout(), kernel, initrd, cmdline);

  uint64_t setup = (kernel[0x1f1] ? kernel[0x1f1] : 4) * 512ull + 512;
  ASSERT_EQ(result.kernel_size, kernel.size() - setup);
  EXPECT_TRUE(std::equal(kernel.begin() + setup, kernel.end(), ram.ram->host_ptr() + 0x100000));

  const uint64_t bp = kLinuxBootParamsAddr;
  std::size_t header_end = 0x202 + kernel[0x201];
  auto header = ram.bytes(bp + 0x1f1, header_end - 0x1f1);
  for (std::size_t off = 0x1f1; off < header_end; ++off) {
    bool loader_field = (off >= 0x1fa && off < 0x1fc) || off == 0x210 || off == 0x211 ||
                        (off >= 0x218 && off < 0x220) || (off >= 0x224 && off < 0x226) ||
                        (off >= 0x228 && off < 0x22c);
    if (loader_field) continue;
    EXPECT_EQ(header[off - 0x1f1], kernel[off]) << "header byte " << off;
  }
  EXPECT_EQ(ram.read(bp + 0x210, 1), 0xffu);
  EXPECT_EQ(ram.read(bp + 0x211, 1) & 0x81u, 0x81u);
  auto text = ram.bytes(ram.read(bp + 0x228, 4), cmdline.size() + 1);
  EXPECT_EQ(std::string(text.begin(), text.end()), cmdline + '\0');

  uint64_t initrd_addr = ram.read(bp + 0x218, 4);
  EXPECT_EQ(initrd_addr, result.initrd_addr);
  EXPECT_EQ(initrd_addr % 4096, 0u);
  EXPECT_LE(initrd_addr + initrd.size(), 256 * kMiB);
  EXPECT_GT(initrd_addr + initrd.size(), 256 * kMiB - 4096);
  EXPECT_EQ(ram.read(bp + 0x21c, 4), initrd.size());
  EXPECT_EQ(ram.bytes(initrd_addr, initrd.size()), initrd);

  ASSERT_EQ(ram.read(bp + 0x1e8, 1), 4u);
  const uint64_t expected[4][3] = {{0, 0x9fc00, 1},
                                   {0x9fc00, 0x100000 - 0x9fc00, 2},
                                   {0x100000, 255 * kMiB, 1},
                                   {0xffff0000, 0x10000, 2}};
  for (int i = 0; i < 4; ++i) {
    uint64_t at = bp + 0x2d0 + i * 20;
    EXPECT_EQ(ram.read(at, 8), expected[i][0]) << "e820 entry " << i;
    EXPECT_EQ(ram.read(at + 8, 8), expected[i][1]) << "e820 entry " << i;
    EXPECT_EQ(ram.read(at + 16, 4), expected[i][2]) << "e820 entry " << i;
  }
  EXPECT_EQ(result.cpu.entry, ram.read(bp + 0x214, 4));
  EXPECT_EQ(result.cpu.entry, 0x100000u);
  EXPECT_EQ(result.cpu.rsi, bp);
}

}  // namespace
}  // namespace vx86
