// The i440FX PCI host bridge (00.0, 8086:1237) and configuration mechanism
// #1: CONFIG_ADDRESS at 0xCF8 (dword accesses only; bit 31 enable, bus,
// device, function, register) and CONFIG_DATA at 0xCFC-0xCFF (byte, word and
// dword accesses at any of the four ports). Only bus 0 exists; other buses
// read all-ones. Byte accesses to 0xCF9 go to the reset control register
// when one is connected (it lives inside the CONFIG_ADDRESS dword).
// The PAM registers (0x59-0x5F) shadow 0xC0000-0xFFFFF once connect_pam has
// been called: each of the 13 segments shows ROM/PCI (00), read-only RAM
// (01) or RAM (11) over what is below (write-only, 10, is shown as 00 and
// logged under -d unimp). SMRAM is writable but does not remap memory yet.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/member_io_ops.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class I440fxHost : public PciDevice {
 public:
  static constexpr uint64_t kConfigAddressPort = 0xcf8;
  static constexpr uint64_t kConfigDataPort = 0xcfc;

  I440fxHost();
  ~I440fxHost() override;

  // Maps the two port ranges into the I/O space.
  void map_config_ports(MemoryRegion& io_space, PciBus& bus);
  // Byte accesses to 0xCF9 are forwarded to ops (the PIIX reset control).
  void set_port_cf9(IoOps* ops) { port_cf9_ = ops; }
  uint32_t config_address() const { return config_address_; }
  // Puts the PAM segments into system_memory as windows onto ram (whose
  // offsets are the addresses below 1 MiB), above the BIOS's low alias.
  void connect_pam(MemoryRegion& system_memory, MemoryRegion& ram);

  void config_write(unsigned addr, uint32_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  // CONFIG_ADDRESS (0xCF8-0xCFB, with 0xCF9) and CONFIG_DATA (0xCFC-0xCFF).
  uint64_t config_address_read(uint64_t offset, unsigned size);
  void config_address_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t config_data_read(uint64_t offset, unsigned size);
  void config_data_write(uint64_t offset, uint64_t value, unsigned size);
  // True and the target devfn/register when CONFIG_ADDRESS selects bus 0.
  bool selected(uint64_t offset, uint8_t* devfn, unsigned* reg) const;

  PciBus* config_bus_ = nullptr;
  MemberIoOps<I440fxHost, &I440fxHost::config_address_read, &I440fxHost::config_address_write>
      address_ops_;
  MemberIoOps<I440fxHost, &I440fxHost::config_data_read, &I440fxHost::config_data_write> data_ops_;
  std::unique_ptr<MemoryRegion> address_region_;
  std::unique_ptr<MemoryRegion> data_region_;
  void update_pam();

  IoOps* port_cf9_ = nullptr;
  uint32_t config_address_ = 0;
  struct PamSegment {
    std::unique_ptr<MemoryRegion> window;
    unsigned reg;    // PAM register (configuration offset)
    unsigned shift;  // its nibble
  };
  std::vector<PamSegment> pam_;
};

}  // namespace vx86
