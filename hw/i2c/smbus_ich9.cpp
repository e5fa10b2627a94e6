#include "hw/i2c/smbus_ich9.h"

#include <string>

#include "core/log.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {

constexpr uint64_t kIoSize = 64;  // as QEMU's, though the registers end at 0x1f
constexpr uint8_t kHostEnable = 1u << 0;
// Register offsets in the I/O BAR.
constexpr unsigned kHstSts = 0x00, kHstCnt = 0x02, kHstCmd = 0x03, kXmitSlva = 0x04, kHstD0 = 0x05,
                   kHstD1 = 0x06, kAuxCtl = 0x0d;
constexpr uint8_t kStatusWriteOneToClear = 0xfe;  // all but HOST_BUSY
constexpr uint8_t kStatusErrors = 0x1c;           // DEV_ERR, BUS_ERR, FAILED
// SMB_CMD, HST_CNT bits 4:2.
enum Command : uint8_t { kQuick = 0, kByte = 1, kByteData = 2, kWordData = 3 };

}  // namespace

SmbusIch9::SmbusIch9()
    : PciDevice("ICH9-SMB", PciIds{.vendor = 0x8086,
                                   .device = 0x2930,
                                   .class_code = 0x0c0500,
                                   .revision = 0x02,
                                   .subsystem_vendor = pci::kQemuSubsystemVendor,
                                   .subsystem = pci::kQemuSubsystem,
                                   .interrupt_pin = 1}),
      ops_(*this) {
  io_ = MemoryRegion::io("ich9-smbus", kIoSize, &ops_, {1, 1, false});
  register_bar(kBar, PciBarType::kIo, io_.get());
  set_write_mask(kHostConfig, 0x1f);
}

SmbusIch9::~SmbusIch9() = default;

SmbusDevice* SmbusIch9::device(uint8_t address) {
  if (address >= kFirstEeprom && address < kFirstEeprom + kEeproms) {
    return &eeproms_[address - kFirstEeprom];
  }
  return nullptr;
}

uint64_t SmbusIch9::io_read(uint64_t offset, unsigned) {
  switch (offset) {
    case kHstSts:
      return status_;
    case kHstCnt:
      return control_ & ~kControlStart;
    case kHstCmd:
      return command_;
    case kXmitSlva:
      return address_;
    case kHstD0:
      return data0_;
    case kHstD1:
      return data1_;
    case kAuxCtl:
      return aux_control_;
    default:
      return 0;
  }
}

void SmbusIch9::io_write(uint64_t offset, uint64_t value, unsigned) {
  const uint8_t v = static_cast<uint8_t>(value);
  switch (offset) {
    case kHstSts:
      status_ &= static_cast<uint8_t>(~(v & kStatusWriteOneToClear));
      break;
    case kHstCnt:
      control_ = v & ~kControlStart;
      if (v & kControlStart) run_transaction();
      break;
    case kHstCmd:
      command_ = v;
      break;
    case kXmitSlva:
      address_ = v;
      break;
    case kHstD0:
      data0_ = v;
      break;
    case kHstD1:
      data1_ = v;
      break;
    case kAuxCtl:
      aux_control_ = v & 0x03;
      break;
    default:
      break;
  }
  update_irq();
}

void SmbusIch9::run_transaction() {
  if (!(config_byte(kHostConfig) & kHostEnable)) return;
  const uint8_t kind = (control_ >> 2) & 7;
  const bool read = address_ & 1;
  SmbusDevice* dev = device(address_ >> 1);
  if (kind > kWordData) {
    VX86_LOG(kLogUnimp, "ich9-smbus: SMB_CMD %u (block transactions) not implemented\n", kind);
    status_ |= kStatusFailed;
    return;
  }
  if (!dev) {
    status_ |= kStatusDeviceError;
    return;
  }
  switch (kind) {
    case kQuick:
      break;
    case kByte:
      if (read) {
        data0_ = dev->receive_byte();
      } else {
        dev->send_byte(command_);
      }
      break;
    case kByteData:
      if (read) {
        data0_ = dev->read_byte(command_);
      } else {
        dev->write_byte(command_, data0_);
      }
      break;
    case kWordData:
      if (read) {
        data0_ = dev->read_byte(command_);
        data1_ = dev->receive_byte();
      } else {
        dev->write_byte(command_, data0_);
        dev->write_byte(static_cast<uint8_t>(command_ + 1), data1_);
      }
      break;
  }
  status_ |= kStatusInterrupt;
}

void SmbusIch9::update_irq() {
  set_irq((control_ & kControlInterruptEnable) &&
          (status_ & (kStatusInterrupt | kStatusErrors)) != 0);
}

void SmbusIch9::reset() {
  PciDevice::reset();
  set_config8(kHostConfig, 0);
  status_ = control_ = command_ = address_ = data0_ = data1_ = aux_control_ = 0;
  for (SmbusEeprom& e : eeproms_) e.reset();
}

void SmbusIch9::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("status", status_);
  v.field("control", control_);
  v.field("command", command_);
  v.field("address", address_);
  v.field("data0", data0_);
  v.field("data1", data1_);
  v.field("aux_control", aux_control_);
  for (unsigned n = 0; n < kEeproms; ++n) {
    v.begin("eeprom" + std::to_string(n));
    eeproms_[n].visit_state(v);
    v.end();
  }
}

}  // namespace vx86
