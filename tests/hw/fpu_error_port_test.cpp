#include <gtest/gtest.h>

#include "hw/misc/fpu_error_port.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

struct FpuErrorPortTest : ::testing::Test {
  test::IoBus bus;
  IrqLine irq13;
  int irq13_edges = 0;
  FpuErrorPort port{&irq13};

  FpuErrorPortTest() {
    irq13.set_handler([this](bool level) { irq13_edges += level ? 1 : 0; });
    port.map(*bus.root);
  }
};

// The IRQ 13 handler's sequence: FERR# latches IRQ 13, the write to 0xF0
// clears it and asserts IGNNE#, which lasts until FERR# falls.
TEST_F(FpuErrorPortTest, FerrLatchesIrq13AndPortF0AssertsIgnne) {
  EXPECT_FALSE(irq13.level());
  port.ferr().raise();
  EXPECT_TRUE(irq13.level());
  EXPECT_FALSE(port.ignne().level());
  bus.outb(0xf0, 0x00);
  EXPECT_FALSE(irq13.level());
  EXPECT_TRUE(port.ignne().level());
  bus.outb(0xf0, 0x5a);  // any value, again: no change
  EXPECT_FALSE(irq13.level());
  EXPECT_TRUE(port.ignne().level());
  port.ferr().lower();
  EXPECT_FALSE(port.ignne().level());
  EXPECT_FALSE(irq13.level());
  // The next error interrupts again.
  port.ferr().raise();
  EXPECT_TRUE(irq13.level());
  EXPECT_EQ(irq13_edges, 2);
}

TEST_F(FpuErrorPortTest, NoIgnneWithoutAnError) {
  bus.outb(0xf0, 0x00);
  EXPECT_FALSE(port.ignne().level());
  EXPECT_FALSE(irq13.level());
  EXPECT_EQ(bus.inb(0xf0), 0xff);  // write-only
}

// Only the port clears the latch, as on the chipset: an error cleared without
// the write leaves IRQ 13 requested.
TEST_F(FpuErrorPortTest, LatchHoldsUntilThePortIsWritten) {
  port.ferr().raise();
  port.ferr().lower();
  EXPECT_TRUE(port.irq13_latched());
  EXPECT_TRUE(irq13.level());
  bus.outb(0xf0, 0x00);
  EXPECT_FALSE(irq13.level());
  EXPECT_FALSE(port.ignne().level());  // FERR# is down: nothing to ignore
}

TEST_F(FpuErrorPortTest, ResetAndSaveLoad) {
  port.ferr().raise();
  bus.outb(0xf0, 0x00);
  IrqLine other_irq13;
  FpuErrorPort other(&other_irq13);
  test::copy_state(port, other);
  EXPECT_TRUE(other.ferr().level());
  EXPECT_TRUE(other.ignne().level());
  EXPECT_FALSE(other.irq13_latched());
  EXPECT_FALSE(other_irq13.level());
  port.reset();
  EXPECT_FALSE(port.ferr().level());
  EXPECT_FALSE(port.ignne().level());
  EXPECT_FALSE(irq13.level());
  // After reset a new error raises IRQ 13 again.
  port.ferr().raise();
  EXPECT_TRUE(irq13.level());
}

}  // namespace
}  // namespace vx86
