// The monitor's `info lapic`: one local APIC's registers, decoded, in the
// layout of QEMU's monitor. It reads the xAPIC register page through a
// function, so vx86's LAPIC model and KVM's in-kernel one (KVM_GET_LAPIC)
// print the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace vx86 {

// Returns the 32-bit register at `offset` in the xAPIC page (0x20 = ID,
// 0xF0 = SVR, ...), as the guest would read it.
using ApicRegisterReader = std::function<uint32_t(uint32_t offset)>;

std::string describe_local_apic_registers(unsigned cpu_index, const ApicRegisterReader& reg);

}  // namespace vx86
