// One IDE channel (primary or secondary): the task-file registers, the device
// control register and up to two devices behind them, each a hard disk (ATA:
// PIO, multiple-sector PIO, DMA, LBA28/LBA48) or a CD-ROM (ATAPI packet
// commands, in atapi.cpp). The registers are shared by both devices as on real
// hardware; the DEV bit of the device register selects who answers.
//
// Data moves through a bounce buffer: the drive request fills it (or takes
// it) and the guest reads or writes it through the data port (PIO), or the
// bus-master engine copies it to or from guest memory (DMA). Drive requests
// may complete later (on the main loop), so BSY stays set until they do.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/state.h"

namespace vx86 {

class DriveBackend;

// The bus-master DMA engine as a channel uses it: it moves a whole transfer
// between the bounce buffer and the guest's PRD table, and tells the channel
// when the guest starts it.
class IdeDmaEngine {
 public:
  virtual ~IdeDmaEngine() = default;
  // True while the guest has the engine started (BM command bit 0).
  virtual bool started() const = 0;
  // Copies to guest memory (to_memory) or from it through the PRD table.
  // Returns the bytes moved; less than len on a short table or a bad address.
  virtual uint32_t transfer(uint8_t* buf, uint32_t len, bool to_memory) = 0;
  // The transfer ended (error: the device failed it); sets the interrupt bit.
  virtual void finished(bool error) = 0;
};

class IdeChannel {
 public:
  enum class Media { kNone, kDisk, kCdrom };

  static constexpr uint8_t kStatusBusy = 0x80;
  static constexpr uint8_t kStatusReady = 0x40;
  static constexpr uint8_t kStatusSeekDone = 0x10;
  static constexpr uint8_t kStatusDrq = 0x08;
  static constexpr uint8_t kStatusError = 0x01;
  static constexpr uint8_t kErrorAbort = 0x04;

  // irq: the channel's interrupt line (IRQ 14 or 15 on the PIIX).
  IdeChannel(std::string name, std::function<void(bool)> irq);
  ~IdeChannel();
  IdeChannel(const IdeChannel&) = delete;
  IdeChannel& operator=(const IdeChannel&) = delete;

  // Attaches a drive as unit 0 (master) or 1 (slave). Call before reset().
  void attach(unsigned unit, DriveBackend* drive, Media media);
  Media media(unsigned unit) const { return devices_[unit].media; }
  void set_dma_engine(IdeDmaEngine* dma) { dma_ = dma; }

  // Command block (offset 0-7: data, error/features, count, LBA low/mid/high,
  // device, status/command) and control block (alternate status / device
  // control) accesses. Only the data port takes 2- and 4-byte accesses.
  uint32_t read_command_block(unsigned offset, unsigned size);
  void write_command_block(unsigned offset, uint32_t value, unsigned size);
  uint8_t read_alt_status();
  void write_device_control(uint8_t value);

  // The bus-master engine was started: run a pending DMA transfer.
  void dma_started();

  void reset();
  void visit_state(StateVisitor& v);

 private:
  struct Device {
    DriveBackend* drive = nullptr;
    Media media = Media::kNone;
    uint8_t multiple_count = 16;  // sectors per block for READ/WRITE MULTIPLE
    uint8_t udma_mode = 0xff;     // selected UDMA mode, or 0xff
    uint8_t mwdma_mode = 0xff;    // selected multiword DMA mode, or 0xff
    // ATAPI sense for REQUEST SENSE
    uint8_t sense_key = 0;
    uint8_t asc = 0;
    // ATAPI media changes: the drive's count when last looked at; what the
    // next commands owe the guest after a change (1: NOT READY, then 2:
    // UNIT ATTENTION); a new-media event for GET EVENT STATUS NOTIFICATION.
    uint64_t seen_media_changes = 0;
    uint8_t change_pending = 0;
    bool new_media_event = false;
  };
  // What happens when the PIO buffer has been fully read or written.
  enum class PioEnd { kNone, kReadNext, kWriteBlock, kPacket, kAtapiData };

  Device& current() { return devices_[selected_]; }
  bool present() const { return devices_[selected_].media != Media::kNone; }
  bool is_cdrom() const { return devices_[selected_].media == Media::kCdrom; }
  void set_irq();
  void clear_irq();

  // ATA
  void execute(uint8_t command);
  void set_signature();
  void abort_command();
  void command_ok(bool interrupt = true);
  uint64_t lba(bool lba48) const;
  void set_lba(uint64_t sector, bool lba48);
  uint32_t sector_count(bool lba48) const;
  void identify();
  void identify_packet();
  bool check_range(uint64_t sector, uint64_t count);
  void start_pio_read(bool lba48, unsigned block);
  void read_next_block();
  void start_pio_write(bool lba48, unsigned block);
  void write_block();
  void start_dma(bool write, bool lba48);
  void run_dma();
  void io_error();
  void pio_data_done();

  // ATAPI (atapi.cpp)
  void start_packet();
  void execute_packet();
  void atapi_reply(std::vector<uint8_t> data, uint32_t allocation);
  void atapi_read(uint32_t lba, uint32_t blocks);
  void atapi_start_transfer();
  void atapi_next_pio_chunk();
  void atapi_ok();
  void atapi_error(uint8_t sense_key, uint8_t asc);
  uint32_t cd_blocks() const;
  void note_media_change(Device& dev);

  std::string name_;
  std::function<void(bool)> irq_;
  IdeDmaEngine* dma_ = nullptr;
  std::array<Device, 2> devices_{};

  // Task file (hob_*: the previous value, LBA48's high-order bytes).
  uint8_t error_ = 0, features_ = 0, count_ = 0, lba_low_ = 0, lba_mid_ = 0, lba_high_ = 0;
  uint8_t hob_features_ = 0, hob_count_ = 0, hob_lba_low_ = 0, hob_lba_mid_ = 0, hob_lba_high_ = 0;
  uint8_t device_ = 0xa0;
  uint8_t status_ = 0;
  uint8_t control_ = 0;
  unsigned selected_ = 0;
  bool irq_pending_ = false;

  // The transfer in progress.
  std::vector<uint8_t> buffer_;
  uint32_t pos_ = 0, end_ = 0;  // PIO window of buffer_
  PioEnd pio_end_ = PioEnd::kNone;
  uint64_t next_sector_ = 0;       // ATA: the next sector to transfer
  uint32_t sectors_left_ = 0;      // ATA: sectors still to transfer
  unsigned block_sectors_ = 1;     // ATA: sectors per PIO block
  bool lba48_ = false;             // ATA: command form, for the final LBA
  bool dma_pending_ = false;       // a DMA command waits for the engine
  bool dma_write_ = false;         // ... and it writes to the drive
  bool atapi_dma_ = false;         // the packet asked for DMA
  uint32_t atapi_byte_limit_ = 0;  // the packet's byte count limit (PIO)
  uint64_t generation_ = 0;        // bumped by reset: stale completions drop
};

}  // namespace vx86
