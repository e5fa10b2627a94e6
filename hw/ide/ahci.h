// The ICH9's AHCI SATA controller (00:1f.2 on the q35, 8086:2922, class
// 0106 prog-if 01) as QEMU's ich9-ahci: six ports, each with one drive (a
// disk or a CD-ROM). BAR 5 (ABAR, 4 KiB) holds the generic host control
// registers and each port's registers at 0x100 + port * 0x80; BAR 4 is the
// index/data pair that reaches them through I/O ports. Its interrupt is
// INTA or, once the guest enables it, MSI.
//
// A port runs the commands the guest lists: for each bit it sets in PxCI it
// reads the command header (PxCLB + slot * 32), the command FIS and, for
// ATAPI, the packet from the command table, and feeds them to an IdeChannel
// (hw/ide/ide_channel.h), which is the drive's ATA/ATAPI command set. The
// port moves the data through the command's PRD table: DMA commands through
// the IdeDmaEngine interface, PIO data by draining or filling the channel's
// data register. When the command ends it writes the device's registers to
// the received-FIS area (a D2H register FIS, and a PIO setup FIS after PIO
// data), clears the slot's PxCI bit and raises the port's interrupt. One
// command runs at a time; NCQ (READ/WRITE FPDMA QUEUED) is not offered
// (CAP.SNCQ is 0), so guests use the plain DMA commands.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/irq.h"
#include "core/member_io_ops.h"
#include "core/memory.h"
#include "hw/ide/ide_channel.h"
#include "hw/ide/ide_controller.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class AhciHba;

class AhciPort : public IdeDmaEngine {
 public:
  // PxIS bits.
  static constexpr uint32_t kIntD2hRegister = 1u << 0;
  static constexpr uint32_t kIntPioSetup = 1u << 1;
  static constexpr uint32_t kIntDescriptorProcessed = 1u << 5;
  static constexpr uint32_t kIntPortChange = 1u << 6;
  static constexpr uint32_t kIntHostBusFatal = 1u << 29;
  static constexpr uint32_t kIntTaskFileError = 1u << 30;
  // PxCMD bits.
  static constexpr uint32_t kCmdStart = 1u << 0;
  static constexpr uint32_t kCmdSpinUp = 1u << 1;
  static constexpr uint32_t kCmdPowerOn = 1u << 2;
  static constexpr uint32_t kCmdListOverride = 1u << 3;
  static constexpr uint32_t kCmdFisReceive = 1u << 4;
  static constexpr uint32_t kCmdFisRunning = 1u << 14;
  static constexpr uint32_t kCmdListRunning = 1u << 15;

  AhciPort(AhciHba& hba, unsigned index);
  ~AhciPort() override;

  void attach(DriveBackend* drive, IdeChannel::Media media);
  IdeChannel::Media media() const { return channel_.media(0); }
  // A port register (offset 0-0x7f within the port's block).
  uint32_t read(unsigned offset);
  void write(unsigned offset, uint32_t value);
  bool interrupt_pending() const { return (is_ & ie_) != 0; }
  void reset();
  void visit_state(StateVisitor& v);

  // IdeDmaEngine: the running command's PRD table.
  bool started() const override { return slot_ >= 0; }
  uint32_t transfer(uint8_t* buf, uint32_t len, bool to_memory) override;
  void finished(bool error) override;

 private:
  uint32_t task_file_data();
  void comreset();
  void set_command(uint32_t value);
  // Starts the next listed command if none is running.
  void run_commands();
  void start_command(unsigned slot);
  // Moves the running command along (PIO data, the packet) until it waits
  // for the drive or ends.
  void advance();
  void end_command();
  // Copies between buf and the PRD table, starting `offset` bytes into it.
  uint32_t copy_prdt(uint64_t offset, uint8_t* buf, uint32_t len, bool to_memory);
  void pio_in();
  void pio_out();
  void post_fis(unsigned offset, const uint8_t* fis, unsigned len);
  void post_d2h_fis(uint8_t status, uint8_t error);
  void post_signature_fis();
  void raise(uint32_t bits);

  AhciHba& hba_;
  unsigned index_;
  IdeChannel channel_;
  bool advancing_ = false;  // the channel's interrupts call advance() again

  // Registers.
  uint64_t command_list_ = 0;  // PxCLB/PxCLBU
  uint64_t fis_base_ = 0;      // PxFB/PxFBU
  uint32_t is_ = 0, ie_ = 0, cmd_ = 0, sctl_ = 0, serr_ = 0, sact_ = 0, ci_ = 0;
  uint32_t signature_ = 0xffffffff;
  bool signature_fis_due_ = false;

  // The running command.
  int slot_ = -1;
  bool halted_ = false;     // a command failed: nothing runs until ST is cleared
  uint64_t table_ = 0;      // the command table
  uint32_t prd_count_ = 0;  // PRDTL
  bool write_ = false;      // the header's W bit: data from memory to the device
  bool atapi_ = false;      // the header's A bit
  bool packet_sent_ = false;
  bool pio_data_ = false;  // the command moved data by PIO
  uint32_t moved_ = 0;     // bytes through the PRD table so far (PRDBC)
};

class AhciHba : public PciDevice, public IdeController {
 public:
  static constexpr unsigned kPorts = 6;
  static constexpr unsigned kAbarBar = 5;
  static constexpr unsigned kIdpBar = 4;
  static constexpr uint64_t kAbarSize = 0x1000;
  static constexpr uint32_t kGhcReset = 1u << 0;
  static constexpr uint32_t kGhcInterruptEnable = 1u << 1;
  static constexpr uint32_t kGhcAhciEnable = 1u << 31;

  AhciHba();
  ~AhciHba() override;

  AhciPort& port(unsigned n) { return *ports_[n]; }
  // A port's interrupt state changed.
  void port_interrupt(unsigned n, bool pending);

  // IdeController: bus N is port N, unit 0.
  unsigned buses() const override { return kPorts; }
  unsigned units_per_bus() const override { return 1; }
  IdeChannel::Media media(unsigned bus, unsigned unit) const override;
  void attach(unsigned bus, unsigned unit, DriveBackend* drive, IdeChannel::Media media) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  uint64_t abar_read(uint64_t offset, unsigned size);
  void abar_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t idp_read(uint64_t offset, unsigned size);
  void idp_write(uint64_t offset, uint64_t value, unsigned size);
  void update_intx();
  void reset_hba();

  std::array<std::unique_ptr<AhciPort>, kPorts> ports_;
  MemberIoOps<AhciHba, &AhciHba::abar_read, &AhciHba::abar_write> abar_ops_;
  MemberIoOps<AhciHba, &AhciHba::idp_read, &AhciHba::idp_write> idp_ops_;
  std::unique_ptr<MemoryRegion> abar_;
  std::unique_ptr<MemoryRegion> idp_;
  uint32_t ghc_ = kGhcAhciEnable;
  uint32_t is_ = 0;
  uint32_t idp_index_ = 0;
};

}  // namespace vx86
