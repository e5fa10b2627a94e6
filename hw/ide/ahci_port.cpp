// One AHCI port's registers and command engine (see hw/ide/ahci.h).
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/log.h"
#include "hw/ide/ahci.h"

namespace vx86 {

namespace {

// Port register offsets.
constexpr unsigned kClb = 0x00, kClbu = 0x04, kFb = 0x08, kFbu = 0x0c, kIs = 0x10, kIe = 0x14,
                   kCmd = 0x18, kTfd = 0x20, kSig = 0x24, kSsts = 0x28, kSctl = 0x2c, kSerr = 0x30,
                   kSact = 0x34, kCi = 0x38;
constexpr uint32_t kCmdWritable =
    0xff020017;  // ST, SUD, POD, FRE, PMA, ATAPI, DLAE, ALPE, ASP, ICC
constexpr uint32_t kCmdInterfaceChange = 0xf0000000;  // ICC: acts, reads 0
constexpr uint32_t kIeWritable = 0xfdc000ff;
constexpr uint32_t kSerrExchanged = 1u << 26;  // DIAG.X: COMINIT seen
constexpr uint32_t kSstsLinkUp = 0x113;        // DET 3 (device, phy), SPD 1 (Gen 1), IPM 1 (active)
constexpr uint32_t kSigDisk = 0x00000101;
constexpr uint32_t kSigAtapi = 0xeb140101;
constexpr uint32_t kSigNone = 0xffffffff;
// Command header DW0.
constexpr uint32_t kHeaderAtapi = 1u << 5;
constexpr uint32_t kHeaderWrite = 1u << 6;
// The command table: FIS, ATAPI packet, PRD table.
constexpr uint64_t kTablePacket = 0x40;
constexpr uint64_t kTablePrdt = 0x80;
// FIS types and where they land in the received-FIS area.
constexpr uint8_t kFisRegisterH2d = 0x27;
constexpr uint8_t kFisRegisterD2h = 0x34;
constexpr uint8_t kFisPioSetup = 0x5f;
constexpr unsigned kRxPioSetup = 0x20;
constexpr unsigned kRxD2h = 0x40;
constexpr uint8_t kFisCommand = 0x80;    // H2D byte 1: a command, not a control update
constexpr uint8_t kFisInterrupt = 0x40;  // D2H, PIO setup: the I bit
constexpr uint8_t kFisToHost = 0x20;     // PIO setup: the D bit
constexpr uint8_t kControlReset = 0x04;  // SRST
constexpr uint8_t kControlHob = 0x80;

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

AhciPort::AhciPort(AhciHba& hba, unsigned index)
    : hba_(hba), index_(index), channel_("ahci" + std::to_string(index), [this](bool level) {
        if (level) advance();
      }) {
  channel_.set_dma_engine(this);
}

AhciPort::~AhciPort() = default;

void AhciPort::attach(DriveBackend* drive, IdeChannel::Media media) {
  channel_.attach(0, drive, media);
}

void AhciPort::reset() {
  command_list_ = fis_base_ = 0;
  is_ = ie_ = sctl_ = serr_ = sact_ = ci_ = 0;
  cmd_ = kCmdSpinUp | kCmdPowerOn;
  slot_ = -1;
  halted_ = false;
  channel_.reset();
  signature_ = media() == IdeChannel::Media::kNone    ? kSigNone
               : media() == IdeChannel::Media::kCdrom ? kSigAtapi
                                                      : kSigDisk;
  if (media() != IdeChannel::Media::kNone) serr_ |= kSerrExchanged;
  signature_fis_due_ = media() != IdeChannel::Media::kNone;
}

uint32_t AhciPort::task_file_data() {
  if (media() == IdeChannel::Media::kNone) return 0x7f;
  return channel_.read_alt_status() | channel_.read_command_block(1, 1) << 8;
}

uint32_t AhciPort::read(unsigned offset) {
  switch (offset) {
    case kClb:
      return static_cast<uint32_t>(command_list_);
    case kClbu:
      return static_cast<uint32_t>(command_list_ >> 32);
    case kFb:
      return static_cast<uint32_t>(fis_base_);
    case kFbu:
      return static_cast<uint32_t>(fis_base_ >> 32);
    case kIs:
      return is_;
    case kIe:
      return ie_;
    case kCmd: {
      uint32_t v = cmd_;
      if (cmd_ & kCmdStart) v |= kCmdListRunning;
      if (cmd_ & kCmdFisReceive) v |= kCmdFisRunning;
      if (slot_ >= 0) v |= static_cast<uint32_t>(slot_) << 8;  // CCS
      return v;
    }
    case kTfd:
      return task_file_data();
    case kSig:
      return signature_;
    case kSsts:
      return media() == IdeChannel::Media::kNone ? 0 : kSstsLinkUp;
    case kSctl:
      return sctl_;
    case kSerr:
      return serr_;
    case kSact:
      return sact_;
    case kCi:
      return ci_;
    default:
      return 0;
  }
}

void AhciPort::write(unsigned offset, uint32_t value) {
  switch (offset) {
    case kClb:
      command_list_ = (command_list_ & ~0xffffffffull) | (value & ~0x3ffu);
      return;
    case kClbu:
      command_list_ = (command_list_ & 0xffffffffull) | uint64_t{value} << 32;
      return;
    case kFb:
      fis_base_ = (fis_base_ & ~0xffffffffull) | (value & ~0xffu);
      return;
    case kFbu:
      fis_base_ = (fis_base_ & 0xffffffffull) | uint64_t{value} << 32;
      return;
    case kIs:
      is_ &= ~value;
      hba_.port_interrupt(index_, interrupt_pending());
      return;
    case kIe:
      ie_ = value & kIeWritable;
      hba_.port_interrupt(index_, interrupt_pending());
      return;
    case kCmd:
      return set_command(value);
    case kSctl: {
      // DET 1 holds the link in COMRESET; leaving it brings the device back.
      const bool was_resetting = (sctl_ & 0xf) == 1;
      sctl_ = value;
      if (was_resetting && (value & 0xf) != 1) comreset();
      return;
    }
    case kSerr:
      serr_ &= ~value;
      return;
    case kSact:
      sact_ |= value;
      return;
    case kCi:
      if (!(cmd_ & kCmdStart)) return;
      ci_ |= value;
      return run_commands();
    default:
      return;
  }
}

void AhciPort::set_command(uint32_t value) {
  const bool was_started = cmd_ & kCmdStart;
  cmd_ = value & kCmdWritable & ~kCmdInterfaceChange;
  if ((value & kCmdListOverride) &&
      (channel_.read_alt_status() & (IdeChannel::kStatusBusy | IdeChannel::kStatusDrq))) {
    // CLO: clear BSY and DRQ, so that a reset FIS can be sent: the device's
    // half-done command goes.
    channel_.write_device_control(kControlReset);
    channel_.write_device_control(0);
  }
  post_signature_fis();
  if (was_started && !(cmd_ & kCmdStart)) {
    // Stopping the engine drops the listed commands and any in progress.
    ci_ = sact_ = 0;
    slot_ = -1;
    halted_ = false;
  } else if (!was_started && (cmd_ & kCmdStart)) {
    run_commands();
  }
}

void AhciPort::comreset() {
  slot_ = -1;
  ci_ = sact_ = 0;
  halted_ = false;
  channel_.reset();
  if (media() == IdeChannel::Media::kNone) {
    signature_ = kSigNone;
    return;
  }
  signature_ = media() == IdeChannel::Media::kCdrom ? kSigAtapi : kSigDisk;
  serr_ |= kSerrExchanged;
  signature_fis_due_ = true;
  post_signature_fis();
}

// The device's first D2H FIS carries its signature; it waits for FIS
// receive to be on (drivers reset the link before or after turning it on).
void AhciPort::post_signature_fis() {
  if (!signature_fis_due_ || !(cmd_ & kCmdFisReceive)) return;
  signature_fis_due_ = false;
  post_d2h_fis(static_cast<uint8_t>(channel_.read_alt_status()),
               static_cast<uint8_t>(channel_.read_command_block(1, 1)));
}

void AhciPort::raise(uint32_t bits) {
  is_ |= bits;
  hba_.port_interrupt(index_, interrupt_pending());
}

void AhciPort::run_commands() {
  while (slot_ < 0 && !halted_ && (cmd_ & kCmdStart) && ci_) {
    start_command(static_cast<unsigned>(__builtin_ctz(ci_)));
  }
}

void AhciPort::start_command(unsigned slot) {
  uint8_t header[16];
  const uint64_t header_at = command_list_ + slot * 32;
  uint8_t fis[20];
  if (!hba_.dma_read(header_at, header, sizeof header) ||
      !hba_.dma_read((le32(header + 8) | uint64_t{le32(header + 12)} << 32) & ~0x7full, fis,
                     sizeof fis) ||
      fis[0] != kFisRegisterH2d) {
    VX86_LOG(kLogGuestErrors, "ahci%u: command slot %u has no H2D register FIS\n", index_, slot);
    ci_ &= ~(1u << slot);
    halted_ = true;
    return raise(kIntHostBusFatal);
  }
  const uint32_t dw0 = le32(header);
  table_ = (le32(header + 8) | uint64_t{le32(header + 12)} << 32) & ~0x7full;
  prd_count_ = dw0 >> 16;
  atapi_ = dw0 & kHeaderAtapi;
  write_ = dw0 & kHeaderWrite;
  packet_sent_ = false;
  pio_data_ = false;
  moved_ = 0;
  const uint8_t zero[4] = {};
  hba_.dma_write(header_at + 4, zero, sizeof zero);  // PRDBC
  if (!(fis[1] & kFisCommand)) {
    // A device control update (softreset's SRST on, then off): it ends at
    // once; the device answers the second with its signature.
    ci_ &= ~(1u << slot);
    channel_.write_device_control(fis[15] & kControlReset);
    if (!(fis[15] & kControlReset)) {
      post_d2h_fis(static_cast<uint8_t>(channel_.read_alt_status()),
                   static_cast<uint8_t>(channel_.read_command_block(1, 1)));
      raise(kIntD2hRegister);
    }
    return;
  }
  slot_ = static_cast<int>(slot);
  // The task file, LBA48's high-order bytes first (the channel keeps the
  // previous value of each register as its HOB byte), then the command.
  channel_.write_command_block(6, fis[7] & ~0x10u, 1);  // always device 0
  channel_.write_command_block(1, fis[11], 1);
  channel_.write_command_block(1, fis[3], 1);
  channel_.write_command_block(2, fis[13], 1);
  channel_.write_command_block(2, fis[12], 1);
  for (unsigned i = 0; i < 3; ++i) channel_.write_command_block(3 + i, fis[8 + i], 1);
  for (unsigned i = 0; i < 3; ++i) channel_.write_command_block(3 + i, fis[4 + i], 1);
  channel_.write_command_block(7, fis[2], 1);
  advance();
}

void AhciPort::advance() {
  if (advancing_) return;  // the loop below looks again
  advancing_ = true;
  while (slot_ >= 0) {
    const uint8_t status = static_cast<uint8_t>(channel_.read_alt_status());
    if (status & IdeChannel::kStatusBusy) break;  // the drive or the engine has it
    if (status & IdeChannel::kStatusDrq) {
      if (atapi_ && !packet_sent_) {
        uint8_t packet[12];
        if (!hba_.dma_read(table_ + kTablePacket, packet, sizeof packet)) {
          std::memset(packet, 0, sizeof packet);
        }
        for (unsigned i = 0; i < sizeof packet; i += 4) {
          channel_.write_command_block(0, le32(packet + i), 4);
        }
        packet_sent_ = true;
      } else {
        pio_data_ = true;
        if (write_) {
          pio_out();
        } else {
          pio_in();
        }
      }
      continue;
    }
    end_command();
  }
  advancing_ = false;
}

// PIO data to the host: a block of an ATA command (until DRQ drops) or
// the byte count an ATAPI device names.
void AhciPort::pio_in() {
  std::vector<uint8_t> data;
  if (atapi_) {
    const uint32_t n = channel_.read_command_block(4, 1) | channel_.read_command_block(5, 1) << 8;
    for (uint32_t i = 0; i < n;) {
      const unsigned size = n - i >= 4 ? 4 : (n - i >= 2 ? 2 : 1);
      const uint32_t v = channel_.read_command_block(0, size);
      for (unsigned b = 0; b < size; ++b) data.push_back(static_cast<uint8_t>(v >> (8 * b)));
      i += size;
    }
  } else {
    while (channel_.read_alt_status() & IdeChannel::kStatusDrq) {
      const uint32_t v = channel_.read_command_block(0, 4);
      for (unsigned b = 0; b < 4; ++b) data.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
  }
  moved_ += copy_prdt(moved_, data.data(), static_cast<uint32_t>(data.size()), true);
}

// PIO data to the device: words from the PRD table until DRQ drops.
void AhciPort::pio_out() {
  while (channel_.read_alt_status() & IdeChannel::kStatusDrq) {
    uint8_t word[4] = {};
    moved_ += copy_prdt(moved_, word, sizeof word, false);
    channel_.write_command_block(0, le32(word), 4);
  }
}

uint32_t AhciPort::transfer(uint8_t* buf, uint32_t len, bool to_memory) {
  if (slot_ < 0) return 0;  // the guest stopped the engine meanwhile: the transfer fails
  const uint32_t n = copy_prdt(moved_, buf, len, to_memory);
  moved_ += n;
  return n;
}

void AhciPort::finished(bool) {
  // The channel sets its status and interrupts; advance() ends the command.
}

uint32_t AhciPort::copy_prdt(uint64_t offset, uint8_t* buf, uint32_t len, bool to_memory) {
  uint32_t done = 0;
  uint64_t skip = offset;
  for (uint32_t i = 0; i < prd_count_ && done < len; ++i) {
    uint8_t e[16];
    if (!hba_.dma_read(table_ + kTablePrdt + i * 16, e, sizeof e)) break;
    const uint64_t address = (le32(e) | uint64_t{le32(e + 4)} << 32) & ~1ull;
    const uint32_t count = (le32(e + 12) & 0x3fffff) + 1;
    if (skip >= count) {
      skip -= count;
      continue;
    }
    const uint32_t n = std::min<uint32_t>(count - static_cast<uint32_t>(skip), len - done);
    const bool ok = to_memory ? hba_.dma_write(address + skip, buf + done, n)
                              : hba_.dma_read(address + skip, buf + done, n);
    if (!ok) break;
    done += n;
    skip = 0;
  }
  if (done < len) {
    VX86_LOG(kLogGuestErrors, "ahci%u: the PRD table holds %u of %u bytes\n", index_, done, len);
  }
  return done;
}

void AhciPort::post_fis(unsigned offset, const uint8_t* fis, unsigned len) {
  if (cmd_ & kCmdFisReceive) hba_.dma_write(fis_base_ + offset, fis, len);
}

// The device's registers as a D2H register FIS, with the LBA48 HOB bytes
// read through the control register's HOB bit.
void AhciPort::post_d2h_fis(uint8_t status, uint8_t error) {
  uint8_t fis[20] = {};
  fis[0] = kFisRegisterD2h;
  fis[1] = kFisInterrupt;
  fis[2] = status;
  fis[3] = error;
  for (unsigned i = 0; i < 3; ++i)
    fis[4 + i] = static_cast<uint8_t>(channel_.read_command_block(3 + i, 1));
  fis[7] = static_cast<uint8_t>(channel_.read_command_block(6, 1));
  fis[12] = static_cast<uint8_t>(channel_.read_command_block(2, 1));
  channel_.write_device_control(kControlHob);
  for (unsigned i = 0; i < 3; ++i)
    fis[8 + i] = static_cast<uint8_t>(channel_.read_command_block(3 + i, 1));
  fis[13] = static_cast<uint8_t>(channel_.read_command_block(2, 1));
  channel_.write_device_control(0);
  post_fis(kRxD2h, fis, sizeof fis);
}

void AhciPort::end_command() {
  const unsigned slot = static_cast<unsigned>(slot_);
  const uint8_t status = static_cast<uint8_t>(channel_.read_command_block(7, 1));
  const uint8_t error = static_cast<uint8_t>(channel_.read_command_block(1, 1));
  uint32_t events = kIntD2hRegister;
  if (pio_data_) {
    // What a PIO data-in command ends with for the host: the last PIO setup
    // FIS, whose ending status Linux takes.
    uint8_t fis[20] = {};
    fis[0] = kFisPioSetup;
    fis[1] = (write_ ? 0 : kFisToHost) | kFisInterrupt;
    fis[2] = status;
    fis[3] = error;
    fis[15] = status;
    post_fis(kRxPioSetup, fis, sizeof fis);
    events |= kIntPioSetup;
  }
  post_d2h_fis(status, error);
  const uint8_t count[4] = {static_cast<uint8_t>(moved_), static_cast<uint8_t>(moved_ >> 8),
                            static_cast<uint8_t>(moved_ >> 16), static_cast<uint8_t>(moved_ >> 24)};
  hba_.dma_write(command_list_ + slot * 32 + 4, count, sizeof count);  // PRDBC
  ci_ &= ~(1u << slot);
  slot_ = -1;
  if (status & IdeChannel::kStatusError) {
    // The engine stops until the guest restarts it (its error handling).
    halted_ = true;
    events |= kIntTaskFileError;
  }
  raise(events);
  run_commands();
}

void AhciPort::visit_state(StateVisitor& v) {
  channel_.visit_state(v);
  v.field("clb", command_list_);
  v.field("fb", fis_base_);
  v.field("is", is_);
  v.field("ie", ie_);
  v.field("cmd", cmd_);
  v.field("sctl", sctl_);
  v.field("serr", serr_);
  v.field("sact", sact_);
  v.field("ci", ci_);
  v.field("signature", signature_);
  v.field("signature_fis_due", signature_fis_due_);
  v.field("slot", slot_);
  v.field("halted", halted_);
  v.field("table", table_);
  v.field("prd_count", prd_count_);
  v.field("write", write_);
  v.field("atapi", atapi_);
  v.field("packet_sent", packet_sent_);
  v.field("pio_data", pio_data_);
  v.field("moved", moved_);
}

}  // namespace vx86
