// The Intel 82540EM gigabit Ethernet controller ("e1000", 8086:100e), QEMU's
// default NIC for the pc machine: registers in a 128 KiB memory BAR (and the
// IOADDR/IODATA window in an I/O BAR), one receive and one transmit ring of
// 16-byte descriptors in guest memory, INTx with interrupt causes and a mask,
// the EEPROM (MAC address) and the PHY (link), joined to a NetBackend.
// Transmit takes legacy and extended descriptors with checksum offload and
// TCP segmentation, as Linux's e1000 driver uses them; receive filters by
// the receive addresses, the multicast table, broadcast and promiscuous
// bits, strips VLAN tags when asked and appends the CRC unless told to strip
// it. Interrupts are raised at once (no throttling or delay timers).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/member_io_ops.h"
#include "hw/net/e1000_eeprom.h"
#include "hw/net/e1000_offload.h"
#include "hw/net/e1000_phy.h"
#include "hw/net/nic.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

class E1000 : public PciDevice, public NetworkCard {
 public:
  static constexpr uint64_t kMmioSize = 0x20000;
  static constexpr uint64_t kIoSize = 0x40;
  // The largest packet gathered from transmit descriptors (a TSO packet:
  // 64 KiB of payload and its headers).
  static constexpr std::size_t kMaxTxPacket = 0x10000 + 256;
  // Frames kept while the guest has no receive descriptors.
  static constexpr std::size_t kMaxPendingFrames = 256;

  // The backend outlives this device; nullptr: not connected.
  E1000(NetBackend* backend, MacAddress mac);
  ~E1000() override;

  const char* model() const override { return "e1000"; }
  bool hotpluggable() const override { return true; }
  const MacAddress& mac() const override { return mac_; }
  const NetBackend* backend() const override { return backend_; }
  bool link_up() const override { return link_up_; }
  void set_link(bool up) override;
  // A frame for the guest (the backend's receiver, under the device lock).
  void receive(const uint8_t* frame, std::size_t len);

  uint32_t read_register(uint32_t offset);
  void write_register(uint32_t offset, uint32_t value);

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  // The memory BAR's and the I/O BAR's accesses.
  uint64_t mmio_read(uint64_t offset, unsigned size);
  void mmio_write(uint64_t offset, uint64_t value, unsigned size);
  uint64_t io_port_read(uint64_t offset, unsigned size);
  void io_port_write(uint64_t offset, uint64_t value, unsigned size);

  uint32_t& reg(uint32_t offset) { return regs_[offset / 4]; }
  void reset_registers();
  uint32_t status() const;
  void raise(uint32_t causes);
  void update_irq();
  void count(uint32_t offset, uint64_t amount = 1);

  // Transmit: runs the ring from TDH to TDT.
  void transmit();
  void transmit_descriptor(const uint8_t* descriptor);
  void send_packet();
  void send_frame(std::vector<uint8_t> frame);

  // Receive.
  bool accepts(const uint8_t* frame, std::size_t len) const;
  unsigned rx_buffer_size() const;
  unsigned rx_ring_size() const;
  void deliver_pending();
  // false: not enough receive descriptors (the frame stays pending).
  bool deliver(const std::vector<uint8_t>& frame);

  NetBackend* backend_;
  MacAddress mac_;
  bool link_up_ = true;
  E1000Eeprom eeprom_;
  E1000Phy phy_;
  std::vector<uint32_t> regs_;
  uint32_t io_address_ = 0;  // IOADDR

  // The packet being gathered from data descriptors, and the contexts the
  // last context descriptors set: one for segmentation, one for checksums
  // (Linux interleaves them).
  std::vector<uint8_t> tx_packet_;
  bool tx_packet_too_long_ = false;
  uint8_t tx_options_ = 0;  // POPTS of the packet's first data descriptor
  bool tx_segmentation_ = false;
  E1000TxContext tx_checksum_context_;
  E1000TxContext tx_segmentation_context_;

  std::deque<std::vector<uint8_t>> pending_;
  MemberIoOps<E1000, &E1000::mmio_read, &E1000::mmio_write> mmio_ops_{*this};
  MemberIoOps<E1000, &E1000::io_port_read, &E1000::io_port_write> io_ops_{*this};
  std::unique_ptr<MemoryRegion> mmio_;
  std::unique_ptr<MemoryRegion> io_;
};

}  // namespace vx86
