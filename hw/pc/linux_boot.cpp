#include "hw/pc/linux_boot.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/memory.h"
#include "hw/pc/e820.h"

namespace vx86 {

namespace {

// Offsets in the bzImage file, and equally in boot_params (the setup header
// sits at 0x1f1 in both).
constexpr std::size_t kSetupSects = 0x1f1;
constexpr std::size_t kVidMode = 0x1fa;
constexpr std::size_t kBootFlag = 0x1fe;
constexpr std::size_t kJump = 0x200;  // its second byte gives the header's length
constexpr std::size_t kHeaderMagic = 0x202;
constexpr std::size_t kVersion = 0x206;
constexpr std::size_t kTypeOfLoader = 0x210;
constexpr std::size_t kLoadflags = 0x211;
constexpr std::size_t kCode32Start = 0x214;
constexpr std::size_t kRamdiskImage = 0x218;
constexpr std::size_t kRamdiskSize = 0x21c;
constexpr std::size_t kHeapEndPtr = 0x224;
constexpr std::size_t kCmdLinePtr = 0x228;
constexpr std::size_t kInitrdAddrMax = 0x22c;
constexpr std::size_t kKernelAlignment = 0x230;
constexpr std::size_t kRelocatableKernel = 0x234;
constexpr std::size_t kCmdlineSize = 0x238;
constexpr std::size_t kPrefAddress = 0x258;
constexpr std::size_t kInitSize = 0x260;
constexpr std::size_t kMinHeaderEnd = 0x23c;  // through cmdline_size (protocol 2.06)

// Fields of boot_params outside the setup header.
// screen_info (at 0): the text console the BIOS left.
constexpr std::size_t kScreenInfoVideoMode = 0x06;
constexpr std::size_t kScreenInfoColumns = 0x07;
constexpr std::size_t kScreenInfoEgaBx = 0x0a;
constexpr std::size_t kScreenInfoLines = 0x0e;
constexpr std::size_t kScreenInfoIsVga = 0x0f;
constexpr std::size_t kScreenInfoPoints = 0x10;
constexpr uint8_t kVideoTypeVgaColour = 0x22;  // VIDEO_TYPE_VGAC
// The linear framebuffer part of screen_info.
constexpr std::size_t kScreenInfoLfbWidth = 0x12;
constexpr std::size_t kScreenInfoLfbHeight = 0x14;
constexpr std::size_t kScreenInfoLfbDepth = 0x16;
constexpr std::size_t kScreenInfoLfbBase = 0x18;
constexpr std::size_t kScreenInfoLfbSize = 0x1c;  // in 64 KiB units for VESA
constexpr std::size_t kScreenInfoLfbLineLength = 0x24;
constexpr std::size_t kScreenInfoRedSize = 0x26;  // then pos; green, blue, reserved
constexpr std::size_t kScreenInfoPages = 0x32;
constexpr uint8_t kVideoTypeVesaLfb = 0x23;  // VIDEO_TYPE_VLFB
constexpr std::size_t kAltMemK = 0x1e0;
constexpr std::size_t kE820Entries = 0x1e8;
constexpr std::size_t kE820Table = 0x2d0;
constexpr std::size_t kE820MaxEntries = 128;
constexpr std::size_t kBootParamsSize = 0x1000;

constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint8_t kCanUseHeap = 0x80;
constexpr uint8_t kLoaderUndefined = 0xff;  // type_of_loader for loaders without an ID
constexpr uint16_t kHeapEnd = 0xfe00;       // conventional end of the setup heap
constexpr uint16_t kMinVersion = 0x0206;
constexpr uint64_t kPageSize = 0x1000;

uint16_t get16(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}
uint32_t get32(std::span<const uint8_t> b, std::size_t at) {
  return get16(b, at) | static_cast<uint32_t>(get16(b, at + 2)) << 16;
}
uint64_t get64(std::span<const uint8_t> b, std::size_t at) {
  return get32(b, at) | static_cast<uint64_t>(get32(b, at + 4)) << 32;
}
void put16(uint8_t* b, std::size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* b, std::size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v));
  put16(b, at + 2, static_cast<uint16_t>(v >> 16));
}
void put64(uint8_t* b, std::size_t at, uint64_t v) {
  put32(b, at, static_cast<uint32_t>(v));
  put32(b, at + 4, static_cast<uint32_t>(v >> 32));
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string version_string(uint16_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%u.%02u", v >> 8, v & 0xff);
  return buf;
}

[[noreturn]] void fail(LinuxBootError::Input input, const std::string& why) {
  throw LinuxBootError(input, why);
}

// A flat 4 GiB segment descriptor (base 0, limit 0xfffff pages, 32-bit);
// access is the descriptor's type/S/DPL/P byte.
uint64_t flat_descriptor(uint8_t access) {
  return 0x00cf00000000ffffull | static_cast<uint64_t>(access) << 40;
}

// Where the kernel will put itself and how much it needs there; the initrd
// must stay above. Protocols before 2.10 do not say, so the image itself
// is all we know.
uint64_t kernel_reserved_end(const BzImageInfo& info, uint64_t kernel_size) {
  uint64_t end = info.code32_start + kernel_size;
  if (info.protocol_version < 0x020a) return end;
  uint64_t out = info.code32_start;
  if (info.relocatable && info.kernel_alignment) {
    uint64_t align = info.kernel_alignment;
    out = (out + align - 1) / align * align;
  }
  out = std::max(out, info.pref_address);
  return std::max(end, out + info.init_size);
}

}  // namespace

