// The USB stack without a guest: the PIIX3 UHCI controller walking
// schedules that tests build in memory as a driver would (frame list, queue
// heads, transfer descriptors), the control pipe and standard requests every
// device shares, the HID devices' reports, the hub, and the input routing
// that feeds them.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/input.h"
#include "hw/pci/pci_regs.h"
#include "hw/usb/uhci.h"
#include "hw/usb/usb_bus.h"
#include "hw/usb/usb_hid.h"
#include "hw/usb/usb_hub.h"
#include "hw/usb/usb_storage.h"
#include "tests/hw/mem_drive.h"
#include "tests/hw/pci_test_bus.h"

namespace vx86 {
namespace {

constexpr uint16_t kIoBase = 0xc000;
constexpr unsigned kDevfn = pci::devfn(1, 2);
// Memory the tests lay the schedule out in.
constexpr uint32_t kFrameList = 0x10000, kQh = 0x11000, kTds = 0x12000, kBuffers = 0x14000;

// TD bits, as a driver writes them.
constexpr uint32_t kTdActive = 1u << 23, kTdIoc = 1u << 24, kTdSpd = 1u << 29,
                   kTdStalled = 1u << 22, kTdNak = 1u << 19, kTdCrcTimeout = 1u << 18,
                   kTdErrors3 = 3u << 27;
constexpr uint8_t kPidSetup = 0x2d, kPidIn = 0x69, kPidOut = 0xe1;
constexpr uint32_t kTerminate = 1, kQueueHead = 2;

// Runs a control transfer on a device directly: SETUP, data IN stages of up
// to 8 bytes, status OUT. Returns the data, or nothing if something stalled.
std::optional<std::vector<uint8_t>> control_in(UsbDevice& dev, std::vector<uint8_t> setup) {
  if (dev.transact(UsbPid::kSetup, 0, setup).status != UsbResult::kAck) return std::nullopt;
  std::vector<uint8_t> data;
  const unsigned length = setup[6] | setup[7] << 8;
  while (data.size() < length) {
    std::array<uint8_t, 8> packet{};
    UsbResult r = dev.transact(UsbPid::kIn, 0, packet);
    if (r.status != UsbResult::kAck) return std::nullopt;
    data.insert(data.end(), packet.begin(), packet.begin() + static_cast<long>(r.length));
    if (r.length < packet.size()) break;
  }
  if (dev.transact(UsbPid::kOut, 0, {}).status != UsbResult::kAck) return std::nullopt;
  return data;
}

// A control transfer without data (or with OUT data): SETUP, OUT, status IN.
bool control_out(UsbDevice& dev, std::vector<uint8_t> setup, std::vector<uint8_t> out = {}) {
  if (dev.transact(UsbPid::kSetup, 0, setup).status != UsbResult::kAck) return false;
  if (!out.empty() && dev.transact(UsbPid::kOut, 0, out).status != UsbResult::kAck) return false;
  return dev.transact(UsbPid::kIn, 0, {}).status == UsbResult::kAck;
}

std::vector<uint8_t> request(uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                             uint16_t length) {
  return {type,
          req,
          static_cast<uint8_t>(value),
          static_cast<uint8_t>(value >> 8),
          static_cast<uint8_t>(index),
          static_cast<uint8_t>(index >> 8),
          static_cast<uint8_t>(length),
          static_cast<uint8_t>(length >> 8)};
}

std::vector<uint8_t> interrupt_in(UsbDevice& dev, UsbResult::Status* status = nullptr) {
  std::array<uint8_t, 8> packet{};
  UsbResult r = dev.transact(UsbPid::kIn, 1, packet);
  if (status) *status = r.status;
  return std::vector<uint8_t>(packet.begin(), packet.begin() + static_cast<long>(r.length));
}

void send(InputRouter& router, std::vector<InputEvent> events) {
  router.send(events);
}

// A device made ready as a driver does: addressed and configured.
void configure(UsbDevice& dev, uint8_t address) {
  ASSERT_TRUE(control_out(dev, request(0x00, 0x05, address, 0, 0)));
  ASSERT_EQ(dev.address(), address);
  ASSERT_TRUE(control_out(dev, request(0x00, 0x09, 1, 0, 0)));
}

TEST(UsbDeviceTest, StandardRequestsGiveTheDescriptorsAndTakeTheAddressAfterTheStatusStage) {
  InputRouter router;
  UsbHid tablet(UsbHid::Kind::kTablet, router);
  tablet.set_location("0000:00:01.2-1");
  // The device descriptor in 8-byte packets, as a full-speed host reads it.
  auto device = control_in(tablet, request(0x80, 0x06, 0x0100, 0, 18));
  ASSERT_TRUE(device);
  EXPECT_EQ(*device, (std::vector<uint8_t>{0x12, 0x01, 0x00, 0x02, 0, 0, 0, 8, 0x27, 0x06, 0x01,
                                           0x00, 0x00, 0x00, 1, 3, 10, 1}));
  // A shorter wLength cuts the answer.
  EXPECT_EQ(control_in(tablet, request(0x80, 0x06, 0x0200, 0, 9))->size(), 9u);
  EXPECT_EQ(control_in(tablet, request(0x80, 0x06, 0x0200, 0, 255))->size(), 34u);
  // Strings: the language list, then UTF-16LE text; the serial number ends
  // with where the device is plugged in.
  EXPECT_EQ(*control_in(tablet, request(0x80, 0x06, 0x0300, 0, 255)),
            (std::vector<uint8_t>{4, 3, 0x09, 0x04}));
  auto serial = control_in(tablet, request(0x80, 0x06, 0x030a, 0x0409, 255));
  ASSERT_TRUE(serial);
  std::string text;
  for (std::size_t i = 2; i < serial->size(); i += 2) text += static_cast<char>((*serial)[i]);
  EXPECT_EQ(text, "28754-0000:00:01.2-1");
  EXPECT_FALSE(control_in(tablet, request(0x80, 0x06, 0x0363, 0x0409, 255)));  // no string 99
  // SET_ADDRESS: still 0 until the status stage is done.
  std::vector<uint8_t> set_address = request(0x00, 0x05, 7, 0, 0);
  ASSERT_EQ(tablet.transact(UsbPid::kSetup, 0, set_address).status, UsbResult::kAck);
  EXPECT_EQ(tablet.address(), 0);
  EXPECT_EQ(tablet.transact(UsbPid::kIn, 0, {}).status, UsbResult::kAck);
  EXPECT_EQ(tablet.address(), 7);
  // Endpoint 1 answers only once configured; an unknown endpoint stalls.
  UsbResult::Status status;
  interrupt_in(tablet, &status);
  EXPECT_EQ(status, UsbResult::kStall);
  ASSERT_TRUE(control_out(tablet, request(0x00, 0x09, 1, 0, 0)));
  EXPECT_EQ(*control_in(tablet, request(0x80, 0x08, 0, 0, 1)), std::vector<uint8_t>{1});
  interrupt_in(tablet, &status);
  EXPECT_EQ(status, UsbResult::kNak);  // nothing happened yet
  std::array<uint8_t, 8> packet{};
  EXPECT_EQ(tablet.transact(UsbPid::kIn, 2, packet).status, UsbResult::kStall);
  // Remote wakeup: GET_STATUS shows what SET_FEATURE set.
  ASSERT_TRUE(control_out(tablet, request(0x00, 0x03, 1, 0, 0)));
  EXPECT_EQ(*control_in(tablet, request(0x80, 0x00, 0, 0, 2)), (std::vector<uint8_t>{2, 0}));
  // A bad request stalls its transfer; the next SETUP starts afresh.
  EXPECT_FALSE(control_in(tablet, request(0x80, 0x06, 0x0900, 0, 8)));
  EXPECT_TRUE(control_in(tablet, request(0x80, 0x06, 0x0100, 0, 8)));
  // A bus reset forgets the address and configuration.
  tablet.bus_reset();
  EXPECT_EQ(tablet.address(), 0);
  EXPECT_EQ(tablet.configuration(), 0);
}

TEST(UsbHidTest, TabletReportsPositionButtonsAndWheelInOrder) {
  InputRouter router;
  UsbHid tablet(UsbHid::Kind::kTablet, router);
  configure(tablet, 1);
  send(router,
       {InputEvent::absolute(InputAxis::kX, 0x4000), InputEvent::absolute(InputAxis::kY, 0x7fff)});
  send(router, {InputEvent::button_event(InputButton::kLeft, true),
                InputEvent::button_event(InputButton::kWheelUp, true),
                InputEvent::button_event(InputButton::kWheelUp, false)});
  EXPECT_EQ(interrupt_in(tablet), (std::vector<uint8_t>{0, 0x00, 0x40, 0xff, 0x7f, 0}));
  EXPECT_EQ(interrupt_in(tablet), (std::vector<uint8_t>{1, 0x00, 0x40, 0xff, 0x7f, 1}));
  UsbResult::Status status;
  interrupt_in(tablet, &status);
  EXPECT_EQ(status, UsbResult::kNak);
  // The report descriptor is 74 bytes and GET_REPORT gives the state now.
  EXPECT_EQ(control_in(tablet, request(0x81, 0x06, 0x2200, 0, 255))->size(), 74u);
  EXPECT_EQ(*control_in(tablet, request(0xa1, 0x01, 0x0100, 0, 6)),
            (std::vector<uint8_t>{1, 0x00, 0x40, 0xff, 0x7f, 0}));
  // No boot protocol for a tablet.
  EXPECT_FALSE(control_out(tablet, request(0x21, 0x0b, 0, 0, 0)));
}

TEST(UsbHidTest, MouseSplitsLargeMotionAndMergesWhenItsQueueIsFull) {
  InputRouter router;
  UsbHid mouse(UsbHid::Kind::kMouse, router);
  configure(mouse, 2);
  send(router, {InputEvent::relative(InputAxis::kX, 300), InputEvent::relative(InputAxis::kY, -5)});
  EXPECT_EQ(interrupt_in(mouse), (std::vector<uint8_t>{0, 127, 0xfb, 0}));
  EXPECT_EQ(interrupt_in(mouse), (std::vector<uint8_t>{0, 127, 0, 0}));
  EXPECT_EQ(interrupt_in(mouse), (std::vector<uint8_t>{0, 46, 0, 0}));
  // 20 groups of 1 to the right while the guest polls nothing: the last of
  // 16 reports takes the rest, so all 20 arrive.
  for (int i = 0; i < 20; ++i) send(router, {InputEvent::relative(InputAxis::kX, 1)});
  EXPECT_EQ(mouse.queued_reports(), 16u);
  int total = 0;
  for (UsbResult::Status status = UsbResult::kAck; status == UsbResult::kAck;) {
    std::vector<uint8_t> r = interrupt_in(mouse, &status);
    if (status == UsbResult::kAck) total += static_cast<int8_t>(r[1]);
  }
  EXPECT_EQ(total, 20);
  // Boot protocol: three bytes, no wheel.
  ASSERT_TRUE(control_out(mouse, request(0x21, 0x0b, 0, 0, 0)));
  EXPECT_EQ(*control_in(mouse, request(0xa1, 0x03, 0, 0, 1)), std::vector<uint8_t>{0});
  send(router, {InputEvent::button_event(InputButton::kExtra, true),
                InputEvent::button_event(InputButton::kWheelDown, true)});
  EXPECT_EQ(interrupt_in(mouse), (std::vector<uint8_t>{0x10, 0, 0}));
  UsbResult::Status status;
  interrupt_in(mouse, &status);
  EXPECT_EQ(status, UsbResult::kNak);
}

TEST(UsbHidTest, KeyboardReportsModifiersKeysRolloverAndTakesLeds) {
  InputRouter router;
  UsbHid keyboard(UsbHid::Kind::kKeyboard, router);
  configure(keyboard, 3);
  // Shift and a in one group: a report for each, in order.
  send(router, {InputEvent::key_event(0xe1, true), InputEvent::key_event(0x04, true)});
  EXPECT_EQ(interrupt_in(keyboard), (std::vector<uint8_t>{0x02, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(interrupt_in(keyboard), (std::vector<uint8_t>{0x02, 0, 0x04, 0, 0, 0, 0, 0}));
  for (uint16_t usage = 0x05; usage <= 0x0a; ++usage) {
    send(router, {InputEvent::key_event(usage, true)});
  }
  std::vector<uint8_t> last;
  for (UsbResult::Status status = UsbResult::kAck; status == UsbResult::kAck;) {
    std::vector<uint8_t> r = interrupt_in(keyboard, &status);
    if (status == UsbResult::kAck) last = r;
  }
  // Seven keys held: ErrorRollOver in every key slot.
  EXPECT_EQ(last, (std::vector<uint8_t>{0x02, 0, 1, 1, 1, 1, 1, 1}));
  send(router, {InputEvent::key_event(0x04, false), InputEvent::key_event(0xe1, false)});
  EXPECT_EQ(interrupt_in(keyboard),
            (std::vector<uint8_t>{0x02, 0, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a}));
  EXPECT_EQ(interrupt_in(keyboard),
            (std::vector<uint8_t>{0, 0, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a}));
  // A press and its release in one group: the guest sees both (a seventh
  // key: rollover, then the six again).
  send(router, {InputEvent::key_event(0x0b, true), InputEvent::key_event(0x0b, false)});
  EXPECT_EQ(interrupt_in(keyboard)[2], 0x01);
  EXPECT_EQ(interrupt_in(keyboard)[2], 0x05);
  // SET_REPORT (output): the LEDs.
  ASSERT_TRUE(control_out(keyboard, request(0x21, 0x09, 0x0200, 0, 1), {0x02}));
  EXPECT_EQ(keyboard.leds(), 0x02);
  // SET_IDLE is kept for GET_IDLE.
  ASSERT_TRUE(control_out(keyboard, request(0x21, 0x0a, 0x7d00, 0, 0)));
  EXPECT_EQ(*control_in(keyboard, request(0xa1, 0x02, 0, 0, 1)), std::vector<uint8_t>{0x7d});
}

// A device that takes every kind, to watch the routing.
class RecordingHandler : public InputHandler {
 public:
  RecordingHandler(const char* name, unsigned kinds) : name_(name), kinds_(kinds) {}
  const char* input_name() const override { return name_; }
  unsigned input_kinds() const override { return kinds_; }
  void input_event(const InputEvent& e) override { events.push_back(e.kind); }
  void input_sync() override { ++syncs; }
  std::vector<InputEvent::Kind> events;
  int syncs = 0;

 private:
  const char* name_;
  unsigned kinds_;
};

TEST(InputRouterTest, EachEventGoesToTheFirstHandlerOfItsKindAsInQemu) {
  using K = InputEvent::Kind;
  InputRouter router;
  RecordingHandler ps2_keyboard("QEMU PS/2 Keyboard", input_kind_bit(K::kKey));
  RecordingHandler ps2_mouse("QEMU PS/2 Mouse",
                             input_kind_bit(K::kButton) | input_kind_bit(K::kRelative));
  router.add(&ps2_keyboard);
  router.add(&ps2_mouse);
  EXPECT_FALSE(router.takes(K::kAbsolute));
  RecordingHandler tablet("QEMU HID Tablet",
                          input_kind_bit(K::kButton) | input_kind_bit(K::kAbsolute));
  router.add(&tablet);
  EXPECT_TRUE(router.takes(K::kAbsolute));
  // Queued behind the PS/2 mouse: absolute moves only, until it is used.
  send(router, {InputEvent::absolute(InputAxis::kX, 5),
                InputEvent::button_event(InputButton::kLeft, true)});
  EXPECT_EQ(tablet.events, (std::vector<K>{K::kAbsolute}));
  EXPECT_EQ(ps2_mouse.events, (std::vector<K>{K::kButton}));
  router.activate(&tablet);
  send(router,
       {InputEvent::absolute(InputAxis::kX, 5), InputEvent::relative(InputAxis::kX, 1),
        InputEvent::button_event(InputButton::kLeft, true), InputEvent::key_event(4, true)});
  EXPECT_EQ(tablet.events, (std::vector<K>{K::kAbsolute, K::kAbsolute, K::kButton}));
  EXPECT_EQ(ps2_mouse.events, (std::vector<K>{K::kButton, K::kRelative}));
  EXPECT_EQ(ps2_keyboard.events, (std::vector<K>{K::kKey}));
  // info mice: back of the queue first, the front one current; QEMU's numbers.
  const std::vector<InputRouter::Mouse> mice = router.mice();
  ASSERT_EQ(mice.size(), 2u);
  EXPECT_EQ(mice[0].index, 2u);
  EXPECT_EQ(mice[0].name, "QEMU PS/2 Mouse");
  EXPECT_FALSE(mice[0].current);
  EXPECT_EQ(mice[1].index, 3u);
  EXPECT_TRUE(mice[1].current);
  EXPECT_TRUE(mice[1].absolute);
  // mouse_set: a mouse by its number.
  EXPECT_EQ(router.select_mouse(2), "");
  EXPECT_TRUE(router.mice()[1].current);
  EXPECT_EQ(router.mice()[1].index, 2u);
  EXPECT_EQ(router.select_mouse(1), "Input device 'QEMU PS/2 Keyboard' is not a mouse");
  EXPECT_EQ(router.select_mouse(9), "Mouse at index '9' not found");
  // Gone: buttons go back to the PS/2 mouse.
  router.remove(&tablet);
  send(router, {InputEvent::button_event(InputButton::kLeft, false)});
  EXPECT_EQ(ps2_mouse.events.back(), K::kButton);
  // Positions are clamped to the screen.
  EXPECT_EQ(InputEvent::absolute(InputAxis::kY, 99999).value, kInputAbsoluteMax);
  EXPECT_EQ(InputEvent::absolute(InputAxis::kY, -3).value, 0);
}

TEST(UsbHubTest, PortsReportConnectionsAndResetEnablesThem) {
  InputRouter router;
  UsbHub hub;
  UsbHid keyboard(UsbHid::Kind::kKeyboard, router);
  UsbBus bus("usb-bus.0", [] { return std::string("0000:00:01.2"); });
  bus.add_port("1", [](UsbDevice*) {});
  ASSERT_EQ(bus.attach(hub, "1"), "");
  ASSERT_EQ(bus.attach(keyboard, "1.3"), "");
  EXPECT_EQ(keyboard.location(), "0000:00:01.2-1.3");
  configure(hub, 1);
  // The status change endpoint names port 3.
  EXPECT_EQ(interrupt_in(hub), (std::vector<uint8_t>{0x08, 0x00}));
  // Port 3: powered and connected, connection changed.
  EXPECT_EQ(*control_in(hub, request(0xa3, 0x00, 0, 3, 4)),
            (std::vector<uint8_t>{0x01, 0x01, 0x01, 0x00}));
  ASSERT_TRUE(control_out(hub, request(0x23, 0x01, 16, 3, 0)));  // clear C_PORT_CONNECTION
  UsbResult::Status status;
  interrupt_in(hub, &status);
  EXPECT_EQ(status, UsbResult::kNak);
  EXPECT_EQ(hub.find_downstream(0), nullptr);                   // not enabled yet
  ASSERT_TRUE(control_out(hub, request(0x23, 0x03, 4, 3, 0)));  // SET_FEATURE PORT_RESET
  EXPECT_EQ(*control_in(hub, request(0xa3, 0x00, 0, 3, 4)),
            (std::vector<uint8_t>{0x03, 0x01, 0x10, 0x00}));  // enabled, reset changed
  EXPECT_EQ(hub.find_downstream(0), &keyboard);
  // The hub descriptor: 8 ports.
  auto descriptor = control_in(hub, request(0xa0, 0x06, 0x2900, 0, 255));
  ASSERT_TRUE(descriptor);
  EXPECT_EQ((*descriptor)[1], 0x29);
  EXPECT_EQ((*descriptor)[2], 8);
  EXPECT_EQ(bus.attach(keyboard, "1.9"), "USB bus 'usb-bus.0' has no port 1.9");
}

TEST(UsbBusTest, TheLastFreePortGetsAHubFirstAsInQemu) {
  InputRouter router;
  UsbBus bus("usb-bus.0", [] { return std::string("0000:00:01.2"); });
  bus.add_port("1", [](UsbDevice*) {});
  bus.add_port("2", [](UsbDevice*) {});
  std::vector<std::unique_ptr<UsbHid>> devices;
  std::vector<std::string> where;
  for (int i = 0; i < 10; ++i) {
    devices.push_back(std::make_unique<UsbHid>(UsbHid::Kind::kKeyboard, router));
    const std::string error = bus.attach(*devices.back(), "");
    where.push_back(error.empty() ? devices.back()->location() : error);
  }
  // Port 1, then a hub in port 2 whose last port gets another hub.
  EXPECT_EQ(where[0], "0000:00:01.2-1");
  EXPECT_EQ(where[1], "0000:00:01.2-2.1");
  EXPECT_EQ(where[7], "0000:00:01.2-2.7");
  EXPECT_EQ(where[8], "0000:00:01.2-2.8.1");
  EXPECT_EQ(where[9], "0000:00:01.2-2.8.2");
  UsbHid extra(UsbHid::Kind::kMouse, router);
  EXPECT_EQ(bus.attach(extra, "1"), "port 1 of USB bus 'usb-bus.0' is in use");
  // Firmware paths (bootindex) name each hub on the way, as QEMU's.
  bus.set_firmware_path("/pci@i0cf8/usb@1,2");
  EXPECT_EQ(bus.firmware_path(*devices[0], "keyboard"), "/pci@i0cf8/usb@1,2/keyboard@1");
  EXPECT_EQ(bus.firmware_path(*devices[7], "storage"), "/pci@i0cf8/usb@1,2/hub@2/storage@7");
  EXPECT_EQ(bus.firmware_path(*devices[9], "storage"), "/pci@i0cf8/usb@1,2/hub@2/hub@8/storage@2");
  EXPECT_EQ(bus.firmware_path(extra, "mouse"), "");  // not on the bus
}

// A command block wrapper: tag, expected length, direction, the CDB.
std::vector<uint8_t> cbw(uint32_t tag, uint32_t length, bool in, std::vector<uint8_t> cdb) {
  std::vector<uint8_t> w = {'U', 'S', 'B', 'C'};
  for (uint32_t v : {tag, length}) {
    for (int i = 0; i < 4; ++i) w.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  w.push_back(in ? 0x80 : 0x00);
  w.push_back(0);  // LUN
  w.push_back(static_cast<uint8_t>(cdb.size()));
  cdb.resize(16);
  w.insert(w.end(), cdb.begin(), cdb.end());
  return w;
}

// One bulk transaction on the storage's endpoints (IN 1, OUT 2).
UsbResult bulk_in(UsbDevice& dev, std::vector<uint8_t>* data, std::size_t max = 64) {
  std::vector<uint8_t> buffer(max);
  UsbResult r = dev.transact(UsbPid::kIn, 1, buffer);
  buffer.resize(r.length);
  *data = buffer;
  return r;
}
UsbResult bulk_out(UsbDevice& dev, std::vector<uint8_t> data) {
  return dev.transact(UsbPid::kOut, 2, data);
}

// The CSW: tag, residue, status.
struct Csw {
  uint32_t tag, residue;
  uint8_t status;
  bool operator==(const Csw&) const = default;
};
Csw csw_of(const std::vector<uint8_t>& w) {
  EXPECT_EQ(w.size(), 13u);
  EXPECT_EQ(std::string(w.begin(), w.begin() + 4), "USBS");
  auto le = [&](int at) {
    return static_cast<uint32_t>(w[at] | w[at + 1] << 8 | w[at + 2] << 16 | w[at + 3] << 24);
  };
  return {le(4), le(8), w[12]};
}

TEST(UsbStorageTest, BulkOnlyCommandsCarryDataAndStatus) {
  test::MemDrive drive(4 << 20);
  UsbStorage storage(drive, false);
  configure(storage, 5);
  EXPECT_EQ(*control_in(storage, request(0xa1, 0xfe, 0, 0, 1)), std::vector<uint8_t>{0});
  // INQUIRY into a 64-byte buffer: 36 bytes, a short packet, residue 28.
  ASSERT_EQ(bulk_out(storage, cbw(7, 64, true, {0x12, 0, 0, 0, 64, 0})).status, UsbResult::kAck);
  std::vector<uint8_t> data;
  EXPECT_EQ(bulk_in(storage, &data).length, 36u);
  EXPECT_EQ(std::string(data.begin() + 8, data.begin() + 16), "QEMU    ");
  bulk_in(storage, &data);
  EXPECT_EQ(csw_of(data), (Csw{7, 28, 0}));
  // WRITE(10) of one block in 64-byte packets, then READ(10) it back.
  std::vector<uint8_t> block(512);
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<uint8_t>(i ^ 0x5a);
  bulk_out(storage, cbw(8, 512, false, {0x2a, 0, 0, 0, 0, 3, 0, 0, 1, 0}));
  for (std::size_t at = 0; at < 512; at += 64) {
    ASSERT_EQ(bulk_out(storage, std::vector<uint8_t>(block.begin() + static_cast<long>(at),
                                                     block.begin() + static_cast<long>(at) + 64))
                  .status,
              UsbResult::kAck);
  }
  bulk_in(storage, &data);
  EXPECT_EQ(csw_of(data), (Csw{8, 0, 0}));
  EXPECT_EQ(std::vector<uint8_t>(drive.bytes.begin() + 1536, drive.bytes.begin() + 2048), block);
  // The read waits for the drive: NAK until its request completes.
  drive.deferred = true;
  bulk_out(storage, cbw(9, 512, true, {0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0}));
  EXPECT_EQ(bulk_in(storage, &data).status, UsbResult::kNak);
  drive.complete_pending();
  std::vector<uint8_t> back;
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(bulk_in(storage, &data).status, UsbResult::kAck);
    back.insert(back.end(), data.begin(), data.end());
  }
  EXPECT_EQ(back, block);
  bulk_in(storage, &data);
  EXPECT_EQ(csw_of(data), (Csw{9, 0, 0}));
  drive.deferred = false;
  // A command it does not have: status 1, and REQUEST SENSE says why.
  bulk_out(storage, cbw(10, 0, false, {0xe7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  bulk_in(storage, &data);
  EXPECT_EQ(csw_of(data), (Csw{10, 0, 1}));
  bulk_out(storage, cbw(11, 18, true, {0x03, 0, 0, 0, 18, 0}));
  bulk_in(storage, &data);
  EXPECT_EQ(data[2], 0x05);
  EXPECT_EQ(data[12], 0x20);
  // Not a CBW: stalled.
  EXPECT_EQ(bulk_out(storage, std::vector<uint8_t>(31, 0)).status, UsbResult::kStall);
}

TEST(UsbStorageTest, AResetDropsTheCommandUnderWay) {
  test::MemDrive drive(1 << 20);
  UsbStorage storage(drive, false);
  configure(storage, 5);
  drive.deferred = true;
  bulk_out(storage, cbw(1, 512, true, {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}));
  // Bulk-Only Mass Storage Reset: the device waits for a new CBW.
  ASSERT_TRUE(control_out(storage, request(0x21, 0xff, 0, 0, 0)));
  drive.complete_pending();  // the old read finishes; nobody wants it
  std::vector<uint8_t> data;
  EXPECT_EQ(bulk_in(storage, &data).status, UsbResult::kStall);
  drive.deferred = false;
  bulk_out(storage, cbw(2, 0, false, {0x00, 0, 0, 0, 0, 0}));
  bulk_in(storage, &data);
  EXPECT_EQ(csw_of(data), (Csw{2, 0, 0}));
}

class UhciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clocks_.set_manual_virtual(true);
    uhci_ = std::make_unique<Uhci>(clocks_, "usb-bus.0");
    tablet_ = std::make_unique<UsbHid>(UsbHid::Kind::kTablet, router_);
    ASSERT_EQ(uhci_->usb_bus().attach(*tablet_, "1"), "");
    pci_.bus().plug(*uhci_, kDevfn);
    pci_.config_write(kDevfn, 0x20, kIoBase, 4);
    pci_.config_write(kDevfn, 0x04, pci::kCommandIo | pci::kCommandMaster, 2);
  }

  uint16_t reg(unsigned offset) {
    return static_cast<uint16_t>(pci_.io().read(kIoBase + offset, 2));
  }
  void set_reg(unsigned offset, uint16_t v) { pci_.io().write(kIoBase + offset, v, 2); }
  uint32_t mem32(uint32_t addr) { return static_cast<uint32_t>(pci_.memory().read(addr, 4)); }
  void set_mem32(uint32_t addr, uint32_t v) { pci_.memory().write(addr, v, 4); }

  // Every frame points at one queue head whose link ends the schedule.
  void start_schedule() {
    for (uint32_t i = 0; i < 1024; ++i) set_mem32(kFrameList + 4 * i, kQh | kQueueHead);
    set_mem32(kQh, kTerminate);
    set_mem32(kQh + 4, kTerminate);
    pci_.io().write(kIoBase + Uhci::kFrBaseAdd, kFrameList, 4);
    set_reg(Uhci::kUsbIntr, 0x0f);
    set_reg(Uhci::kUsbCmd, 0x00c1);  // run, configured, 64-byte packets
  }
  // Resets port 1 and enables it, as Linux's uhci-hub does.
  void enable_port() {
    set_reg(Uhci::kPortSc1, 0x0200);
    set_reg(Uhci::kPortSc1, 0x0000);
    set_reg(Uhci::kPortSc1, 0x0004 | 0x000a);  // enable, clear the change bits
  }
  // A TD at index i linked to the next (depth first) or ending the queue.
  uint32_t td(unsigned i, uint8_t pid, uint8_t address, uint8_t endpoint, unsigned length,
              uint32_t flags, bool last, bool toggle = false) {
    const uint32_t at = kTds + 32 * i;
    set_mem32(at, last ? kTerminate : (kTds + 32 * (i + 1)) | 4);
    set_mem32(at + 4, kTdActive | kTdErrors3 | flags);
    set_mem32(at + 8, ((length - 1) & 0x7ff) << 21 | (toggle ? 1u << 19 : 0) | endpoint << 15 |
                          address << 8 | pid);
    set_mem32(at + 12, kBuffers + 0x100 * i);
    return at;
  }
  void write_bytes(uint32_t addr, const std::vector<uint8_t>& bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) pci_.memory().write(addr + i, bytes[i], 1);
  }
  std::vector<uint8_t> read_bytes(uint32_t addr, std::size_t n) {
    std::vector<uint8_t> out;
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(static_cast<uint8_t>(pci_.memory().read(addr + i, 1)));
    return out;
  }
  // Queues TDs starting at td 0 and lets the controller run (frames go in
  // batches of up to 8 ms while the schedule is idle).
  void run_queue() {
    set_mem32(kQh + 4, kTds);
    clocks_.advance_virtual(10'000'000);
  }

  Clocks clocks_;
  PciTestBus pci_;
  InputRouter router_;
  std::unique_ptr<Uhci> uhci_;
  std::unique_ptr<UsbHid> tablet_;
};

TEST_F(UhciTest, RegistersStartHaltedWithTheDeviceShownConnected) {
  EXPECT_EQ(pci_.config_read(kDevfn, 0, 4), 0x70208086u);
  EXPECT_EQ(pci_.config_read(kDevfn, 0x08, 4) >> 8, 0x0c0300u);
  EXPECT_EQ(pci_.config_read(kDevfn, 0x3d, 1), 4u);  // INTD
  EXPECT_EQ(pci_.config_read(kDevfn, 0xc0, 2), 0x2000u);
  EXPECT_EQ(reg(Uhci::kUsbSts), 0x0020);   // halted
  EXPECT_EQ(reg(Uhci::kPortSc1), 0x0083);  // connected, connection changed
  EXPECT_EQ(reg(Uhci::kPortSc1 + 2), 0x0080);
  EXPECT_EQ(reg(Uhci::kPortSc1 + 4), 0x0000);  // no third port
  EXPECT_EQ(pci_.io().read(kIoBase + Uhci::kSofMod, 1), 64u);
  // The connect change clears by writing 1; enabling takes a device.
  set_reg(Uhci::kPortSc1, 0x0002);
  EXPECT_EQ(reg(Uhci::kPortSc1), 0x0081);
  set_reg(Uhci::kPortSc1 + 2, 0x0004);
  EXPECT_EQ(reg(Uhci::kPortSc1 + 2), 0x0080);
  // Running: not halted, and the frame number counts milliseconds.
  start_schedule();
  EXPECT_EQ(reg(Uhci::kUsbSts), 0x0000);
  clocks_.advance_virtual(5'000'000);
  EXPECT_EQ(reg(Uhci::kFrNum), 5);
  set_reg(Uhci::kUsbCmd, 0x0000);
  clocks_.advance_virtual(5'000'000);
  EXPECT_EQ(reg(Uhci::kFrNum), 5);
  EXPECT_EQ(reg(Uhci::kUsbSts), 0x0020);
  // Host controller reset: registers back, the port shows the device anew.
  set_reg(Uhci::kUsbCmd, 0x0002);
  EXPECT_EQ(reg(Uhci::kUsbCmd), 0x0000);
  EXPECT_EQ(reg(Uhci::kFrNum), 0);
  EXPECT_EQ(reg(Uhci::kPortSc1), 0x0083);
}

TEST_F(UhciTest, AControlTransferCompletesInOneFrameAndInterrupts) {
  start_schedule();
  enable_port();
  write_bytes(kBuffers, request(0x80, 0x06, 0x0100, 0, 18));
  td(0, kPidSetup, 0, 0, 8, 0, false);
  td(1, kPidIn, 0, 0, 8, 0, false, true);
  td(2, kPidIn, 0, 0, 8, 0, false);
  td(3, kPidIn, 0, 0, 8, kTdSpd, false, true);
  td(4, kPidOut, 0, 0, 0, kTdIoc, true, true);
  EXPECT_FALSE(pci_.irq());
  run_queue();
  // The data stage: 8, 8 and a short 2 bytes, where the queue stops (short
  // packet detect), interrupting.
  EXPECT_EQ(mem32(kTds + 4) & (kTdActive | 0x7ff), 7u);
  EXPECT_EQ(mem32(kTds + 32 + 4) & (kTdActive | 0x7ff), 7u);
  EXPECT_EQ(mem32(kTds + 96 + 4) & (kTdActive | 0x7ff), 1u);
  EXPECT_EQ(mem32(kQh + 4) & ~0xfu, kTds + 96);
  EXPECT_EQ(mem32(kTds + 128 + 4) & kTdActive, kTdActive);
  EXPECT_TRUE(pci_.irq());
  set_reg(Uhci::kUsbSts, 0x0001);
  EXPECT_FALSE(pci_.irq());
  // The driver moves the queue on to the status stage, which completes.
  set_mem32(kQh + 4, kTds + 128);
  clocks_.advance_virtual(10'000'000);
  EXPECT_EQ(mem32(kTds + 128 + 4) & (kTdActive | 0x7ff), 0x7ffu);  // zero-length
  EXPECT_EQ(mem32(kQh + 4), kTerminate);
  std::vector<uint8_t> data = read_bytes(kBuffers + 0x100, 8);
  const std::vector<uint8_t> rest = read_bytes(kBuffers + 0x200, 8);
  data.insert(data.end(), rest.begin(), rest.end());
  const std::vector<uint8_t> tail = read_bytes(kBuffers + 0x300, 2);
  data.insert(data.end(), tail.begin(), tail.end());
  EXPECT_EQ(data[8], 0x27);  // idVendor 0x0627
  EXPECT_EQ(data[17], 1);
  EXPECT_EQ(reg(Uhci::kUsbSts), 0x0001);
  EXPECT_TRUE(pci_.irq());
  set_reg(Uhci::kUsbSts, 0x0001);
  EXPECT_FALSE(pci_.irq());
}

TEST_F(UhciTest, NakLeavesTheTdActiveAndAShortPacketStopsTheQueue) {
  start_schedule();
  enable_port();
  configure(*tablet_, 0);
  // Interrupt IN while nothing happened: NAK, the TD and queue stay.
  td(0, kPidIn, 0, 1, 8, kTdSpd | kTdIoc, false);
  td(1, kPidIn, 0, 1, 8, kTdSpd | kTdIoc, true, true);
  run_queue();
  EXPECT_EQ(mem32(kTds + 4) & (kTdActive | kTdNak), kTdActive | kTdNak);
  EXPECT_EQ(mem32(kQh + 4), kTds);
  EXPECT_FALSE(pci_.irq());
  // A move: 6 bytes of 8, short, so the queue stays at the TD that took it.
  send(router_, {InputEvent::absolute(InputAxis::kX, 0x1234)});
  clocks_.advance_virtual(10'000'000);
  EXPECT_EQ(mem32(kTds + 4) & (kTdActive | kTdNak | 0x7ff), 5u);
  EXPECT_EQ(read_bytes(kBuffers, 6), (std::vector<uint8_t>{0, 0x34, 0x12, 0, 0, 0}));
  EXPECT_EQ(mem32(kQh + 4), kTds);
  EXPECT_TRUE(pci_.irq());
}

TEST_F(UhciTest, NoDeviceAtTheAddressTimesOutAndStalls) {
  start_schedule();
  enable_port();
  write_bytes(kBuffers, request(0x80, 0x06, 0x0100, 0, 18));
  td(0, kPidSetup, 9, 0, 8, 0, true);
  run_queue();
  EXPECT_EQ(mem32(kTds + 4) & (kTdActive | kTdStalled | kTdCrcTimeout), kTdStalled | kTdCrcTimeout);
  EXPECT_EQ(mem32(kQh + 4), kTds);  // not advanced past an error
  EXPECT_EQ(reg(Uhci::kUsbSts), 0x0002);
  EXPECT_TRUE(pci_.irq());
  // A disabled port hides its device the same way.
  set_reg(Uhci::kUsbSts, 0x0002);
  set_reg(Uhci::kPortSc1, 0x0000);
  td(0, kPidSetup, 0, 0, 8, 0, true);
  run_queue();
  EXPECT_EQ(mem32(kTds + 4) & kTdCrcTimeout, kTdCrcTimeout);
}

TEST_F(UhciTest, ScheduleLoopsEndTheFrameAndUnreachableMemoryHalts) {
  start_schedule();
  enable_port();
  // The queue head links to itself (as drivers close the schedule); a TD
  // outside any queue links to itself too.
  set_mem32(kQh, kQh | kQueueHead);
  for (uint32_t i = 0; i < 1024; ++i) set_mem32(kFrameList + 4 * i, kTds + 0x400);
  set_mem32(kTds + 0x400, kTds + 0x400);
  set_mem32(kTds + 0x404, 0);
  clocks_.advance_virtual(3'000'000);
  EXPECT_EQ(reg(Uhci::kFrNum), 3);
  // Bus mastering off: a host system error halts the controller.
  pci_.config_write(kDevfn, 0x04, pci::kCommandIo, 2);
  clocks_.advance_virtual(10'000'000);
  EXPECT_EQ(reg(Uhci::kUsbSts) & 0x0028, 0x0028);
  EXPECT_EQ(reg(Uhci::kUsbCmd) & 1, 0);
  EXPECT_TRUE(pci_.irq());
}

// Whatever a guest writes as its schedule (loops, TDs inside queue heads,
// random PIDs, lengths and addresses, pointers into nothing), frames end and
// the controller either runs on or halts with a host system error.
TEST_F(UhciTest, RandomSchedulesNeitherHangNorCrash) {
  std::mt19937 rng(20261204);
  for (int round = 0; round < 40; ++round) {
    start_schedule();
    enable_port();
    configure(*tablet_, static_cast<uint8_t>(rng() % 4));
    // 64 KiB of words that mostly point back into the same 64 KiB.
    for (uint32_t at = kFrameList; at < kFrameList + 0x10000; at += 4) {
      uint32_t word = rng();
      if (rng() % 4 != 0) word = kFrameList + (word & 0xfff0) + (word & 0xf);
      set_mem32(at, word);
    }
    if (round % 8 == 7) set_mem32(kFrameList, 0xfffffff0);  // beyond memory
    for (int step = 0; step < 20; ++step) {
      send(router_, {InputEvent::absolute(InputAxis::kX, static_cast<int>(rng() & 0x7fff))});
      if (rng() % 5 == 0) set_reg(Uhci::kPortSc1 + 2 * (rng() % 2), static_cast<uint16_t>(rng()));
      clocks_.advance_virtual(1'000'000 * (1 + rng() % 8));
    }
    const uint16_t status = reg(Uhci::kUsbSts);
    EXPECT_TRUE((reg(Uhci::kUsbCmd) & 1) || (status & 0x20)) << "round " << round;
    set_reg(Uhci::kUsbCmd, 0x0002);  // host controller reset for the next round
    pci_.config_write(kDevfn, 0x04, pci::kCommandIo | pci::kCommandMaster, 2);
  }
}

}  // namespace
}  // namespace vx86
