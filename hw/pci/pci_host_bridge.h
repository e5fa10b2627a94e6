// What every PC host bridge (00.0) shares: configuration mechanism #1.
// CONFIG_ADDRESS at 0xCF8 (dword accesses only; bit 31 enable, bus, device,
// function, register) and CONFIG_DATA at 0xCFC-0xCFF (byte, word and dword
// accesses at any of the four ports). Buses other than 0 are reached
// through the bridges that forward them; others read all-ones. Byte accesses to 0xCF9 go to the
// reset control register when one is connected (it lives inside the CONFIG_ADDRESS dword).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/member_io_ops.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class PciHostBridge : public PciDevice {
 public:
  static constexpr uint64_t kConfigAddressPort = 0xcf8;
  static constexpr uint64_t kConfigDataPort = 0xcfc;

  PciHostBridge(std::string type_name, const PciIds& ids);
  ~PciHostBridge() override;

  // Maps the two port ranges into the I/O space.
  void map_config_ports(MemoryRegion& io_space, PciBus& bus);
  // Byte accesses to 0xCF9 are forwarded to ops (the chipset's reset control).
  void set_port_cf9(IoOps* ops) { port_cf9_ = ops; }
  uint32_t config_address() const { return config_address_; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 protected:
  PciBus* config_bus() const { return config_bus_; }

 private:
  // CONFIG_ADDRESS (0xCF8-0xCFB, with 0xCF9) and CONFIG_DATA (0xCFC-0xCFF).
  uint64_t config_address_read(uint64_t offset, unsigned size);
  void config_address_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t config_data_read(uint64_t offset, unsigned size);
  void config_data_write(uint64_t offset, uint64_t value, unsigned size);
  // The bus CONFIG_ADDRESS selects, with the devfn and register (null when
  // disabled or no bus has that number).
  PciBus* selected(uint64_t offset, uint8_t* devfn, unsigned* reg) const;

  PciBus* config_bus_ = nullptr;
  MemberIoOps<PciHostBridge, &PciHostBridge::config_address_read,
              &PciHostBridge::config_address_write>
      address_ops_;
  MemberIoOps<PciHostBridge, &PciHostBridge::config_data_read, &PciHostBridge::config_data_write>
      data_ops_;
  std::unique_ptr<MemoryRegion> address_region_;
  std::unique_ptr<MemoryRegion> data_region_;
  IoOps* port_cf9_ = nullptr;
  uint32_t config_address_ = 0;
};

}  // namespace vx86