BzImageInfo parse_bzimage(std::span<const uint8_t> image) {
  using Input = LinuxBootError::Input;
  if (image.size() < kMinHeaderEnd || std::memcmp(&image[kHeaderMagic], "HdrS", 4) != 0) {
    fail(Input::kKernel, "not a Linux bzImage (no \"HdrS\" boot header)");
  }
  if (get16(image, kBootFlag) != 0xaa55) {
    fail(Input::kKernel, "not a Linux bzImage (no 0xAA55 boot flag)");
  }
  BzImageInfo info;
  info.protocol_version = get16(image, kVersion);
  if (info.protocol_version < kMinVersion) {
    fail(Input::kKernel, "Linux boot protocol " + version_string(info.protocol_version) +
                             " is too old (vx86 needs 2.06 or later)");
  }
  info.loadflags = image[kLoadflags];
  if (!(info.loadflags & kLoadedHigh)) {
    fail(Input::kKernel, "a zImage (kernel loaded low) cannot be booted; use a bzImage");
  }
  info.header_end = kJump + 2 + image[kJump + 1];
  if (info.header_end < kMinHeaderEnd || info.header_end > image.size()) {
    fail(Input::kKernel, "corrupt bzImage: setup header length " + hex(info.header_end));
  }
  unsigned setup_sects = image[kSetupSects] ? image[kSetupSects] : 4;
  info.setup_size = (setup_sects + 1) * 512ull;
  if (info.setup_size >= image.size()) {
    fail(Input::kKernel, "corrupt bzImage: no protected-mode kernel after " +
                             std::to_string(setup_sects) + " setup sectors");
  }
  info.code32_start = get32(image, kCode32Start);
  info.initrd_addr_max = get32(image, kInitrdAddrMax);
  info.kernel_alignment = get32(image, kKernelAlignment);
  info.relocatable = image[kRelocatableKernel] != 0;
  info.cmdline_size = get32(image, kCmdlineSize);
  if (info.protocol_version >= 0x020a && info.header_end >= kInitSize + 4) {
    info.pref_address = get64(image, kPrefAddress);
    info.init_size = get32(image, kInitSize);
  }
  if (info.code32_start < 0x100000) {
    fail(Input::kKernel, "code32_start " + hex(info.code32_start) + " is below 1 MiB");
  }
  return info;
}

