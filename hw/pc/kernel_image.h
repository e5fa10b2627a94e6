// -kernel for every kernel format vx86 boots directly, as QEMU's -kernel
// does: Linux bzImages (hw/pc/linux_boot.h), ELF kernels with a PVH entry
// note (hw/pc/elf_kernel.h) and multiboot kernels (hw/pc/multiboot.h). This
// file picks the loader and holds the pieces they share.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/boot_state.h"
#include "hw/pc/linux_boot.h"

namespace vx86 {

class AddressSpace;

// One -initrd file: Linux and PVH take one, multiboot any number (QEMU's
// comma-separated list). name is what multiboot passes as the module's string.
struct BootModule {
  std::string name;
  std::vector<uint8_t> data;
};

// Where the PVH and multiboot loaders put their structures (low memory).
inline constexpr uint64_t kBootInfoGdtAddr = 0x6000;
inline constexpr uint64_t kBootInfoAddr = 0x7000;     // MBI or hvm_start_info
inline constexpr uint64_t kBootModListAddr = 0x7400;  // module list
inline constexpr uint64_t kBootMemMapAddr = 0x8000;   // memory map
inline constexpr uint64_t kBootStringsAddr = 0x9000;  // command lines
inline constexpr uint64_t kBootInfoEnd = 0x20000;     // end of the loader's area
inline constexpr std::size_t kBootMaxModules = 32;

enum class KernelFormat { kLinux, kMultiboot, kPvhElf };

// Says how image would boot; throws LinuxBootError (kKernel) with the reason
// when no loader takes it.
KernelFormat detect_kernel_format(std::span<const uint8_t> image);

// Loads the kernel, its modules and command line into memory and returns the
// CPU state to enter it with. Throws LinuxBootError when they do not fit.
BootCpuState load_kernel_image(AddressSpace& memory, const LinuxBootMemory& ram,
                               std::span<const uint8_t> kernel, std::span<const BootModule> modules,
                               const std::string& cmdline);

// Shared by the PVH and multiboot loaders.
namespace boot_image {

void put32(std::vector<uint8_t>& b, std::size_t at, uint32_t v);
void put64(std::vector<uint8_t>& b, std::size_t at, uint64_t v);
uint32_t get32(std::span<const uint8_t> b, std::size_t at);
uint64_t get64(std::span<const uint8_t> b, std::size_t at);
std::string hex(uint64_t v);
[[noreturn]] void fail(LinuxBootError::Input input, const std::string& why);

// Throws (input) unless [addr, addr + size) lies in RAM below 4 GiB (an E820
// RAM range) and clear of the loader's own structures below kBootInfoEnd.
void check_load_range(LinuxBootError::Input input, const std::string& what,
                      const LinuxBootMemory& ram, uint64_t addr, uint64_t size);

// Places the modules page-aligned from `from` up; returns their addresses.
std::vector<uint64_t> load_modules(AddressSpace& memory, const LinuxBootMemory& ram,
                                   std::span<const BootModule> modules, uint64_t from);

// Writes a flat GDT (code 0x10, data 0x18) at kBootInfoGdtAddr and returns
// the 32-bit protected mode entry state with it.
BootCpuState flat32_entry(AddressSpace& memory, uint64_t entry);

}  // namespace boot_image
}  // namespace vx86
