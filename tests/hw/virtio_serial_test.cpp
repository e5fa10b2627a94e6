// virtio-serial with the test as its driver, speaking the control protocol
// the way Linux's virtio_console does: DEVICE_READY, then PORT_READY for each
// port the device adds, PORT_OPEN when a program opens one. Checked: what the
// device tells the driver about each port (console, name, host side open),
// data both ways only while both sides are there, host input that waits for
// room or for the guest, the port numbering rules, the emergency write, and
// that a reset or a snapshot keeps what it should.
#include "hw/virtio/virtio_serial.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "core/state.h"
#include "tests/hw/array_memory.h"

namespace vx86 {
namespace {

using test::ArrayMemory;
using Event = VirtioSerial;

constexpr uint16_t kRingSize = 16;
constexpr uint32_t kMaxPorts = 4;  // queues 0-9
constexpr uint64_t kBuffers = 0x80000;

// A backend whose peer comes and goes, as a socket's client.
class PeerChardev : public BufferChardev {
 public:
  using BufferChardev::BufferChardev;
  bool is_open() const override { return open; }
  void set_open(bool now) {
    open = now;
    send_event(now ? ChardevEvent::kOpened : ChardevEvent::kClosed);
  }
  bool open = false;
};

struct Control {
  uint32_t id;
  uint16_t event;
  uint16_t value;
  std::string name;  // PORT_NAME's, without its NUL
  bool operator==(const Control&) const = default;
};

class VirtioSerialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    serial_.set_open_listener([this](const std::string& id, bool open) {
      opens_.push_back({id, open});
    });
  }

  // The driver's side of probing: features, queues, DRIVER_OK, four control
  // buffers and two receive buffers per port queue.
  void start_driver(bool multiport = true) {
    serial_.bind(&mem_, [](int) {});
    serial_.set_status(virtio::kStatusAcknowledge | virtio::kStatusDriver);
    uint64_t features = 1ull << virtio::kFeatureVersion1 | 1ull << Event::kFeatureEmergencyWrite;
    if (multiport) features |= 1ull << Event::kFeatureMultiport;
    serial_.set_driver_features(features);
    const uint8_t status =
        virtio::kStatusAcknowledge | virtio::kStatusDriver | virtio::kStatusFeaturesOk;
    serial_.set_status(status);
    for (unsigned q = 0; q < serial_.num_queues(); ++q) {
      serial_.queue(q).set_size(kRingSize);
      serial_.queue(q).set_addresses(ring(q), ring(q) + 0x1000, ring(q) + 0x2000);
      serial_.queue(q).set_ready(true);
    }
    serial_.set_status(status | virtio::kStatusDriverOk);
    for (int i = 0; i < 4; ++i) give(2, 64, true);
  }
  static uint64_t ring(unsigned q) { return 0x10000 + 0x3000ull * q; }
  static unsigned rx(uint32_t port) { return port == 0 ? 0 : 2 + 2 * port; }
  static unsigned tx(uint32_t port) { return port == 0 ? 1 : 3 + 2 * port; }

