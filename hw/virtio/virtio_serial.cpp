#include "hw/virtio/virtio_serial.h"

#include <algorithm>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr unsigned kControlReceiveQueue = 2;   // device -> driver
constexpr unsigned kControlTransmitQueue = 3;  // driver -> device
constexpr std::size_t kControlHeaderBytes = 8;
// The most one chain of port output is taken at (a driver writes at most a
// few pages at a time); more is dropped with a log line.
constexpr uint64_t kMaxOutputChain = 1 << 20;
// How much guest room can_receive looks for at most, as QEMU's 4096.
constexpr std::size_t kRoomWanted = 4096;

std::vector<uint16_t> queue_sizes(uint32_t max_ports) {
  // Port 0's pair, the control pair, then a pair for each further port.
  std::vector<uint16_t> sizes = {VirtioSerial::kDataQueueSize, VirtioSerial::kDataQueueSize,
                                 VirtioSerial::kControlQueueSize, VirtioSerial::kControlQueueSize};
  for (uint32_t port = 1; port < max_ports; ++port) {
    sizes.push_back(VirtioSerial::kDataQueueSize);
    sizes.push_back(VirtioSerial::kDataQueueSize);
  }
  return sizes;
}

void put_le(uint8_t* at, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

VirtioSerialPort::VirtioSerialPort(VirtioSerial& serial, uint32_t id, bool console,
                                   std::string name, Chardev* chardev, std::string device_id)
    : serial_(serial),
      id_(id),
      console_(console),
      name_(std::move(name)),
      chardev_(chardev),
      device_id_(std::move(device_id)),
      // A console takes output whether or not anyone reads it, as QEMU's;
      // a port waits for its chardev's peer.
      host_connected_(console || (chardev && chardev->is_open())) {
  if (chardev_) chardev_->set_frontend(this);
}

VirtioSerialPort::~VirtioSerialPort() {
  if (chardev_ && chardev_->frontend() == this) chardev_->set_frontend(nullptr);
}

std::size_t VirtioSerialPort::can_receive() {
  return serial_.guest_room(*this);
}

void VirtioSerialPort::receive(const uint8_t* data, std::size_t len) {
  serial_.send_to_guest(*this, data, len);
}

void VirtioSerialPort::chardev_event(ChardevEvent event) {
  if (console_ || event == ChardevEvent::kBreak) return;
  const bool connected = event == ChardevEvent::kOpened;
  if (connected == host_connected_) return;
  host_connected_ = connected;
  serial_.host_connection_changed(*this);
}

VirtioSerial::VirtioSerial(std::string bus_name, uint32_t max_ports, bool emergency_write)
    : VirtioDevice(kDeviceId, queue_sizes(max_ports)),
      bus_name_(std::move(bus_name)),
      max_ports_(max_ports),
      emergency_write_(emergency_write) {}

VirtioSerial::~VirtioSerial() = default;

uint64_t VirtioSerial::device_features() const {
  uint64_t features = 0;
  if (max_ports_ > 1) features |= 1ull << kFeatureMultiport;
  if (emergency_write_) features |= 1ull << kFeatureEmergencyWrite;
  return features;
}

void VirtioSerial::read_config(uint8_t* buf) {
  put_le(buf, 0, 2);  // cols: no console size
  put_le(buf + 2, 0, 2);
  put_le(buf + 4, max_ports_, 4);
  put_le(buf + 8, 0, 4);  // emerg_wr reads as 0
}

void VirtioSerial::write_config(unsigned offset, const uint8_t* data, unsigned len) {
  // emerg_wr (offset 8): one character for port 0, before any queue works.
  if (offset != 8 || len == 0 || !has_feature(kFeatureEmergencyWrite)) return;
  VirtioSerialPort* port = find_port(0);
  if (port && port->chardev() && port->host_connected()) port->chardev()->write(data, 1);
}

VirtioSerialPort* VirtioSerial::find_port(uint32_t id) const {
  for (const auto& port : ports_) {
    if (port->id() == id) return port.get();
  }
  return nullptr;
}

VirtioSerialPort* VirtioSerial::find_port_by_name(const std::string& name) const {
  for (const auto& port : ports_) {
    if (!name.empty() && port->name() == name) return port.get();
  }
  return nullptr;
}

std::string VirtioSerial::check_port(const PortOptions& options, uint32_t* id) const {
  if (options.nr == 0 && !options.console) {
    return "Port number 0 on virtio-serial devices reserved for virtconsole devices for "
           "backward compatibility.";
  }
  if (options.nr >= 0 && find_port(static_cast<uint32_t>(options.nr))) {
    return "virtio-serial-bus: A port already exists at id " + std::to_string(options.nr);
  }
  if (find_port_by_name(options.name)) {
    return "virtio-serial-bus: A port already exists by name " + options.name;
  }
  if (options.nr >= 0) {
    *id = static_cast<uint32_t>(options.nr);
  } else if (options.console && !find_port(0)) {
    *id = 0;
  } else {
    // Port 0 stays for a console, as QEMU keeps it.
    uint32_t free = 1;
    while (free < max_ports_ && find_port(free)) ++free;
    if (free >= max_ports_) return "virtio-serial-bus: Maximum port limit for this device reached";
    *id = free;
  }
  if (*id >= max_ports_) {
    return "virtio-serial-bus: Out-of-range port id specified, max. allowed: " +
           std::to_string(max_ports_ - 1);
  }
  return "";
}

VirtioSerialPort& VirtioSerial::add_port(const PortOptions& options, uint32_t id) {
  ports_.push_back(std::make_unique<VirtioSerialPort>(*this, id, options.console, options.name,
                                                      options.chardev, options.device_id));
  // A port plugged in while the driver runs (device_add) is announced now;
  // the others when the driver says DEVICE_READY.
  if ((status() & virtio::kStatusDriverOk) && multiport()) send_control(id, kDeviceAdd, 1);
  return *ports_.back();
}

void VirtioSerial::remove_port(uint32_t id) {
  auto it = std::find_if(ports_.begin(), ports_.end(),
                         [id](const auto& port) { return port->id() == id; });
  if (it == ports_.end()) return;
  ports_.erase(it);
  // With the port gone its output is dropped, as QEMU discards it.
  if (status() & virtio::kStatusDriverOk) take_port_output(transmit_queue(id));
  if ((status() & virtio::kStatusDriverOk) && multiport()) send_control(id, kDeviceRemove, 1);
}

bool VirtioSerial::guest_can_receive(const VirtioSerialPort& port) const {
  if (!(status() & virtio::kStatusDriverOk) || broken()) return false;
  // Without multiport there is only port 0, always open.
  return multiport() ? port.guest_connected : port.id() == 0;
}

std::size_t VirtioSerial::guest_room(VirtioSerialPort& port) {
  if (!guest_can_receive(port)) return 0;
  Virtqueue& q = queue(receive_queue(port.id()));
  // Looks at the buffers the driver gave, then leaves them where they were.
  std::size_t room = 0;
  uint16_t taken = 0;
  while (room < kRoomWanted) {
    VirtqElement element;
    if (q.pop(memory(), &element) != Virtqueue::Pop::kElement) break;
    ++taken;
    room += element.in_bytes();
  }
  q.unpop(taken);
  return room;
}

void VirtioSerial::send_to_guest(VirtioSerialPort& port, const uint8_t* data, std::size_t len) {
  if (!guest_can_receive(port)) return;
  Virtqueue& q = queue(receive_queue(port.id()));
  while (len > 0) {
    VirtqElement element;
    if (!take(q, &element)) {
      // can_receive promised the room: only a broken ring gets here.
      VX86_LOG(kLogGuestErrors, "virtio-serial: port %u: %zu bytes with no buffer, dropped\n",
               port.id(), len);
      return;
    }
    uint32_t written = 0;
    for (const VirtqBuffer& buffer : element.in) {
      const std::size_t n = std::min<std::size_t>(buffer.len, len);
      if (n == 0) break;
      if (!memory().dma_write(buffer.addr, data, n)) {
        return mark_broken("buffer outside guest memory");
      }
      data += n;
      len -= n;
      written += static_cast<uint32_t>(n);
    }
    complete(q, element, written);
  }
}

void VirtioSerial::host_connection_changed(VirtioSerialPort& port) {
  if (port.guest_ready && multiport()) {
    send_control(port.id(), kPortOpen, port.host_connected() ? 1 : 0);
  }
}

void VirtioSerial::send_control(uint32_t id, uint16_t event, uint16_t value) {
  pending_control_.push_back({id, event, value});
  flush_control();
}

void VirtioSerial::flush_control() {
  if (!(status() & virtio::kStatusDriverOk) || broken()) return;
  Virtqueue& q = queue(kControlReceiveQueue);
  while (!pending_control_.empty()) {
    const ControlMessage message = pending_control_.front();
    std::vector<uint8_t> bytes(kControlHeaderBytes);
    put_le(bytes.data(), message.id, 4);
    put_le(bytes.data() + 4, message.event, 2);
    put_le(bytes.data() + 6, message.value, 2);
    if (message.event == kPortName) {
      // The name follows the header, NUL-terminated as QEMU sends it.
      const VirtioSerialPort* port = find_port(message.id);
      if (!port) {
        pending_control_.pop_front();
        continue;
      }
      bytes.insert(bytes.end(), port->name().begin(), port->name().end());
      bytes.push_back(0);
    }
    VirtqElement element;
    if (!take(q, &element)) return;  // again when the driver adds buffers
    pending_control_.pop_front();
    if (element.in_bytes() < bytes.size()) {
      VX86_LOG(kLogGuestErrors, "virtio-serial: control buffer of %llu bytes too small for %zu\n",
               static_cast<unsigned long long>(element.in_bytes()), bytes.size());
      complete(q, element, 0);
      continue;
    }
    uint32_t written = 0;
    for (const VirtqBuffer& buffer : element.in) {
      const std::size_t n = std::min<std::size_t>(buffer.len, bytes.size() - written);
      if (n == 0) break;
      if (!memory().dma_write(buffer.addr, bytes.data() + written, n)) {
        return mark_broken("buffer outside guest memory");
      }
      written += static_cast<uint32_t>(n);
    }
    complete(q, element, written);
  }
}

void VirtioSerial::handle_control(const ControlMessage& message) {
  if (message.event == kDeviceReady) {
    if (message.value != 1) {
      VX86_LOG(kLogGuestErrors, "virtio-serial: the driver failed to set up the device\n");
      return;
    }
    for (const auto& port : ports_) send_control(port->id(), kDeviceAdd, 1);
    return;
  }
  VirtioSerialPort* port = find_port(message.id);
  if (!port) {
    VX86_LOG(kLogGuestErrors, "virtio-serial: control event %u for port %u, which is not there\n",
             message.event, message.id);
    return;
  }
  switch (message.event) {
    case kPortReady:
      if (message.value != 1) {
        VX86_LOG(kLogGuestErrors, "virtio-serial: the driver failed to add port %u\n", message.id);
        return;
      }
      // The driver's queues for the port are set up: tell it what the port is.
      port->guest_ready = true;
      if (port->console()) send_control(port->id(), kConsolePort, 1);
      if (!port->name().empty()) send_control(port->id(), kPortName, 1);
      if (port->host_connected()) send_control(port->id(), kPortOpen, 1);
      return;
    case kPortOpen: {
      const bool open = message.value != 0;
      if (open == port->guest_connected) return;
      port->guest_connected = open;
      if (open_listener_ && !port->device_id().empty()) open_listener_(port->device_id(), open);
      // Host input that waited for the guest goes now.
      if (open && port->chardev()) port->chardev()->accept_input();
      return;
    }
    default:
      VX86_LOG(kLogGuestErrors, "virtio-serial: unexpected control event %u from the driver\n",
               message.event);
      return;
  }
}

void VirtioSerial::take_control_messages() {
  Virtqueue& q = queue(kControlTransmitQueue);
  for (VirtqElement element; take(q, &element);) {
    uint8_t header[kControlHeaderBytes];
    std::size_t have = 0;
    for (const VirtqBuffer& buffer : element.out) {
      const std::size_t n = std::min<std::size_t>(buffer.len, sizeof header - have);
      if (!memory().dma_read(buffer.addr, header + have, n)) {
        return mark_broken("buffer outside guest memory");
      }
      have += n;
      if (have == sizeof header) break;
    }
    complete(q, element, 0);
    if (have < sizeof header) {
      VX86_LOG(kLogGuestErrors, "virtio-serial: short control message (%zu bytes)\n", have);
      continue;
    }
    handle_control({static_cast<uint32_t>(header[0] | header[1] << 8 | header[2] << 16 |
                                          static_cast<uint32_t>(header[3]) << 24),
                    static_cast<uint16_t>(header[4] | header[5] << 8),
                    static_cast<uint16_t>(header[6] | header[7] << 8)});
    if (broken()) return;
  }
}

void VirtioSerial::take_port_output(unsigned queue_index) {
  Virtqueue& q = queue(queue_index);
  VirtioSerialPort* port = find_port(port_of_queue(queue_index));
  std::vector<uint8_t> bytes;
  for (VirtqElement element; take(q, &element);) {
    // Output for a port nobody has open on the host is dropped, as QEMU's.
    if (port && port->chardev() && port->host_connected()) {
      const uint64_t total = std::min(element.out_bytes(), kMaxOutputChain);
      if (element.out_bytes() > total) {
        VX86_LOG(kLogGuestErrors, "virtio-serial: port %u: %llu bytes in one chain, cut\n",
                 port->id(), static_cast<unsigned long long>(element.out_bytes()));
      }
      bytes.resize(static_cast<std::size_t>(total));
      std::size_t at = 0;
      for (const VirtqBuffer& buffer : element.out) {
        const std::size_t n = std::min<std::size_t>(buffer.len, bytes.size() - at);
        if (n == 0) break;
        if (!memory().dma_read(buffer.addr, bytes.data() + at, n)) {
          return mark_broken("buffer outside guest memory");
        }
        at += n;
      }
      port->chardev()->write(bytes.data(), at);
    }
    complete(q, element, 0);
  }
}

void VirtioSerial::handle_queue(unsigned index) {
  if (index == kControlReceiveQueue) return flush_control();
  if (index == kControlTransmitQueue) return take_control_messages();
  const bool receive = index == 0 || (index >= 4 && index % 2 == 0);
  if (!receive) return take_port_output(index);
  // New room for host input.
  VirtioSerialPort* port = find_port(port_of_queue(index));
  if (port && port->chardev()) port->chardev()->accept_input();
}

void VirtioSerial::device_reset() {
  // The driver's view of every port is gone with it; the host side stays.
  // Ports it had open are closed, and said so, as QEMU's guest_reset (Linux
  // resets its virtio devices when it powers off).
  for (const auto& port : ports_) {
    port->guest_ready = false;
    if (!port->guest_connected) continue;
    port->guest_connected = false;
    if (open_listener_ && !port->device_id().empty()) open_listener_(port->device_id(), false);
  }
  pending_control_.clear();
}

void VirtioSerial::visit_device_state(StateVisitor& v) {
  for (const auto& port : ports_) {
    v.begin("port" + std::to_string(port->id()));
    v.field("guest_ready", port->guest_ready);
    v.field("guest_connected", port->guest_connected);
    v.end();
  }
  uint32_t pending = static_cast<uint32_t>(pending_control_.size());
  v.field("pending_control", pending);
  if (v.loading()) pending_control_.resize(pending);
  for (uint32_t i = 0; i < pending; ++i) {
    v.field("control" + std::to_string(i), pending_control_[i]);
  }
}

}  // namespace vx86
