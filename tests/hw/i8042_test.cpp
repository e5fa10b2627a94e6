#include "hw/input/i8042.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/key_names.h"
#include "hw/input/ps2_keyboard.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

// HID usages used below.
constexpr uint16_t kKeyA = 0x04, kKeyUp = 0x52, kKeyPrintScreen = 0x46, kKeyPause = 0x48,
                   kKeyLeftShift = 0xe1, kKeyF7 = 0x40;

class I8042Test : public ::testing::Test {
 protected:
  I8042Test() {
    a20.set_handler([this](bool level) { a20_changes += 1; });
    kbc.map(*bus.root);
  }
  void command(uint8_t c) { bus.outb(0x64, c); }
  void command(uint8_t c, uint8_t data) {
    bus.outb(0x64, c);
    bus.outb(0x60, data);
  }
  uint8_t status() { return bus.inb(0x64); }
  // Everything waiting in the output buffer.
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> out;
    while (status() & 0x01) out.push_back(bus.inb(0x60));
    return out;
  }
  void set_command_byte(uint8_t v) { command(0x60, v); }
  using Bytes = std::vector<uint8_t>;

  test::IoBus bus;
  RecordingSystemControl control;
  IrqLine irq1, irq12, a20;
  int a20_changes = 0;
  I8042 kbc{control, &irq1, &irq12, &a20};
};

TEST_F(I8042Test, ResetState) {
  EXPECT_EQ(status(), 0x10);
  EXPECT_EQ(kbc.command_byte(), 0x41);
  EXPECT_TRUE(a20.level());
  EXPECT_FALSE(irq1.level());
}

TEST_F(I8042Test, SelfTestAndInterfaceTests) {
  command(0xaa);
  EXPECT_EQ(status() & 0x0d, 0x0d);  // OBF, SYS, last write was a command
  EXPECT_EQ(drain(), Bytes{0x55});
  command(0xab);
  EXPECT_EQ(drain(), Bytes{0x00});
  command(0xa9);
  EXPECT_EQ(drain(), Bytes{0x00});
  command(0xa4);
  EXPECT_EQ(drain(), Bytes{0xf1});
  command(0xc0);
  EXPECT_EQ(drain(), Bytes{0x80});
  command(0xe0);
  EXPECT_EQ(drain(), Bytes{0x00});
}

TEST_F(I8042Test, CommandByteAndRam) {
  command(0x20);
  EXPECT_TRUE(irq1.level());  // responses raise IRQ1 when enabled
  EXPECT_EQ(drain(), Bytes{0x41});
  EXPECT_FALSE(irq1.level());
  set_command_byte(0x24);
  EXPECT_EQ(status() & 0x0c, 0x04);  // SYS from the command byte; data write clears bit 3
  command(0x20);
  EXPECT_FALSE(irq1.level());  // IRQ1 disabled now
  EXPECT_EQ(drain(), Bytes{0x24});
  command(0x65, 0x9a);
  command(0x25);
  EXPECT_EQ(drain(), Bytes{0x9a});
}

TEST_F(I8042Test, DisableEnablePorts) {
  command(0xad);
  EXPECT_EQ(kbc.command_byte() & 0x10, 0x10);
  kbc.keyboard().key_event(kKeyA, true);
  EXPECT_EQ(status() & 0x01, 0x00);  // held in the keyboard
  command(0xae);
  EXPECT_EQ(kbc.command_byte() & 0x10, 0x00);
  EXPECT_EQ(drain(), Bytes{0x1e});
  command(0xa8);
  EXPECT_EQ(kbc.command_byte() & 0x20, 0x00);
  command(0xa7);
  EXPECT_EQ(kbc.command_byte() & 0x20, 0x20);
  command(0xd4, 0xf2);  // mouse answers, but the aux port is disabled
  EXPECT_TRUE(drain().empty());
  command(0xa8);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0x00}));
}