LinuxBootResult load_linux(AddressSpace& memory, const LinuxBootMemory& ram,
                           std::span<const uint8_t> kernel, std::span<const uint8_t> initrd,
                           const std::string& cmdline) {
  using Input = LinuxBootError::Input;
  BzImageInfo info = parse_bzimage(kernel);
  LinuxBootResult result;

  // The protected-mode kernel.
  std::span<const uint8_t> pm_kernel = kernel.subspan(info.setup_size);
  result.kernel_addr = info.code32_start;
  result.kernel_size = pm_kernel.size();
  uint64_t reserved_end = kernel_reserved_end(info, pm_kernel.size());
  if (reserved_end > ram.ram_below_4g) {
    fail(Input::kKernel, "the kernel needs " + std::to_string((reserved_end + 0xfffff) >> 20) +
                             " MiB of RAM below 4 GiB to start; give more with -m");
  }
  memory.load_buffer(result.kernel_addr, pm_kernel.data(), pm_kernel.size());

  // The command line, NUL-terminated.
  if (cmdline.size() > info.cmdline_size) {
    fail(Input::kCmdline, "kernel command line is " + std::to_string(cmdline.size()) +
                              " bytes; this kernel takes at most " +
                              std::to_string(info.cmdline_size));
  }
  memory.load_buffer(kLinuxBootCmdlineAddr, cmdline.c_str(), cmdline.size() + 1);

  // The initrd: page-aligned, as high as both the kernel and RAM allow.
  if (!initrd.empty()) {
    uint64_t top = std::min<uint64_t>(uint64_t{info.initrd_addr_max} + 1, ram.ram_below_4g);
    uint64_t addr = initrd.size() <= top ? (top - initrd.size()) & ~(kPageSize - 1) : 0;
    if (initrd.size() > top || addr < reserved_end) {
      fail(Input::kInitrd, "initrd of " + std::to_string(initrd.size()) +
                               " bytes does not fit in RAM between " + "the kernel (up to " +
                               hex(reserved_end) + ") and " + hex(top) + "; give more RAM with -m");
    }
    memory.load_buffer(addr, initrd.data(), initrd.size());
    result.initrd_addr = addr;
    result.initrd_size = initrd.size();
  }

  // The zero page: the image's setup header, completed by the loader.
  std::vector<uint8_t> params(kBootParamsSize, 0);
  std::memcpy(&params[kSetupSects], &kernel[kSetupSects], info.header_end - kSetupSects);
  put16(params.data(), kVidMode, 0xffff);  // "normal" text mode
  params[kTypeOfLoader] = kLoaderUndefined;
  params[kLoadflags] = info.loadflags | kCanUseHeap;
  put16(params.data(), kHeapEndPtr, kHeapEnd);
  put32(params.data(), kCmdLinePtr, static_cast<uint32_t>(kLinuxBootCmdlineAddr));
  put32(params.data(), kRamdiskImage, static_cast<uint32_t>(result.initrd_addr));
  put32(params.data(), kRamdiskSize, static_cast<uint32_t>(result.initrd_size));
  if (ram.framebuffer) {
    // screen_info as a VESA BIOS's mode set leaves it (vesafb reads this).
    const auto& fb = *ram.framebuffer;
    const FramebufferFormat& f = fb.format;
    put16(params.data(), kVidMode, fb.vga_mode);
    params[kScreenInfoIsVga] = kVideoTypeVesaLfb;
    put16(params.data(), kScreenInfoLfbWidth, static_cast<uint16_t>(f.width));
    put16(params.data(), kScreenInfoLfbHeight, static_cast<uint16_t>(f.height));
    put16(params.data(), kScreenInfoLfbDepth, static_cast<uint16_t>(f.bits_per_pixel));
    put32(params.data(), kScreenInfoLfbBase, static_cast<uint32_t>(fb.base));
    put32(params.data(), kScreenInfoLfbSize, static_cast<uint32_t>(fb.size >> 16));
    put16(params.data(), kScreenInfoLfbLineLength, static_cast<uint16_t>(f.stride));
    // Sizes and positions of red, green, blue and the unused bits.
    std::array<uint8_t, 8> layout = {8, 16, 8, 8, 8, 0, 8, 24};
    if (f.bits_per_pixel == 24) layout = {8, 16, 8, 8, 8, 0, 0, 0};
    if (f.bits_per_pixel == 16) layout = {5, 11, 6, 5, 5, 0, 0, 0};
    if (f.bits_per_pixel == 15) layout = {5, 10, 5, 5, 5, 0, 1, 15};
    std::memcpy(&params[kScreenInfoRedSize], layout.data(), layout.size());
    // VBE's NumberOfImagePages: the pages that fit, less the one shown.
    put16(params.data(), kScreenInfoPages,
          static_cast<uint16_t>(fb.size / (uint64_t{f.stride} * f.height) - 1));
  } else if (ram.vga_text) {
    // screen_info, as the BIOS's mode 3 leaves it: a colour VGA, 80x25, 16-line
    // characters, the cursor at the top left.
    params[kScreenInfoVideoMode] = 3;
    params[kScreenInfoColumns] = 80;
    put16(params.data(), kScreenInfoEgaBx, 0x0003);  // colour, 256 KiB of video memory
    params[kScreenInfoLines] = 25;
    params[kScreenInfoIsVga] = kVideoTypeVgaColour;
    put16(params.data(), kScreenInfoPoints, 16);
  }
  uint64_t ext_kib = ram.ram_below_4g > 0x100000 ? (ram.ram_below_4g - 0x100000) >> 10 : 0;
  put32(params.data(), kAltMemK, static_cast<uint32_t>(std::min<uint64_t>(ext_kib, UINT32_MAX)));
  std::vector<E820Entry> map =
      pc_e820_map(ram.ram_below_4g, ram.ram_above_4g, ram.firmware_size, ram.reserved);
  params[kE820Entries] = static_cast<uint8_t>(std::min(map.size(), kE820MaxEntries));
  for (std::size_t i = 0; i < map.size() && i < kE820MaxEntries; ++i) {
    std::size_t at = kE820Table + i * 20;
    put64(params.data(), at, map[i].addr);
    put64(params.data(), at + 8, map[i].size);
    put32(params.data(), at + 16, static_cast<uint32_t>(map[i].type));
  }
  memory.load_buffer(kLinuxBootParamsAddr, params.data(), params.size());

  // The GDT of the 32-bit boot protocol: flat __BOOT_CS and __BOOT_DS.
  std::array<uint64_t, 4> gdt = {0, 0, flat_descriptor(0x9b), flat_descriptor(0x93)};
  std::array<uint8_t, sizeof(gdt)> gdt_bytes;
  for (std::size_t i = 0; i < gdt.size(); ++i) put64(gdt_bytes.data(), i * 8, gdt[i]);
  memory.load_buffer(kLinuxBootGdtAddr, gdt_bytes.data(), gdt_bytes.size());

  BootCpuState& cpu = result.cpu;
  cpu.mode = BootCpuState::Mode::kFlat32;
  cpu.entry = info.code32_start;
  cpu.gdt_base = kLinuxBootGdtAddr;
  cpu.gdt_limit = static_cast<uint16_t>(gdt_bytes.size() - 1);
  cpu.code_selector = kLinuxBootCodeSelector;
  cpu.data_selector = kLinuxBootDataSelector;
  cpu.rsi = kLinuxBootParamsAddr;
  return result;
}

}  // namespace vx86
