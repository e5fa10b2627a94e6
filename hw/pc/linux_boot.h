// Direct Linux boot (-kernel/-initrd/-append), as a boot loader following the
// Linux/x86 boot protocol (Documentation/arch/x86/boot.rst) would do it: the
// protected-mode kernel of a bzImage at its code32_start (1 MiB), the initrd
// at the top of low RAM, the command line, and the zero page (struct
// boot_params: the image's setup header plus the E820 map). The CPU then
// enters the kernel through the 32-bit boot protocol, so no firmware and no
// real-mode setup code run.
//
// Not supported: zImages (kernels loaded low), boot protocols before 2.06 and
// the 64-bit entry point. ELF kernels with a PVH note and multiboot kernels
// have their own loaders (hw/pc/kernel_image.h picks one).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "core/boot_state.h"
#include "core/framebuffer.h"
#include "hw/pc/e820.h"

namespace vx86 {

class AddressSpace;

// A reason the images cannot be booted; input says which one is at fault so
// that the program can name the option (-kernel, -initrd, -append).
class LinuxBootError : public std::runtime_error {
 public:
  enum class Input { kKernel, kInitrd, kCmdline };
  LinuxBootError(Input input, const std::string& what) : std::runtime_error(what), input_(input) {}
  Input input() const { return input_; }

 private:
  Input input_;
};

// What the loader uses from a bzImage's setup header.
struct BzImageInfo {
  uint16_t protocol_version = 0;  // e.g. 0x020f
  uint64_t setup_size = 0;  // boot sector + real-mode setup: where the kernel starts in the file
  uint64_t header_end = 0;  // file offset just past the setup header
  uint8_t loadflags = 0;
  uint32_t code32_start = 0;     // load address and 32-bit entry of the protected-mode kernel
  uint32_t initrd_addr_max = 0;  // highest address the initrd may occupy
  uint32_t kernel_alignment = 0;
  bool relocatable = false;
  uint32_t cmdline_size = 0;  // longest command line, without the NUL
  uint64_t pref_address = 0;  // protocol 2.10+: where the kernel decompresses itself
  uint32_t init_size = 0;     // protocol 2.10+: memory it needs there
};

// Checks that image is a bzImage vx86 can boot; throws LinuxBootError (kKernel)
// with the reason otherwise.
BzImageInfo parse_bzimage(std::span<const uint8_t> image);

// Where the loader puts its small pieces, all in conventional memory.
inline constexpr uint64_t kLinuxBootGdtAddr = 0x6000;
inline constexpr uint64_t kLinuxBootParamsAddr = 0x7000;
inline constexpr uint64_t kLinuxBootCmdlineAddr = 0x20000;
inline constexpr uint16_t kLinuxBootCodeSelector = 0x10;  // __BOOT_CS
inline constexpr uint16_t kLinuxBootDataSelector = 0x18;  // __BOOT_DS

struct LinuxBootMemory {
  uint64_t ram_below_4g = 0;   // RAM from address 0
  uint64_t ram_above_4g = 0;   // RAM from 4 GiB
  uint64_t firmware_size = 0;  // ROM just below 4 GiB
  // The chipset's reserved ranges for the E820 map (the Q35's ECAM window).
  std::vector<E820Entry> reserved;
  // A VGA in 80x25 text mode at 0xB8000, reported in screen_info for vgacon.
  bool vga_text = false;
  // Or a linear framebuffer in a graphics mode (vga=MODE), reported in
  // screen_info as a VESA one for vesafb.
  struct Framebuffer {
    uint64_t base = 0;
    uint64_t size = 0;
    FramebufferFormat format;
    uint16_t vga_mode = 0;  // the vga= number
  };
  std::optional<Framebuffer> framebuffer;
};

struct LinuxBootResult {
  BootCpuState cpu;
  uint64_t kernel_addr = 0, kernel_size = 0;
  uint64_t initrd_addr = 0, initrd_size = 0;
};

// Writes the images and the boot data into memory (RAM as described by ram)
// and returns the CPU state to enter the kernel with. Throws LinuxBootError
// when they do not fit or the kernel cannot be booted.
LinuxBootResult load_linux(AddressSpace& memory, const LinuxBootMemory& ram,
                           std::span<const uint8_t> kernel, std::span<const uint8_t> initrd,
                           const std::string& cmdline);

}  // namespace vx86
