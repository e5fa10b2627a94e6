#include "hw/ide/ide_channel.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/log.h"
#include "hw/block/drive_backend.h"

namespace vx86 {

namespace {

constexpr unsigned kSectorSize = 512;
constexpr unsigned kMaxMultiple = 16;
// The CHS geometry reported to old software: 16 heads, 63 sectors a track.
constexpr unsigned kHeads = 16;
constexpr unsigned kSectorsPerTrack = 63;

uint8_t status_ok() {
  return IdeChannel::kStatusReady | IdeChannel::kStatusSeekDone;
}

// ATA strings: space padded, two characters a word, the first in the high byte.
void put_string(uint16_t* words, unsigned first, unsigned count, const std::string& s) {
  for (unsigned i = 0; i < count; ++i) {
    char hi = 2 * i < s.size() ? s[2 * i] : ' ';
    char lo = 2 * i + 1 < s.size() ? s[2 * i + 1] : ' ';
    words[first + i] =
        static_cast<uint16_t>(static_cast<uint8_t>(hi) << 8 | static_cast<uint8_t>(lo));
  }
}

}  // namespace

IdeChannel::IdeChannel(std::string name, std::function<void(bool)> irq)
    : name_(std::move(name)), irq_(std::move(irq)) {}

IdeChannel::~IdeChannel() = default;

void IdeChannel::attach(unsigned unit, DriveBackend* drive, Media media) {
  devices_[unit].drive = drive;
  devices_[unit].media = drive ? media : Media::kNone;
  devices_[unit].seen_media_changes = drive ? drive->media_changes() : 0;
}

void IdeChannel::set_irq() {
  irq_pending_ = true;
  if (!(control_ & 0x02)) irq_(true);
}

void IdeChannel::clear_irq() {
  irq_pending_ = false;
  irq_(false);
}

void IdeChannel::reset() {
  ++generation_;
  for (Device& d : devices_) {
    d.multiple_count = kMaxMultiple;
    d.udma_mode = d.mwdma_mode = 0xff;
    d.sense_key = d.asc = 0;
    // A reset unlocks the tray and forgets a change the guest has not seen:
    // it probes the drive again anyway.
    d.change_pending = 0;
    d.new_media_event = false;
    if (d.drive) {
      d.seen_media_changes = d.drive->media_changes();
      if (d.media == Media::kCdrom) d.drive->set_tray_locked(false);
    }
  }
  control_ = 0;
  features_ = hob_features_ = hob_count_ = hob_lba_low_ = hob_lba_mid_ = hob_lba_high_ = 0;
  selected_ = 0;
  device_ = 0xa0;
  buffer_.clear();
  pos_ = end_ = 0;
  pio_end_ = PioEnd::kNone;
  dma_pending_ = false;
  sectors_left_ = 0;
  set_signature();
  status_ = is_cdrom() ? 0 : status_ok();
  clear_irq();
}

void IdeChannel::set_signature() {
  error_ = 0x01;  // diagnostics passed
  count_ = 1;
  lba_low_ = 1;
  if (is_cdrom()) {
    lba_mid_ = 0x14;
    lba_high_ = 0xeb;
  } else {
    lba_mid_ = lba_high_ = 0;
  }
}

uint32_t IdeChannel::read_command_block(unsigned offset, unsigned size) {
  // A channel without devices reads 0, as QEMU's does: firmware that waits
  // for BSY to clear on a floating bus (0xff) waits out its timeouts (OVMF,
  // half a minute per channel), while every driver takes 0 as "no device".
  if (devices_[0].media == Media::kNone && devices_[1].media == Media::kNone) return 0;
  bool hob = control_ & 0x80;
  switch (offset) {
    case 0: {
      if (!(status_ & kStatusDrq) || pos_ >= end_) return 0;
      uint32_t v = 0;
      unsigned n = std::min<unsigned>(size, end_ - pos_);
      for (unsigned i = 0; i < n; ++i) v |= static_cast<uint32_t>(buffer_[pos_ + i]) << (8 * i);
      pos_ += n;
      if (pos_ >= end_) pio_data_done();
      return v;
    }
    case 1:
      return present() ? (hob ? hob_features_ : error_) : 0;
    case 2:
      return hob ? hob_count_ : count_;
    case 3:
      return hob ? hob_lba_low_ : lba_low_;
    case 4:
      return hob ? hob_lba_mid_ : lba_mid_;
    case 5:
      return hob ? hob_lba_high_ : lba_high_;
    case 6:
      return device_;
    case 7:
      // An absent device next to a present one reads status 0 ("no device").
      if (!present()) return 0;
      clear_irq();
      return status_;
  }
  return 0xff;
}

void IdeChannel::write_command_block(unsigned offset, uint32_t value, unsigned size) {
  uint8_t b = static_cast<uint8_t>(value);
  // A register write ends the HOB view of the previous values.
  if (offset >= 1 && offset <= 5) control_ &= 0x7f;
  switch (offset) {
    case 0:
      if (!(status_ & kStatusDrq) || pos_ >= end_) return;
      for (unsigned i = 0; i < size && pos_ < end_; ++i) {
        buffer_[pos_++] = static_cast<uint8_t>(value >> (8 * i));
      }
      if (pos_ >= end_) pio_data_done();
      return;
    case 1:
      hob_features_ = features_;
      features_ = b;
      return;
    case 2:
      hob_count_ = count_;
      count_ = b;
      return;
    case 3:
      hob_lba_low_ = lba_low_;
      lba_low_ = b;
      return;
    case 4:
      hob_lba_mid_ = lba_mid_;
      lba_mid_ = b;
      return;
    case 5:
      hob_lba_high_ = lba_high_;
      lba_high_ = b;
      return;
    case 6:
      device_ = b | 0xa0;
      selected_ = (b >> 4) & 1;
      return;
    case 7:
      if (!present()) return;
      // A command while busy is ignored, as a real device would.
      if (status_ & kStatusBusy) return;
      clear_irq();
      execute(b);
      return;
  }
}

uint8_t IdeChannel::read_alt_status() {
  if (devices_[0].media == Media::kNone && devices_[1].media == Media::kNone) return 0;
  return present() ? status_ : 0;
}

void IdeChannel::write_device_control(uint8_t value) {
  bool was_reset = control_ & 0x04;
  control_ = value;
  if (value & 0x04) {
    // SRST: both devices stay busy until the bit clears.
    ++generation_;
    status_ = kStatusBusy;
    pio_end_ = PioEnd::kNone;
    pos_ = end_ = 0;
    dma_pending_ = false;
    return;
  }
  if (was_reset) {
    selected_ = 0;
    device_ = 0xa0;
    for (Device& d : devices_) d.multiple_count = kMaxMultiple;
    set_signature();
    status_ = is_cdrom() ? 0 : status_ok();
  }
  // nIEN masks the line without forgetting the pending interrupt.
  irq_(irq_pending_ && !(value & 0x02));
}

// ---- ATA commands ----

uint64_t IdeChannel::lba(bool lba48) const {
  if (lba48) {
    return static_cast<uint64_t>(hob_lba_high_) << 40 | static_cast<uint64_t>(hob_lba_mid_) << 32 |
           static_cast<uint64_t>(hob_lba_low_) << 24 | static_cast<uint64_t>(lba_high_) << 16 |
           static_cast<uint64_t>(lba_mid_) << 8 | lba_low_;
  }
  if (device_ & 0x40) {
    return static_cast<uint64_t>(device_ & 0x0f) << 24 | static_cast<uint64_t>(lba_high_) << 16 |
           static_cast<uint64_t>(lba_mid_) << 8 | lba_low_;
  }
  // CHS: sector numbers start at 1; sector 0 is invalid (maps past the disk).
  uint64_t cylinder = static_cast<uint64_t>(lba_high_) << 8 | lba_mid_;
  if (lba_low_ == 0) return ~0ull;
  return (cylinder * kHeads + (device_ & 0x0f)) * kSectorsPerTrack + lba_low_ - 1;
}

void IdeChannel::set_lba(uint64_t sector, bool lba48) {
  if (lba48) {
    hob_lba_high_ = static_cast<uint8_t>(sector >> 40);
    hob_lba_mid_ = static_cast<uint8_t>(sector >> 32);
    hob_lba_low_ = static_cast<uint8_t>(sector >> 24);
  } else if (device_ & 0x40) {
    device_ = static_cast<uint8_t>((device_ & 0xf0) | ((sector >> 24) & 0x0f));
  } else {
    uint64_t cylinder = sector / (kHeads * kSectorsPerTrack);
    uint64_t rest = sector % (kHeads * kSectorsPerTrack);
    device_ = static_cast<uint8_t>((device_ & 0xf0) | (rest / kSectorsPerTrack));
    lba_low_ = static_cast<uint8_t>(rest % kSectorsPerTrack + 1);
    lba_mid_ = static_cast<uint8_t>(cylinder);
    lba_high_ = static_cast<uint8_t>(cylinder >> 8);
    return;
  }
  lba_high_ = static_cast<uint8_t>(sector >> 16);
  lba_mid_ = static_cast<uint8_t>(sector >> 8);
  lba_low_ = static_cast<uint8_t>(sector);
}

uint32_t IdeChannel::sector_count(bool lba48) const {
  if (lba48) {
    uint32_t n = static_cast<uint32_t>(hob_count_) << 8 | count_;
    return n ? n : 65536;
  }
  return count_ ? count_ : 256;
}

void IdeChannel::abort_command() {
  error_ = kErrorAbort;
  status_ = kStatusReady | kStatusError;
  pio_end_ = PioEnd::kNone;
  set_irq();
}

void IdeChannel::command_ok(bool interrupt) {
  error_ = 0;
  status_ = status_ok();
  pio_end_ = PioEnd::kNone;
  if (interrupt) set_irq();
}

void IdeChannel::io_error() {
  VX86_LOG(kLogGuestErrors, "%s: I/O error at sector %llu\n", name_.c_str(),
           static_cast<unsigned long long>(next_sector_));
  error_ = kErrorAbort | 0x40;  // ABRT | UNC
  status_ = kStatusReady | kStatusError;
  pio_end_ = PioEnd::kNone;
  sectors_left_ = 0;
  set_irq();
}

bool IdeChannel::check_range(uint64_t sector, uint64_t count) {
  uint64_t total = current().drive->length() / kSectorSize;
  if (sector <= total && count <= total - sector) return true;
  VX86_LOG(kLogGuestErrors, "%s: sectors %llu+%llu lie past the disk's %llu\n", name_.c_str(),
           static_cast<unsigned long long>(sector), static_cast<unsigned long long>(count),
           static_cast<unsigned long long>(total));
  error_ = 0x10 | kErrorAbort;  // IDNF
  status_ = kStatusReady | kStatusError;
  set_irq();
  return false;
}

void IdeChannel::execute(uint8_t command) {
  Device& dev = current();
  bool cd = is_cdrom();
  // Commands both kinds of device take.
  switch (command) {
    case 0xef:  // SET FEATURES
      if (features_ == 0x03) {
        if ((count_ & 0xf8) == 0x20) {
          dev.mwdma_mode = count_ & 7;
          dev.udma_mode = 0xff;
        } else if ((count_ & 0xf8) == 0x40) {
          dev.udma_mode = count_ & 7;
          dev.mwdma_mode = 0xff;
        }
      }
      return command_ok();
    case 0x90:  // EXECUTE DEVICE DIAGNOSTIC
      set_signature();
      status_ = cd ? 0 : status_ok();
      return set_irq();
    case 0xe5:  // CHECK POWER MODE: active
      count_ = 0xff;
      return command_ok();
    case 0xe0:
    case 0xe1:
    case 0xe2:
    case 0xe3:
    case 0xe6:  // standby, idle, sleep: nothing to spin down
      return command_ok();
  }
  if (cd) {
    switch (command) {
      case 0xa1:
        return identify_packet();
      case 0xa0:
        return start_packet();
      case 0x08:  // DEVICE RESET
        set_signature();
        status_ = 0;
        return;
      case 0xec:  // IDENTIFY DEVICE: abort with the signature, so the host sees ATAPI
        set_signature();
        return abort_command();
      default:
        return abort_command();
    }
  }
  bool lba48 = false;
  switch (command) {
    case 0xec:
      return identify();
    case 0x24:  // READ SECTORS EXT
      lba48 = true;
      [[fallthrough]];
    case 0x20:
    case 0x21:
      return start_pio_read(lba48, 1);
    case 0x29:  // READ MULTIPLE EXT
      lba48 = true;
      [[fallthrough]];
    case 0xc4:
      return start_pio_read(lba48, dev.multiple_count);
    case 0x34:  // WRITE SECTORS EXT
      lba48 = true;
      [[fallthrough]];
    case 0x30:
    case 0x31:
      return start_pio_write(lba48, 1);
    case 0x39:
    case 0xce:  // WRITE MULTIPLE (FUA) EXT
      lba48 = true;
      [[fallthrough]];
    case 0xc5:
      return start_pio_write(lba48, dev.multiple_count);
    case 0x25:  // READ DMA EXT
      return start_dma(false, true);
    case 0xc8:
    case 0xc9:
      return start_dma(false, false);
    case 0x35:
    case 0x3d:  // WRITE DMA (FUA) EXT
      return start_dma(true, true);
    case 0xca:
    case 0xcb:
      return start_dma(true, false);
    case 0x42:  // READ VERIFY SECTORS EXT
      lba48 = true;
      [[fallthrough]];
    case 0x40:
    case 0x41:
      if (!check_range(lba(lba48), sector_count(lba48))) return;
      return command_ok();
    case 0xe7:
    case 0xea: {  // FLUSH CACHE (EXT)
      status_ = kStatusBusy;
      uint64_t gen = generation_;
      dev.drive->flush([this, gen](bool ok) {
        if (gen != generation_) return;
        if (!ok) return io_error();
        command_ok();
      });
      return;
    }
    case 0xc6:  // SET MULTIPLE MODE
      if (count_ == 0 || count_ > kMaxMultiple || (count_ & (count_ - 1))) return abort_command();
      dev.multiple_count = count_;
      return command_ok();
    case 0xf8:
    case 0x27: {  // READ NATIVE MAX ADDRESS (EXT)
      uint64_t total = dev.drive->length() / kSectorSize;
      set_lba(total ? total - 1 : 0, command == 0x27);
      return command_ok();
    }
    case 0x91:  // INITIALIZE DEVICE PARAMETERS: the geometry is fixed
    case 0x70:  // SEEK
      return command_ok();
    default:
      if ((command & 0xf0) == 0x10) return command_ok();  // RECALIBRATE
      VX86_LOG(kLogUnimp, "%s: ATA command 0x%02x not implemented\n", name_.c_str(), command);
      return abort_command();
  }
}

void IdeChannel::identify() {
  uint16_t w[256] = {};
  uint64_t total = current().drive->length() / kSectorSize;
  uint64_t cylinders = std::min<uint64_t>(total / (kHeads * kSectorsPerTrack), 16383);
  const Device& dev = current();
  w[0] = 0x0040;  // fixed disk
  w[1] = static_cast<uint16_t>(cylinders);
  w[3] = kHeads;
  w[6] = kSectorsPerTrack;
  put_string(w, 10, 10, "VX86-HD-" + std::to_string(selected_));
  put_string(w, 23, 4, "1.0");
  put_string(w, 27, 20, "VX86 HARDDISK");
  w[47] = 0x8000 | kMaxMultiple;
  w[49] = 0x0300;  // LBA and DMA
  w[50] = 0x4000;
  w[51] = 0x0200;
  w[53] = 0x0007;  // words 54-58, 64-70 and 88 are valid
  w[54] = static_cast<uint16_t>(cylinders);
  w[55] = kHeads;
  w[56] = kSectorsPerTrack;
  uint32_t chs = static_cast<uint32_t>(cylinders * kHeads * kSectorsPerTrack);
  w[57] = static_cast<uint16_t>(chs);
  w[58] = static_cast<uint16_t>(chs >> 16);
  w[59] = static_cast<uint16_t>(0x0100 | dev.multiple_count);
  uint32_t lba28 = static_cast<uint32_t>(std::min<uint64_t>(total, 0x0fffffff));
  w[60] = static_cast<uint16_t>(lba28);
  w[61] = static_cast<uint16_t>(lba28 >> 16);
  w[63] = static_cast<uint16_t>(0x0007 | (dev.mwdma_mode < 3 ? 0x100 << dev.mwdma_mode : 0));
  w[64] = 0x0003;  // PIO 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120;
  w[80] = 0x00f0;  // ATA-4 to ATA-7
  w[81] = 0x0016;
  w[82] = 0x4020;  // NOP and the write cache
  w[83] = 0x7400;  // LBA48, FLUSH CACHE (EXT)
  w[84] = 0x4000;
  w[85] = 0x4020;
  w[86] = 0x3400;
  w[87] = 0x4000;
  w[88] = static_cast<uint16_t>(0x003f | (dev.udma_mode < 6 ? 0x100 << dev.udma_mode : 0));
  w[93] = 0x6001;  // an 80-wire cable, so UDMA above 2 is allowed
  for (unsigned i = 0; i < 4; ++i) w[100 + i] = static_cast<uint16_t>(total >> (16 * i));
  buffer_.resize(512);
  for (unsigned i = 0; i < 256; ++i) {
    buffer_[2 * i] = static_cast<uint8_t>(w[i]);
    buffer_[2 * i + 1] = static_cast<uint8_t>(w[i] >> 8);
  }
  pos_ = 0;
  end_ = 512;
  pio_end_ = PioEnd::kNone;
  error_ = 0;
  status_ = status_ok() | kStatusDrq;
  set_irq();
}

void IdeChannel::identify_packet() {
  uint16_t w[256] = {};
  const Device& dev = current();
  w[0] = 0x85c0;  // ATAPI, CD-ROM, removable, 12-byte packets, DRQ within 50 us
  put_string(w, 10, 10, "VX86-CD-" + std::to_string(selected_));
  put_string(w, 23, 4, "1.0");
  put_string(w, 27, 20, "VX86 DVD-ROM");
  w[49] = 0x0300;  // LBA and DMA
  w[53] = 0x0007;
  w[63] = static_cast<uint16_t>(0x0007 | (dev.mwdma_mode < 3 ? 0x100 << dev.mwdma_mode : 0));
  w[64] = 0x0003;
  w[65] = w[66] = w[67] = w[68] = 120;
  w[71] = w[72] = 30;
  w[80] = 0x001e;
  w[88] = static_cast<uint16_t>(0x003f | (dev.udma_mode < 6 ? 0x100 << dev.udma_mode : 0));
  w[93] = 0x6001;
  buffer_.resize(512);
  for (unsigned i = 0; i < 256; ++i) {
    buffer_[2 * i] = static_cast<uint8_t>(w[i]);
    buffer_[2 * i + 1] = static_cast<uint8_t>(w[i] >> 8);
  }
  pos_ = 0;
  end_ = 512;
  pio_end_ = PioEnd::kNone;
  error_ = 0;
  status_ = status_ok() | kStatusDrq;
  set_irq();
}

void IdeChannel::start_pio_read(bool lba48, unsigned block) {
  uint64_t sector = lba(lba48);
  uint32_t count = sector_count(lba48);
  if (!check_range(sector, count)) return;
  next_sector_ = sector;
  sectors_left_ = count;
  block_sectors_ = block;
  lba48_ = lba48;
  status_ = kStatusBusy;
  read_next_block();
}

void IdeChannel::read_next_block() {
  uint32_t n = std::min<uint32_t>(block_sectors_, sectors_left_);
  auto data = std::make_shared<std::vector<uint8_t>>(n * kSectorSize);
  uint64_t gen = generation_;
  current().drive->read(next_sector_ * kSectorSize, data->data(), data->size(),
                        [this, gen, n, data](bool ok) {
                          if (gen != generation_) return;
                          if (!ok) return io_error();
                          buffer_ = std::move(*data);
                          next_sector_ += n;
                          sectors_left_ -= n;
                          if (sectors_left_ == 0) set_lba(next_sector_ - 1, lba48_);
                          pos_ = 0;
                          end_ = static_cast<uint32_t>(buffer_.size());
                          pio_end_ = PioEnd::kReadNext;
                          status_ = status_ok() | kStatusDrq;
                          set_irq();
                        });
}

void IdeChannel::start_pio_write(bool lba48, unsigned block) {
  uint64_t sector = lba(lba48);
  uint32_t count = sector_count(lba48);
  if (current().drive->read_only()) return abort_command();
  if (!check_range(sector, count)) return;
  next_sector_ = sector;
  sectors_left_ = count;
  block_sectors_ = block;
  lba48_ = lba48;
  buffer_.assign(std::min<uint32_t>(block, count) * kSectorSize, 0);
  pos_ = 0;
  end_ = static_cast<uint32_t>(buffer_.size());
  pio_end_ = PioEnd::kWriteBlock;
  // The first block is asked for without an interrupt.
  status_ = status_ok() | kStatusDrq;
}

void IdeChannel::write_block() {
  uint32_t n = end_ / kSectorSize;
  auto data = std::make_shared<std::vector<uint8_t>>(std::move(buffer_));
  buffer_.clear();
  pos_ = end_ = 0;
  status_ = kStatusBusy;
  uint64_t gen = generation_;
  current().drive->write(
      next_sector_ * kSectorSize, data->data(), data->size(), [this, gen, n, data](bool ok) {
        if (gen != generation_) return;
        if (!ok) return io_error();
        next_sector_ += n;
        sectors_left_ -= n;
        if (sectors_left_ == 0) {
          set_lba(next_sector_ - 1, lba48_);
          return command_ok();
        }
        buffer_.assign(std::min<uint32_t>(block_sectors_, sectors_left_) * kSectorSize, 0);
        pos_ = 0;
        end_ = static_cast<uint32_t>(buffer_.size());
        pio_end_ = PioEnd::kWriteBlock;
        status_ = status_ok() | kStatusDrq;
        set_irq();
      });
}

void IdeChannel::pio_data_done() {
  PioEnd what = pio_end_;
  pio_end_ = PioEnd::kNone;
  switch (what) {
    case PioEnd::kNone:
      status_ = status_ok();
      return;
    case PioEnd::kReadNext:
      if (sectors_left_ == 0) {
        status_ = status_ok();
        return;
      }
      status_ = kStatusBusy;
      return read_next_block();
    case PioEnd::kWriteBlock:
      return write_block();
    case PioEnd::kPacket:
      return execute_packet();
    case PioEnd::kAtapiData:
      if (pos_ < buffer_.size()) return atapi_next_pio_chunk();
      return atapi_ok();
  }
}

void IdeChannel::start_dma(bool write, bool lba48) {
  uint64_t sector = lba(lba48);
  uint32_t count = sector_count(lba48);
  if (!dma_) return abort_command();
  if (write && current().drive->read_only()) return abort_command();
  if (!check_range(sector, count)) return;
  next_sector_ = sector;
  sectors_left_ = count;
  lba48_ = lba48;
  dma_write_ = write;
  atapi_dma_ = false;
  dma_pending_ = true;
  status_ = status_ok() | kStatusBusy;
  // The guest usually starts the engine after the command; either order works.
  if (dma_->started()) run_dma();
}

void IdeChannel::dma_started() {
  if (dma_pending_) run_dma();
}

void IdeChannel::run_dma() {
  dma_pending_ = false;
  if (atapi_dma_) {
    uint32_t len = static_cast<uint32_t>(buffer_.size());
    uint32_t moved = dma_->transfer(buffer_.data(), len, true);
    dma_->finished(moved < len);
    if (moved < len) return atapi_error(0x04, 0x44);  // hardware error: internal target failure
    return atapi_ok();
  }
  uint32_t len = sectors_left_ * kSectorSize;
  auto data = std::make_shared<std::vector<uint8_t>>(len);
  uint64_t gen = generation_;
  auto finish = [this](bool ok) {
    if (!ok) {
      dma_->finished(true);
      return io_error();
    }
    next_sector_ += sectors_left_;
    sectors_left_ = 0;
    set_lba(next_sector_ - 1, lba48_);
    dma_->finished(false);
    command_ok();
  };
  if (dma_write_) {
    if (dma_->transfer(data->data(), len, false) < len) return finish(false);
    current().drive->write(next_sector_ * kSectorSize, data->data(), len,
                           [this, gen, data, finish](bool ok) {
                             if (gen == generation_) finish(ok);
                           });
  } else {
    current().drive->read(next_sector_ * kSectorSize, data->data(), len,
                          [this, gen, data, len, finish](bool ok) {
                            if (gen != generation_) return;
                            finish(ok && dma_->transfer(data->data(), len, true) == len);
                          });
  }
}

void IdeChannel::visit_state(StateVisitor& v) {
  v.field("error", error_);
  v.field("features", features_);
  v.field("count", count_);
  v.field("lba_low", lba_low_);
  v.field("lba_mid", lba_mid_);
  v.field("lba_high", lba_high_);
  v.field("hob_features", hob_features_);
  v.field("hob_count", hob_count_);
  v.field("hob_lba_low", hob_lba_low_);
  v.field("hob_lba_mid", hob_lba_mid_);
  v.field("hob_lba_high", hob_lba_high_);
  v.field("device", device_);
  v.field("status", status_);
  v.field("control", control_);
  v.field("selected", selected_);
  v.field("irq_pending", irq_pending_);
  for (unsigned i = 0; i < 2; ++i) {
    std::string p = "dev" + std::to_string(i) + ".";
    v.field(p + "multiple_count", devices_[i].multiple_count);
    v.field(p + "udma_mode", devices_[i].udma_mode);
    v.field(p + "mwdma_mode", devices_[i].mwdma_mode);
    v.field(p + "sense_key", devices_[i].sense_key);
    v.field(p + "asc", devices_[i].asc);
    v.field(p + "seen_media_changes", devices_[i].seen_media_changes);
    v.field(p + "change_pending", devices_[i].change_pending);
    v.field(p + "new_media_event", devices_[i].new_media_event);
  }
}

}  // namespace vx86
