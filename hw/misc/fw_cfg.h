// QEMU's firmware configuration device (fw_cfg, as QEMU's docs/specs/fw_cfg
// describes it), through which firmware such as SeaBIOS learns about the
// machine: items selected by a 16-bit key and read a byte at a time
// (selector at port 0x510, data at 0x511), named files listed in a
// directory item, and the DMA interface (its address register at 0x514:
// the guest writes the address of an FWCfgDmaAccess, big-endian, high half
// first; writing the low half runs it). Items are read-only to the guest.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/member_io_ops.h"
#include "core/memory.h"

namespace vx86 {

class AddressSpace;

class FwCfg : public Device {
 public:
  static constexpr uint64_t kIoBase = 0x510;
  static constexpr uint64_t kDmaIoBase = 0x514;
  // Keys (QEMU's FW_CFG_*).
  static constexpr uint16_t kSignature = 0x00;
  static constexpr uint16_t kId = 0x01;
  static constexpr uint16_t kRamSize = 0x03;
  static constexpr uint16_t kNoGraphic = 0x04;
  static constexpr uint16_t kNbCpus = 0x05;
  static constexpr uint16_t kBootMenu = 0x0e;
  static constexpr uint16_t kMaxCpus = 0x0f;
  static constexpr uint16_t kFileDir = 0x19;
  static constexpr uint16_t kFileFirst = 0x20;
  // ID bits: the traditional interface, and DMA.
  static constexpr uint32_t kFeatureTraditional = 1u << 0;
  static constexpr uint32_t kFeatureDma = 1u << 1;
  // FWCfgDmaAccess control bits.
  static constexpr uint32_t kDmaError = 1u << 0;
  static constexpr uint32_t kDmaRead = 1u << 1;
  static constexpr uint32_t kDmaSkip = 1u << 2;
  static constexpr uint32_t kDmaSelect = 1u << 3;
  static constexpr uint32_t kDmaWrite = 1u << 4;
  // What reading the DMA address register returns: "QEMU CFG".
  static constexpr uint64_t kDmaSignature = 0x51454d5520434647ull;
  static constexpr std::size_t kFileNameSize = 56;

  // dma: where FWCfgDmaAccess structures and their buffers live (the
  // machine's memory as a bus master sees it).
  explicit FwCfg(AddressSpace& dma);
  ~FwCfg() override;

  void map(MemoryRegion& io_space);

  void add_bytes(uint16_t key, std::vector<uint8_t> bytes);
  void add_u16(uint16_t key, uint16_t value);
  void add_u32(uint16_t key, uint32_t value);
  void add_u64(uint16_t key, uint64_t value);
  // A named file (at most 55 characters), given the next free key; the
  // directory lists files by name.
  void add_file(const std::string& name, std::vector<uint8_t> bytes);
  // The file's new contents (added if there is none yet), as QEMU updates
  // "bootorder" on reset.
  void set_file(const std::string& name, std::vector<uint8_t> bytes);

  void reset() override;

  // The guest's accesses (public for tests).
  void select(uint16_t key);
  uint8_t read_data();
  void write_dma_address(bool high, uint32_t big_endian_half);

 private:
  // The selector/data ports and the DMA address register.
  uint64_t port_read(uint64_t offset, unsigned size);
  void port_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t dma_register_read(uint64_t offset, unsigned size);
  void dma_register_write(uint64_t offset, uint64_t value, unsigned size);

  void rebuild_file_dir();
  void run_dma(uint64_t address);
  const std::vector<uint8_t>* current() const;

  AddressSpace& dma_;
  std::map<uint16_t, std::vector<uint8_t>> items_;
  std::vector<std::pair<std::string, uint16_t>> files_;
  uint16_t selected_ = 0;
  uint32_t offset_ = 0;
  uint32_t dma_high_ = 0;
  MemberIoOps<FwCfg, &FwCfg::port_read, &FwCfg::port_write> port_ops_{*this};
  MemberIoOps<FwCfg, &FwCfg::dma_register_read, &FwCfg::dma_register_write> dma_ops_{*this};
  std::unique_ptr<MemoryRegion> ports_;
  std::unique_ptr<MemoryRegion> dma_port_;
};

}  // namespace vx86
