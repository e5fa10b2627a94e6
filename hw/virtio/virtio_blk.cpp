#include "hw/virtio/virtio_blk.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr unsigned kHeaderBytes = 16;
constexpr unsigned kSegmentBytes = 16;  // discard / write-zeroes range

uint64_t le(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = n; i-- > 0;) v = v << 8 | p[i];
  return v;
}

void put_le(uint8_t* p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

struct VirtioBlk::Request {
  VirtqElement element;
  uint64_t generation = 0;
  uint32_t type = 0;
  uint64_t sector = 0;
  std::vector<VirtqBuffer> in_data;  // writable buffers without the status byte
  uint64_t status_addr = 0;
  std::vector<uint8_t> data;  // bounce buffer
  uint64_t length = 0;        // discard / write-zeroes bytes
};

VirtioBlk::VirtioBlk(DriveBackend& drive, std::string serial)
    : VirtioDevice(kDeviceId, 1, kQueueSize), drive_(drive), serial_(std::move(serial)) {}

VirtioBlk::~VirtioBlk() = default;

uint64_t VirtioBlk::device_features() const {
  uint64_t f = 1ull << kFeatureSegMax | 1ull << kFeatureBlkSize | 1ull << kFeatureFlush;
  if (drive_.read_only()) {
    f |= 1ull << kFeatureRo;
  } else {
    f |= 1ull << kFeatureDiscard | 1ull << kFeatureWriteZeroes;
  }
  return f;
}

void VirtioBlk::read_config(uint8_t* buf) {
  std::memset(buf, 0, kConfigSize);
  put_le(buf + 0, drive_.length() / kSectorSize, 8);  // capacity
  put_le(buf + 12, kQueueSize - 2, 4);                // seg_max
  put_le(buf + 20, kSectorSize, 4);                   // blk_size
  put_le(buf + 34, 1, 2);                             // num_queues
  put_le(buf + 36, kMaxDiscardSectors, 4);
  put_le(buf + 40, kMaxDiscardSegments, 4);
  put_le(buf + 44, 1, 4);  // discard_sector_alignment
  put_le(buf + 48, kMaxDiscardSectors, 4);
  put_le(buf + 52, kMaxDiscardSegments, 4);
  buf[56] = 1;  // write_zeroes_may_unmap
}

void VirtioBlk::device_reset() {
  // Requests still running in the backend complete into nothing.
  ++generation_;
  in_flight_ = 0;
}

namespace {

// Copies `len` bytes starting `skip` bytes into the buffers.
bool gather(DmaMemory& mem, const std::vector<VirtqBuffer>& bufs, uint64_t skip, uint8_t* out,
            uint64_t len) {
  for (const auto& b : bufs) {
    if (len == 0) break;
    if (skip >= b.len) {
      skip -= b.len;
      continue;
    }
    uint64_t n = std::min<uint64_t>(b.len - skip, len);
    if (!mem.dma_read(b.addr + skip, out, n)) return false;
    out += n;
    len -= n;
    skip = 0;
  }
  return len == 0;
}

bool scatter(DmaMemory& mem, const std::vector<VirtqBuffer>& bufs, const uint8_t* in,
             uint64_t len) {
  for (const auto& b : bufs) {
    if (len == 0) break;
    uint64_t n = std::min<uint64_t>(b.len, len);
    if (!mem.dma_write(b.addr, in, n)) return false;
    in += n;
    len -= n;
  }
  return len == 0;
}

}  // namespace

void VirtioBlk::handle_queue(unsigned index) {
  Virtqueue& q = queue(index);
  for (;;) {
    auto req = std::make_shared<Request>();
    if (!take(q, &req->element)) return;
    VirtqElement& e = req->element;
    uint8_t header[kHeaderBytes];
    if (e.out_bytes() < kHeaderBytes || e.in.empty() || e.in.back().len == 0 ||
        !gather(memory(), e.out, 0, header, kHeaderBytes)) {
      return mark_broken("request without a header or a status byte");
    }
    req->type = static_cast<uint32_t>(le(header, 4));
    req->sector = le(header + 8, 8);
    req->in_data = e.in;
    req->in_data.back().len -= 1;
    req->status_addr = e.in.back().addr + e.in.back().len - 1;
    req->generation = generation_;
    ++in_flight_;
    start(std::move(req));
    if (broken()) return;
  }
}

void VirtioBlk::start(std::shared_ptr<Request> req) {
  const VirtqElement& e = req->element;
  uint64_t in_len = e.in_bytes() - 1;
  uint64_t out_len = e.out_bytes() - kHeaderBytes;
  uint64_t capacity = drive_.length();
  auto in_range = [&](uint64_t sector, uint64_t bytes) {
    return sector <= capacity / kSectorSize && bytes <= capacity - sector * kSectorSize;
  };
  switch (req->type) {
    case kTypeIn:
    case kTypeOut: {
      bool is_read = req->type == kTypeIn;
      uint64_t len = is_read ? in_len : out_len;
      if (len % kSectorSize != 0 || len > kMaxRequestBytes || !in_range(req->sector, len)) {
        VX86_LOG(kLogGuestErrors, "virtio-blk: %s of %llu bytes at sector %llu refused\n",
                 is_read ? "read" : "write", static_cast<unsigned long long>(len),
                 static_cast<unsigned long long>(req->sector));
        return finish(req, kStatusIoErr, false);
      }
      if (!is_read && drive_.read_only()) return finish(req, kStatusIoErr, false);
      req->data.resize(len);
      if (!is_read && !gather(memory(), e.out, kHeaderBytes, req->data.data(), len)) {
        return finish(req, kStatusIoErr, false);
      }
      return submit(req);
    }
    case kTypeFlush:
      return submit(req);
    case kTypeGetId: {
      req->data.assign(std::min<uint64_t>(in_len, kIdBytes), 0);
      std::memcpy(req->data.data(), serial_.data(), std::min(serial_.size(), req->data.size()));
      return finish(req, kStatusOk, true);
    }
    case kTypeDiscard:
    case kTypeWriteZeroes: {
      bool zeroes = req->type == kTypeWriteZeroes;
      if (drive_.read_only()) return finish(req, kStatusIoErr, false);
      if (out_len == 0 || out_len % kSegmentBytes != 0 ||
          out_len / kSegmentBytes > kMaxDiscardSegments) {
        return finish(req, kStatusUnsupported, false);
      }
      uint8_t seg[kSegmentBytes];
      if (!gather(memory(), e.out, kHeaderBytes, seg, kSegmentBytes)) {
        return finish(req, kStatusIoErr, false);
      }
      uint64_t sector = le(seg, 8);
      uint64_t sectors = le(seg + 8, 4);
      uint32_t flags = static_cast<uint32_t>(le(seg + 12, 4));
      if (flags & ~(zeroes ? 1u : 0u)) return finish(req, kStatusUnsupported, false);
      if (sectors > kMaxDiscardSectors || !in_range(sector, sectors * kSectorSize)) {
        return finish(req, kStatusIoErr, false);
      }
      req->sector = sector;
      req->length = sectors * kSectorSize;
      return submit(req);
    }
    default:
      return finish(req, kStatusUnsupported, false);
  }
}

void VirtioBlk::submit(std::shared_ptr<Request> req) {
  auto done = [this, req, alive = std::weak_ptr<const bool>(alive_)](bool ok) {
    if (alive.expired() || req->generation != generation_) return;
    finish(req, ok ? kStatusOk : kStatusIoErr, req->type == kTypeIn);
  };
  uint64_t offset = req->sector * kSectorSize;
  switch (req->type) {
    case kTypeIn:
      return drive_.read(offset, req->data.data(), req->data.size(), done);
    case kTypeOut:
      return drive_.write(offset, req->data.data(), req->data.size(), done);
    case kTypeFlush:
      return drive_.flush(done);
    case kTypeDiscard:
      return drive_.discard(offset, req->length, done);
    case kTypeWriteZeroes:
      return drive_.write_zeroes(offset, req->length, done);
  }
}

void VirtioBlk::finish(std::shared_ptr<Request> req, uint8_t status, bool copy_in) {
  uint32_t written = 0;
  if (copy_in && status == kStatusOk) {
    if (!scatter(memory(), req->in_data, req->data.data(), req->data.size())) status = kStatusIoErr;
    written = static_cast<uint32_t>(req->data.size());
  }
  memory().dma_write(req->status_addr, &status, 1);
  if (in_flight_) --in_flight_;
  complete(queue(0), req->element, written + 1);
}

}  // namespace vx86