TEST_F(I8042Test, OutputPortAndA20) {
  command(0xd0);
  EXPECT_EQ(drain(), Bytes{0xcf});
  command(0xd1, 0xcd);
  EXPECT_FALSE(a20.level());
  EXPECT_FALSE(kbc.a20_enabled());
  command(0xd1, 0xcf);
  EXPECT_TRUE(a20.level());
  command(0xdd);
  EXPECT_FALSE(a20.level());
  command(0xdf);
  EXPECT_TRUE(a20.level());
  EXPECT_EQ(a20_changes, 4);
  EXPECT_FALSE(control.reset_requested);
  // Output port IRQ bits follow the buffer.
  set_command_byte(0x43);
  command(0xd2, 0x11);  // keyboard data in the buffer: IRQ1 asserted
  command(0xd0);
  EXPECT_EQ(drain(), (Bytes{0x11, 0xdf}));
  // Clearing bit 0 resets the CPU.
  command(0xd1, 0xce);
  EXPECT_TRUE(control.reset_requested);
}

TEST_F(I8042Test, PulseResetCommand) {
  command(0xff);  // pulses nothing
  EXPECT_FALSE(control.reset_requested);
  command(0xfe);
  EXPECT_TRUE(control.reset_requested);
}

TEST_F(I8042Test, KeyboardResetAndCommands) {
  bus.outb(0x60, 0xff);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xaa}));
  bus.outb(0x60, 0xed);
  bus.outb(0x60, 0x05);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa}));
  EXPECT_EQ(kbc.keyboard().leds(), 0x05);
  bus.outb(0x60, 0xee);
  EXPECT_EQ(drain(), Bytes{0xee});
  bus.outb(0x60, 0xf3);
  bus.outb(0x60, 0x20);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa}));
  EXPECT_EQ(kbc.keyboard().typematic(), 0x20);
  bus.outb(0x60, 0xf5);
  EXPECT_EQ(drain(), Bytes{0xfa});
  EXPECT_FALSE(kbc.keyboard().scanning());
  kbc.keyboard().key_event(kKeyA, true);
  EXPECT_TRUE(drain().empty());
  bus.outb(0x60, 0xf4);
  EXPECT_EQ(drain(), Bytes{0xfa});
  bus.outb(0x60, 0xab);  // unknown
  EXPECT_EQ(drain(), Bytes{0xfe});
  bus.outb(0x60, 0xfe);  // resend
  EXPECT_EQ(drain(), Bytes{0xfe});
}

TEST_F(I8042Test, CommandRepliesOvertakeQueuedScanCodes) {
  command(0xad);
  kbc.keyboard().key_event(kKeyA, true);
  kbc.keyboard().key_event(kKeyA, false);
  bus.outb(0x60, 0xee);  // writing to the keyboard re-enables its port
  EXPECT_EQ(drain(), (Bytes{0xee, 0x1e, 0x9e}));
}

TEST_F(I8042Test, IdentifyAndScanCodeSetWithAndWithoutTranslation) {
  bus.outb(0x60, 0xf2);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xab, 0x41}));  // 0x83 translated
  bus.outb(0x60, 0xf0);
  bus.outb(0x60, 0x00);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa, 0x41}));  // set 2, translated
  set_command_byte(0x01);                         // no XLATE
  bus.outb(0x60, 0xf2);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xab, 0x83}));
  bus.outb(0x60, 0xf0);
  bus.outb(0x60, 0x00);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa, 0x02}));
  bus.outb(0x60, 0xf0);
  bus.outb(0x60, 0x01);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa}));
  EXPECT_EQ(kbc.keyboard().scancode_set(), 1);
  bus.outb(0x60, 0xf0);
  bus.outb(0x60, 0x07);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfe}));
}

