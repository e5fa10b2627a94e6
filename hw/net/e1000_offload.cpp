#include "hw/net/e1000_offload.h"

#include <algorithm>

#include "hw/net/e1000_regs.h"

namespace vx86 {

namespace {

uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void store_be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint32_t load_be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

void store_be32(uint8_t* p, uint32_t v) {
  store_be16(p, v >> 16);
  store_be16(p + 2, v);
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

constexpr unsigned kIpv4HeaderMin = 20;
constexpr unsigned kIpv6Header = 40;
constexpr unsigned kTcpHeaderMin = 20;
constexpr unsigned kUdpHeader = 8;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;

}  // namespace

E1000TxContext E1000TxContext::decode(const uint8_t* d) {
  E1000TxContext c;
  c.ip_start = d[0];
  c.ip_offset = d[1];
  c.ip_end = static_cast<uint16_t>(d[2] | d[3] << 8);
  c.l4_start = d[4];
  c.l4_offset = d[5];
  c.l4_end = static_cast<uint16_t>(d[6] | d[7] << 8);
  c.payload = (d[8] | d[9] << 8 | d[10] << 16) & 0xFFFFF;
  c.command = d[11];
  c.header = d[13];
  c.mss = static_cast<uint16_t>(d[14] | d[15] << 8);
  return c;
}

bool E1000TxContext::segmentation() const {
  return command & e1000::kTxCmdSegmentation;
}

bool E1000TxContext::ipv4() const {
  return command & e1000::kTxContextIpv4;
}

bool E1000TxContext::tcp() const {
  return command & e1000::kTxContextTcp;
}

bool e1000_insert_checksum(std::span<uint8_t> frame, unsigned start, unsigned at, unsigned end) {
  if (frame.empty()) return false;
  if (end == 0 || end >= frame.size()) end = static_cast<unsigned>(frame.size() - 1);
  if (start > end || at + 2 > frame.size()) return false;
  uint32_t sum = 0;
  unsigned i = start;
  for (; i + 1 <= end; i += 2) sum += load_be16(&frame[i]);
  if (i == end) sum += static_cast<uint32_t>(frame[i]) << 8;  // an odd last byte
  store_be16(&frame[at], static_cast<uint16_t>(~fold(sum)));
  return true;
}

bool e1000_apply_checksums(std::span<uint8_t> frame, const E1000TxContext& c, uint8_t options) {
  bool ok = true;
  if (options & e1000::kTxInsertTcpChecksum) {
    ok &= e1000_insert_checksum(frame, c.l4_start, c.l4_offset, c.l4_end);
  }
  if (options & e1000::kTxInsertIpChecksum) {
    ok &= e1000_insert_checksum(frame, c.ip_start, c.ip_offset, c.ip_end);
  }
  return ok;
}

std::vector<std::vector<uint8_t>> e1000_segment(std::span<const uint8_t> packet,
                                                const E1000TxContext& c, uint8_t options,
                                                std::string* error) {
  const unsigned header = c.header;
  const unsigned l4_header = c.tcp() ? kTcpHeaderMin : kUdpHeader;
  if (c.mss == 0 || header > packet.size() ||
      c.ip_start + (c.ipv4() ? kIpv4HeaderMin : kIpv6Header) > header ||
      c.l4_start + l4_header > header || c.l4_offset + 2u > header || c.ip_offset + 2u > header) {
    *error = "TSO context (header " + std::to_string(header) + ", MSS " + std::to_string(c.mss) +
             ") does not fit a packet of " + std::to_string(packet.size()) + " bytes";
    return {};
  }
  const uint8_t* ip = packet.data() + c.ip_start;
  const uint8_t* l4 = packet.data() + c.l4_start;
  const uint16_t first_id = c.ipv4() ? load_be16(ip + 4) : 0;
  const uint32_t first_seq = c.tcp() ? load_be32(l4 + 4) : 0;
  const std::size_t payload = packet.size() - header;
  std::vector<std::vector<uint8_t>> frames;
  std::size_t offset = 0;
  unsigned index = 0;
  do {
    const std::size_t size = std::min<std::size_t>(c.mss, payload - offset);
    const bool last = offset + size == payload;
    std::vector<uint8_t> frame(packet.begin(), packet.begin() + header);
    frame.insert(frame.end(), packet.begin() + header + offset,
                 packet.begin() + header + offset + size);
    const uint32_t length = static_cast<uint32_t>(frame.size());
    uint8_t* f = frame.data();
    if (c.ipv4()) {
      store_be16(f + c.ip_start + 2, length - c.ip_start);  // total length
      store_be16(f + c.ip_start + 4, first_id + index);     // identification
    } else {
      store_be16(f + c.ip_start + 4, length - c.ip_start - kIpv6Header);  // payload length
    }
    if (c.tcp()) {
      store_be32(f + c.l4_start + 4, first_seq + static_cast<uint32_t>(offset));
      if (!last) f[c.l4_start + 13] &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    } else {
      store_be16(f + c.l4_start + 4, length - c.l4_start);  // UDP length
    }
    if (options & e1000::kTxInsertTcpChecksum) {
      // The driver seeded the pseudo-header sum without the length.
      uint8_t* seed = f + c.l4_offset;
      store_be16(seed, fold(load_be16(seed) + (length - c.l4_start)));
      e1000_insert_checksum(frame, c.l4_start, c.l4_offset, 0);
    }
    if (options & e1000::kTxInsertIpChecksum) {
      store_be16(f + c.ip_offset, 0);
      e1000_insert_checksum(frame, c.ip_start, c.ip_offset, c.ip_end);
    }
    frames.push_back(std::move(frame));
    offset += size;
    ++index;
  } while (offset < payload);
  return frames;
}

}  // namespace vx86
