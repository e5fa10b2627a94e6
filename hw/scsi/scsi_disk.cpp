#include "hw/scsi/scsi_disk.h"

#include <algorithm>

#include "core/log.h"
#include "hw/block/drive_backend.h"

namespace vx86 {

namespace {

// Sense keys and additional sense codes (SPC-4, 4.5.6 and annex D).
constexpr uint8_t kMediumError = 0x03, kIllegalRequest = 0x05, kDataProtect = 0x07;
constexpr uint8_t kAscWriteError = 0x0c, kAscReadError = 0x11, kAscInvalidOpcode = 0x20,
                  kAscLbaOutOfRange = 0x21, kAscInvalidFieldInCdb = 0x24, kAscWriteProtected = 0x27;

uint32_t be16(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint32_t>(b[at] << 8 | b[at + 1]);
}
uint32_t be32(std::span<const uint8_t> b, std::size_t at) {
  return be16(b, at) << 16 | be16(b, at + 2);
}
uint64_t be64(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint64_t>(be32(b, at)) << 32 | be32(b, at + 4);
}
void put_be(std::vector<uint8_t>& out, std::size_t at, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) {
    out[at + i] = static_cast<uint8_t>(value >> (8 * (bytes - 1 - i)));
  }
}
// A space-padded ASCII field of n bytes.
void put_text(std::vector<uint8_t>& out, std::size_t at, const std::string& text, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[at + i] = i < text.size() ? text[i] : ' ';
}
// Cuts a reply to the allocation length the command gave.
ScsiDisk::Result good(std::vector<uint8_t> data, std::size_t allocation) {
  if (data.size() > allocation) data.resize(allocation);
  return {ScsiDisk::kGood, std::move(data)};
}

}  // namespace

ScsiDisk::ScsiDisk(DriveBackend& drive, Identity identity)
    : drive_(drive), identity_(std::move(identity)) {}

uint64_t ScsiDisk::blocks() const {
  return drive_.length() / kBlockSize;
}

void ScsiDisk::reset() {
  sense_key_ = asc_ = ascq_ = 0;
}

std::vector<uint8_t> ScsiDisk::sense() const {
  std::vector<uint8_t> s(18, 0);
  s[0] = 0x70;  // current error, fixed format
  s[2] = sense_key_;
  s[7] = 10;  // additional length
  s[12] = asc_;
  s[13] = ascq_;
  return s;
}

ScsiDisk::Result ScsiDisk::check_condition(uint8_t key, uint8_t asc, uint8_t ascq) {
  sense_key_ = key;
  asc_ = asc;
  ascq_ = ascq;
  return {kCheckCondition, {}};
}

