#include <gtest/gtest.h>

#include "hw/misc/isa_debug_exit.h"
#include "hw/misc/port92.h"
#include "hw/misc/post_port.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

TEST(Port92Test, FastA20AndReset) {
  test::IoBus bus;
  RecordingSystemControl control;
  IrqLine a20;
  Port92 port(control, &a20);
  port.map(*bus.root);
  EXPECT_EQ(bus.inb(0x92), 0x00);
  bus.outb(0x92, 0x02);
  EXPECT_TRUE(a20.level());
  EXPECT_TRUE(port.a20_enabled());
  EXPECT_EQ(bus.inb(0x92), 0x02);
  EXPECT_FALSE(control.reset_requested);
  bus.outb(0x92, 0x03);  // bit 0: reset; reads back 0
  EXPECT_TRUE(control.reset_requested);
  EXPECT_EQ(bus.inb(0x92), 0x02);
  EXPECT_TRUE(a20.level());
  bus.outb(0x92, 0x00);
  EXPECT_FALSE(a20.level());
}

TEST(Port92Test, OtherBitsReadBackAndWordAccess) {
  test::IoBus bus;
  RecordingSystemControl control;
  Port92 port(control, nullptr);
  port.map(*bus.root);
  bus.outb(0x92, 0xc2);
  EXPECT_EQ(bus.inb(0x92), 0xc2);
  // A word access at 0x92 only reaches the byte port; 0x93 is unassigned.
  EXPECT_EQ(bus.inw(0x92), 0xffc2);
  bus.outw(0x91, 0x0200);
  EXPECT_EQ(bus.inb(0x92), 0x02);
}

TEST(Port92Test, SaveLoadAndReset) {
  RecordingSystemControl control;
  IrqLine a20, other_a20;
  Port92 port(control, &a20);
  Port92 other(control, &other_a20);
  test::IoBus bus;
  port.map(*bus.root);
  bus.outb(0x92, 0x02);
  test::copy_state(port, other);
  EXPECT_TRUE(other.a20_enabled());
  EXPECT_TRUE(other_a20.level());
  port.reset();
  EXPECT_FALSE(a20.level());
  EXPECT_EQ(bus.inb(0x92), 0x00);
}

TEST(PostPortTest, LastCodeReadsBack) {
  test::IoBus bus;
  PostPort post;
  post.map(*bus.root);
  EXPECT_EQ(bus.inb(0x80), 0x00);
  bus.outb(0x80, 0x55);
  bus.outb(0x80, 0xaa);
  EXPECT_EQ(bus.inb(0x80), 0xaa);
  EXPECT_EQ(post.last_code(), 0xaa);
  bus.outw(0x80, 0x1234);  // only the low byte is the POST port
  EXPECT_EQ(post.last_code(), 0x34);
  PostPort other;
  test::copy_state(post, other);
  EXPECT_EQ(other.last_code(), 0x34);
  post.reset();
  EXPECT_EQ(post.last_code(), 0);
}

TEST(IsaDebugExitTest, WriteExitsWithStatus) {
  test::IoBus bus;
  RecordingSystemControl control;
  IsaDebugExit dev(control);
  dev.map(*bus.root);
  EXPECT_EQ(bus.inb(0x501), 0);
  EXPECT_EQ(bus.inw(0x501), 0);
  EXPECT_FALSE(control.exit_requested);
  bus.outb(0x501, 0x00);
  EXPECT_TRUE(control.exit_requested);
  EXPECT_EQ(control.exit_status, 1);
  bus.outb(0x501, 0x31);
  EXPECT_EQ(control.exit_status, 0x63);
  bus.outb(0x502, 0x02);  // the second port of the default iosize 2
  EXPECT_EQ(control.exit_status, 5);
  // A word write is one write of the whole value.
  bus.outw(0x501, 0x0010);
  EXPECT_EQ(control.exit_status, 0x21);
}

TEST(IsaDebugExitTest, CustomBaseAndSize) {
  test::IoBus bus;
  RecordingSystemControl control;
  IsaDebugExit dev(control, 4);
  dev.map(*bus.root, 0xf4);
  EXPECT_EQ(dev.region()->size(), 4u);
  bus.as.write(0xf4, 0x10, 4);
  EXPECT_EQ(control.exit_status, 0x21);
  bus.outb(0xf7, 0x01);
  EXPECT_EQ(control.exit_status, 3);
  EXPECT_THROW(IsaDebugExit(control, 3), std::runtime_error);
}

}  // namespace
}  // namespace vx86
