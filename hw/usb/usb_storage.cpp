#include "hw/usb/usb_storage.h"

#include <algorithm>

#include "core/log.h"
#include "hw/usb/usb_requests.h"

namespace vx86 {

namespace {

constexpr uint32_t kCbwSignature = 0x43425355;  // "USBC"
constexpr uint32_t kCswSignature = 0x53425355;  // "USBS"
constexpr std::size_t kCbwSize = 31, kCswSize = 13;
constexpr uint8_t kBulkIn = 1, kBulkOut = 2;
constexpr std::size_t kMaxPacket = 64;
// CSW status.
constexpr uint8_t kPassed = 0, kFailed = 1;
// Class requests (BOT 3.1, 3.2).
constexpr uint8_t kMassStorageReset = 0xff, kGetMaxLun = 0xfe;

uint32_t le32(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint32_t>(b[at] | b[at + 1] << 8 | b[at + 2] << 16) |
         static_cast<uint32_t>(b[at + 3]) << 24;
}

}  // namespace

UsbStorage::UsbStorage(DriveBackend& drive, bool removable)
    : UsbDevice("usb-storage"), disk_(drive, {"QEMU", "QEMU HARDDISK", "2.5+", removable}) {}

UsbStorage::~UsbStorage() = default;

void UsbStorage::bus_reset() {
  UsbDevice::bus_reset();
  ++*generation_;
  phase_ = Phase::kCommand;
  busy_ = false;
  in_.clear();
  out_.clear();
  disk_.reset();
}

const std::vector<uint8_t>& UsbStorage::device_descriptor() const {
  static const std::vector<uint8_t> kDescriptor = {
      18,   1,    0x00, 0x02,  // USB 2.0
      0,    0,    0,    8,     // class in the interface; endpoint 0 takes 8 bytes
      0xf4, 0x46, 0x01, 0x00,  // QEMU's storage: 46f4:0001, release 0.00
      0x00, 0x00, 1,    2,    3, 1};
  return kDescriptor;
}

const std::vector<uint8_t>& UsbStorage::configuration_descriptor() const {
  static const std::vector<uint8_t> kDescriptor = {
      9, 2, 32,   0, 1,          1, 4, 0xc0, 0,  // self powered
      9, 4, 0,    0, 2,          8, 6, 0x50, 0,  // mass storage, SCSI, bulk-only
      7, 5, 0x81, 2, kMaxPacket, 0, 0,           // bulk IN, endpoint 1
      7, 5, 0x02, 2, kMaxPacket, 0, 0};          // bulk OUT, endpoint 2
  return kDescriptor;
}

std::optional<std::string> UsbStorage::string(unsigned index) const {
  switch (index) {
    case 1:
      return "QEMU";
    case 2:
      return "QEMU USB HARDDRIVE";
    case 3:
      return "1" + (location().empty() ? "" : "-" + location());
    case 4:
      return "Full speed config (usb 1.1)";
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<uint8_t>> UsbStorage::class_request(const Setup& setup,
                                                              std::span<const uint8_t>) {
  if ((setup.request_type & usb::kTypeMask) != usb::kTypeClass) return std::nullopt;
  switch (setup.request) {
    case kMassStorageReset:
      ++*generation_;
      phase_ = Phase::kCommand;
      busy_ = false;
      return std::vector<uint8_t>{};
    case kGetMaxLun:
      return std::vector<uint8_t>{0};  // one logical unit
    default:
      return std::nullopt;
  }
}

UsbResult UsbStorage::data_out(uint8_t endpoint, std::span<const uint8_t> data) {
  if (endpoint != kBulkOut) return {UsbResult::kStall, 0};
  if (phase_ == Phase::kCommand) {
    if (data.size() != kCbwSize || le32(data, 0) != kCbwSignature || data[13] != 0 ||
        data[14] < 1 || data[14] > 16) {
      VX86_LOG(kLogGuestErrors, "usb-storage: not a valid command block wrapper\n");
      return {UsbResult::kStall, 0};
    }
    tag_ = le32(data, 4);
    expected_ = le32(data, 8);
    to_host_ = (data[12] & 0x80) != 0;
    cdb_.assign(data.begin() + 15, data.begin() + 15 + data[14]);
    out_.clear();
    in_.clear();
    in_sent_ = 0;
    if (expected_ > 0 && !to_host_) {
      phase_ = Phase::kDataOut;
    } else {
      start_command();
    }
    return {UsbResult::kAck, data.size()};
  }
  if (phase_ != Phase::kDataOut) return {UsbResult::kStall, 0};
  const std::size_t n = std::min<std::size_t>(data.size(), expected_ - out_.size());
  out_.insert(out_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
  if (out_.size() == expected_) start_command();
  return {UsbResult::kAck, n};
}

void UsbStorage::start_command() {
  phase_ = to_host_ && expected_ > 0 ? Phase::kDataIn : Phase::kStatus;
  busy_ = true;
  const std::weak_ptr<uint64_t> generation = generation_;
  const uint64_t now = *generation_;
  disk_.execute(cdb_, std::move(out_), [this, generation, now](ScsiDisk::Result result) {
    // A reset since: the device (or its command) is gone.
    auto alive = generation.lock();
    if (!alive || *alive != now) return;
    command_done(std::move(result));
  });
}

void UsbStorage::command_done(ScsiDisk::Result result) {
  busy_ = false;
  status_ = result.status == ScsiDisk::kGood ? kPassed : kFailed;
  in_ = std::move(result.data);
  if (in_.size() > expected_) in_.resize(expected_);  // the host takes no more than it said
}

UsbResult UsbStorage::data_in(uint8_t endpoint, std::span<uint8_t> buffer) {
  if (endpoint != kBulkIn) return {UsbResult::kStall, 0};
  if (busy_) return {UsbResult::kNak, 0};
  if (phase_ == Phase::kDataIn) {
    const std::size_t n = std::min(buffer.size(), in_.size() - in_sent_);
    std::copy_n(in_.begin() + static_cast<std::ptrdiff_t>(in_sent_), n, buffer.begin());
    in_sent_ += n;
    // All the host asked for, or less than a full packet (which ends the phase
    // short; the status's residue says how much was missing).
    if (in_sent_ == expected_ || n < buffer.size()) phase_ = Phase::kStatus;
    return {UsbResult::kAck, n};
  }
  if (phase_ != Phase::kStatus || buffer.size() < kCswSize) return {UsbResult::kStall, 0};
  // What the host expected but did not get (data sent to it falls short only).
  const uint32_t residue =
      to_host_ ? expected_ - static_cast<uint32_t>(std::min<std::size_t>(in_sent_, expected_)) : 0;
  const uint8_t csw[kCswSize] = {static_cast<uint8_t>(kCswSignature),
                                 static_cast<uint8_t>(kCswSignature >> 8),
                                 static_cast<uint8_t>(kCswSignature >> 16),
                                 static_cast<uint8_t>(kCswSignature >> 24),
                                 static_cast<uint8_t>(tag_),
                                 static_cast<uint8_t>(tag_ >> 8),
                                 static_cast<uint8_t>(tag_ >> 16),
                                 static_cast<uint8_t>(tag_ >> 24),
                                 static_cast<uint8_t>(residue),
                                 static_cast<uint8_t>(residue >> 8),
                                 static_cast<uint8_t>(residue >> 16),
                                 static_cast<uint8_t>(residue >> 24),
                                 status_};
  std::copy_n(csw, kCswSize, buffer.begin());
  phase_ = Phase::kCommand;
  return {UsbResult::kAck, kCswSize};
}

}  // namespace vx86