  // One buffer on queue q (its bytes for an outgoing one), then the kick.
  uint64_t give(unsigned q, uint32_t len, bool writable, const std::vector<uint8_t>& bytes = {}) {
    const uint64_t addr = next_buffer_;
    next_buffer_ += 0x1000;
    for (std::size_t i = 0; i < bytes.size(); ++i) mem_.put<uint8_t>(addr + i, bytes[i]);
    const uint16_t d = next_desc_[q]++ % kRingSize;
    mem_.put<uint64_t>(ring(q) + 16u * d, addr);
    mem_.put<uint32_t>(ring(q) + 16u * d + 8, len);
    mem_.put<uint16_t>(ring(q) + 16u * d + 12, writable ? Virtqueue::kDescWrite : 0);
    mem_.put<uint16_t>(ring(q) + 0x1000 + 4 + 2u * (avail_[q] % kRingSize), d);
    mem_.put<uint16_t>(ring(q) + 0x1000 + 2, ++avail_[q]);
    buffer_of_desc_[q][d] = addr;
    serial_.notify(q);
    return addr;
  }
  void send_control(uint32_t id, uint16_t event, uint16_t value) {
    std::vector<uint8_t> bytes(8);
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(id >> (8 * i));
    bytes[4] = static_cast<uint8_t>(event);
    bytes[5] = static_cast<uint8_t>(event >> 8);
    bytes[6] = static_cast<uint8_t>(value);
    bytes[7] = static_cast<uint8_t>(value >> 8);
    give(3, 8, false, bytes);
  }
  void send_data(uint32_t port, const std::string& text) {
    give(tx(port), static_cast<uint32_t>(text.size()), false,
         std::vector<uint8_t>(text.begin(), text.end()));
  }
  // What the device returned on queue q since the last call: each buffer's
  // bytes as far as it wrote them.
  std::vector<std::string> used(unsigned q) {
    std::vector<std::string> out;
    const uint16_t idx = mem_.get<uint16_t>(ring(q) + 0x2000 + 2);
    for (; seen_used_[q] != idx; ++seen_used_[q]) {
      const uint64_t entry = ring(q) + 0x2000 + 4 + 8u * (seen_used_[q] % kRingSize);
      const uint32_t head = mem_.get<uint32_t>(entry);
      const uint32_t len = mem_.get<uint32_t>(entry + 4);
      const uint64_t addr = buffer_of_desc_[q][head];
      out.emplace_back(reinterpret_cast<const char*>(mem_.bytes.data() + addr), len);
    }
    return out;
  }
  // The control messages the device sent since the last call; each used
  // buffer is given back, as the driver does.
  std::vector<Control> controls() {
    std::vector<Control> out;
    for (const std::string& b : used(2)) {
      EXPECT_GE(b.size(), 8u);
      if (b.size() < 8) continue;
      auto byte = [&](int i) { return static_cast<uint8_t>(b[i]); };
      Control c{static_cast<uint32_t>(byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24),
                static_cast<uint16_t>(byte(4) | byte(5) << 8),
                static_cast<uint16_t>(byte(6) | byte(7) << 8), ""};
      if (c.event == Event::kPortName) {
        EXPECT_EQ(b.back(), '\0');
        c.name = b.substr(8, b.size() - 9);
      }
      out.push_back(c);
      give(2, 64, true);
    }
    return out;
  }
  VirtioSerialPort& add(bool console, const std::string& name, Chardev* chardev, int64_t nr = -1,
                        const std::string& device_id = "") {
    VirtioSerial::PortOptions options;
    options.console = console;
    options.name = name;
    options.chardev = chardev;
    options.nr = nr;
    options.device_id = device_id;
    uint32_t id = 0;
    EXPECT_EQ(serial_.check_port(options, &id), "");
    return serial_.add_port(options, id);
  }

  ArrayMemory mem_;
  VirtioSerial serial_{"virtio-serial0.0", kMaxPorts, true};
  std::vector<std::pair<std::string, bool>> opens_;
  uint64_t next_buffer_ = kBuffers;
  uint16_t next_desc_[2 * (kMaxPorts + 1)] = {};
  uint16_t avail_[2 * (kMaxPorts + 1)] = {};
  uint16_t seen_used_[2 * (kMaxPorts + 1)] = {};
  uint64_t buffer_of_desc_[2 * (kMaxPorts + 1)][kRingSize] = {};
};

TEST_F(VirtioSerialTest, OffersQemusFeaturesQueuesAndConfiguration) {
  EXPECT_EQ(serial_.device_id(), 3);
  EXPECT_EQ(serial_.num_queues(), 2 * (kMaxPorts + 1));
  EXPECT_EQ(serial_.queue(0).max_size(), 128);
  EXPECT_EQ(serial_.queue(2).max_size(), 32);
  EXPECT_EQ(serial_.queue(3).max_size(), 32);
  EXPECT_EQ(serial_.queue(4).max_size(), 128);
  EXPECT_EQ(serial_.device_features(),
            1ull << Event::kFeatureMultiport | 1ull << Event::kFeatureEmergencyWrite);
  uint8_t config[12];
  serial_.read_config(config);
  EXPECT_EQ(config[4], kMaxPorts);
  EXPECT_EQ(config[0] | config[1] | config[2] | config[3] | config[8], 0);
  // One port, no multiport: the legacy single console.
  VirtioSerial single("s.0", 1, false);
  EXPECT_EQ(single.device_features(), 0u);
  EXPECT_EQ(single.num_queues(), 4u);
}

