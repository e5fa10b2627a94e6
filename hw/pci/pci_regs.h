// Offsets and bits of the PCI type 0 configuration header (PCI Local Bus
// Specification 3.0, chapter 6).
#pragma once

#include <cstdint>

namespace vx86::pci {

constexpr unsigned kConfigSize = 256;

// The subsystem IDs QEMU gives functions that have none of their own (Red
// Hat's QEMU); vx86 reports the same so guests see the same hardware.
constexpr uint16_t kQemuSubsystemVendor = 0x1af4;
constexpr uint16_t kQemuSubsystem = 0x1100;

constexpr unsigned kVendorId = 0x00;
constexpr unsigned kDeviceId = 0x02;
constexpr unsigned kCommand = 0x04;
constexpr unsigned kStatus = 0x06;
constexpr unsigned kRevisionId = 0x08;
constexpr unsigned kClassProg = 0x09;  // class code: prog-if, subclass, base class
constexpr unsigned kCacheLineSize = 0x0c;
constexpr unsigned kLatencyTimer = 0x0d;
constexpr unsigned kHeaderType = 0x0e;
constexpr unsigned kBar0 = 0x10;
constexpr unsigned kSubsystemVendorId = 0x2c;
constexpr unsigned kSubsystemId = 0x2e;
constexpr unsigned kRomAddress = 0x30;
constexpr uint32_t kRomEnable = 1;  // expansion ROM address register: decode enable
constexpr unsigned kCapabilityList = 0x34;
constexpr unsigned kInterruptLine = 0x3c;
constexpr unsigned kInterruptPin = 0x3d;
constexpr unsigned kFirstCapability = 0x40;

constexpr uint16_t kCommandIo = 1u << 0;
constexpr uint16_t kCommandMemory = 1u << 1;
constexpr uint16_t kCommandMaster = 1u << 2;
constexpr uint16_t kCommandSerr = 1u << 8;
constexpr uint16_t kCommandIntxDisable = 1u << 10;

constexpr uint16_t kStatusInterrupt = 1u << 3;
constexpr uint16_t kStatusCapList = 1u << 4;
// Error bits, write-1-to-clear.
constexpr uint16_t kStatusErrorBits = 0xf900;

constexpr uint8_t kHeaderMultiFunction = 0x80;

constexpr uint32_t kBarIo = 1u << 0;
constexpr uint32_t kBarMem64 = 2u << 1;
constexpr uint32_t kBarPrefetch = 1u << 3;

constexpr uint8_t kCapMsi = 0x05;
constexpr uint8_t kCapVendor = 0x09;
constexpr uint8_t kCapMsix = 0x11;

constexpr int kBarCount = 6;

inline constexpr uint8_t devfn(unsigned slot, unsigned function) {
  return static_cast<uint8_t>((slot << 3) | function);
}

}  // namespace vx86::pci