TEST_F(I8042Test, ScanCodesSet2Raw) {
  set_command_byte(0x01);
  auto& kbd = kbc.keyboard();
  kbd.key_event(kKeyA, true);
  kbd.key_event(kKeyA, false);
  EXPECT_EQ(drain(), (Bytes{0x1c, 0xf0, 0x1c}));
  kbd.key_event(kKeyUp, true);
  kbd.key_event(kKeyUp, false);
  EXPECT_EQ(drain(), (Bytes{0xe0, 0x75, 0xe0, 0xf0, 0x75}));
  kbd.key_event(kKeyF7, true);
  EXPECT_EQ(drain(), Bytes{0x83});
  kbd.key_event(kKeyPrintScreen, true);
  kbd.key_event(kKeyPrintScreen, false);
  EXPECT_EQ(drain(), (Bytes{0xe0, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12}));
  kbd.key_event(kKeyPause, true);
  kbd.key_event(kKeyPause, false);
  EXPECT_EQ(drain(), (Bytes{0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77}));
  EXPECT_FALSE(kbd.key_event(0x01, true));  // not a key
  uint8_t raw[] = {0x12, 0xf0, 0x12};
  kbd.send_set2(raw, sizeof(raw));
  EXPECT_EQ(drain(), (Bytes{0x12, 0xf0, 0x12}));
}

TEST_F(I8042Test, ScanCodesTranslatedToSet1) {
  auto& kbd = kbc.keyboard();
  kbd.key_event(kKeyA, true);
  kbd.key_event(kKeyA, false);
  EXPECT_EQ(drain(), (Bytes{0x1e, 0x9e}));
  kbd.key_event(kKeyUp, true);
  kbd.key_event(kKeyUp, false);
  EXPECT_EQ(drain(), (Bytes{0xe0, 0x48, 0xe0, 0xc8}));
  kbd.key_event(kKeyLeftShift, true);
  EXPECT_EQ(drain(), Bytes{0x2a});
  kbd.key_event(kKeyPause, true);
  EXPECT_EQ(drain(), (Bytes{0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5}));
}

TEST_F(I8042Test, KeyMapSpotChecks) {
  // HID usage -> translated set 1 make code, for keys across the table.
  const std::pair<uint16_t, Bytes> cases[] = {
      {0x04, {0x1e}},       {0x1d, {0x2c}},       {0x1e, {0x02}},       {0x27, {0x0b}},
      {0x28, {0x1c}},       {0x29, {0x01}},       {0x2c, {0x39}},       {0x3a, {0x3b}},
      {0x45, {0x58}},       {0x53, {0x45}},       {0x62, {0x52}},       {0xe0, {0x1d}},
      {0xe4, {0xe0, 0x1d}}, {0xe6, {0xe0, 0x38}}, {0x4c, {0xe0, 0x53}}, {0x58, {0xe0, 0x1c}},
  };
  for (const auto& [usage, make] : cases) {
    EXPECT_TRUE(kbc.keyboard().key_event(usage, true));
    EXPECT_EQ(drain(), make) << "usage 0x" << std::hex << usage;
  }
}

TEST_F(I8042Test, KeyboardInSet1WithoutTranslation) {
  set_command_byte(0x01);
  bus.outb(0x60, 0xf0);
  bus.outb(0x60, 0x01);
  drain();
  kbc.keyboard().key_event(kKeyA, true);
  kbc.keyboard().key_event(kKeyA, false);
  EXPECT_EQ(drain(), (Bytes{0x1e, 0x9e}));
}

TEST_F(I8042Test, KeyboardIrqPerByte) {
  kbc.keyboard().key_event(kKeyUp, true);
  EXPECT_TRUE(irq1.level());
  EXPECT_EQ(bus.inb(0x60), 0xe0);
  EXPECT_TRUE(irq1.level());  // the next byte is loaded at once
  EXPECT_EQ(bus.inb(0x60), 0x48);
  EXPECT_FALSE(irq1.level());
  EXPECT_EQ(bus.inb(0x60), 0x48);  // empty buffer: last byte again
}

TEST_F(I8042Test, WriteToAuxAndMouseCommands) {
  set_command_byte(0x03);  // both IRQs, no XLATE, both ports enabled
  command(0xd4, 0xff);
  EXPECT_TRUE(irq12.level());
  EXPECT_FALSE(irq1.level());
  EXPECT_EQ(status() & 0x21, 0x21);  // aux data in the buffer
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xaa, 0x00}));
  EXPECT_FALSE(irq12.level());
  command(0xd4, 0xf2);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0x00}));
  command(0xd4, 0xe8);
  command(0xd4, 0x03);
  command(0xd4, 0xf3);
  command(0xd4, 40);
  command(0xd4, 0xe7);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0xfa}));
  command(0xd4, 0xe9);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0x10, 0x03, 40}));
  command(0xd4, 0xe6);
  command(0xd4, 0xf6);
  command(0xd4, 0xe9);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0xfa, 0xfa, 0x00, 0x02, 100}));
  command(0xd4, 0x42);  // unknown
  EXPECT_EQ(drain(), Bytes{0xfe});
}

