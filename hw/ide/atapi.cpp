// ATAPI: the PACKET command and the SCSI/MMC commands a CD-ROM driver needs
// (Linux's sr, the BIOS-less boot of an ISO): TEST UNIT READY, REQUEST SENSE,
// INQUIRY, MODE SENSE, READ CAPACITY, READ(10/12), READ TOC, READ DISC
// INFORMATION, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, the tray (START STOP UNIT)
// and its lock. Media changes (the monitor's eject and change) reach the
// guest as QEMU's drive reports them: NOT READY, MEDIUM NOT PRESENT while
// the drive is empty or its tray open; after a change NOT READY once, then
// UNIT ATTENTION once, and a new-media event. Anything else ends in CHECK
// CONDITION, ILLEGAL REQUEST.
#include <algorithm>
#include <cstring>
#include <memory>

#include "core/log.h"
#include "hw/block/drive_backend.h"
#include "hw/ide/ide_channel.h"

namespace vx86 {

namespace {

constexpr uint32_t kCdBlock = 2048;
constexpr uint8_t kSenseNotReady = 0x02;
constexpr uint8_t kSenseMediumError = 0x03;
constexpr uint8_t kSenseIllegalRequest = 0x05;
constexpr uint8_t kSenseUnitAttention = 0x06;
constexpr uint8_t kAscMediumChanged = 0x28;  // not ready to ready change, medium may have changed
constexpr uint8_t kAscMediumNotPresent = 0x3a;
constexpr uint8_t kAscInvalidOpcode = 0x20;
constexpr uint8_t kAscLbaOutOfRange = 0x21;
constexpr uint8_t kAscInvalidField = 0x24;
constexpr uint8_t kAscReadError = 0x11;

// ATAPI interrupt reason (the sector count register): CoD and IO bits.
constexpr uint8_t kReasonCommand = 0x01;
constexpr uint8_t kReasonToHost = 0x02;

uint32_t be16(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 8 | p[1];
}
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
void put_be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put_be32(uint8_t* p, uint32_t v) {
  put_be16(p, v >> 16);
  put_be16(p + 2, v);
}

// A logical block address as minutes:seconds:frames (150 frames of lead-in).
void put_msf(uint8_t* p, uint32_t lba) {
  lba += 150;
  p[0] = 0;
  p[1] = static_cast<uint8_t>(lba / (60 * 75));
  p[2] = static_cast<uint8_t>(lba / 75 % 60);
  p[3] = static_cast<uint8_t>(lba % 75);
}

void put_padded(uint8_t* p, unsigned len, const char* s) {
  std::memset(p, ' ', len);
  std::memcpy(p, s, std::min<size_t>(len, std::strlen(s)));
}

}  // namespace

uint32_t IdeChannel::cd_blocks() const {
  return static_cast<uint32_t>(
      std::min<uint64_t>(devices_[selected_].drive->length() / kCdBlock, 0xffffffffu));
}

void IdeChannel::note_media_change(Device& dev) {
  const uint64_t changes = dev.drive->media_changes();
  if (changes == dev.seen_media_changes) return;
  dev.seen_media_changes = changes;
  dev.change_pending = 1;
  dev.new_media_event = true;
}

void IdeChannel::start_packet() {
  atapi_dma_ = features_ & 1;
  atapi_byte_limit_ = static_cast<uint32_t>(lba_high_) << 8 | lba_mid_;
  if (atapi_byte_limit_ == 0 || atapi_byte_limit_ == 0xffff) atapi_byte_limit_ = 0xfffe;
  if (atapi_dma_ && !dma_) return abort_command();
  buffer_.assign(12, 0);
  pos_ = 0;
  end_ = 12;
  pio_end_ = PioEnd::kPacket;
  count_ = kReasonCommand;
  error_ = 0;
  status_ = kStatusReady | kStatusDrq;
}

void IdeChannel::atapi_ok() {
  Device& dev = current();
  dev.sense_key = dev.asc = 0;
  error_ = 0;
  count_ = kReasonCommand | kReasonToHost;
  status_ = kStatusReady | kStatusSeekDone;
  pio_end_ = PioEnd::kNone;
  buffer_.clear();
  pos_ = end_ = 0;
  set_irq();
}

void IdeChannel::atapi_error(uint8_t sense_key, uint8_t asc) {
  Device& dev = current();
  dev.sense_key = sense_key;
  dev.asc = asc;
  error_ = static_cast<uint8_t>(sense_key << 4);
  count_ = kReasonCommand | kReasonToHost;
  status_ = kStatusReady | kStatusError;
  pio_end_ = PioEnd::kNone;
  buffer_.clear();
  pos_ = end_ = 0;
  set_irq();
}

void IdeChannel::atapi_reply(std::vector<uint8_t> data, uint32_t allocation) {
  if (data.size() > allocation) data.resize(allocation);
  buffer_ = std::move(data);
  atapi_start_transfer();
}

void IdeChannel::atapi_start_transfer() {
  if (buffer_.empty()) return atapi_ok();
  if (atapi_dma_) {
    dma_pending_ = true;
    status_ = kStatusReady | kStatusBusy;
    if (dma_->started()) run_dma();
    return;
  }
  pos_ = 0;
  atapi_next_pio_chunk();
}

void IdeChannel::atapi_next_pio_chunk() {
  uint32_t left = static_cast<uint32_t>(buffer_.size()) - pos_;
  uint32_t chunk = left <= atapi_byte_limit_ ? left : atapi_byte_limit_ & ~1u;
  end_ = pos_ + chunk;
  lba_mid_ = static_cast<uint8_t>(chunk);
  lba_high_ = static_cast<uint8_t>(chunk >> 8);
  count_ = kReasonToHost;
  pio_end_ = PioEnd::kAtapiData;
  status_ = kStatusReady | kStatusDrq;
  set_irq();
}

void IdeChannel::atapi_read(uint32_t lba, uint32_t blocks) {
  uint64_t end = static_cast<uint64_t>(lba) + blocks;
  if (end > cd_blocks()) return atapi_error(kSenseIllegalRequest, kAscLbaOutOfRange);
  if (blocks == 0) return atapi_ok();
  auto data = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(blocks) * kCdBlock);
  uint64_t gen = generation_;
  status_ = kStatusBusy;
  current().drive->read(static_cast<uint64_t>(lba) * kCdBlock, data->data(), data->size(),
                        [this, gen, data](bool ok) {
                          if (gen != generation_) return;
                          if (!ok) return atapi_error(kSenseMediumError, kAscReadError);
                          buffer_ = std::move(*data);
                          atapi_start_transfer();
                        });
}

