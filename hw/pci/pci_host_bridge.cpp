#include "hw/pci/pci_host_bridge.h"

namespace vx86 {

namespace {

uint64_t all_ones(unsigned size) {
  return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

}  // namespace

PciHostBridge::PciHostBridge(std::string type_name, const PciIds& ids)
    : PciDevice(std::move(type_name), ids), address_ops_(*this), data_ops_(*this) {}

PciHostBridge::~PciHostBridge() {
  if (address_region_ && address_region_->parent()) {
    address_region_->parent()->remove_subregion(address_region_.get());
  }
  if (data_region_ && data_region_->parent()) {
    data_region_->parent()->remove_subregion(data_region_.get());
  }
}

void PciHostBridge::map_config_ports(MemoryRegion& io_space, PciBus& bus) {
  config_bus_ = &bus;
  address_region_ = MemoryRegion::io("pci-conf-idx", 4, &address_ops_, {1, 4, false});
  data_region_ = MemoryRegion::io("pci-conf-data", 4, &data_ops_, {1, 4, false});
  io_space.add_subregion(kConfigAddressPort, address_region_.get());
  io_space.add_subregion(kConfigDataPort, data_region_.get());
}

PciBus* PciHostBridge::selected(uint64_t offset, uint8_t* devfn, unsigned* reg) const {
  if (!config_bus_ || !(config_address_ & 0x80000000u)) return nullptr;
  *devfn = static_cast<uint8_t>(config_address_ >> 8);
  *reg = (config_address_ & 0xfc) + static_cast<unsigned>(offset);
  return config_bus_->find_bus(static_cast<uint8_t>(config_address_ >> 16));
}

uint64_t PciHostBridge::config_address_read(uint64_t offset, unsigned size) {
  if (offset == 0 && size == 4) return config_address_;
  if (offset == 1 && size == 1 && port_cf9_) return port_cf9_->read(0, 1);
  return all_ones(size);
}

void PciHostBridge::config_address_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0 && size == 4) {
    config_address_ = static_cast<uint32_t>(value) & 0x80fffffcu;
  } else if (offset == 1 && size == 1 && port_cf9_) {
    port_cf9_->write(0, value, 1);
  }
}

uint64_t PciHostBridge::config_data_read(uint64_t offset, unsigned size) {
  uint8_t devfn;
  unsigned reg;
  PciBus* bus = selected(offset, &devfn, &reg);
  return bus ? bus->config_read(devfn, reg, size) : all_ones(size);
}

void PciHostBridge::config_data_write(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t devfn;
  unsigned reg;
  if (PciBus* bus = selected(offset, &devfn, &reg)) {
    bus->config_write(devfn, reg, static_cast<uint32_t>(value), size);
  }
}

void PciHostBridge::reset() {
  PciDevice::reset();
  config_address_ = 0;
}

void PciHostBridge::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("config_address", config_address_);
}

}  // namespace vx86