TEST_F(I8042Test, MouseStreamPackets) {
  set_command_byte(0x03);
  auto& mouse = kbc.mouse();
  mouse.move(5, 5);  // reporting disabled after reset
  EXPECT_TRUE(drain().empty());
  command(0xd4, 0xf4);
  EXPECT_EQ(drain(), Bytes{0xfa});
  mouse.move(10, -3);  // right and up
  EXPECT_EQ(drain(), (Bytes{0x08, 10, 3}));
  mouse.set_buttons(Ps2Mouse::kButtonLeft);
  EXPECT_EQ(drain(), (Bytes{0x09, 0, 0}));
  mouse.move(-2, 4);
  EXPECT_EQ(drain(), (Bytes{0x39, 0xfe, 0xfc}));
  mouse.move(300, 0);  // split into packets within 9-bit range
  EXPECT_EQ(drain(), (Bytes{0x09, 0xff, 0x00, 0x09, 45, 0x00}));
  command(0xd4, 0xe9);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0x24, 0x02, 100}));
  command(0xd4, 0xf5);
  drain();
  mouse.move(1, 1);
  EXPECT_TRUE(drain().empty());
}

TEST_F(I8042Test, MouseRemoteModeReadData) {
  set_command_byte(0x03);
  command(0xd4, 0xf0);
  command(0xd4, 0xf4);
  drain();
  kbc.mouse().move(7, 0);
  EXPECT_TRUE(drain().empty());
  command(0xd4, 0xeb);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0x08, 7, 0}));
  command(0xd4, 0xe9);
  EXPECT_EQ(drain()[1], 0x60);
  command(0xd4, 0xea);
  drain();
  EXPECT_FALSE(kbc.mouse().remote_mode());
}

TEST_F(I8042Test, MouseWrapModeAndIntelliMouse) {
  set_command_byte(0x03);
  command(0xd4, 0xee);
  command(0xd4, 0x12);
  command(0xd4, 0xec);
  EXPECT_EQ(drain(), (Bytes{0xfa, 0x12, 0xfa}));
  for (uint8_t rate : {200, 100, 80}) {
    command(0xd4, 0xf3);
    command(0xd4, rate);
  }
  command(0xd4, 0xf2);
  auto bytes = drain();
  EXPECT_EQ(bytes.back(), 0x03);
  command(0xd4, 0xf4);
  drain();
  kbc.mouse().move(1, 0, -1);
  EXPECT_EQ(drain(), (Bytes{0x08, 1, 0, 0xff}));
}

TEST_F(I8042Test, WriteKeyboardAndAuxOutputBuffer) {
  set_command_byte(0x03);
  command(0xd2, 0x5a);
  EXPECT_TRUE(irq1.level());
  EXPECT_EQ(status() & 0x20, 0);
  EXPECT_EQ(drain(), Bytes{0x5a});
  command(0xd3, 0xa5);
  EXPECT_TRUE(irq12.level());
  EXPECT_EQ(status() & 0x20, 0x20);
  EXPECT_EQ(drain(), Bytes{0xa5});
}

TEST_F(I8042Test, WordAccessOnlyReachesTheBytePort) {
  // 0x65 is not the controller's: the high byte goes nowhere.
  bus.outw(0x64, 0x20aa);
  EXPECT_EQ(bus.inb(0x60), 0x55);
  EXPECT_EQ(bus.inw(0x64), 0xff1c);  // status, then an unassigned port
}

TEST_F(I8042Test, TwoInstancesAreIndependent) {
  RecordingSystemControl other_control;
  I8042 other(other_control, nullptr, nullptr, nullptr);
  other.keyboard().key_event(kKeyA, true);
  EXPECT_EQ(status() & 0x01, 0);
  command(0xfe);
  EXPECT_FALSE(other_control.reset_requested);
}