void IdeChannel::execute_packet() {
  uint8_t cdb[12];
  std::memcpy(cdb, buffer_.data(), sizeof cdb);
  buffer_.clear();
  pos_ = end_ = 0;
  Device& dev = current();
  if (!dev.drive) return atapi_error(kSenseNotReady, kAscMediumNotPresent);
  note_media_change(dev);
  const uint8_t op = cdb[0];
  const bool readable = dev.drive->inserted() && !dev.drive->tray_open();
  // Once a medium is in after a change, the next command but those that
  // report the drive's state sees it gone (NOT READY) and the one after that
  // sees it come (UNIT ATTENTION), as QEMU's drive does, so that guests
  // which only look at sense data notice the change too.
  const bool reports_state = op == 0x03 || op == 0x12 || op == 0x46 || op == 0x4a;
  if (dev.change_pending && readable && !reports_state) {
    if (dev.change_pending++ == 1) return atapi_error(kSenseNotReady, kAscMediumNotPresent);
    dev.change_pending = 0;
    return atapi_error(kSenseUnitAttention, kAscMediumChanged);
  }
  const bool needs_medium = op == 0x00 || op == 0x25 || op == 0x28 || op == 0xa8 || op == 0x43 ||
                            op == 0x2b || op == 0x51;
  if (needs_medium && !readable) return atapi_error(kSenseNotReady, kAscMediumNotPresent);
  switch (op) {
    case 0x00:  // TEST UNIT READY
    case 0x2b:  // SEEK(10)
      return atapi_ok();
    case 0x1b: {  // START STOP UNIT: LoEj opens (Start 0) or closes (Start 1) the tray
      if (cdb[4] & 0x02) {
        const bool open = !(cdb[4] & 0x01);
        if (!dev.drive->move_tray(open)) {
          return atapi_error(kSenseNotReady, 0x53);  // medium removal prevented
        }
      }
      return atapi_ok();
    }
    case 0x1e:  // PREVENT ALLOW MEDIUM REMOVAL
      dev.drive->set_tray_locked(cdb[4] & 1);
      return atapi_ok();
    case 0x03: {  // REQUEST SENSE (fixed format)
      std::vector<uint8_t> r(18, 0);
      r[0] = 0x70;
      r[2] = dev.sense_key;
      r[7] = 10;
      r[12] = dev.asc;
      dev.sense_key = dev.asc = 0;
      return atapi_reply(std::move(r), cdb[4]);
    }
    case 0x12: {                                                                   // INQUIRY
      if (cdb[1] & 1) return atapi_error(kSenseIllegalRequest, kAscInvalidField);  // no VPD
      std::vector<uint8_t> r(36, 0);
      r[0] = 0x05;  // CD/DVD device
      r[1] = 0x80;  // removable
      r[2] = 0x00;
      r[3] = 0x21;  // ATAPI, response format 1
      r[4] = 31;
      put_padded(&r[8], 8, "VX86");
      put_padded(&r[16], 16, "VX86 DVD-ROM");
      put_padded(&r[32], 4, "1.0");
      return atapi_reply(std::move(r), be16(&cdb[3]));
    }
    case 0x1a:    // MODE SENSE(6)
    case 0x5a: {  // MODE SENSE(10)
      bool ten = cdb[0] == 0x5a;
      uint8_t page = cdb[2] & 0x3f;
      if (page != 0x2a && page != 0x3f) {
        return atapi_error(kSenseIllegalRequest, kAscInvalidField);
      }
      unsigned header = ten ? 8 : 4;
      std::vector<uint8_t> r(header + 20, 0);
      uint8_t* p = &r[header];
      p[0] = 0x2a;  // CD capabilities and mechanical status
      p[1] = 18;
      p[4] = 0x71;  // audio play, composite, digital ports, multi-session
      p[5] = 0x00;
      p[6] = 0x29;           // lock supported, eject, tray loading
      put_be16(&p[8], 706);  // maximum read speed (4x), kB/s
      put_be16(&p[10], 0);
      put_be16(&p[12], 2048);  // buffer size, KiB
      put_be16(&p[14], 706);
      if (ten) {
        put_be16(&r[0], static_cast<uint32_t>(r.size() - 2));
        r[2] = 0x70;  // medium type: door closed, no disc type
      } else {
        r[0] = static_cast<uint8_t>(r.size() - 1);
        r[1] = 0x70;
      }
      return atapi_reply(std::move(r), ten ? be16(&cdb[7]) : cdb[4]);
    }
    case 0x25: {  // READ CAPACITY
      std::vector<uint8_t> r(8, 0);
      uint32_t blocks = cd_blocks();
      put_be32(&r[0], blocks ? blocks - 1 : 0);
      put_be32(&r[4], kCdBlock);
      return atapi_reply(std::move(r), 8);
    }
    case 0x28:  // READ(10)
      return atapi_read(be32(&cdb[2]), be16(&cdb[7]));
    case 0xa8:  // READ(12)
      return atapi_read(be32(&cdb[2]), be32(&cdb[6]));
    case 0x43: {  // READ TOC/PMA/ATIP
      bool msf = cdb[1] & 2;
      unsigned format = cdb[2] & 0x0f;
      if (format == 0 && (cdb[9] >> 6)) format = cdb[9] >> 6;  // the old SFF-8020 field
      std::vector<uint8_t> r;
      auto address = [&](uint8_t* p, uint32_t lba) {
        if (msf) {
          put_msf(p, lba);
        } else {
          put_be32(p, lba);
        }
      };
      if (format == 0) {
        uint8_t start = cdb[6];
        if (start > 1 && start != 0xaa) return atapi_error(kSenseIllegalRequest, kAscInvalidField);
        r.assign(4, 0);
        r[2] = 1;  // first and last track
        r[3] = 1;
        if (start <= 1) {
          uint8_t t[8] = {0, 0x14, 1, 0};  // data track 1
          address(&t[4], 0);
          r.insert(r.end(), t, t + 8);
        }
        uint8_t leadout[8] = {0, 0x14, 0xaa, 0};
        address(&leadout[4], cd_blocks());
        r.insert(r.end(), leadout, leadout + 8);
      } else if (format == 1) {  // multi-session information: one session
        r.assign(12, 0);
        r[2] = 1;
        r[3] = 1;
        r[5] = 0x14;
        r[6] = 1;
        address(&r[8], 0);
      } else {
        return atapi_error(kSenseIllegalRequest, kAscInvalidField);
      }
      put_be16(&r[0], static_cast<uint32_t>(r.size() - 2));
      return atapi_reply(std::move(r), be16(&cdb[7]));
    }
    case 0x51: {  // READ DISC INFORMATION: a finished single-session CD-ROM
      if (cdb[1] & 0x07) return atapi_error(kSenseIllegalRequest, kAscInvalidField);  // type 0 only
      std::vector<uint8_t> r(34, 0);
      put_be16(&r[0], static_cast<uint32_t>(r.size() - 2));
      r[2] = 0x0e;  // disc complete, last session complete, not erasable
      r[3] = 1;     // first track
      r[4] = 1;     // sessions
      r[5] = 1;     // first track of the last session
      r[6] = 1;     // last track of the last session
      r[7] = 0x20;  // unrestricted use
      r[8] = 0x00;  // CD-DA or CD-ROM
      return atapi_reply(std::move(r), be16(&cdb[7]));
    }
    case 0x46: {  // GET CONFIGURATION: the header, current profile CD-ROM (none when empty)
      std::vector<uint8_t> r(8, 0);
      put_be32(&r[0], 4);
      put_be16(&r[6], readable ? 0x0008 : 0);
      return atapi_reply(std::move(r), be16(&cdb[7]));
    }
    case 0x4a: {  // GET EVENT STATUS NOTIFICATION (polled only)
      if (!(cdb[1] & 1)) return atapi_error(kSenseIllegalRequest, kAscInvalidField);
      std::vector<uint8_t> r(4, 0);
      r[3] = 0x10;  // supported: media events
      if (cdb[4] & 0x10) {
        r[2] = 0x04;  // media class
        // New media once the tray is closed again (reported once), then the
        // tray open or a medium present.
        uint8_t event[4] = {0, 0, 0, 0};
        if (dev.drive->tray_open()) {
          event[1] = 0x01;
        } else {
          if (dev.new_media_event) event[0] = 0x02;
          dev.new_media_event = false;
          if (dev.drive->inserted()) event[1] = 0x02;
        }
        r.insert(r.end(), event, event + 4);
      } else {
        r[2] = 0x80;  // no event available
      }
      put_be16(&r[0], static_cast<uint32_t>(r.size() - 2));
      return atapi_reply(std::move(r), be16(&cdb[7]));
    }
    default:
      VX86_LOG(kLogUnimp, "%s: ATAPI command 0x%02x not implemented\n", name_.c_str(), cdb[0]);
      return atapi_error(kSenseIllegalRequest, kAscInvalidOpcode);
  }
}

}  // namespace vx86