TEST_F(VirtioSerialTest, TheDriverLearnsEachPortsKindNameAndHostSide) {
  BufferChardev console_backend("con");
  PeerChardev agent_backend("agent");
  add(true, "", &console_backend);
  add(false, "org.qemu.guest_agent.0", &agent_backend);
  add(false, "", nullptr);
  start_driver();
  EXPECT_TRUE(controls().empty());  // nothing before DEVICE_READY
  send_control(0, Event::kDeviceReady, 1);
  EXPECT_EQ(controls(), (std::vector<Control>{{0, Event::kDeviceAdd, 1, ""},
                                              {1, Event::kDeviceAdd, 1, ""},
                                              {2, Event::kDeviceAdd, 1, ""}}));
  send_control(0, Event::kPortReady, 1);
  EXPECT_EQ(controls(),
            (std::vector<Control>{{0, Event::kConsolePort, 1, ""}, {0, Event::kPortOpen, 1, ""}}));
  send_control(1, Event::kPortReady, 1);
  // The agent's socket has no client yet: named, not open.
  EXPECT_EQ(controls(), (std::vector<Control>{{1, Event::kPortName, 1, "org.qemu.guest_agent.0"}}));
  send_control(2, Event::kPortReady, 1);
  EXPECT_TRUE(controls().empty());
  agent_backend.set_open(true);
  EXPECT_EQ(controls(), (std::vector<Control>{{1, Event::kPortOpen, 1, ""}}));
  agent_backend.set_open(false);
  EXPECT_EQ(controls(), (std::vector<Control>{{1, Event::kPortOpen, 0, ""}}));
  // Every control buffer came back as written; nothing broke.
  EXPECT_EQ(serial_.status() & virtio::kStatusNeedsReset, 0);
}

TEST_F(VirtioSerialTest, ControlMessagesWaitForBuffersAndPortsAddedLaterAreAnnounced) {
  BufferChardev backend("b");
  add(false, "first", &backend);
  start_driver();
  // Use up the driver's four control buffers: more messages wait.
  send_control(0, Event::kDeviceReady, 1);
  send_control(1, Event::kPortReady, 1);  // name and open: three so far
  PeerChardev late("late");
  add(false, "late", &late, 3);  // device_add: DEVICE_ADD at once, the fourth
  BufferChardev later("later");
  add(false, "", &later);  // port 2: waits
  EXPECT_EQ(used(2).size(), 4u);
  give(2, 64, true);
  const std::vector<std::string> after = used(2);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(after[0][0]), 2);  // DEVICE_ADD for port 2
  EXPECT_EQ(static_cast<uint8_t>(after[0][4]), Event::kDeviceAdd);
}

TEST_F(VirtioSerialTest, APortUnpluggedIsGoneForBothSides) {
  BufferChardev backend("b");
  add(false, "port", &backend);
  start_driver();
  send_control(0, Event::kDeviceReady, 1);
  send_control(1, Event::kPortReady, 1);
  controls();
  serial_.remove_port(1);
  EXPECT_EQ(controls(), (std::vector<Control>{{1, Event::kDeviceRemove, 1, ""}}));
  EXPECT_EQ(backend.frontend(), nullptr);
  // What the driver still sends it is taken and dropped.
  send_data(1, "late");
  EXPECT_EQ(used(tx(1)).size(), 1u);
  EXPECT_EQ(backend.output, "");
  // The number is free again.
  BufferChardev again("again");
  EXPECT_EQ(add(false, "port", &again).id(), 1u);
  EXPECT_EQ(controls(), (std::vector<Control>{{1, Event::kDeviceAdd, 1, ""}}));
}

TEST_F(VirtioSerialTest, GuestOutputReachesTheHostOnlyWhileItsSideIsOpen) {
  PeerChardev backend("b");
  BufferChardev console_backend("c");
  add(false, "port", &backend);
  add(true, "", &console_backend);
  start_driver();
  send_control(0, Event::kDeviceReady, 1);
  send_control(1, Event::kPortReady, 1);
  send_control(0, Event::kPortReady, 1);
  controls();
  send_data(1, "lost");  // no client: dropped, as QEMU drops it
  EXPECT_EQ(used(tx(1)).size(), 1u);
  backend.set_open(true);
  send_data(1, "hello ");
  send_data(1, "host");
  EXPECT_EQ(backend.output, "hello host");
  EXPECT_EQ(used(tx(1)).size(), 2u);
  // A console takes output whoever listens.
  send_data(0, "console");
  EXPECT_EQ(console_backend.output, "console");
}

