// What the 82540EM does to a packet on its way out besides sending it:
// inserting Internet checksums where a descriptor asks (the legacy IC form,
// or a context's TCP/UDP and IPv4 checksum offsets), and TCP segmentation
// (TSO): cutting a packet of up to 64 KiB into MSS-sized frames, each with
// the header copied and its IP length and ID, TCP sequence number and flags
// and checksums fixed up (8254x manual, 3.5 and 3.6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vx86 {

// A transmit context descriptor, decoded.
struct E1000TxContext {
  uint8_t ip_start = 0;   // IPCSS: first byte of the IP header
  uint8_t ip_offset = 0;  // IPCSO: where its checksum goes
  uint16_t ip_end = 0;    // IPCSE: last byte summed (0: the end of the frame)
  uint8_t l4_start = 0;   // TUCSS: first byte of the TCP/UDP header
  uint8_t l4_offset = 0;  // TUCSO: where its checksum goes
  uint16_t l4_end = 0;    // TUCSE: last byte summed (0: the end of the frame)
  uint32_t payload = 0;   // PAYLEN (TSO)
  uint8_t command = 0;    // TUCMD: TSE, IP (IPv4), TCP
  uint8_t header = 0;     // HDRLEN (TSO)
  uint16_t mss = 0;       // MSS (TSO)

  static E1000TxContext decode(const uint8_t* descriptor);
  bool segmentation() const;
  bool ipv4() const;
  bool tcp() const;
};

// Puts the Internet checksum (RFC 1071) of frame[start..end] (end inclusive,
// 0 or past the frame: to its end) at frame[at], big-endian; the bytes at
// `at` take part in the sum as they are (the driver seeds them). false if
// the offsets fall outside the frame.
bool e1000_insert_checksum(std::span<uint8_t> frame, unsigned start, unsigned at, unsigned end);

// The checksums a data descriptor's POPTS asks for, from the context.
bool e1000_apply_checksums(std::span<uint8_t> frame, const E1000TxContext& context,
                           uint8_t options);

// The frames of one TSO packet (header followed by the whole payload), or
// none with *error set when the context does not fit the packet.
std::vector<std::vector<uint8_t>> e1000_segment(std::span<const uint8_t> packet,
                                                const E1000TxContext& context, uint8_t options,
                                                std::string* error);

}  // namespace vx86
