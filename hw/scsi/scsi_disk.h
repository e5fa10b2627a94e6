// A SCSI direct-access device (SBC) on a -drive, for transports that carry
// SCSI commands (USB mass storage today): INQUIRY, TEST UNIT READY, REQUEST
// SENSE, READ CAPACITY (10/16), READ and WRITE (6/10/12/16), VERIFY, MODE
// SENSE (6/10) with the caching and control pages, SYNCHRONIZE CACHE, START
// STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL and REPORT LUNS, as QEMU's scsi-hd
// answers them. Anything else is CHECK CONDITION with ILLEGAL REQUEST, kept
// for REQUEST SENSE (logged under -d unimp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vx86 {

class DriveBackend;

class ScsiDisk {
 public:
  static constexpr uint8_t kGood = 0x00, kCheckCondition = 0x02;
  static constexpr uint32_t kBlockSize = 512;

  struct Identity {
    std::string vendor;    // up to 8 characters
    std::string product;   // up to 16
    std::string revision;  // up to 4
    bool removable = false;
  };
  struct Result {
    uint8_t status = kGood;
    std::vector<uint8_t> data;  // for the initiator (data-in commands)
  };
  using Done = std::function<void(Result)>;

  ScsiDisk(DriveBackend& drive, Identity identity);

  // Runs one command. data_out holds what the initiator sent with it. done
  // may run before this returns (or later, on the main loop).
  void execute(std::span<const uint8_t> cdb, std::vector<uint8_t> data_out, Done done);

  // The sense data REQUEST SENSE would give now (fixed format, 18 bytes).
  std::vector<uint8_t> sense() const;
  void reset();

 private:
  Result check_condition(uint8_t key, uint8_t asc, uint8_t ascq = 0);
  Result inquiry(std::span<const uint8_t> cdb);
  Result mode_sense(std::span<const uint8_t> cdb);
  // READ or WRITE of count blocks from lba; data_out for writes.
  void transfer(bool write, uint64_t lba, uint32_t count, std::vector<uint8_t> data_out, Done done);
  uint64_t blocks() const;

  DriveBackend& drive_;
  Identity identity_;
  uint8_t sense_key_ = 0, asc_ = 0, ascq_ = 0;
  // A request may complete after the disk is gone (device_del): its
  // completion checks this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vx86