TEST_F(VirtioSerialTest, HostInputWaitsForTheGuestToOpenThePortAndForRoom) {
  PeerChardev backend("b");
  backend.open = true;
  add(false, "port", &backend, -1, "channel0");
  start_driver();
  give(rx(1), 4, true);
  give(rx(1), 4, true);
  send_control(0, Event::kDeviceReady, 1);
  send_control(1, Event::kPortReady, 1);
  controls();
  const std::string text = "0123456789";
  backend.deliver_input(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  // Not open in the guest: nothing moves.
  EXPECT_TRUE(used(rx(1)).empty());
  EXPECT_EQ(backend.pending_input(), 10u);
  send_control(1, Event::kPortOpen, 1);
  EXPECT_EQ(opens_, (std::vector<std::pair<std::string, bool>>{{"channel0", true}}));
  EXPECT_EQ(used(rx(1)), (std::vector<std::string>{"0123", "4567"}));
  EXPECT_EQ(backend.pending_input(), 2u);  // until the driver gives room
  give(rx(1), 64, true);
  EXPECT_EQ(used(rx(1)), (std::vector<std::string>{"89"}));
  EXPECT_EQ(backend.pending_input(), 0u);
  send_control(1, Event::kPortOpen, 0);
  EXPECT_EQ(opens_.back(), (std::pair<std::string, bool>{"channel0", false}));
  give(rx(1), 64, true);
  backend.deliver_input(reinterpret_cast<const uint8_t*>("x"), 1);
  EXPECT_TRUE(used(rx(1)).empty());
  // A reset closes what the guest had open, and says so.
  send_control(1, Event::kPortOpen, 1);
  serial_.set_status(0);
  EXPECT_EQ(opens_,
            (std::vector<std::pair<std::string, bool>>{
                {"channel0", true}, {"channel0", false}, {"channel0", true}, {"channel0", false}}));
}

TEST_F(VirtioSerialTest, PortsAreNumberedAsQemuNumbersThem) {
  VirtioSerial::PortOptions port;
  uint32_t id = 99;
  // Port 0 belongs to a console; ports start at 1.
  port.nr = 0;
  EXPECT_EQ(serial_.check_port(port, &id),
            "Port number 0 on virtio-serial devices reserved for virtconsole devices for "
            "backward compatibility.");
  port.nr = -1;
  EXPECT_EQ(serial_.check_port(port, &id), "");
  EXPECT_EQ(id, 1u);
  add(false, "a", nullptr);
  add(true, "", nullptr);  // the first console takes 0
  EXPECT_EQ(serial_.ports().back()->id(), 0u);
  add(true, "", nullptr);  // a second one the next free
  EXPECT_EQ(serial_.ports().back()->id(), 2u);
  port.name = "a";
  EXPECT_EQ(serial_.check_port(port, &id), "virtio-serial-bus: A port already exists by name a");
  port.name = "";
  port.nr = 2;
  EXPECT_EQ(serial_.check_port(port, &id), "virtio-serial-bus: A port already exists at id 2");
  port.nr = 4;
  EXPECT_EQ(serial_.check_port(port, &id),
            "virtio-serial-bus: Out-of-range port id specified, max. allowed: 3");
  add(false, "", nullptr);
  port.nr = -1;
  EXPECT_EQ(serial_.check_port(port, &id),
            "virtio-serial-bus: Maximum port limit for this device reached");
}

TEST_F(VirtioSerialTest, EmergencyWriteGoesToPortZero) {
  BufferChardev backend("c");
  add(true, "", &backend);
  start_driver();
  const uint8_t c[4] = {'!', 0, 0, 0};
  serial_.write_config(8, c, 4);
  EXPECT_EQ(backend.output, "!");
}

TEST_F(VirtioSerialTest, WithoutMultiportPortZeroIsAPlainConsole) {
  BufferChardev backend("c");
  add(true, "", &backend);
  start_driver(false);
  give(rx(0), 16, true);
  backend.deliver_input(reinterpret_cast<const uint8_t*>("ls\n"), 3);
  EXPECT_EQ(used(rx(0)), (std::vector<std::string>{"ls\n"}));
  send_data(0, "out");
  EXPECT_EQ(backend.output, "out");
}

TEST_F(VirtioSerialTest, AResetForgetsTheDriverAndASnapshotKeepsIt) {
  PeerChardev backend("b");
  backend.open = true;
  add(false, "port", &backend);
  start_driver();
  send_control(0, Event::kDeviceReady, 1);
  send_control(1, Event::kPortReady, 1);
  send_control(1, Event::kPortOpen, 1);
  // DEVICE_ADD, PORT_NAME and PORT_OPEN took three of the driver's four
  // control buffers; of three more messages two wait, and go into the
  // snapshot.
  backend.set_open(false);
  backend.set_open(true);
  backend.set_open(false);
  EXPECT_EQ(used(2).size(), 4u);
  StateWriter writer;
  serial_.visit_state(writer);
  VirtioSerial restored("virtio-serial0.0", kMaxPorts, true);
  VirtioSerial::PortOptions options;
  options.name = "port";
  restored.add_port(options, 1);
  StateReader reader(writer.fields());
  restored.visit_state(reader);
  EXPECT_TRUE(restored.ports()[0]->guest_ready);
  EXPECT_TRUE(restored.ports()[0]->guest_connected);
  StateWriter again;
  restored.visit_state(again);
  EXPECT_EQ(again.fields(), writer.fields());
  // A reset: the port is unknown to the (new) driver until it asks again.
  serial_.set_status(0);
  EXPECT_FALSE(serial_.ports()[0]->guest_ready);
  EXPECT_FALSE(serial_.ports()[0]->guest_connected);
}

}  // namespace
}  // namespace vx86
