#include "hw/net/virtio_net.h"

#include <algorithm>
#include <cstring>

#include "core/log.h"

namespace vx86 {

VirtioNet::VirtioNet(NetBackend* backend, MacAddress mac)
    : VirtioDevice(kDeviceId, 2, kQueueSize), backend_(backend), mac_(mac) {
  if (backend_) {
    backend_->set_receiver([this](const uint8_t* frame, std::size_t len) { receive(frame, len); });
  }
}

VirtioNet::~VirtioNet() {
  if (backend_) backend_->set_receiver(nullptr);
}

uint64_t VirtioNet::device_features() const {
  return 1ull << kFeatureMac | 1ull << kFeatureStatus;
}

void VirtioNet::read_config(uint8_t* buf) {
  std::memset(buf, 0, kConfigSize);
  std::memcpy(buf, mac_.data(), mac_.size());
  buf[6] = link_up_ ? kStatusLinkUp : 0;  // status (little-endian u16)
  buf[8] = 1;                             // max_virtqueue_pairs
}

unsigned VirtioNet::header_bytes() const {
  // 5.1.6: num_buffers is there with VERSION_1 (or mergeable buffers).
  return has_feature(virtio::kFeatureVersion1) ? kHeaderBytes : kLegacyHeaderBytes;
}

void VirtioNet::device_reset() {
  pending_.clear();
}

void VirtioNet::set_link(bool up) {
  if (up == link_up_) return;
  link_up_ = up;
  if (!up) pending_.clear();
  config_changed();
}

void VirtioNet::handle_queue(unsigned index) {
  if (index == kTxQueue) return transmit();
  deliver_pending();  // the driver posted receive buffers
}

void VirtioNet::transmit() {
  Virtqueue& q = queue(kTxQueue);
  const unsigned header = header_bytes();
  std::vector<uint8_t> frame;
  for (;;) {
    VirtqElement e;
    Virtqueue::Pop r = q.pop(memory(), &e);
    if (r == Virtqueue::Pop::kEmpty) return;
    if (r == Virtqueue::Pop::kBroken) return mark_broken("malformed transmit chain");
    uint64_t total = e.out_bytes();
    if (total < header || total - header > kMaxFrameBytes) {
      return mark_broken("transmit chain without a header or longer than 64 KiB");
    }
    // The header asks for nothing: no offloads were offered.
    frame.resize(total);
    uint8_t* p = frame.data();
    bool ok = true;
    for (const auto& b : e.out) {
      if (!memory().dma_read(b.addr, p, b.len)) ok = false;
      p += b.len;
    }
    if (ok && link_up_ && backend_) {
      backend_->send(frame.data() + header, frame.size() - header);
      ++counters_.tx_frames;
    } else {
      ++counters_.tx_dropped;
    }
    complete(q, e, 0);
    if (broken()) return;
  }
}

void VirtioNet::receive(const uint8_t* frame, std::size_t len) {
  if (!link_up_ || !(status() & virtio::kStatusDriverOk) || broken() || !queue(kRxQueue).ready()) {
    ++counters_.rx_dropped;
    return;
  }
  if (pending_.size() >= kMaxPendingFrames) {
    // The guest is not taking frames: drop the oldest (TCP resends).
    pending_.pop_front();
    ++counters_.rx_dropped;
  }
  pending_.emplace_back(frame, frame + len);
  deliver_pending();
}

void VirtioNet::deliver_pending() {
  while (!pending_.empty() && !broken()) {
    if (!deliver(pending_.front())) return;
    pending_.pop_front();
  }
}

bool VirtioNet::deliver(const std::vector<uint8_t>& frame) {
  Virtqueue& q = queue(kRxQueue);
  VirtqElement e;
  Virtqueue::Pop r = q.pop(memory(), &e);
  if (r == Virtqueue::Pop::kEmpty) return false;
  if (r == Virtqueue::Pop::kBroken) {
    mark_broken("malformed receive chain");
    return false;
  }
  const unsigned header = header_bytes();
  if (e.in_bytes() < header + frame.size()) {
    // Buffers too small for the frame: the frame is lost, the buffer returned empty.
    VX86_LOG(kLogGuestErrors, "virtio-net: %zu-byte frame dropped, receive buffer holds %llu\n",
             frame.size(), static_cast<unsigned long long>(e.in_bytes()));
    ++counters_.rx_dropped;
    complete(q, e, 0);
    return true;
  }
  // Header (no flags, no GSO, num_buffers = 1) then the frame, across the buffers.
  std::vector<uint8_t> bytes(header, 0);
  if (header == kHeaderBytes) bytes[10] = 1;
  bytes.insert(bytes.end(), frame.begin(), frame.end());
  const uint8_t* src = bytes.data();
  std::size_t left = bytes.size();
  for (const auto& b : e.in) {
    if (left == 0) break;
    std::size_t n = std::min<std::size_t>(b.len, left);
    if (!memory().dma_write(b.addr, src, n)) {
      mark_broken("receive buffer not writable");
      return false;
    }
    src += n;
    left -= n;
  }
  ++counters_.rx_frames;
  complete(q, e, static_cast<uint32_t>(bytes.size()));
  return true;
}

}  // namespace vx86
