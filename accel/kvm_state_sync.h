// Conversions between target-x86's CpuState and KVM's register structures,
// so that the monitor, the gdbstub and an accelerator switch see one state.
// Pure functions over plain structs: no ioctl here (see kvm_vcpu.cpp).
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::kvm {

// General registers, RIP and RFLAGS (lazy flags evaluated / reloaded).
void regs_to_kvm(const CpuState& cpu, kvm_regs* regs);
void regs_from_kvm(const kvm_regs& regs, CpuState* cpu);

// Segments, descriptor tables, control registers, EFER, APIC base.
void sregs_to_kvm(const CpuState& cpu, kvm_sregs* sregs);
void sregs_from_kvm(const kvm_sregs& sregs, CpuState* cpu);

kvm_segment segment_to_kvm(const SegmentCache& seg);
SegmentCache segment_from_kvm(const kvm_segment& seg);

// The x87/SSE state as the 512-byte FXSAVE image that starts both KVM's
// XSAVE area and (field by field) struct kvm_fpu.
void fpu_to_kvm(const CpuState& cpu, kvm_fpu* fpu);
void fpu_from_kvm(const kvm_fpu& fpu, CpuState* cpu);
// Writes the legacy region and sets XSTATE_BV's x87 and SSE bits; the rest of
// the area (AVX and later state, which vx86 does not model) is left as it is.
void fpu_to_xsave(const CpuState& cpu, kvm_xsave* xsave);
void fpu_from_xsave(const kvm_xsave& xsave, CpuState* cpu);

// The MSRs kept in CpuState that KVM owns too.
struct MsrBinding {
  uint32_t index;
  uint64_t CpuState::*field;
};
const MsrBinding* synced_msrs(unsigned* count);

}  // namespace vx86::kvm