void ScsiDisk::execute(std::span<const uint8_t> cdb, std::vector<uint8_t> data_out, Done done) {
  if (cdb.empty()) return done(check_condition(kIllegalRequest, kAscInvalidOpcode));
  const uint8_t opcode = cdb[0];
  // The length each command group has (SAM: the opcode's top three bits).
  const std::size_t needed = opcode < 0x20 ? 6 : opcode < 0x60 ? 10 : opcode >= 0xa0 ? 12 : 16;
  if (cdb.size() < needed) return done(check_condition(kIllegalRequest, kAscInvalidFieldInCdb));
  if (opcode != 0x03) sense_key_ = asc_ = ascq_ = 0;  // a new command clears the last sense
  switch (opcode) {
    case 0x00:  // TEST UNIT READY
    case 0x1b:  // START STOP UNIT
    case 0x1e:  // PREVENT ALLOW MEDIUM REMOVAL
      return done({kGood, {}});
    case 0x03: {  // REQUEST SENSE
      std::vector<uint8_t> s = sense();
      sense_key_ = asc_ = ascq_ = 0;
      return done(good(std::move(s), cdb[4]));
    }
    case 0x12:
      return done(inquiry(cdb));
    case 0x1a:  // MODE SENSE(6)
    case 0x5a:  // MODE SENSE(10)
      return done(mode_sense(cdb));
    case 0x25: {  // READ CAPACITY(10): the last block and the block size
      std::vector<uint8_t> out(8, 0);
      put_be(out, 0, std::min<uint64_t>(blocks() - 1, 0xffffffffu), 4);
      put_be(out, 4, kBlockSize, 4);
      return done({kGood, out});
    }
    case 0x9e:                        // SERVICE ACTION IN(16)
      if ((cdb[1] & 0x1f) == 0x10) {  // READ CAPACITY(16)
        std::vector<uint8_t> out(32, 0);
        put_be(out, 0, blocks() - 1, 8);
        put_be(out, 8, kBlockSize, 4);
        return done(good(std::move(out), be32(cdb, 10)));
      }
      return done(check_condition(kIllegalRequest, kAscInvalidFieldInCdb));
    case 0x08:    // READ(6)
    case 0x0a: {  // WRITE(6)
      const uint64_t lba = (cdb[1] & 0x1fu) << 16 | be16(cdb, 2);
      const uint32_t count = cdb[4] ? cdb[4] : 256;
      return transfer(opcode == 0x0a, lba, count, std::move(data_out), std::move(done));
    }
    case 0x28:  // READ(10)
    case 0x2a:  // WRITE(10)
      return transfer(opcode == 0x2a, be32(cdb, 2), be16(cdb, 7), std::move(data_out),
                      std::move(done));
    case 0xa8:  // READ(12)
    case 0xaa:  // WRITE(12)
      return transfer(opcode == 0xaa, be32(cdb, 2), be32(cdb, 6), std::move(data_out),
                      std::move(done));
    case 0x88:  // READ(16)
    case 0x8a:  // WRITE(16)
      return transfer(opcode == 0x8a, be64(cdb, 2), be32(cdb, 10), std::move(data_out),
                      std::move(done));
    case 0x2f: {  // VERIFY(10): the blocks are there, nothing to compare with
      if (static_cast<uint64_t>(be32(cdb, 2)) + be16(cdb, 7) > blocks()) {
        return done(check_condition(kIllegalRequest, kAscLbaOutOfRange));
      }
      return done({kGood, {}});
    }
    case 0x35:    // SYNCHRONIZE CACHE(10)
    case 0x91: {  // SYNCHRONIZE CACHE(16)
      drive_.flush([this, alive = std::weak_ptr<bool>(alive_), done = std::move(done)](bool ok) {
        if (alive.expired()) return;
        done(ok ? Result{kGood, {}} : check_condition(kMediumError, kAscWriteError));
      });
      return;
    }
    case 0xa0: {  // REPORT LUNS: LUN 0 only
      std::vector<uint8_t> out(16, 0);
      out[3] = 8;
      return done(good(std::move(out), be32(cdb, 6)));
    }
    default:
      VX86_LOG(kLogUnimp, "scsi-disk %s: command 0x%02x not implemented\n", drive_.id().c_str(),
               opcode);
      return done(check_condition(kIllegalRequest, kAscInvalidOpcode));
  }
}

ScsiDisk::Result ScsiDisk::inquiry(std::span<const uint8_t> cdb) {
  const std::size_t allocation = be16(cdb, 3);
  if (cdb[1] & 1) {  // EVPD: the vital product data pages; only the list of them
    if (cdb[2] != 0x00) return check_condition(kIllegalRequest, kAscInvalidFieldInCdb);
    return good({0x00, 0x00, 0x00, 0x01, 0x00}, allocation);
  }
  if (cdb[2] != 0) return check_condition(kIllegalRequest, kAscInvalidFieldInCdb);
  std::vector<uint8_t> out(36, 0);
  out[0] = 0x00;                               // a direct-access block device
  out[1] = identity_.removable ? 0x80 : 0x00;  // RMB
  out[2] = 0x05;                               // SPC-3
  out[3] = 0x12;                               // HiSup, response data format 2
  out[4] = static_cast<uint8_t>(out.size() - 5);
  out[7] = 0x10;
  put_text(out, 8, identity_.vendor, 8);
  put_text(out, 16, identity_.product, 16);
  put_text(out, 32, identity_.revision, 4);
  return good(std::move(out), allocation);
}

