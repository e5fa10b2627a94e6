// The e1000 (82540EM) with no CPU: the test is the driver, doing what
// Linux's e1000 driver does through BAR 0 (and the I/O window of BAR 1):
// the EEPROM bit by bit, the PHY through MDIC, transmit and receive rings in
// guest RAM, interrupt causes and the mask. Checksums and the CRC are checked
// with the test's own implementations, not the model's.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "core/irq.h"
#include "core/memory.h"
#include "hw/net/e1000.h"
#include "hw/net/e1000_regs.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/piix3.h"
#include "tests/hw/pci_test_bus.h"
#include "tests/hw/recording_net_backend.h"

namespace vx86 {
namespace {

using namespace e1000;

using RecordingBackend = test::RecordingNetBackend;

constexpr MacAddress kMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
constexpr uint64_t kMmio = 0xE0000000;
constexpr uint16_t kIoPort = 0xC000;
constexpr int kSlot = 3;
constexpr uint64_t kTxRing = 0x10000;
constexpr uint64_t kRxRing = 0x20000;
constexpr uint64_t kTxBuffers = 0x40000;
constexpr uint64_t kRxBuffers = 0x80000;
constexpr unsigned kRingSize = 8;

// RFC 1071, written for the test.
uint16_t internet_checksum(const std::vector<uint8_t>& bytes, std::size_t from, std::size_t to,
                           uint32_t sum = 0) {
  for (std::size_t i = from; i < to; ++i) sum += (i - from) % 2 ? bytes[i] : bytes[i] << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// IEEE 802.3 CRC-32, bit by bit.
uint32_t ethernet_crc(const uint8_t* p, std::size_t n) {
  uint32_t crc = 0xFFFFFFFF;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int b = 0; b < 8; ++b) crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
  }
  return ~crc;
}

uint16_t be16(const std::vector<uint8_t>& f, std::size_t at) {
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

uint32_t be32(const std::vector<uint8_t>& f, std::size_t at) {
  return static_cast<uint32_t>(be16(f, at)) << 16 | be16(f, at + 2);
}

// An Ethernet + IPv4 + TCP packet with `payload` bytes, its TCP checksum
// seeded with the pseudo-header sum as Linux does (with the length unless
// for_tso) and its IP checksum zero.
std::vector<uint8_t> tcp_packet(std::size_t payload, bool for_tso) {
  std::vector<uint8_t> p(54 + payload);
  const uint8_t eth[14] = {0x52, 0x55, 0x0A, 0x00, 0x02, 0x02, 0x52,
                           0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00};
  std::memcpy(p.data(), eth, 14);
  uint8_t* ip = p.data() + 14;
  ip[0] = 0x45;
  const uint16_t total = static_cast<uint16_t>(for_tso ? 0 : 40 + payload);
  ip[2] = total >> 8, ip[3] = total & 0xFF;
  ip[4] = 0x12, ip[5] = 0x34;  // identification
  ip[6] = 0x40;                // don't fragment
  ip[8] = 64, ip[9] = 6;       // TTL, TCP
  const uint8_t src[4] = {10, 0, 2, 15}, dst[4] = {10, 0, 2, 2};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  uint8_t* tcp = ip + 20;
  tcp[0] = 0x9C, tcp[1] = 0x40, tcp[2] = 0x00, tcp[3] = 0x50;  // ports 40000 -> 80
  tcp[4] = 0x01, tcp[5] = 0x02, tcp[6] = 0x03, tcp[7] = 0x04;  // sequence number
  tcp[12] = 0x50;                                              // 20-byte header
  tcp[13] = 0x19;                                              // FIN, PSH, ACK
  tcp[14] = 0xFF, tcp[15] = 0xFF;                              // window
  for (std::size_t i = 0; i < payload; ++i) p[54 + i] = static_cast<uint8_t>(i * 7 + i / 256);
  // Pseudo-header: addresses, protocol, TCP length (0 for TSO).
  uint32_t sum = (10 << 8) + 0 + (2 << 8) + 15 + (10 << 8) + 0 + (2 << 8) + 2 + 6;
  if (!for_tso) sum += static_cast<uint32_t>(20 + payload);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  tcp[16] = static_cast<uint8_t>(sum >> 8), tcp[17] = static_cast<uint8_t>(sum);
  return p;
}

// Checks a frame's IPv4 header and TCP checksums from scratch.
void expect_valid_tcp_frame(const std::vector<uint8_t>& f) {
  ASSERT_GE(f.size(), 54u);
  EXPECT_EQ(internet_checksum(f, 14, 34), 0xFFFF) << "IP header checksum";
  const uint16_t tcp_length = static_cast<uint16_t>(f.size() - 34);
  uint32_t pseudo = be16(f, 26) + be16(f, 28) + be16(f, 30) + be16(f, 32) + 6 + tcp_length;
  EXPECT_EQ(internet_checksum(f, 34, f.size(), pseudo), 0xFFFF) << "TCP checksum";
}

class E1000Test : public ::testing::Test {
 protected:
  void SetUp() override {
    nic_ = std::make_unique<E1000>(&backend_, kMac);
    pci_.bus().plug(*nic_, pci::devfn(kSlot, 0));
    cfg_write(0x10, static_cast<uint32_t>(kMmio), 4);
    cfg_write(0x14, kIoPort, 4);
    cfg_write(0x04, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster, 2);
  }

  uint32_t cfg_read(unsigned reg, unsigned size) {
    return pci_.config_read(pci::devfn(kSlot, 0), reg, size);
  }
  void cfg_write(unsigned reg, uint32_t v, unsigned size) {
    pci_.config_write(pci::devfn(kSlot, 0), reg, v, size);
  }
  uint32_t r(uint32_t reg) { return static_cast<uint32_t>(mem_.read(kMmio + reg, 4)); }
  void w(uint32_t reg, uint32_t v) { mem_.write(kMmio + reg, v, 4); }

  // EECD bit-banging, step by step as Linux's e1000_read_eeprom does it.
  uint16_t eeprom_read_microwire(unsigned address) {
    uint32_t eecd = r(kEecd);
    eecd |= E1000Eeprom::kRequest;
    w(kEecd, eecd);
    EXPECT_TRUE(r(kEecd) & E1000Eeprom::kGrant);
    eecd &= ~(E1000Eeprom::kDataIn | E1000Eeprom::kClock);
    w(kEecd, eecd);
    eecd |= E1000Eeprom::kChipSelect;
    w(kEecd, eecd);
    auto shift_out = [&](uint32_t data, int bits) {
      for (int i = bits - 1; i >= 0; --i) {
        eecd = (eecd & ~E1000Eeprom::kDataIn) | ((data >> i) & 1 ? E1000Eeprom::kDataIn : 0);
        w(kEecd, eecd);
        w(kEecd, eecd | E1000Eeprom::kClock);
        w(kEecd, eecd);
      }
    };
    shift_out(0b110, 3);  // start bit, READ
    shift_out(address, 6);
    uint16_t data = 0;
    for (int i = 0; i < 16; ++i) {
      w(kEecd, eecd | E1000Eeprom::kClock);
      data = static_cast<uint16_t>(data << 1 | ((r(kEecd) & E1000Eeprom::kDataOut) ? 1 : 0));
      w(kEecd, eecd);
    }
    eecd &= ~(E1000Eeprom::kChipSelect | E1000Eeprom::kRequest);
    w(kEecd, eecd);
    return data;
  }

  uint32_t mdic(unsigned op, unsigned reg, uint16_t data = 0, unsigned phy = 1) {
    w(kMdic, op << kMdicOpShift | phy << kMdicPhyShift | reg << kMdicRegShift | data);
    return r(kMdic);
  }

  void setup_tx() {
    w(kTdbal, static_cast<uint32_t>(kTxRing));
    w(kTdbah, 0);
    w(kTdlen, kRingSize * kDescriptorSize);
    w(kTdh, 0);
    w(kTdt, 0);
    w(kTctl, kTctlEnable);
    tx_tail_ = 0;
  }
  // Queues one descriptor (the 16 bytes given) and moves the tail.
  void put_tx(const std::array<uint8_t, 16>& d, bool kick = true) {
    for (unsigned i = 0; i < 16; ++i) mem_.write(kTxRing + tx_tail_ * 16 + i, d[i], 1);
    tx_tail_ = (tx_tail_ + 1) % kRingSize;
    if (kick) w(kTdt, tx_tail_);
  }
  std::array<uint8_t, 16> legacy_tx(uint64_t buffer, uint16_t length, uint8_t command,
                                    uint8_t cso = 0, uint8_t css = 0) {
    std::array<uint8_t, 16> d{};
    for (int i = 0; i < 8; ++i) d[i] = static_cast<uint8_t>(buffer >> (8 * i));
    d[8] = static_cast<uint8_t>(length), d[9] = static_cast<uint8_t>(length >> 8);
    d[10] = cso, d[11] = command, d[13] = css;
    return d;
  }
  std::array<uint8_t, 16> data_tx(uint64_t buffer, uint32_t length, uint8_t command,
                                  uint8_t options) {
    std::array<uint8_t, 16> d{};
    for (int i = 0; i < 8; ++i) d[i] = static_cast<uint8_t>(buffer >> (8 * i));
    d[8] = static_cast<uint8_t>(length), d[9] = static_cast<uint8_t>(length >> 8);
    d[10] = static_cast<uint8_t>((length >> 16) & 0xF) | kTxTypeData << 4;
    d[11] = command | kTxCmdExtension;
    d[13] = options;
    return d;
  }
  std::array<uint8_t, 16> context_tx(uint8_t tucmd, uint32_t paylen, uint8_t hdrlen, uint16_t mss) {
    std::array<uint8_t, 16> d{};
    d[0] = 14, d[1] = 24, d[2] = 33, d[3] = 0;  // IP header 14..33, checksum at 24
    d[4] = 34, d[5] = 50, d[6] = 0, d[7] = 0;   // TCP from 34 to the end, checksum at 50
    d[8] = static_cast<uint8_t>(paylen), d[9] = static_cast<uint8_t>(paylen >> 8);
    d[10] = static_cast<uint8_t>((paylen >> 16) & 0xF) | kTxTypeContext << 4;
    d[11] = tucmd | kTxCmdExtension;
    d[13] = hdrlen;
    d[14] = static_cast<uint8_t>(mss), d[15] = static_cast<uint8_t>(mss >> 8);
    return d;
  }
  void write_bytes(uint64_t at, const std::vector<uint8_t>& bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) mem_.write(at + i, bytes[i], 1);
  }
  std::vector<uint8_t> read_bytes(uint64_t at, std::size_t n) {
    std::vector<uint8_t> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(mem_.read(at + i, 1));
    return out;
  }

  // A receive ring of kRingSize 2048-byte buffers, all but one handed out.
  void setup_rx(uint32_t rctl) {
    for (unsigned i = 0; i < kRingSize; ++i) {
      mem_.write(kRxRing + i * 16, kRxBuffers + i * 2048, 8);
      mem_.write(kRxRing + i * 16 + 8, 0, 8);
    }
    w(kRdbal, static_cast<uint32_t>(kRxRing));
    w(kRdbah, 0);
    w(kRdlen, kRingSize * kDescriptorSize);
    w(kRdh, 0);
    w(kRdt, kRingSize - 1);
    w(kRctl, rctl | kRctlEnable);
  }
  uint16_t rx_length(unsigned i) {
    return static_cast<uint16_t>(mem_.read(kRxRing + i * 16 + 8, 2));
  }
  uint8_t rx_status(unsigned i) {
    return static_cast<uint8_t>(mem_.read(kRxRing + i * 16 + 12, 1));
  }

  std::vector<uint8_t> frame_to(const MacAddress& dst, std::size_t size) {
    std::vector<uint8_t> f(size);
    std::memcpy(f.data(), dst.data(), 6);
    const uint8_t src[6] = {0x52, 0x55, 0x0A, 0x00, 0x02, 0x02};
    std::memcpy(f.data() + 6, src, 6);
    f[12] = 0x08, f[13] = 0x00;
    for (std::size_t i = 14; i < size; ++i) f[i] = static_cast<uint8_t>(i);
    return f;
  }

  PciTestBus pci_;
  AddressSpace& mem_ = pci_.memory();
  AddressSpace& io_space_ = pci_.io();
  RecordingBackend backend_;
  std::unique_ptr<E1000> nic_;
  unsigned tx_tail_ = 0;
};

TEST_F(E1000Test, PciIdentityAndBarsAreThoseOfAn82540em) {
  EXPECT_EQ(cfg_read(0x00, 2), 0x8086u);
  EXPECT_EQ(cfg_read(0x02, 2), 0x100Eu);
  EXPECT_EQ(cfg_read(0x08, 1), 3u);             // revision
  EXPECT_EQ(cfg_read(0x08, 4) >> 16, 0x0200u);  // Ethernet controller
  EXPECT_EQ(cfg_read(0x3D, 1), 1u);             // INTA
  // BAR 0: 128 KiB of memory; BAR 1: 64 I/O ports.
  cfg_write(0x10, 0xFFFFFFFF, 4);
  EXPECT_EQ(cfg_read(0x10, 4), 0xFFFE0000u);
  cfg_write(0x10, static_cast<uint32_t>(kMmio), 4);
  cfg_write(0x14, 0xFFFFFFFF, 4);
  EXPECT_EQ(cfg_read(0x14, 4) & 0xFFFF, 0xFFC1u);
  cfg_write(0x14, kIoPort, 4);
}

TEST_F(E1000Test, EepromHoldsTheMacAndAValidChecksumReadEitherWay) {
  uint16_t sum = 0;
  std::array<uint16_t, 64> words{};
  for (unsigned i = 0; i < 64; ++i) {
    words[i] = eeprom_read_microwire(i);
    sum = static_cast<uint16_t>(sum + words[i]);
  }
  EXPECT_EQ(sum, 0xBABA);
  EXPECT_EQ(words[0], 0x5452);
  EXPECT_EQ(words[1], 0x1200);
  EXPECT_EQ(words[2], 0x5634);
  // EERD: start a read of a word, it is done with the data in the top half.
  for (unsigned i : {0u, 1u, 2u, 0x3Fu}) {
    w(kEerd, i << E1000Eeprom::kReadAddressShift | E1000Eeprom::kReadStart);
    const uint32_t v = r(kEerd);
    EXPECT_TRUE(v & E1000Eeprom::kReadDone);
    EXPECT_EQ(v >> E1000Eeprom::kReadDataShift, words[i]) << i;
  }
  // The receive address the hardware loads from the EEPROM.
  EXPECT_EQ(r(kRal0), 0x12005452u);
  EXPECT_EQ(r(kRal0 + 4), 0x5634u | kRahAddressValid);
}

TEST_F(E1000Test, PhyAnswersThroughMdicAndFollowsTheLink) {
  EXPECT_EQ(mdic(kMdicOpRead, E1000Phy::kId1) & 0xFFFF, 0x0141u);
  EXPECT_EQ(mdic(kMdicOpRead, E1000Phy::kId2) & 0xFFFF, 0x0C20u);
  EXPECT_TRUE(mdic(kMdicOpRead, E1000Phy::kId1) & kMdicReady);
  EXPECT_TRUE(mdic(kMdicOpRead, E1000Phy::kId1, 0, 2) & kMdicError);  // no PHY at 2
  const uint32_t status = mdic(kMdicOpRead, E1000Phy::kStatus);
  EXPECT_TRUE(status & E1000Phy::kStatusLink);
  EXPECT_TRUE(status & E1000Phy::kStatusAutonegComplete);
  // Writable registers keep what is written; read-only ones do not change.
  mdic(kMdicOpWrite, E1000Phy::kAutonegAdvertise, 0x01E1);
  EXPECT_EQ(mdic(kMdicOpRead, E1000Phy::kAutonegAdvertise) & 0xFFFF, 0x01E1u);
  mdic(kMdicOpWrite, E1000Phy::kId1, 0x1234);
  EXPECT_EQ(mdic(kMdicOpRead, E1000Phy::kId1) & 0xFFFF, 0x0141u);
  EXPECT_TRUE(r(kStatus) & kStatusLinkUp);

  // The link goes down: STATUS and the PHY say so, and LSC interrupts.
  w(kIms, kIntLinkStatus);
  nic_->set_link(false);
  EXPECT_FALSE(r(kStatus) & kStatusLinkUp);
  EXPECT_FALSE(mdic(kMdicOpRead, E1000Phy::kStatus) & E1000Phy::kStatusLink);
  EXPECT_TRUE(pci_.irq());
  EXPECT_EQ(r(kIcr), kIntLinkStatus);
  EXPECT_FALSE(pci_.irq());
  nic_->set_link(true);
  EXPECT_TRUE(r(kStatus) & kStatusLinkUp);
  EXPECT_TRUE(pci_.irq());
}

TEST_F(E1000Test, InterruptCausesFollowTheMask) {
  w(kIcs, kIntRxTimer | kIntTxQueueEmpty);
  EXPECT_FALSE(pci_.irq());  // masked
  w(kIms, kIntRxTimer);
  EXPECT_EQ(r(kIms), kIntRxTimer);
  EXPECT_TRUE(pci_.irq());
  w(kImc, kIntRxTimer);
  EXPECT_FALSE(pci_.irq());
  w(kIms, kIntRxTimer);
  EXPECT_TRUE(pci_.irq());
  w(kIcr, kIntRxTimer);  // write 1 to clear
  EXPECT_FALSE(pci_.irq());
  EXPECT_EQ(r(kIcr), kIntTxQueueEmpty);  // and reading clears the rest
  EXPECT_EQ(r(kIcr), 0u);
}

TEST_F(E1000Test, ResetBringsBackTheDefaults) {
  w(kIms, 0xFF);
  w(kRctl, kRctlEnable);
  w(kRal0, 0);
  w(kCtrl, r(kCtrl) | kCtrlReset);
  EXPECT_FALSE(r(kCtrl) & kCtrlReset);  // self-clearing
  EXPECT_EQ(r(kIms), 0u);
  EXPECT_EQ(r(kRctl), 0u);
  EXPECT_EQ(r(kRal0), 0x12005452u);
}

TEST_F(E1000Test, IoWindowReachesTheRegisters) {
  io_space_.write(kIoPort, kStatus, 4);
  EXPECT_EQ(io_space_.read(kIoPort, 4), kStatus);
  EXPECT_EQ(io_space_.read(kIoPort + 4, 4), r(kStatus));
  io_space_.write(kIoPort, kIms, 4);
  io_space_.write(kIoPort + 4, kIntLinkStatus, 4);
  EXPECT_EQ(r(kIms), kIntLinkStatus);
}

TEST_F(E1000Test, LegacyDescriptorsGatherAPacketAndReportDone) {
  setup_tx();
  w(kIms, kIntTxDescWritten);
  std::vector<uint8_t> frame = frame_to({0x52, 0x55, 0x0A, 0x00, 0x02, 0x02}, 100);
  write_bytes(kTxBuffers, frame);
  put_tx(legacy_tx(kTxBuffers, 40, 0), false);
  put_tx(legacy_tx(kTxBuffers + 40, 60, kTxCmdEndOfPacket | kTxCmdReportStatus));
  ASSERT_EQ(backend_.sent.size(), 1u);
  EXPECT_EQ(backend_.sent[0], frame);
  EXPECT_EQ(r(kTdh), 2u);
  EXPECT_EQ(mem_.read(kTxRing + 16 + 12, 1) & kTxStatusDone, kTxStatusDone);
  EXPECT_TRUE(pci_.irq());
  EXPECT_EQ(r(kIcr), kIntTxDescWritten | kIntTxQueueEmpty);
  // Statistics count and clear when read.
  EXPECT_EQ(r(kGptc), 1u);
  EXPECT_EQ(r(kGotcl), 100u);
  EXPECT_EQ(r(kGptc), 0u);

  // The legacy checksum insertion: from CSS to the end, at CSO.
  std::vector<uint8_t> tcp = tcp_packet(300, false);
  write_bytes(kTxBuffers, tcp);
  put_tx(legacy_tx(kTxBuffers, static_cast<uint16_t>(tcp.size()),
                   kTxCmdEndOfPacket | kTxCmdInsertChecksum, 50, 34));
  ASSERT_EQ(backend_.sent.size(), 2u);
  const std::vector<uint8_t>& out = backend_.sent[1];
  const uint16_t tcp_length = static_cast<uint16_t>(out.size() - 34);
  uint32_t pseudo = be16(out, 26) + be16(out, 28) + be16(out, 30) + be16(out, 32) + 6 + tcp_length;
  EXPECT_EQ(internet_checksum(out, 34, out.size(), pseudo), 0xFFFF);
}

TEST_F(E1000Test, ChecksumOffloadFillsTheIpAndTcpChecksums) {
  setup_tx();
  std::vector<uint8_t> packet = tcp_packet(1000, false);
  write_bytes(kTxBuffers, packet);
  put_tx(context_tx(kTxContextIpv4 | kTxContextTcp, 0, 0, 0), false);
  // Split across two data descriptors; the options are the first one's.
  put_tx(data_tx(kTxBuffers, 500, 0, kTxInsertIpChecksum | kTxInsertTcpChecksum), false);
  put_tx(data_tx(kTxBuffers + 500, static_cast<uint32_t>(packet.size() - 500),
                 kTxCmdEndOfPacket | kTxCmdReportStatus, 0));
  ASSERT_EQ(backend_.sent.size(), 1u);
  EXPECT_EQ(backend_.sent[0].size(), packet.size());
  expect_valid_tcp_frame(backend_.sent[0]);
  EXPECT_EQ(r(kTdh), 3u);
}

TEST_F(E1000Test, SegmentationCutsATcpPacketIntoMssFrames) {
  setup_tx();
  constexpr std::size_t kPayload = 3500;
  constexpr uint16_t kMss = 1448;
  std::vector<uint8_t> packet = tcp_packet(kPayload, true);
  write_bytes(kTxBuffers, packet);
  put_tx(context_tx(kTxCmdSegmentation | kTxContextIpv4 | kTxContextTcp, kPayload, 54, kMss),
         false);
  put_tx(data_tx(kTxBuffers, 54, kTxCmdSegmentation, kTxInsertIpChecksum | kTxInsertTcpChecksum),
         false);
  put_tx(data_tx(kTxBuffers + 54, kPayload,
                 kTxCmdSegmentation | kTxCmdEndOfPacket | kTxCmdReportStatus, 0));
  ASSERT_EQ(backend_.sent.size(), 3u);
  std::vector<uint8_t> payload;
  for (std::size_t i = 0; i < 3; ++i) {
    const std::vector<uint8_t>& f = backend_.sent[i];
    const bool last = i == 2;
    EXPECT_EQ(f.size(), 54 + (last ? kPayload - 2 * kMss : kMss)) << i;
    EXPECT_EQ(be16(f, 16), f.size() - 14) << "IP total length of frame " << i;
    EXPECT_EQ(be16(f, 18), 0x1234 + i) << "IP identification of frame " << i;
    EXPECT_EQ(be32(f, 38), 0x01020304u + i * kMss) << "sequence number of frame " << i;
    EXPECT_EQ(f[47], last ? 0x19 : 0x10) << "FIN and PSH only on the last frame " << i;
    expect_valid_tcp_frame(f);
    payload.insert(payload.end(), f.begin() + 54, f.end());
  }
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), packet.begin() + 54));
  // A context that does not fit the packet: nothing is sent, the ring moves on.
  put_tx(context_tx(kTxCmdSegmentation | kTxContextIpv4 | kTxContextTcp, 10, 200, kMss), false);
  put_tx(data_tx(kTxBuffers, 54, kTxCmdSegmentation | kTxCmdEndOfPacket, kTxInsertTcpChecksum));
  EXPECT_EQ(backend_.sent.size(), 3u);
  EXPECT_EQ(r(kTdh), r(kTdt));
}