TEST_F(I8042Test, SaveLoadRoundTrip) {
  set_command_byte(0x03);
  command(0xd1, 0xcd);
  bus.outb(0x60, 0xed);
  bus.outb(0x60, 0x02);
  drain();
  command(0xd4, 0xf4);
  drain();
  kbc.keyboard().key_event(kKeyA, true);
  kbc.keyboard().key_event(kKeyUp, true);
  RecordingSystemControl other_control;
  IrqLine other_irq1, other_irq12, other_a20;
  other_a20.set(true);
  I8042 other(other_control, &other_irq1, &other_irq12, &other_a20);
  test::copy_state(kbc, other);
  EXPECT_TRUE(other_irq1.level());
  EXPECT_FALSE(other_a20.level());
  EXPECT_EQ(other.keyboard().leds(), 0x02);
  EXPECT_TRUE(other.mouse().reporting());
  test::IoBus other_bus;
  other.map(*other_bus.root);
  std::vector<uint8_t> got;
  while (other_bus.inb(0x64) & 1) got.push_back(other_bus.inb(0x60));
  EXPECT_EQ(got, (Bytes{0x1c, 0xe0, 0x75}));
}

}  // namespace
}  // namespace vx86

namespace vx86 {
namespace {

// Every key name sendkey/send-key take is a key the PS/2 keyboard can send:
// a make code on press and a different break code on release.
TEST(KeyNames, EveryNameIsAKeyThePs2KeyboardSends) {
  for (const KeyName& key : key_names()) {
    Ps2Keyboard kbd;  // scanning after reset
    ASSERT_TRUE(kbd.key_event(key.hid_usage, true)) << key.name;
    std::vector<uint8_t> make, brk;
    while (kbd.has_data()) make.push_back(kbd.pop());
    ASSERT_TRUE(kbd.key_event(key.hid_usage, false)) << key.name;
    while (kbd.has_data()) brk.push_back(kbd.pop());
    EXPECT_FALSE(make.empty()) << key.name;
    EXPECT_NE(make, brk) << key.name;
  }
  EXPECT_EQ(hid_usage_of_key("ret"), std::optional<uint16_t>(0x28));
  EXPECT_EQ(hid_usage_of_key("kp_7"), std::optional<uint16_t>(0x5f));
  EXPECT_EQ(hid_usage_of_key("Ret"), std::nullopt);  // names are lower case, as QEMU's
}

// QEMU's key numbers are the keys' set 1 make codes (0x80 for E0-prefixed
// ones): what the keyboard sends in set 1 for that key.
TEST(KeyNames, NumbersAreTheKeysSet1Codes) {
  for (const KeyName& key : key_names()) {
    if (key.hid_usage == 0x46 || key.hid_usage == 0x48) continue;  // Print Screen, Pause
    Ps2Keyboard kbd;
    kbd.write_from_host(0xf0);  // scan code set 1
    kbd.write_from_host(0x01);
    while (kbd.has_data()) kbd.pop();
    ASSERT_TRUE(kbd.key_event(key.hid_usage, true));
    std::vector<uint8_t> make;
    while (kbd.has_data()) make.push_back(kbd.pop());
    const unsigned number = make.size() == 2 && make[0] == 0xe0 ? 0x80u | make[1] : make[0];
    EXPECT_EQ(hid_usage_of_key_number(number), std::optional<uint16_t>(key.hid_usage)) << key.name;
  }
  EXPECT_EQ(hid_usage_of_key_number(0x1e), std::optional<uint16_t>(0x04));  // a
  EXPECT_EQ(hid_usage_of_key_number(0xc8), std::optional<uint16_t>(0x52));  // up
  EXPECT_EQ(hid_usage_of_key_number(0xb7), std::optional<uint16_t>(0x46));  // print screen
  EXPECT_EQ(hid_usage_of_key_number(0xc6), std::optional<uint16_t>(0x48));  // pause
  EXPECT_EQ(hid_usage_of_key_number(0x00), std::nullopt);
}

}  // namespace
}  // namespace vx86
