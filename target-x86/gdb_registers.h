// The x86-64 register file as the GDB remote protocol carries it: the order,
// sizes and names of the target description vx86's gdbstub sends
// (gdb_target_xml), and conversion between that byte image and CpuState.
// gdb always sees the 64-bit layout, whatever mode the guest is in (as with
// qemu-system-x86_64).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

// The target description (qXfer:features:read:target.xml).
const std::string& gdb_target_xml();

// Number of registers in the description, and the byte size of register n
// (0 when n is out of range).
unsigned gdb_register_count();
unsigned gdb_register_size(unsigned n);

// Register n of `cpu` in target byte order (little-endian), appended to out.
// Returns false when n is out of range.
bool gdb_read_register(const CpuState& cpu, unsigned n, std::vector<uint8_t>* out);
// All registers in order (the 'g' packet).
std::vector<uint8_t> gdb_read_registers(const CpuState& cpu);

// Writes register n from `size` bytes. Segment registers take a new selector
// (and, in real and virtual-8086 mode, base = selector * 16, as loading one
// there would; in protected mode the cached descriptor is kept). Returns
// false when n is out of range or size is wrong. Call update_hflags (the
// accelerator's sync_to_accel does) after writing.
bool gdb_write_register(CpuState& cpu, unsigned n, const uint8_t* data, size_t size);
// The 'G' packet: as many registers as `data` holds, in order; false when it
// does not end on a register boundary.
bool gdb_write_registers(CpuState& cpu, const uint8_t* data, size_t size);

}  // namespace vx86::x86
