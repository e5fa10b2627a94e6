// virtio-serial, the virtio console device (virtio 1.x, 5.3) with
// VIRTIO_CONSOLE_F_MULTIPORT: up to max_ports ports, each a pair of
// virtqueues joined to a chardev, plus the control queues on which the
// driver and the device agree which ports exist, which are consoles (hvc),
// what they are called (/sys/class/virtio-ports/*/name, the name udev links
// under /dev/virtio-ports/) and whether each side has them open. Ports are
// QEMU's virtserialport and virtconsole: libvirt's guest-agent channel is a
// virtserialport called org.qemu.guest_agent.0 on a socket chardev.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/chardev.h"
#include "core/device.h"
#include "hw/virtio/virtio_device.h"

namespace vx86 {

class VirtioSerial;

// One port: the chardev's frontend. Data moves as soon as both sides can
// take it; a virtserialport's host side is open while its chardev has a
// peer (a socket's client), a virtconsole's always.
class VirtioSerialPort : public CharFrontend {
 public:
  VirtioSerialPort(VirtioSerial& serial, uint32_t id, bool console, std::string name,
                   Chardev* chardev, std::string device_id);
  ~VirtioSerialPort() override;
  VirtioSerialPort(const VirtioSerialPort&) = delete;
  VirtioSerialPort& operator=(const VirtioSerialPort&) = delete;

  uint32_t id() const { return id_; }
  bool console() const { return console_; }
  const std::string& name() const { return name_; }
  const std::string& device_id() const { return device_id_; }
  Chardev* chardev() const { return chardev_; }
  bool host_connected() const { return host_connected_; }

  std::size_t can_receive() override;
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;
  bool frontend_open() const override { return console_ || guest_connected; }

  // What the driver said about the port (control queue).
  bool guest_ready = false;      // PORT_READY: its queues are set up
  bool guest_connected = false;  // PORT_OPEN: a program has it open

 private:
  VirtioSerial& serial_;
  uint32_t id_;
  bool console_;
  std::string name_;
  Chardev* chardev_;
  std::string device_id_;
  bool host_connected_;
};

class VirtioSerial : public VirtioDevice {
 public:
  static constexpr uint16_t kDeviceId = 3;
  static constexpr uint32_t kDefaultMaxPorts = 31;  // QEMU's max_ports
  static constexpr uint32_t kMaxPortsLimit = 511;   // 1024 queues in all
  static constexpr uint16_t kDataQueueSize = 128;
  static constexpr uint16_t kControlQueueSize = 32;
  static constexpr int kFeatureMultiport = 1;
  static constexpr int kFeatureEmergencyWrite = 2;
  // Control messages (5.3.6.2): {le32 id, le16 event, le16 value}.
  enum ControlEvent : uint16_t {
    kDeviceReady = 0,
    kDeviceAdd = 1,
    kDeviceRemove = 2,
    kPortReady = 3,
    kConsolePort = 4,
    kResize = 5,
    kPortOpen = 6,
    kPortName = 7,
  };

  VirtioSerial(std::string bus_name, uint32_t max_ports, bool emergency_write);
  ~VirtioSerial() override;

  // "virtio-serial0.0" for -device virtio-serial-pci,id=virtio-serial0.
  const std::string& bus_name() const { return bus_name_; }
  uint32_t max_ports() const { return max_ports_; }

  struct PortOptions {
    bool console = false;  // virtconsole
    int64_t nr = -1;       // -1: the first free (0 for the first console)
    std::string name;      // empty: none
    Chardev* chardev = nullptr;
    std::string device_id;  // the -device's id=, for VSERPORT_CHANGE
  };
  // Where the port would go, or an error in QEMU's words. Names are checked
  // across buses by the caller.
  std::string check_port(const PortOptions& options, uint32_t* id) const;
  // Adds a port check_port accepted. A driver that is running hears of it.
  VirtioSerialPort& add_port(const PortOptions& options, uint32_t id);
  // Unplugs port `id` (device_del): what the guest sent it and had not been
  // taken is dropped, and the driver is told the port is gone.
  void remove_port(uint32_t id);
  const std::vector<std::unique_ptr<VirtioSerialPort>>& ports() const { return ports_; }
  VirtioSerialPort* find_port_by_name(const std::string& name) const;

  // Told when the guest opens or closes a port that has a device id (QMP's
  // VSERPORT_CHANGE).
  using OpenListener = std::function<void(const std::string& device_id, bool open)>;
  void set_open_listener(OpenListener listener) { open_listener_ = std::move(listener); }

  const char* name() const override { return "virtio-serial"; }
  uint64_t device_features() const override;
  unsigned config_size() const override { return 12; }
  void read_config(uint8_t* buf) override;
  void write_config(unsigned offset, const uint8_t* data, unsigned len) override;
  void handle_queue(unsigned index) override;
  void device_reset() override;
  void visit_device_state(StateVisitor& v) override;

  // The port's side of the data path.
  std::size_t guest_room(VirtioSerialPort& port);
  void send_to_guest(VirtioSerialPort& port, const uint8_t* data, std::size_t len);
  void host_connection_changed(VirtioSerialPort& port);

 private:
  struct ControlMessage {
    uint32_t id;
    uint16_t event;
    uint16_t value;
  };
  static unsigned receive_queue(uint32_t port) { return port == 0 ? 0 : 2 + 2 * port; }
  static unsigned transmit_queue(uint32_t port) { return port == 0 ? 1 : 3 + 2 * port; }
  // The port a data queue belongs to (queue 2 and 3 are the control queues).
  static uint32_t port_of_queue(unsigned index) { return index < 2 ? 0 : (index - 2) / 2; }
  bool multiport() const { return has_feature(kFeatureMultiport); }
  VirtioSerialPort* find_port(uint32_t id) const;
  bool guest_can_receive(const VirtioSerialPort& port) const;

  void send_control(uint32_t id, uint16_t event, uint16_t value);
  void flush_control();
  void handle_control(const ControlMessage& message);
  void take_control_messages();
  void take_port_output(unsigned queue_index);

  std::string bus_name_;
  uint32_t max_ports_;
  bool emergency_write_;
  std::vector<std::unique_ptr<VirtioSerialPort>> ports_;
  // Control messages for the driver that wait for a buffer on its queue.
  std::deque<ControlMessage> pending_control_;
  OpenListener open_listener_;
};

// What -device virtserialport and virtconsole give the machine: the port
// itself lives in its virtio-serial device, which outlives this handle;
// device_del of the handle unplugs the port.
class VirtioSerialPortHandle : public Device {
 public:
  VirtioSerialPortHandle(std::string type_name, VirtioSerial& serial, uint32_t port_id)
      : Device(std::move(type_name)), serial_(serial), port_id_(port_id) {}
  void unplug() { serial_.remove_port(port_id_); }
  const VirtioSerial& serial() const { return serial_; }

 private:
  VirtioSerial& serial_;
  uint32_t port_id_;
};

}  // namespace vx86
