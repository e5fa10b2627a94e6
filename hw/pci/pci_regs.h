// Offsets and bits of the PCI type 0 and type 1 (bridge) configuration
// headers (PCI Local Bus Specification 3.0, chapter 6; PCI-to-PCI Bridge
// Architecture Specification 1.2, chapter 3) and of the PCI Express
// capability and extended capabilities (PCI Express Base Specification 4.0,
// 7.5 and 7.8-7.10).
#pragma once

#include <cstdint>

namespace vx86::pci {

constexpr unsigned kConfigSize = 256;
// A PCI Express function's, reached through ECAM: capabilities from 0x100.
constexpr unsigned kExpressConfigSize = 4096;
constexpr unsigned kFirstExtendedCapability = 0x100;

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

constexpr uint8_t kHeaderTypeBridge = 0x01;

// Type 1 header (a PCI-to-PCI bridge).
constexpr unsigned kPrimaryBus = 0x18;
constexpr unsigned kSecondaryBus = 0x19;
constexpr unsigned kSubordinateBus = 0x1a;
constexpr unsigned kSecondaryLatency = 0x1b;
constexpr unsigned kIoBase = 0x1c;
constexpr unsigned kIoLimit = 0x1d;
constexpr unsigned kSecondaryStatus = 0x1e;
constexpr unsigned kMemoryBase = 0x20;
constexpr unsigned kMemoryLimit = 0x22;
constexpr unsigned kPrefetchBase = 0x24;
constexpr unsigned kPrefetchLimit = 0x26;
constexpr unsigned kPrefetchBaseUpper = 0x28;
constexpr unsigned kPrefetchLimitUpper = 0x2c;
constexpr unsigned kIoBaseUpper = 0x30;
constexpr unsigned kIoLimitUpper = 0x32;
constexpr unsigned kBridgeRomAddress = 0x38;
constexpr unsigned kBridgeControl = 0x3e;
constexpr uint8_t kIoRange32 = 0x01;      // I/O base/limit: 32-bit decoding
constexpr uint16_t kPrefetch64 = 0x0001;  // prefetchable base/limit: 64-bit
constexpr uint16_t kBridgeControlSecondaryReset = 1u << 6;

constexpr uint8_t kCapPowerManagement = 0x01;
constexpr uint8_t kCapMsi = 0x05;
constexpr uint8_t kCapVendor = 0x09;
constexpr uint8_t kCapSubsystemVendor = 0x0d;  // a bridge's subsystem IDs
constexpr uint8_t kCapExpress = 0x10;
constexpr uint8_t kCapMsix = 0x11;

// The PCI Express capability (offsets from it).
constexpr unsigned kExpFlags = 0x02;
constexpr unsigned kExpDevCap = 0x04;
constexpr unsigned kExpDevCtl = 0x08;
constexpr unsigned kExpDevSta = 0x0a;
constexpr unsigned kExpLinkCap = 0x0c;
constexpr unsigned kExpLinkCtl = 0x10;
constexpr unsigned kExpLinkSta = 0x12;
constexpr unsigned kExpSlotCap = 0x14;
constexpr unsigned kExpSlotCtl = 0x18;
constexpr unsigned kExpSlotSta = 0x1a;
constexpr unsigned kExpRootCtl = 0x1c;
constexpr unsigned kExpRootSta = 0x20;
constexpr unsigned kExpDevCap2 = 0x24;
constexpr unsigned kExpDevCtl2 = 0x28;
constexpr unsigned kExpLinkCap2 = 0x2c;
constexpr unsigned kExpLinkCtl2 = 0x30;
constexpr uint8_t kExpCapSizeV2 = 0x3c;
constexpr uint8_t kExpressEndpoint = 0x0;
constexpr uint8_t kExpressRootPort = 0x4;
constexpr uint16_t kExpFlagsVersion2 = 0x0002;
constexpr uint16_t kExpFlagsSlot = 1u << 8;  // a slot is implemented (ports)
constexpr uint32_t kDevCapRoleBasedErrors = 1u << 15;
constexpr uint32_t kDevCapFlr = 1u << 28;
constexpr uint16_t kDevCtlInitiateFlr = 1u << 15;

// Extended capabilities.
constexpr uint16_t kExtCapAer = 0x0001;
constexpr uint16_t kExtCapAcs = 0x000d;

constexpr int kBarCount = 6;

inline constexpr uint8_t devfn(unsigned slot, unsigned function) {
  return static_cast<uint8_t>((slot << 3) | function);
}

}  // namespace vx86::pci
