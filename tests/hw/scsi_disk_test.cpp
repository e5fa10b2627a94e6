// The SCSI disk as an initiator sees it: what Linux's sd driver asks when it
// probes a disk, reads and writes with the range and protection checks, and
// sense data for what fails.
#include "hw/scsi/scsi_disk.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/hw/mem_drive.h"

namespace vx86 {
namespace {

using test::MemDrive;

struct Outcome {
  uint8_t status = 0xff;
  std::vector<uint8_t> data;
};

Outcome run(ScsiDisk& disk, std::vector<uint8_t> cdb, std::vector<uint8_t> out = {}) {
  Outcome r;
  disk.execute(cdb, std::move(out), [&](ScsiDisk::Result result) {
    r.status = result.status;
    r.data = std::move(result.data);
  });
  return r;
}

// Sense key and additional sense code of the last CHECK CONDITION.
std::pair<uint8_t, uint8_t> sense_of(ScsiDisk& disk) {
  Outcome r = run(disk, {0x03, 0, 0, 0, 18, 0});
  EXPECT_EQ(r.status, ScsiDisk::kGood);
  EXPECT_EQ(r.data.size(), 18u);
  return {r.data[2], r.data[12]};
}

TEST(ScsiDiskTest, ProbeAnswersAsLinuxExpects) {
  MemDrive drive(8 << 20);
  ScsiDisk disk(drive, {"QEMU", "QEMU HARDDISK", "2.5+", true});
  Outcome inquiry = run(disk, {0x12, 0, 0, 0, 36, 0});
  ASSERT_EQ(inquiry.status, ScsiDisk::kGood);
  ASSERT_EQ(inquiry.data.size(), 36u);
  EXPECT_EQ(inquiry.data[0], 0x00);  // disk
  EXPECT_EQ(inquiry.data[1], 0x80);  // removable
  EXPECT_EQ(std::string(inquiry.data.begin() + 8, inquiry.data.end()),
            "QEMU    QEMU HARDDISK   2.5+");
  // The allocation length cuts the answer.
  EXPECT_EQ(run(disk, {0x12, 0, 0, 0, 5, 0}).data.size(), 5u);
  EXPECT_EQ(run(disk, {0x00, 0, 0, 0, 0, 0}).status, ScsiDisk::kGood);
  // 16384 blocks of 512 bytes: the last is 16383.
  EXPECT_EQ(run(disk, {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}).data,
            (std::vector<uint8_t>{0, 0, 0x3f, 0xff, 0, 0, 2, 0}));
  std::vector<uint8_t> cap16(16, 0);
  cap16[0] = 0x9e;
  cap16[1] = 0x10;
  cap16[13] = 32;
  Outcome capacity16 = run(disk, cap16);
  ASSERT_EQ(capacity16.data.size(), 32u);
  EXPECT_EQ(capacity16.data[6], 0x3f);
  EXPECT_EQ(capacity16.data[7], 0xff);
  // MODE SENSE(6), all pages: header, block descriptor, caching (write
  // cache on) and control; not write protected.
  Outcome mode = run(disk, {0x1a, 0, 0x3f, 0, 192, 0});
  ASSERT_EQ(mode.status, ScsiDisk::kGood);
  EXPECT_EQ(mode.data.size(), 4u + 8 + 20 + 12);
  EXPECT_EQ(mode.data[0], mode.data.size() - 1);
  EXPECT_EQ(mode.data[2], 0x00);
  EXPECT_EQ(mode.data[12], 0x08);
  EXPECT_EQ(mode.data[14], 0x04);
  // MODE SENSE(10) of the caching page without block descriptors.
  Outcome mode10 = run(disk, {0x5a, 0x08, 0x08, 0, 0, 0, 0, 0, 255, 0});
  EXPECT_EQ(mode10.data.size(), 8u + 20);
  EXPECT_EQ(mode10.data[8], 0x08);
  // A page it lacks, an opcode it lacks: ILLEGAL REQUEST with the reason.
  EXPECT_EQ(run(disk, {0x1a, 0, 0x1c, 0, 192, 0}).status, ScsiDisk::kCheckCondition);
  EXPECT_EQ(sense_of(disk), (std::pair<uint8_t, uint8_t>{0x05, 0x24}));
  EXPECT_EQ(run(disk, {0xe7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).status, ScsiDisk::kCheckCondition);
  EXPECT_EQ(sense_of(disk), (std::pair<uint8_t, uint8_t>{0x05, 0x20}));
  // REQUEST SENSE clears it.
  EXPECT_EQ(sense_of(disk), (std::pair<uint8_t, uint8_t>{0x00, 0x00}));
  EXPECT_EQ(run(disk, {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0}).data.size(), 16u);
}

TEST(ScsiDiskTest, ReadsWritesAndTheirChecks) {
  MemDrive drive(1 << 20);
  ScsiDisk disk(drive, {"QEMU", "QEMU HARDDISK", "2.5+", false});
  std::vector<uint8_t> data(1024);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  // WRITE(10) of 2 blocks at 100, READ(16) of them back.
  EXPECT_EQ(run(disk, {0x2a, 0, 0, 0, 0, 100, 0, 0, 2, 0}, data).status, ScsiDisk::kGood);
  EXPECT_EQ(std::vector<uint8_t>(drive.bytes.begin() + 51200, drive.bytes.begin() + 52224), data);
  Outcome back = run(disk, {0x88, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 2, 0, 0});
  EXPECT_EQ(back.data, data);
  // READ(6) of 256 blocks when the count byte is 0.
  EXPECT_EQ(run(disk, {0x08, 0, 0, 0, 0, 0}).data.size(), 256u * 512);
  // Past the end: LBA OUT OF RANGE, nothing read.
  EXPECT_EQ(run(disk, {0x28, 0, 0, 0, 0x07, 0xff, 0, 0, 2, 0}).status, ScsiDisk::kCheckCondition);
  EXPECT_EQ(sense_of(disk), (std::pair<uint8_t, uint8_t>{0x05, 0x21}));
  // SYNCHRONIZE CACHE flushes the drive.
  EXPECT_EQ(run(disk, {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}).status, ScsiDisk::kGood);
  EXPECT_EQ(drive.flushes, 1);
  // An I/O error is a MEDIUM ERROR.
  drive.fail = true;
  EXPECT_EQ(run(disk, {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}).status, ScsiDisk::kCheckCondition);
  EXPECT_EQ(sense_of(disk), (std::pair<uint8_t, uint8_t>{0x03, 0x11}));
}

TEST(ScsiDiskTest, AReadOnlyDriveIsWriteProtected) {
  MemDrive drive(1 << 20, true);
  ScsiDisk disk(drive, {"QEMU", "QEMU HARDDISK", "2.5+", false});
  EXPECT_EQ(run(disk, {0x1a, 0x08, 0x08, 0, 192, 0}).data[2], 0x80);  // WP
  EXPECT_EQ(run(disk, {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0}, std::vector<uint8_t>(512)).status,
            ScsiDisk::kCheckCondition);
  EXPECT_EQ(sense_of(disk), (std::pair<uint8_t, uint8_t>{0x07, 0x27}));
}

}  // namespace
}  // namespace vx86
