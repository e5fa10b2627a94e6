// QEMU's usb-storage (46f4:0001): a USB mass-storage device, bulk-only
// transport (BOT, USB Mass Storage Class Bulk-Only Transport 1.0) carrying
// SCSI commands to a ScsiDisk on a -drive: a 31-byte command block wrapper
// on the bulk OUT endpoint, the data on bulk IN or OUT, then a 13-byte
// status wrapper on bulk IN. While a command's disk request is under way the
// device NAKs, as a real one would.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hw/scsi/scsi_disk.h"
#include "hw/usb/usb_device.h"

namespace vx86 {

class DriveBackend;

class UsbStorage : public UsbDevice {
 public:
  // removable: the disk says so in INQUIRY (RMB), as QEMU's removable=on.
  UsbStorage(DriveBackend& drive, bool removable);
  ~UsbStorage() override;

  void bus_reset() override;
  std::string product_name() const override { return "QEMU USB MSD"; }

 protected:
  const std::vector<uint8_t>& device_descriptor() const override;
  const std::vector<uint8_t>& configuration_descriptor() const override;
  std::optional<std::string> string(unsigned index) const override;
  std::optional<std::vector<uint8_t>> class_request(const Setup& setup,
                                                    std::span<const uint8_t> out) override;
  UsbResult data_in(uint8_t endpoint, std::span<uint8_t> buffer) override;
  UsbResult data_out(uint8_t endpoint, std::span<const uint8_t> data) override;

 private:
  enum class Phase : uint8_t { kCommand, kDataOut, kDataIn, kStatus };
  void start_command();
  void command_done(ScsiDisk::Result result);

  ScsiDisk disk_;
  Phase phase_ = Phase::kCommand;
  // The command block wrapper's fields.
  uint32_t tag_ = 0;
  uint32_t expected_ = 0;  // dCBWDataTransferLength
  bool to_host_ = false;
  std::vector<uint8_t> cdb_;
  std::vector<uint8_t> out_;  // data the host sent
  bool busy_ = false;         // the disk request is under way
  std::vector<uint8_t> in_;   // data for the host
  std::size_t in_sent_ = 0;
  uint8_t status_ = 0;
  // Completions of requests from before a reset are ignored.
  std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
};

}  // namespace vx86
