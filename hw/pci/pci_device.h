// A PCI function: 256 bytes of configuration space (4 KiB for a PCI Express
// function) with per-byte write masks,
// the command register's I/O, memory and bus-master enables, up to six BARs
// that the guest sizes and places (mapped into the bus's windows through the
// memory API while decoding is enabled), INTx and a capability list.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/memory.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

class PciBus;
class PciMsi;
class PciMsix;

enum class PciBarType {
  kIo,             // I/O space, at least 4 bytes
  kMem32,          // 32-bit memory
  kMem64,          // 64-bit memory (takes two BAR slots)
  kMem64Prefetch,  // 64-bit prefetchable memory
};

struct PciIds {
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint32_t class_code = 0;  // base class << 16 | subclass << 8 | prog-if
  uint8_t revision = 0;
  uint16_t subsystem_vendor = 0;
  uint16_t subsystem = 0;
  uint8_t interrupt_pin = 0;  // 0 = none, 1..4 = INTA..INTD
  bool multi_function = false;
};

class PciDevice : public Device {
 public:
  static constexpr uint64_t kUnmapped = ~0ull;

  PciDevice(std::string type_name, const PciIds& ids);
  ~PciDevice() override;

  // Called by PciBus::plug and PciBus::unplug. A detached function has no
  // BAR mapped, no INTx asserted and no bus to master: it does nothing more.
  void attach(PciBus* bus, uint8_t devfn);
  void detach();
  PciBus* bus() const { return bus_; }
  uint8_t devfn() const { return devfn_; }
  unsigned slot() const { return devfn_ >> 3; }

  // Configuration space access from the host bridge (addr + size within
  // config_size(), size 1, 2 or 4). Overrides may add side effects and call
  // these.
  virtual uint32_t config_read(unsigned addr, unsigned size);
  virtual void config_write(unsigned addr, uint32_t value, unsigned size);

  // Current address of a BAR's region, or kUnmapped.
  uint64_t bar_address(int index) const { return bars_[index].mapped_at; }
  // What BAR `index` is (size 0: none), for the monitor's `info pci`.
  struct BarInfo {
    PciBarType type = PciBarType::kMem32;
    uint64_t size = 0;
    uint64_t address = kUnmapped;
  };
  BarInfo bar_info(int index) const;
  uint16_t command() const;
  // Whether device_add may plug the function in and the guest may eject it
  // (ACPI PCI hot-plug); chipset functions may not.
  virtual bool hotpluggable() const { return false; }
  // Raw configuration bytes (tests, subclasses).
  uint8_t config_byte(unsigned addr) const { return config_[addr]; }
  // 256, or 4096 for a PCI Express function (extended capabilities).
  unsigned config_size() const { return config_size_; }
  // Function 0 says whether the slot has more functions (multifunction=on).
  void set_multi_function(bool on);
  bool multi_function() const { return config_[pci::kHeaderType] & pci::kHeaderMultiFunction; }
  // The bus behind a bridge (null for other functions).
  virtual PciBus* secondary_bus() const { return nullptr; }

  // INTx on the function's interrupt pin (level-triggered, shared). Never
  // asserted while MSI-X is enabled.
  void set_irq(bool level);
  bool irq_level() const { return irq_level_; }

  // MSI-X, for functions that called init_msix (else null).
  PciMsix* msix() const { return msix_.get(); }
  bool msix_enabled() const;
  // MSI, for functions that called init_msi: whether the guest enabled it
  // (INTx is then never asserted), and the message, sent if it did.
  bool msi_enabled() const;
  void msi_notify();
  // A message signalled interrupt: a bus-master write of data to address
  // (dropped, logged, while bus mastering is disabled).
  void send_msi(uint64_t address, uint32_t data);

  // Bus-master DMA into the system address space. Refused (false, logged)
  // while bus mastering is disabled or on an unassigned address.
  bool dma_read(uint64_t addr, void* buf, std::size_t len);
  bool dma_write(uint64_t addr, const void* buf, std::size_t len);

  void reset() override;
  void visit_state(StateVisitor& v) override;