ScsiDisk::Result ScsiDisk::mode_sense(std::span<const uint8_t> cdb) {
  const bool ten = cdb[0] == 0x5a;
  const bool no_block_descriptor = (cdb[1] & 0x08) != 0;
  const uint8_t page = cdb[2] & 0x3f;
  const uint8_t control = cdb[2] >> 6;  // 0 current, 1 changeable, 2 default
  const std::size_t allocation = ten ? be16(cdb, 7) : cdb[4];
  if (control == 3) return check_condition(kIllegalRequest, kAscInvalidFieldInCdb);
  std::vector<uint8_t> out(ten ? 8 : 4, 0);
  // Device-specific parameter: write protected.
  out[ten ? 3 : 2] = drive_.read_only() ? 0x80 : 0x00;
  if (!no_block_descriptor) {
    std::vector<uint8_t> descriptor(8, 0);
    put_be(descriptor, 1, std::min<uint64_t>(blocks(), 0xffffff), 3);
    put_be(descriptor, 5, kBlockSize, 3);
    out.insert(out.end(), descriptor.begin(), descriptor.end());
    out[ten ? 7 : 3] = 8;
  }
  bool any = false;
  if (page == 0x08 || page == 0x3f) {  // caching: the write cache is on (WCE)
    std::vector<uint8_t> caching(20, 0);
    caching[0] = 0x08;
    caching[1] = 18;
    if (control != 1) caching[2] = 0x04;
    out.insert(out.end(), caching.begin(), caching.end());
    any = true;
  }
  if (page == 0x0a || page == 0x3f) {  // control
    std::vector<uint8_t> ctrl(12, 0);
    ctrl[0] = 0x0a;
    ctrl[1] = 10;
    out.insert(out.end(), ctrl.begin(), ctrl.end());
    any = true;
  }
  if (!any) return check_condition(kIllegalRequest, kAscInvalidFieldInCdb);
  // The mode data length counts the bytes after itself.
  if (ten) {
    put_be(out, 0, out.size() - 2, 2);
  } else {
    out[0] = static_cast<uint8_t>(out.size() - 1);
  }
  return good(std::move(out), allocation);
}

void ScsiDisk::transfer(bool write, uint64_t lba, uint32_t count, std::vector<uint8_t> data_out,
                        Done done) {
  if (lba > blocks() || count > blocks() - lba) {
    return done(check_condition(kIllegalRequest, kAscLbaOutOfRange));
  }
  const uint64_t bytes = static_cast<uint64_t>(count) * kBlockSize;
  if (count == 0) return done({kGood, {}});
  if (!write) {
    auto buffer = std::make_shared<std::vector<uint8_t>>(bytes);
    drive_.read(
        lba * kBlockSize, buffer->data(), bytes,
        [this, alive = std::weak_ptr<bool>(alive_), buffer, done = std::move(done)](bool ok) {
          if (alive.expired()) return;
          if (!ok) return done(check_condition(kMediumError, kAscReadError));
          done({kGood, std::move(*buffer)});
        });
    return;
  }
  if (drive_.read_only()) return done(check_condition(kDataProtect, kAscWriteProtected));
  if (data_out.size() < bytes) return done(check_condition(kIllegalRequest, kAscInvalidFieldInCdb));
  auto buffer = std::make_shared<std::vector<uint8_t>>(std::move(data_out));
  drive_.write(
      lba * kBlockSize, buffer->data(), bytes,
      [this, alive = std::weak_ptr<bool>(alive_), buffer, done = std::move(done)](bool ok) {
        if (alive.expired()) return;
        done(ok ? Result{kGood, {}} : check_condition(kMediumError, kAscWriteError));
      });
}

}  // namespace vx86