TEST_F(E1000Test, ReceiveFiltersByAddressAndFillsDescriptors) {
  setup_rx(kRctlBroadcastAccept | kRctlStripCrc);
  w(kIms, kIntRxTimer);
  // To our address: taken, descriptor done and end of packet, RXT0.
  std::vector<uint8_t> mine = frame_to(kMac, 300);
  backend_.deliver(mine);
  EXPECT_EQ(r(kRdh), 1u);
  EXPECT_EQ(rx_length(0), 300u);
  EXPECT_EQ(rx_status(0) & (kRxStatusDone | kRxStatusEndOfPacket),
            kRxStatusDone | kRxStatusEndOfPacket);
  EXPECT_EQ(read_bytes(kRxBuffers, 300), mine);
  EXPECT_TRUE(pci_.irq());
  EXPECT_TRUE(r(kIcr) & kIntRxTimer);
  // To another unicast address: dropped.
  backend_.deliver(frame_to({0x52, 0x54, 0x00, 0x99, 0x99, 0x99}, 300));
  EXPECT_EQ(r(kRdh), 1u);
  // Broadcast with BAM: taken; a short frame is padded to 60 bytes.
  std::vector<uint8_t> broadcast = frame_to({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 42);
  backend_.deliver(broadcast);
  EXPECT_EQ(r(kRdh), 2u);
  EXPECT_EQ(rx_length(1), 60u);
  // Multicast: only when its hash is in the table (RCTL.MO = 0: bits 47:36).
  const MacAddress group = {0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB};
  backend_.deliver(frame_to(group, 100));
  EXPECT_EQ(r(kRdh), 2u);
  const unsigned hash = (group[4] >> 4 | group[5] << 4) & 0xFFF;
  w(kMta + (hash >> 5) * 4, 1u << (hash & 31));
  backend_.deliver(frame_to(group, 100));
  EXPECT_EQ(r(kRdh), 3u);
  // Promiscuous: anything.
  w(kRctl, r(kRctl) | kRctlUnicastPromisc);
  backend_.deliver(frame_to({0x52, 0x54, 0x00, 0x99, 0x99, 0x99}, 300));
  EXPECT_EQ(r(kRdh), 4u);
  EXPECT_EQ(r(kGprc), 4u);
}

TEST_F(E1000Test, ReceiveAppendsTheCrcUnlessToldToStripIt) {
  setup_rx(0);
  std::vector<uint8_t> frame = frame_to(kMac, 200);
  backend_.deliver(frame);
  ASSERT_EQ(rx_length(0), 204u);
  std::vector<uint8_t> got = read_bytes(kRxBuffers, 204);
  const uint32_t crc = ethernet_crc(frame.data(), frame.size());
  EXPECT_EQ(got[200] | got[201] << 8 | got[202] << 16 | static_cast<uint32_t>(got[203]) << 24, crc);
}

TEST_F(E1000Test, FramesWaitForReceiveDescriptors) {
  setup_rx(kRctlStripCrc);
  w(kRdt, 0);  // no descriptors handed out
  backend_.deliver(frame_to(kMac, 100));
  backend_.deliver(frame_to(kMac, 120));
  EXPECT_EQ(r(kRdh), 0u);
  w(kRdt, 1);  // one descriptor: the first frame
  EXPECT_EQ(r(kRdh), 1u);
  EXPECT_EQ(rx_length(0), 100u);
  w(kRdt, 4);
  EXPECT_EQ(r(kRdh), 2u);
  EXPECT_EQ(rx_length(1), 120u);
  // A frame larger than a buffer spans descriptors, end of packet on the last.
  backend_.deliver(frame_to(kMac, 1514));
  EXPECT_EQ(rx_length(2), 1514u);
  w(kRctl, (r(kRctl) & ~(3u << kRctlBufferSizeShift)) | 2u << kRctlBufferSizeShift);  // 512
  backend_.deliver(frame_to(kMac, 1000));
  EXPECT_EQ(r(kRdh), 3u);  // two buffers needed, one there
  w(kRdt, 7);
  EXPECT_EQ(r(kRdh), 5u);
  EXPECT_EQ(rx_length(3), 512u);
  EXPECT_EQ(rx_status(3) & kRxStatusEndOfPacket, 0);
  EXPECT_EQ(rx_length(4), 488u);
  EXPECT_TRUE(rx_status(4) & kRxStatusEndOfPacket);
}

TEST_F(E1000Test, VlanTagsAreInsertedAndStrippedWithVme) {
  w(kCtrl, r(kCtrl) | kCtrlVlanEnable);
  setup_tx();
  std::vector<uint8_t> frame = frame_to(kMac, 80);
  write_bytes(kTxBuffers, frame);
  auto d = legacy_tx(kTxBuffers, 80, kTxCmdEndOfPacket | kTxCmdVlan);
  d[14] = 0x2A, d[15] = 0x30;  // TCI 0x302A: priority 1, VLAN 42
  put_tx(d);
  ASSERT_EQ(backend_.sent.size(), 1u);
  ASSERT_EQ(backend_.sent[0].size(), 84u);
  EXPECT_EQ(be16(backend_.sent[0], 12), 0x8100);
  EXPECT_EQ(be16(backend_.sent[0], 14), 0x302A);

  setup_rx(kRctlStripCrc);
  backend_.deliver(backend_.sent[0]);
  EXPECT_EQ(rx_length(0), 80u);
  EXPECT_TRUE(rx_status(0) & kRxStatusVlan);
  EXPECT_EQ(mem_.read(kRxRing + 14, 2), 0x302Au);
  EXPECT_EQ(read_bytes(kRxBuffers, 80), frame);
}

}  // namespace
}  // namespace vx86
