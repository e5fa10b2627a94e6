// The ICH9's SMBus host controller (00:1f.3 on the q35, 8086:2930, class
// 0c05), as QEMU's ICH9-SMB with its eight empty SPD EEPROMs at 0x50-0x57.
// HOSTC (0x40) bit 0 enables the host; its registers are a 64-byte I/O BAR
// (BAR 4, SMB_BASE): HST_STS (write 1 to clear; HOST_BUSY), HST_CNT (START
// runs the transaction its SMB_CMD field names, INTREN), HST_CMD,
// XMIT_SLVA (address << 1 | read), HST_D0/D1. Quick, Byte, Byte Data and
// Word Data transactions run at once; a device that is not there ends one
// with DEV_ERR. Block transactions (and I2C block reads) are not there yet:
// they end with FAILED, logged under -d unimp.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/member_io_ops.h"
#include "core/memory.h"
#include "hw/i2c/smbus_eeprom.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class SmbusIch9 : public PciDevice {
 public:
  static constexpr unsigned kHostConfig = 0x40;  // HOSTC
  static constexpr unsigned kBar = 4;
  static constexpr uint8_t kFirstEeprom = 0x50;
  static constexpr unsigned kEeproms = 8;
  // HST_STS bits.
  static constexpr uint8_t kStatusBusy = 1u << 0;
  static constexpr uint8_t kStatusInterrupt = 1u << 1;
  static constexpr uint8_t kStatusDeviceError = 1u << 2;
  static constexpr uint8_t kStatusFailed = 1u << 4;
  // HST_CNT bits.
  static constexpr uint8_t kControlInterruptEnable = 1u << 0;
  static constexpr uint8_t kControlStart = 1u << 6;

  SmbusIch9();
  ~SmbusIch9() override;

  // The device at a 7-bit address, or null.
  SmbusDevice* device(uint8_t address);

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  uint64_t io_read(uint64_t offset, unsigned size);
  void io_write(uint64_t offset, uint64_t value, unsigned size);
  void run_transaction();
  void update_irq();

  std::array<SmbusEeprom, kEeproms> eeproms_;
  MemberIoOps<SmbusIch9, &SmbusIch9::io_read, &SmbusIch9::io_write> ops_;
  std::unique_ptr<MemoryRegion> io_;

  // Saved state.
  uint8_t status_ = 0, control_ = 0, command_ = 0, address_ = 0, data0_ = 0, data1_ = 0;
  uint8_t aux_control_ = 0;
};

}  // namespace vx86
