// The KVM ioctls whose structures end in a flexible array. The kernel
// headers declare those with __DECLARE_FLEX_ARRAY, which in C++ adds an
// empty struct (size 1, not 0): the structures grow, the arrays move and the
// size encoded in the ioctl number changes, so KVM refuses the request
// (EINVAL). These are the C layouts, fixed here and checked below.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace vx86::kvm {

// struct kvm_cpuid2 without its entries (kvm_cpuid_entry2 follow at offset 8).
struct Cpuid2Header {
  uint32_t nent;
  uint32_t padding;
};
// struct kvm_msrs without its entries (kvm_msr_entry follow at offset 8).
struct MsrsHeader {
  uint32_t nmsrs;
  uint32_t pad;
};
// struct kvm_xsave: the 4 KiB area (larger areas need KVM_GET_XSAVE2).
struct XsaveArea {
  uint32_t region[1024];
};
// struct kvm_irq_routing without its entries (kvm_irq_routing_entry follow at offset 8).
struct IrqRoutingHeader {
  uint32_t nr;
  uint32_t flags;
};
static_assert(sizeof(Cpuid2Header) == 8 && sizeof(MsrsHeader) == 8 && sizeof(XsaveArea) == 4096);
static_assert(sizeof(IrqRoutingHeader) == 8);
static_assert(sizeof(kvm_cpuid_entry2) == 40 && sizeof(kvm_msr_entry) == 16);
static_assert(sizeof(kvm_irq_routing_entry) == 48);

inline constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, Cpuid2Header);
inline constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, Cpuid2Header);
inline constexpr unsigned long kGetMsrs = _IOWR(KVMIO, 0x88, MsrsHeader);
inline constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, MsrsHeader);
inline constexpr unsigned long kGetXsave = _IOR(KVMIO, 0xa4, XsaveArea);
inline constexpr unsigned long kSetXsave = _IOW(KVMIO, 0xa5, XsaveArea);
inline constexpr unsigned long kSetGsiRouting = _IOW(KVMIO, 0x6a, IrqRoutingHeader);

}  // namespace vx86::kvm
