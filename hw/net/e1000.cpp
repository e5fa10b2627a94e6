#include "hw/net/e1000.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "core/log.h"
#include "hw/net/e1000_regs.h"

namespace vx86 {

using namespace e1000;

namespace {

constexpr std::size_t kMinFrame = 60;         // without the CRC
constexpr std::size_t kMaxFrame = 1518;       // without the CRC, with a VLAN tag
constexpr std::size_t kMaxLongFrame = 16384;  // RCTL.LPE
constexpr uint16_t kVlanEtherType = 0x8100;

uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint64_t load_le64(const uint8_t* p) {
  return load_le32(p) | static_cast<uint64_t>(load_le32(p + 4)) << 32;
}

bool is_statistic(uint32_t offset) {
  return offset >= kStatsFirst && offset <= kStatsLast;
}

}  // namespace

E1000::E1000(NetBackend* backend, MacAddress mac)
    : PciDevice("e1000", PciIds{.vendor = 0x8086,
                                .device = 0x100E,
                                .class_code = 0x020000,
                                .revision = 3,
                                .subsystem_vendor = pci::kQemuSubsystemVendor,
                                .subsystem = pci::kQemuSubsystem,
                                .interrupt_pin = 1}),
      backend_(backend),
      mac_(mac),
      eeprom_(mac, pci::kQemuSubsystemVendor, pci::kQemuSubsystem),
      regs_(kMmioSize / 4) {
  mmio_ = MemoryRegion::io("e1000-mmio", kMmioSize, &mmio_ops_, {4, 4, false});
  io_ = MemoryRegion::io("e1000-io", kIoSize, &io_ops_, {4, 4, false});
  register_bar(0, PciBarType::kMem32, mmio_.get());
  register_bar(1, PciBarType::kIo, io_.get());
  tx_packet_.reserve(kMaxTxPacket);
  reset_registers();
  if (backend_) {
    backend_->set_receiver([this](const uint8_t* frame, std::size_t len) { receive(frame, len); });
  }
}

E1000::~E1000() {
  if (backend_) backend_->set_receiver(nullptr);
  for (MemoryRegion* r : {mmio_.get(), io_.get()}) {
    if (r && r->parent()) r->parent()->remove_subregion(r);
  }
}

void E1000::reset() {
  PciDevice::reset();
  reset_registers();
}

void E1000::reset_registers() {
  std::fill(regs_.begin(), regs_.end(), 0);
  reg(kCtrl) = kCtrlFullDuplex | kCtrlSetLinkUp | kCtrlSpeed1000;
  reg(kLedctl) = 0x07068302;
  reg(kPba) = 0x00100030;  // 48 KiB for receive, 16 KiB for transmit
  reg(kVet) = kVlanEtherType;
  // The EEPROM's address is loaded into the first receive address.
  reg(kRal0) = load_le32(mac_.data());
  reg(kRal0 + 4) = load_le16(mac_.data() + 4) | kRahAddressValid;
  eeprom_.reset();
  phy_.reset();
  phy_.set_link(link_up_);
  io_address_ = 0;
  tx_packet_.clear();
  tx_packet_too_long_ = false;
  tx_options_ = 0;
  tx_segmentation_ = false;
  tx_checksum_context_ = {};
  tx_segmentation_context_ = {};
  pending_.clear();
  update_irq();
}

uint32_t E1000::status() const {
  uint32_t s = kStatusFullDuplex | kStatusSpeed1000 | kStatusAutoSpeed1000;
  if (link_up_) s |= kStatusLinkUp;
  return s;
}

void E1000::set_link(bool up) {
  if (up == link_up_) return;
  link_up_ = up;
  phy_.set_link(up);
  if (!up) pending_.clear();
  raise(kIntLinkStatus);
}

void E1000::raise(uint32_t causes) {
  reg(kIcr) |= causes;
  update_irq();
}

void E1000::update_irq() {
  set_irq((regs_[kIcr / 4] & regs_[kIms / 4]) != 0);
}

void E1000::count(uint32_t offset, uint64_t amount) {
  if (offset == kGorcl || offset == kGotcl || offset == kTorl || offset == kTotl) {
    uint64_t v = (static_cast<uint64_t>(reg(offset + 4)) << 32 | reg(offset)) + amount;
    reg(offset) = static_cast<uint32_t>(v);
    reg(offset + 4) = static_cast<uint32_t>(v >> 32);
    return;
  }
  uint64_t v = reg(offset) + amount;
  reg(offset) = static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
}

uint32_t E1000::read_register(uint32_t offset) {
  offset &= static_cast<uint32_t>(kMmioSize - 4);
  switch (offset) {
    case kStatus:
      return status();
    case kEecd:
      return eeprom_.read_eecd();
    case kEerd:
      return eeprom_.read_eerd();
    case kIcr: {
      // Reading the causes acknowledges them.
      uint32_t causes = reg(kIcr);
      reg(kIcr) = 0;
      update_irq();
      return causes;
    }
    case kIcs:
    case kImc:
      return 0;  // write-only
    default:
      break;
  }
  if (is_statistic(offset)) {
    uint32_t v = reg(offset);
    reg(offset) = 0;
    return v;
  }
  return reg(offset);
}

void E1000::write_register(uint32_t offset, uint32_t value) {
  offset &= static_cast<uint32_t>(kMmioSize - 4);
  switch (offset) {
    case kCtrl:
      if (value & kCtrlReset) {
        reset_registers();
        return;
      }
      if (value & kCtrlPhyReset) {
        phy_.reset();
        phy_.set_link(link_up_);
      }
      reg(kCtrl) = value & ~(kCtrlReset | kCtrlPhyReset);
      return;
    case kStatus:
      return;  // read-only
    case kEecd:
      eeprom_.write_eecd(value);
      return;
    case kEerd:
      eeprom_.write_eerd(value);
      return;
    case kMdic:
      reg(kMdic) = phy_.mdic(value);
      if (value & kMdicInterrupt) raise(kIntMdioDone);
      return;
    case kIcr:
      reg(kIcr) &= ~value;  // write 1 to clear
      update_irq();
      return;
    case kIcs:
      raise(value);
      return;
    case kIms:
      reg(kIms) |= value;
      update_irq();
      return;
    case kImc:
      reg(kIms) &= ~value;
      update_irq();
      return;
    case kRctl:
      reg(kRctl) = value;
      if (!(value & kRctlEnable)) pending_.clear();
      deliver_pending();
      return;
    case kRdlen:
    case kTdlen:
      reg(offset) = value & 0xFFF80;  // a multiple of 128 bytes
      return;
    case kRdh:
    case kTdh:
      reg(offset) = value & 0xFFFF;
      return;
    case kRdt:
      reg(kRdt) = value & 0xFFFF;
      deliver_pending();
      return;
    case kTdt:
      reg(kTdt) = value & 0xFFFF;
      transmit();
      return;
    case kTctl:
      reg(kTctl) = value;
      transmit();
      return;
    default:
      break;
  }
  if (is_statistic(offset)) return;  // read-only
  reg(offset) = value;
}

// ---------------------------------------------------------------- transmit

void E1000::transmit() {
  if (!(reg(kTctl) & kTctlEnable)) return;
  const unsigned ring = reg(kTdlen) / kDescriptorSize;
  if (ring == 0) return;
  const uint64_t base = static_cast<uint64_t>(reg(kTdbah)) << 32 | (reg(kTdbal) & ~0xFu);
  bool wrote_back = false;
  // At most one lap: a tail outside the ring never matches the head.
  for (unsigned n = 0; n < ring && reg(kTdh) != reg(kTdt); ++n) {
    const unsigned head = reg(kTdh) % ring;
    const uint64_t address = base + static_cast<uint64_t>(head) * kDescriptorSize;
    uint8_t d[kDescriptorSize];
    if (!dma_read(address, d, sizeof d)) {
      VX86_LOG(kLogGuestErrors, "e1000: transmit descriptor at 0x%llx unreadable\n",
               static_cast<unsigned long long>(address));
      break;
    }
    transmit_descriptor(d);
    if (d[11] & kTxCmdReportStatus) {
      const uint8_t done = d[12] | kTxStatusDone;
      dma_write(address + 12, &done, 1);
      wrote_back = true;
    }
    reg(kTdh) = (head + 1) % ring;
  }
  uint32_t causes = 0;
  if (wrote_back) causes |= kIntTxDescWritten;
  if (reg(kTdh) == reg(kTdt)) causes |= kIntTxQueueEmpty;
  if (causes) raise(causes);
}

void E1000::transmit_descriptor(const uint8_t* d) {
  const uint8_t command = d[11];
  const bool extended = command & kTxCmdExtension;
  const unsigned type = (d[10] >> 4) & 0xF;
  if (extended && type == kTxTypeContext) {
    E1000TxContext context = E1000TxContext::decode(d);
    (context.segmentation() ? tx_segmentation_context_ : tx_checksum_context_) = context;
    return;
  }
  if (extended && type != kTxTypeData) {
    VX86_LOG(kLogGuestErrors, "e1000: transmit descriptor of type %u\n", type);
    return;
  }
  const uint64_t buffer = load_le64(d);
  const std::size_t length = extended ? (load_le32(d + 8) & 0xFFFFF) : load_le16(d + 8);
  if (tx_packet_.empty() && !tx_packet_too_long_) {
    // The first descriptor of a packet says how it is offloaded.
    tx_segmentation_ = extended && (command & kTxCmdSegmentation);
    tx_options_ = extended ? d[13] : 0;
    if (!extended && (command & kTxCmdInsertChecksum)) {
      // Legacy: one checksum from CSS to the end, put at CSO.
      tx_checksum_context_ = {};
      tx_checksum_context_.l4_start = d[13];
      tx_checksum_context_.l4_offset = d[10];
      tx_options_ = kTxInsertTcpChecksum;
    }
  }
  if (tx_packet_.size() + length > kMaxTxPacket) {
    tx_packet_too_long_ = true;
  } else if (length > 0) {
    const std::size_t at = tx_packet_.size();
    tx_packet_.resize(at + length);
    if (!dma_read(buffer, tx_packet_.data() + at, length)) {
      VX86_LOG(kLogGuestErrors, "e1000: transmit buffer at 0x%llx unreadable\n",
               static_cast<unsigned long long>(buffer));
    }
  }
  if (!(command & kTxCmdEndOfPacket)) return;
  if (tx_packet_too_long_) {
    VX86_LOG(kLogGuestErrors, "e1000: transmit packet longer than %zu bytes dropped\n",
             kMaxTxPacket);
  } else {
    // A VLAN tag to insert: the descriptor's special field, with CTRL.VME.
    if ((command & kTxCmdVlan) && (reg(kCtrl) & kCtrlVlanEnable) && tx_packet_.size() >= 12) {
      const uint16_t type = static_cast<uint16_t>(reg(kVet));
      const uint16_t tci = load_le16(d + 14);
      const uint8_t tag[4] = {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type),
                              static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
      tx_packet_.insert(tx_packet_.begin() + 12, tag, tag + 4);
    }
    send_packet();
  }
  tx_packet_.clear();
  tx_packet_too_long_ = false;
}

void E1000::send_packet() {
  if (tx_segmentation_) {
    std::string error;
    auto frames = e1000_segment(tx_packet_, tx_segmentation_context_, tx_options_, &error);
    if (frames.empty()) VX86_LOG(kLogGuestErrors, "e1000: %s\n", error.c_str());
    for (auto& frame : frames) send_frame(std::move(frame));
    return;
  }
  if (tx_options_ && !e1000_apply_checksums(tx_packet_, tx_checksum_context_, tx_options_)) {
    VX86_LOG(kLogGuestErrors, "e1000: checksum offsets outside a %zu-byte frame\n",
             tx_packet_.size());
  }
  send_frame(tx_packet_);
}

void E1000::send_frame(std::vector<uint8_t> frame) {
  if (frame.empty()) return;
  count(kTpt);
  count(kTotl, frame.size());
  if (!link_up_ || !backend_) return;
  count(kGptc);
  count(kGotcl, frame.size());
  if (frame.size() >= 6 && (frame[0] & 1)) {
    const bool broadcast =
        std::all_of(frame.begin(), frame.begin() + 6, [](uint8_t b) { return b == 0xFF; });
    count(broadcast ? kBptc : kMptc);
  }
  backend_->send(frame.data(), frame.size());
}

// ----------------------------------------------------------------- receive

bool E1000::accepts(const uint8_t* frame, std::size_t len) const {
  if (len < 6) return false;
  const uint32_t rctl = regs_[kRctl / 4];
  if (frame[0] & 1) {
    if (std::all_of(frame, frame + 6, [](uint8_t b) { return b == 0xFF; })) {
      return rctl & (kRctlBroadcastAccept | kRctlMulticastPromisc);
    }
    if (rctl & kRctlMulticastPromisc) return true;
    // The multicast table: 12 bits of the address, where RCTL.MO says.
    static constexpr unsigned kShift[4] = {4, 3, 2, 0};  // bits 47:36, 46:35, 45:34, 43:32
    const unsigned shift = kShift[(rctl >> kRctlMulticastOffsetShift) & 3];
    const unsigned hash = ((frame[4] >> shift) | (frame[5] << (8 - shift))) & 0xFFF;
    return regs_[(kMta / 4) + (hash >> 5)] >> (hash & 31) & 1;
  }
  if (rctl & kRctlUnicastPromisc) return true;
  const uint32_t low = load_le32(frame);
  const uint32_t high = load_le16(frame + 4);
  for (unsigned i = 0; i < kReceiveAddresses; ++i) {
    const uint32_t ral = regs_[kRal0 / 4 + 2 * i];
    const uint32_t rah = regs_[kRal0 / 4 + 2 * i + 1];
    if ((rah & kRahAddressValid) && ral == low && (rah & 0xFFFF) == high) return true;
  }
  return false;
}

unsigned E1000::rx_buffer_size() const {
  const uint32_t rctl = regs_[kRctl / 4];
  const unsigned code = (rctl >> kRctlBufferSizeShift) & 3;
  if (rctl & kRctlBufferSizeExtension) {
    if (code != 0) return 32768u >> code;  // 16384, 8192, 4096
  }
  return 2048u >> code;  // 2048, 1024, 512, 256
}

unsigned E1000::rx_ring_size() const {
  return regs_[kRdlen / 4] / kDescriptorSize;
}

void E1000::receive(const uint8_t* frame, std::size_t len) {
  const uint32_t rctl = reg(kRctl);
  if (!link_up_ || !(rctl & kRctlEnable) || !accepts(frame, len)) return;
  std::vector<uint8_t> bytes(frame, frame + len);
  if (bytes.size() > ((rctl & kRctlLongPackets) ? kMaxLongFrame : kMaxFrame)) return;
  if (pending_.size() >= kMaxPendingFrames) {
    // The guest is not taking frames: drop the oldest (TCP resends).
    pending_.pop_front();
    count(kMpc);
  }
  pending_.push_back(std::move(bytes));
  deliver_pending();
}

void E1000::deliver_pending() {
  bool delivered = false;
  while (!pending_.empty() && (reg(kRctl) & kRctlEnable)) {
    if (!deliver(pending_.front())) break;
    pending_.pop_front();
    delivered = true;
  }
  if (!delivered) return;
  uint32_t causes = kIntRxTimer;
  // Few descriptors left: tell the driver to hand out more.
  const unsigned ring = rx_ring_size();
  const unsigned free = (reg(kRdt) + ring - reg(kRdh)) % ring;
  const unsigned threshold = ring >> (((reg(kRctl) >> kRctlMinThresholdShift) & 3) + 1);
  if (free <= threshold) causes |= kIntRxMinThreshold;
  raise(causes);
}

bool E1000::deliver(const std::vector<uint8_t>& received) {
  const unsigned ring = rx_ring_size();
  if (ring == 0) return false;
  std::vector<uint8_t> frame = received;
  uint16_t vlan_tci = 0;
  uint8_t status = kRxStatusDone | kRxStatusEndOfPacket | kRxStatusIgnoreChecksum;
  if ((reg(kCtrl) & kCtrlVlanEnable) && frame.size() >= 18 &&
      (frame[12] << 8 | frame[13]) == static_cast<uint16_t>(reg(kVet))) {
    vlan_tci = static_cast<uint16_t>(frame[14] << 8 | frame[15]);
    frame.erase(frame.begin() + 12, frame.begin() + 16);
    status |= kRxStatusVlan;
  }
  if (frame.size() < kMinFrame) frame.resize(kMinFrame, 0);
  if (!(reg(kRctl) & kRctlStripCrc)) {
    const uint32_t crc = static_cast<uint32_t>(
        crc32(crc32(0, nullptr, 0), frame.data(), static_cast<uInt>(frame.size())));
    for (unsigned i = 0; i < 4; ++i) frame.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  }
  const unsigned buffer_size = rx_buffer_size();
  const unsigned needed = static_cast<unsigned>((frame.size() + buffer_size - 1) / buffer_size);
  const unsigned available = (reg(kRdt) % ring + ring - reg(kRdh) % ring) % ring;
  if (available < needed) {
    if (available == 0) raise(kIntRxOverrun);
    return false;
  }
  const uint64_t base = static_cast<uint64_t>(reg(kRdbah)) << 32 | (reg(kRdbal) & ~0xFu);
  std::size_t offset = 0;
  for (unsigned i = 0; i < needed; ++i) {
    const unsigned head = reg(kRdh) % ring;
    const uint64_t address = base + static_cast<uint64_t>(head) * kDescriptorSize;
    uint8_t d[kDescriptorSize];
    if (!dma_read(address, d, sizeof d)) return false;
    const std::size_t chunk = std::min<std::size_t>(buffer_size, frame.size() - offset);
    dma_write(load_le64(d), frame.data() + offset, chunk);
    offset += chunk;
    const bool last = i + 1 == needed;
    const uint8_t written[8] = {static_cast<uint8_t>(chunk),
                                static_cast<uint8_t>(chunk >> 8),
                                0,
                                0,  // packet checksum
                                static_cast<uint8_t>(last ? status : kRxStatusDone),
                                0,
                                static_cast<uint8_t>(vlan_tci),
                                static_cast<uint8_t>(vlan_tci >> 8)};
    dma_write(address + 8, written, sizeof written);
    reg(kRdh) = (head + 1) % ring;
  }
  count(kTpr);
  count(kGprc);
  count(kTorl, frame.size());
  count(kGorcl, frame.size());
  if (frame[0] & 1) {
    const bool broadcast =
        std::all_of(frame.begin(), frame.begin() + 6, [](uint8_t b) { return b == 0xFF; });
    count(broadcast ? kBprc : kMprc);
  }
  return true;
}

// ----------------------------------------------------------- access paths

uint64_t E1000::mmio_read(uint64_t offset, unsigned) {
  return read_register(static_cast<uint32_t>(offset));
}

void E1000::mmio_write(uint64_t offset, uint64_t value, unsigned) {
  write_register(static_cast<uint32_t>(offset), static_cast<uint32_t>(value));
}

// IOADDR at 0 selects a register, IODATA at 4 reads or writes it.
uint64_t E1000::io_port_read(uint64_t offset, unsigned) {
  if (offset == 0) return io_address_;
  if (offset == 4) return read_register(io_address_);
  return 0;
}

void E1000::io_port_write(uint64_t offset, uint64_t value, unsigned) {
  if (offset == 0) io_address_ = static_cast<uint32_t>(value) & 0x1FFFC;
  if (offset == 4) write_register(io_address_, static_cast<uint32_t>(value));
}

void E1000::visit_state(StateVisitor& v) {
  v.begin("e1000");
  PciDevice::visit_state(v);
  v.array("regs", std::span<uint32_t>(regs_));
  v.field("link_up", link_up_);
  v.field("io_address", io_address_);
  eeprom_.visit_state(v);
  phy_.visit_state(v);
  v.field("tx_options", tx_options_);
  v.field("tx_segmentation", tx_segmentation_);
  v.field("tx_checksum_context", tx_checksum_context_);
  v.field("tx_segmentation_context", tx_segmentation_context_);
  v.end();
}

}  // namespace vx86