 protected:
  // Registers a BAR for region (size a power of two). Call before attach.
  void register_bar(int index, PciBarType type, MemoryRegion* region);
  // Gives the function an expansion ROM (the BAR at 0x30) holding region's
  // contents (a ROM region, size a power of two of at least 2 KiB); firmware
  // maps it to find option ROMs such as a VGA BIOS. Call before attach.
  void register_expansion_rom(MemoryRegion* region);
  // Adds an MSI-X capability with `vectors` vectors whose table and PBA are
  // BAR `bar` (32-bit memory, 4 KiB: the table at 0, the PBA at 0x800, as
  // QEMU lays them out). Call before attach.
  void init_msix(unsigned vectors, int bar);
  // Adds an MSI capability (one message, 64-bit). Call before attach.
  void init_msi(uint8_t offset = 0);
  // Adds a capability of `length` bytes after the last one (or at `offset`,
  // where a device's is known; the caller keeps them apart) and puts it at
  // the head of the list (as QEMU links them, so guests walk them in its
  // order); returns its offset. Bytes after the two-byte header are read-only unless
  // the caller sets their write mask.
  uint8_t add_capability(uint8_t id, uint8_t length, uint8_t offset = 0);
  // Gives the function PCI Express's 4 KiB configuration space. Call before
  // add_extended_capability.
  void make_express() { config_size_ = pci::kExpressConfigSize; }
  // Appends an extended capability (from 0x100) of `length` bytes; returns
  // its offset.
  unsigned add_extended_capability(uint16_t id, uint8_t version, unsigned length);
  // A power management capability (version 3, D0 and D3hot only): QEMU gives
  // one to PCI Express endpoints.
  uint8_t add_power_management_capability();
  // The PCI Express capability (version 2, 0x3c bytes) of a function of
  // `port_type` (kExpressEndpoint, kExpressRootPort...) with its device and
  // link capabilities and link status; the control registers guests set are
  // writable. With kDevCapFlr in dev_cap, setting Initiate FLR resets the
  // function. Makes the function PCI Express (4 KiB configuration space).
  uint8_t add_express_capability(uint8_t port_type, uint32_t dev_cap, uint32_t link_cap,
                                 uint16_t link_status);
  // Advanced error reporting (version 2, 0x48 bytes) with QEMU's default
  // severities and masks and `capabilities` (ECRC...); a root port's has
  // the root error registers writable. No error is ever logged. Returns
  // its offset.
  unsigned add_aer_capability(uint32_t capabilities, bool root_port);

  void set_config8(unsigned addr, uint8_t v) { config_[addr] = v; }
  void set_config16(unsigned addr, uint16_t v);
  void set_config32(unsigned addr, uint32_t v);
  uint16_t config16(unsigned addr) const;
  uint32_t config32(unsigned addr) const;
  void set_write_mask(unsigned addr, uint8_t mask) { wmask_[addr] = mask; }
  // Bits a write of 1 clears (status registers).
  void set_write_clear_mask(unsigned addr, uint8_t mask) { w1cmask_[addr] = mask; }

  // Writable bytes that reset() must restore (the rest keep their values).
  virtual void reset_config();

 private:
  friend class PciMsi;
  friend class PciMsix;
  struct Bar {
    MemoryRegion* region = nullptr;
    PciBarType type = PciBarType::kMem32;
    uint64_t mapped_at = kUnmapped;
  };

  uint64_t decoded_bar_address(int index) const;
  uint64_t decoded_rom_address() const;
  // Moves bar's region in window from where it is to want (kUnmapped: away).
  void place(Bar& bar, MemoryRegion& window, uint64_t want, const char* what);
  void update_mappings();
  void update_irq();

  PciBus* bus_ = nullptr;
  uint8_t devfn_ = 0;
  std::array<uint8_t, pci::kExpressConfigSize> config_{};
  std::array<uint8_t, pci::kExpressConfigSize> wmask_{};
  std::array<uint8_t, pci::kExpressConfigSize> w1cmask_{};
  unsigned config_size_ = pci::kConfigSize;
  unsigned next_extended_capability_ = pci::kFirstExtendedCapability;
  unsigned last_extended_capability_ = 0;
  std::array<Bar, pci::kBarCount> bars_{};
  Bar rom_{};
  uint8_t next_capability_ = pci::kFirstCapability;
  uint8_t express_cap_ = 0;
  std::unique_ptr<PciMsix> msix_;
  std::unique_ptr<PciMsi> msi_;
  bool irq_level_ = false;
  bool asserted_ = false;  // irq_level_ and not INTx-disabled, as the bus saw it
};

}  // namespace vx86
