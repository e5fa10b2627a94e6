#include "hw/usb/usb_hid.h"

#include <algorithm>

#include "hw/usb/usb_requests.h"

namespace vx86 {

namespace {

// HID class requests (HID 1.11, 7.2) and descriptor types.
enum : uint8_t {
  kGetReport = 0x01,
  kGetIdle = 0x02,
  kGetProtocol = 0x03,
  kSetReport = 0x09,
  kSetIdle = 0x0a,
  kSetProtocol = 0x0b,
};
constexpr uint8_t kDescriptorHid = 0x21, kDescriptorReport = 0x22;

// String indices, shared by the three devices as QEMU numbers them.
enum : uint8_t {
  kStringManufacturer = 1,
  kStringProductMouse = 2,
  kStringProductTablet = 3,
  kStringProductKeyboard = 4,
  kStringConfigMouse = 6,
  kStringConfigTablet = 7,
  kStringConfigKeyboard = 8,
  kStringSerialMouse = 9,
  kStringSerialTablet = 10,
  kStringSerialKeyboard = 11,
};

// The report descriptors: HID items (prefix byte: tag, type, size).
const std::vector<uint8_t> kTabletReport = {
    0x05, 0x01,        // Usage Page (Generic Desktop)
    0x09, 0x02,        // Usage (Mouse)
    0xa1, 0x01,        // Collection (Application)
    0x09, 0x01,        //   Usage (Pointer)
    0xa1, 0x00,        //   Collection (Physical)
    0x05, 0x09,        //     Usage Page (Button)
    0x19, 0x01,        //     Usage Minimum (1)
    0x29, 0x03,        //     Usage Maximum (3)
    0x15, 0x00,        //     Logical Minimum (0)
    0x25, 0x01,        //     Logical Maximum (1)
    0x95, 0x03,        //     Report Count (3)
    0x75, 0x01,        //     Report Size (1)
    0x81, 0x02,        //     Input (Data, Variable, Absolute): the buttons
    0x95, 0x01,        //     Report Count (1)
    0x75, 0x05,        //     Report Size (5)
    0x81, 0x01,        //     Input (Constant): padding
    0x05, 0x01,        //     Usage Page (Generic Desktop)
    0x09, 0x30,        //     Usage (X)
    0x09, 0x31,        //     Usage (Y)
    0x15, 0x00,        //     Logical Minimum (0)
    0x26, 0xff, 0x7f,  //     Logical Maximum (0x7fff)
    0x35, 0x00,        //     Physical Minimum (0)
    0x46, 0xff, 0x7f,  //     Physical Maximum (0x7fff)
    0x75, 0x10,        //     Report Size (16)
    0x95, 0x02,        //     Report Count (2)
    0x81, 0x02,        //     Input (Data, Variable, Absolute): the position
    0x05, 0x01,        //     Usage Page (Generic Desktop)
    0x09, 0x38,        //     Usage (Wheel)
    0x15, 0x81,        //     Logical Minimum (-127)
    0x25, 0x7f,        //     Logical Maximum (127)
    0x35, 0x00,        //     Physical Minimum (0)
    0x45, 0x00,        //     Physical Maximum (0)
    0x75, 0x08,        //     Report Size (8)
    0x95, 0x01,        //     Report Count (1)
    0x81, 0x06,        //     Input (Data, Variable, Relative): the wheel
    0xc0,              //   End Collection
    0xc0,              // End Collection
};

const std::vector<uint8_t> kMouseReport = {
    0x05, 0x01,  // Usage Page (Generic Desktop)
    0x09, 0x02,  // Usage (Mouse)
    0xa1, 0x01,  // Collection (Application)
    0x09, 0x01,  //   Usage (Pointer)
    0xa1, 0x00,  //   Collection (Physical)
    0x05, 0x09,  //     Usage Page (Button)
    0x19, 0x01,  //     Usage Minimum (1)
    0x29, 0x05,  //     Usage Maximum (5)
    0x15, 0x00,  //     Logical Minimum (0)
    0x25, 0x01,  //     Logical Maximum (1)
    0x95, 0x05,  //     Report Count (5)
    0x75, 0x01,  //     Report Size (1)
    0x81, 0x02,  //     Input (Data, Variable, Absolute): the buttons
    0x95, 0x01,  //     Report Count (1)
    0x75, 0x03,  //     Report Size (3)
    0x81, 0x01,  //     Input (Constant): padding
    0x05, 0x01,  //     Usage Page (Generic Desktop)
    0x09, 0x30,  //     Usage (X)
    0x09, 0x31,  //     Usage (Y)
    0x09, 0x38,  //     Usage (Wheel)
    0x15, 0x81,  //     Logical Minimum (-127)
    0x25, 0x7f,  //     Logical Maximum (127)
    0x75, 0x08,  //     Report Size (8)
    0x95, 0x03,  //     Report Count (3)
    0x81, 0x06,  //     Input (Data, Variable, Relative): the motion
    0xc0,        //   End Collection
    0xc0,        // End Collection
};

// The boot keyboard of HID 1.11's appendix B.1.
const std::vector<uint8_t> kKeyboardReport = {
    0x05, 0x01,  // Usage Page (Generic Desktop)
    0x09, 0x06,  // Usage (Keyboard)
    0xa1, 0x01,  // Collection (Application)
    0x75, 0x01,  //   Report Size (1)
    0x95, 0x08,  //   Report Count (8)
    0x05, 0x07,  //   Usage Page (Keyboard)
    0x19, 0xe0,  //   Usage Minimum (Left Control)
    0x29, 0xe7,  //   Usage Maximum (Right GUI)
    0x15, 0x00,  //   Logical Minimum (0)
    0x25, 0x01,  //   Logical Maximum (1)
    0x81, 0x02,  //   Input (Data, Variable, Absolute): the modifiers
    0x95, 0x01,  //   Report Count (1)
    0x75, 0x08,  //   Report Size (8)
    0x81, 0x01,  //   Input (Constant): reserved
    0x95, 0x05,  //   Report Count (5)
    0x75, 0x01,  //   Report Size (1)
    0x05, 0x08,  //   Usage Page (LEDs)
    0x19, 0x01,  //   Usage Minimum (Num Lock)
    0x29, 0x05,  //   Usage Maximum (Kana)
    0x91, 0x02,  //   Output (Data, Variable, Absolute): the LEDs
    0x95, 0x01,  //   Report Count (1)
    0x75, 0x03,  //   Report Size (3)
    0x91, 0x01,  //   Output (Constant): padding
    0x95, 0x06,  //   Report Count (6)
    0x75, 0x08,  //   Report Size (8)
    0x15, 0x00,  //   Logical Minimum (0)
    0x25, 0xff,  //   Logical Maximum (255)
    0x05, 0x07,  //   Usage Page (Keyboard)
    0x19, 0x00,  //   Usage Minimum (0)
    0x29, 0xff,  //   Usage Maximum (255)
    0x81, 0x00,  //   Input (Data, Array): the keys
    0xc0,        // End Collection
};

struct Identity {
  uint8_t product_string, config_string, serial_string;
  uint8_t subclass, protocol;  // the interface's: boot (1) mouse (2) or keyboard (1)
  uint16_t hid_version;        // bcdHID, as QEMU's devices give it
  const std::vector<uint8_t>* report;
  uint8_t max_packet;  // of the interrupt endpoint
};

const Identity& identity(UsbHid::Kind kind) {
  static const Identity kTablet = {kStringProductTablet,
                                   kStringConfigTablet,
                                   kStringSerialTablet,
                                   0,
                                   0,
                                   0x0001,
                                   &kTabletReport,
                                   8};
  static const Identity kMouse = {
      kStringProductMouse, kStringConfigMouse, kStringSerialMouse, 1, 2, 0x0001, &kMouseReport, 4};
  static const Identity kKeyboard = {kStringProductKeyboard,
                                     kStringConfigKeyboard,
                                     kStringSerialKeyboard,
                                     1,
                                     1,
                                     0x0111,
                                     &kKeyboardReport,
                                     8};
  switch (kind) {
    case UsbHid::Kind::kTablet:
      return kTablet;
    case UsbHid::Kind::kMouse:
      return kMouse;
    case UsbHid::Kind::kKeyboard:
      break;
  }
  return kKeyboard;
}

void put16(std::vector<uint8_t>& d, uint16_t v) {
  d.push_back(static_cast<uint8_t>(v));
  d.push_back(static_cast<uint8_t>(v >> 8));
}

std::vector<uint8_t> make_device_descriptor(const Identity& id) {
  std::vector<uint8_t> d = {18, 1};
  put16(d, 0x0200);                 // bcdUSB
  d.insert(d.end(), {0, 0, 0, 8});  // class in the interface; endpoint 0 takes 8 bytes
  put16(d, 0x0627);                 // idVendor, idProduct and bcdDevice of QEMU's HID devices
  put16(d, 0x0001);
  put16(d, 0x0000);
  d.insert(d.end(), {kStringManufacturer, id.product_string, id.serial_string, 1});
  return d;
}

std::vector<uint8_t> make_configuration_descriptor(const Identity& id) {
  std::vector<uint8_t> d = {9,    2, 34, 0, 1, 1, id.config_string,
                            0xa0,                                      // bus powered, remote wakeup
                            50};                                       // 100 mA
  d.insert(d.end(), {9, 4, 0, 0, 1, 3, id.subclass, id.protocol, 0});  // interface 0: HID
  d.insert(d.end(), {9, kDescriptorHid});
  put16(d, id.hid_version);
  d.insert(d.end(), {0, 1, kDescriptorReport});
  put16(d, static_cast<uint16_t>(id.report->size()));
  d.insert(d.end(), {7, 5, 0x81, 3});  // endpoint 1 IN, interrupt
  put16(d, id.max_packet);
  d.push_back(10);  // polled every 10 ms
  return d;
}

int8_t take_clamped(int& value) {
  const int part = std::clamp(value, -127, 127);
  value -= part;
  return static_cast<int8_t>(part);
}

uint8_t button_bit(InputButton button) {
  switch (button) {
    case InputButton::kLeft:
      return 1;
    case InputButton::kRight:
      return 2;
    case InputButton::kMiddle:
      return 4;
    case InputButton::kSide:
      return 8;
    case InputButton::kExtra:
      return 16;
    default:
      return 0;
  }
}

}  // namespace

UsbHid::UsbHid(Kind kind, InputRouter& input)
    : UsbDevice(kind == Kind::kTablet  ? "usb-tablet"
                : kind == Kind::kMouse ? "usb-mouse"
                                       : "usb-kbd"),
      kind_(kind),
      input_(input) {
  // A keyboard takes the keys at once; a pointer once the guest polls it,
  // as QEMU's HID devices.
  input_.add(this, kind == Kind::kKeyboard);
}

const char* UsbHid::input_name() const {
  switch (kind_) {
    case Kind::kTablet:
      return "QEMU HID Tablet";
    case Kind::kMouse:
      return "QEMU HID Mouse";
    case Kind::kKeyboard:
      break;
  }
  return "QEMU HID Keyboard";
}

UsbHid::~UsbHid() {
  input_.remove(this);
}

unsigned UsbHid::input_kinds() const {
  using K = InputEvent::Kind;
  switch (kind_) {
    case Kind::kTablet:
      return input_kind_bit(K::kButton) | input_kind_bit(K::kAbsolute);
    case Kind::kMouse:
      return input_kind_bit(K::kButton) | input_kind_bit(K::kRelative);
    case Kind::kKeyboard:
      break;
  }
  return input_kind_bit(K::kKey);
}

void UsbHid::input_event(const InputEvent& event) {
  switch (event.kind) {
    case InputEvent::Kind::kKey: {
      // One report per key, as a keyboard sends them, so a press and its
      // release in one group both reach the guest, in order.
      if (event.key >= 0xe0 && event.key <= 0xe7) {
        const uint8_t bit = static_cast<uint8_t>(1u << (event.key - 0xe0));
        current_.modifiers = event.down ? current_.modifiers | bit : current_.modifiers & ~bit;
      } else if (event.key != 0 && event.key <= 0xff) {
        const uint8_t usage = static_cast<uint8_t>(event.key);
        std::erase(current_.keys, usage);
        if (event.down) current_.keys.push_back(usage);
      } else {
        break;  // not a key this keyboard has
      }
      queue_report();
      break;
    }
    case InputEvent::Kind::kButton:
      if (event.button == InputButton::kWheelUp) {
        current_.wheel += event.down ? 1 : 0;
      } else if (event.button == InputButton::kWheelDown) {
        current_.wheel -= event.down ? 1 : 0;
      } else {
        const uint8_t bit = button_bit(event.button);
        current_.buttons = event.down ? current_.buttons | bit : current_.buttons & ~bit;
      }
      break;
    case InputEvent::Kind::kRelative:
    case InputEvent::Kind::kAbsolute:
      if (event.kind == InputEvent::Kind::kAbsolute) {
        (event.axis == InputAxis::kX ? current_.x : current_.y) = event.value;
      } else {
        (event.axis == InputAxis::kX ? current_.x : current_.y) += event.value;
      }
      break;
  }
}

void UsbHid::input_sync() {
  if (kind_ != Kind::kKeyboard) queue_report();
}

void UsbHid::queue_report() {
  if (queue_.size() < kQueueLength) {
    queue_.push_back(current_);
  } else {
    // Full: the newest report takes this group too, so nothing is lost but
    // the steps in between.
    State& last = queue_.back();
    const State older = last;
    last = current_;
    if (kind_ == Kind::kMouse) {
      last.x += older.x;
      last.y += older.y;
    }
    last.wheel += older.wheel;
  }
  // What is queued carries the motion and wheel steps; the position stays.
  if (kind_ == Kind::kMouse) current_.x = current_.y = 0;
  current_.wheel = 0;
}

std::vector<uint8_t> UsbHid::report(State& state) const {
  switch (kind_) {
    case Kind::kTablet: {
      const int8_t wheel = take_clamped(state.wheel);
      const auto x = static_cast<uint16_t>(state.x), y = static_cast<uint16_t>(state.y);
      return {static_cast<uint8_t>(state.buttons & 7),
              static_cast<uint8_t>(x),
              static_cast<uint8_t>(x >> 8),
              static_cast<uint8_t>(y),
              static_cast<uint8_t>(y >> 8),
              static_cast<uint8_t>(wheel)};
    }
    case Kind::kMouse: {
      std::vector<uint8_t> r = {static_cast<uint8_t>(state.buttons & 0x1f),
                                static_cast<uint8_t>(take_clamped(state.x)),
                                static_cast<uint8_t>(take_clamped(state.y))};
      if (protocol_ != 0) {
        r.push_back(static_cast<uint8_t>(take_clamped(state.wheel)));
      } else {
        state.wheel = 0;  // the boot report has no wheel
      }
      return r;
    }
    case Kind::kKeyboard:
      break;
  }
  std::vector<uint8_t> r = {state.modifiers, 0, 0, 0, 0, 0, 0, 0};
  if (state.keys.size() > 6) {
    std::fill(r.begin() + 2, r.end(), 0x01);  // ErrorRollOver: too many keys held
  } else {
    std::copy(state.keys.begin(), state.keys.end(), r.begin() + 2);
  }
  return r;
}

const std::vector<uint8_t>& UsbHid::report_descriptor() const {
  return *identity(kind_).report;
}

const std::vector<uint8_t>& UsbHid::device_descriptor() const {
  static const std::vector<uint8_t> kDescriptors[] = {
      make_device_descriptor(identity(Kind::kTablet)),
      make_device_descriptor(identity(Kind::kMouse)),
      make_device_descriptor(identity(Kind::kKeyboard))};
  return kDescriptors[static_cast<int>(kind_)];
}

const std::vector<uint8_t>& UsbHid::configuration_descriptor() const {
  static const std::vector<uint8_t> kDescriptors[] = {
      make_configuration_descriptor(identity(Kind::kTablet)),
      make_configuration_descriptor(identity(Kind::kMouse)),
      make_configuration_descriptor(identity(Kind::kKeyboard))};
  return kDescriptors[static_cast<int>(kind_)];
}

std::optional<std::string> UsbHid::string(unsigned index) const {
  const std::string suffix = location().empty() ? "" : "-" + location();
  switch (index) {
    case kStringManufacturer:
      return "QEMU";
    case kStringProductMouse:
      return "QEMU USB Mouse";
    case kStringProductTablet:
      return "QEMU USB Tablet";
    case kStringProductKeyboard:
      return "QEMU USB Keyboard";
    case kStringConfigMouse:
      return "HID Mouse";
    case kStringConfigTablet:
      return "HID Tablet";
    case kStringConfigKeyboard:
      return "HID Keyboard";
    case kStringSerialMouse:
      return "89126" + suffix;
    case kStringSerialTablet:
      return "28754" + suffix;
    case kStringSerialKeyboard:
      return "68284" + suffix;
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<uint8_t>> UsbHid::class_request(const Setup& setup,
                                                          std::span<const uint8_t> out) {
  if ((setup.request_type & usb::kRecipientMask) != usb::kRecipientInterface || setup.index != 0) {
    return std::nullopt;
  }
  if ((setup.request_type & usb::kTypeMask) == usb::kTypeStandard) {  // to the interface
    if (setup.request != usb::kGetDescriptor) return std::nullopt;
    if (setup.value >> 8 == kDescriptorReport) return report_descriptor();
    if (setup.value >> 8 == kDescriptorHid) {
      const std::vector<uint8_t>& config = configuration_descriptor();
      return std::vector<uint8_t>(config.begin() + 18, config.begin() + 27);
    }
    return std::nullopt;
  }
  if ((setup.request_type & usb::kTypeMask) != usb::kTypeClass) return std::nullopt;
  switch (setup.request) {
    case kGetReport: {
      State state = current_;
      if (kind_ == Kind::kMouse) state.x = state.y = 0;
      state.wheel = 0;
      return report(state);
    }
    case kGetIdle:
      return std::vector<uint8_t>{idle_};
    case kGetProtocol:
      return std::vector<uint8_t>{protocol_};
    case kSetReport:
      if (kind_ == Kind::kKeyboard && !out.empty()) leds_ = out[0] & 0x1f;
      return std::vector<uint8_t>{};
    case kSetIdle:
      idle_ = static_cast<uint8_t>(setup.value >> 8);
      return std::vector<uint8_t>{};
    case kSetProtocol:
      if (kind_ == Kind::kTablet) return std::nullopt;  // no boot protocol
      protocol_ = setup.value ? 1 : 0;
      return std::vector<uint8_t>{};
    default:
      return std::nullopt;
  }
}

UsbResult UsbHid::data_in(uint8_t endpoint, std::span<uint8_t> buffer) {
  if (endpoint != 1) return {UsbResult::kStall, 0};
  if (!activated_ && kind_ != Kind::kKeyboard) {
    input_.activate(this);  // the guest reads it: pointer events come here now
    activated_ = true;
  }
  if (queue_.empty()) return {UsbResult::kNak, 0};  // nothing new
  State& front = queue_.front();
  std::vector<uint8_t> r = report(front);
  // A mouse's motion beyond one report's reach goes out in the next ones.
  if (kind_ != Kind::kMouse || (front.x == 0 && front.y == 0 && front.wheel == 0)) {
    queue_.pop_front();
  }
  const std::size_t n = std::min(r.size(), buffer.size());
  std::copy_n(r.begin(), n, buffer.begin());
  return {UsbResult::kAck, n};
}

void UsbHid::reset() {
  UsbDevice::reset();
  current_ = State{};
  queue_.clear();
  idle_ = 0;
  protocol_ = 1;
  leds_ = 0;
}

}  // namespace vx86
