#include "hw/intc/i8259.h"

#include <gtest/gtest.h>

#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

class I8259Test : public ::testing::Test {
 protected:
  I8259Test() {
    intr.set_handler([this](bool level) { intr_changes += 1; });
    pic.map(*bus.root);
  }
  // The BIOS-style initialisation: master vectors 0x08, slave 0x70.
  void init(uint8_t icw4 = 0x01) {
    bus.outb(0x20, 0x11);
    bus.outb(0x21, 0x08);
    bus.outb(0x21, 0x04);
    bus.outb(0x21, icw4);
    bus.outb(0xA0, 0x11);
    bus.outb(0xA1, 0x70);
    bus.outb(0xA1, 0x02);
    bus.outb(0xA1, icw4);
    bus.outb(0x21, 0x00);
    bus.outb(0xA1, 0x00);
  }
  uint8_t read_isr(uint16_t base) {
    bus.outb(base, 0x0b);
    uint8_t v = bus.inb(base);
    bus.outb(base, 0x0a);
    return v;
  }
  test::IoBus bus;
  IrqLine intr;
  int intr_changes = 0;
  I8259 pic{&intr};
};

TEST_F(I8259Test, InitAndMaskRegister) {
  init();
  EXPECT_EQ(pic.master().vector_base(), 0x08);
  EXPECT_EQ(pic.slave().vector_base(), 0x70);
  bus.outb(0x21, 0xb8);
  EXPECT_EQ(bus.inb(0x21), 0xb8);
  bus.outb(0xA1, 0x5a);
  EXPECT_EQ(bus.inb(0xA1), 0x5a);
  // ICW1 clears the mask.
  bus.outb(0x20, 0x11);
  EXPECT_EQ(bus.inb(0x21), 0x00);
}

TEST_F(I8259Test, EdgeInterruptDeliveryAndEoi) {
  init();
  EXPECT_FALSE(pic.interrupt_pending());
  pic.input(4).pulse();
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_TRUE(intr.level());
  EXPECT_EQ(bus.inb(0x20), 0x10);  // IRR
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 4);
  EXPECT_FALSE(intr.level());
  EXPECT_EQ(bus.inb(0x20), 0x00);
  EXPECT_EQ(read_isr(0x20), 0x10);
  bus.outb(0x20, 0x20);  // non-specific EOI
  EXPECT_EQ(read_isr(0x20), 0x00);
}

TEST_F(I8259Test, PriorityAndNesting) {
  init();
  pic.input(5).raise();
  pic.input(3).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
  // IRQ 5 is lower priority than in-service IRQ 3: blocked.
  EXPECT_FALSE(pic.interrupt_pending());
  // A higher-priority request nests.
  pic.input(1).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 1);
  EXPECT_EQ(read_isr(0x20), 0x0a);
  bus.outb(0x20, 0x20);  // EOI clears the highest (IRQ 1)
  EXPECT_EQ(read_isr(0x20), 0x08);
  EXPECT_FALSE(pic.interrupt_pending());
  bus.outb(0x20, 0x63);  // specific EOI for IRQ 3
  EXPECT_EQ(read_isr(0x20), 0x00);
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 5);
}

TEST_F(I8259Test, MaskedRequestIsHeld) {
  init();
  bus.outb(0x21, 0x01);
  pic.input(0).pulse();
  EXPECT_FALSE(pic.interrupt_pending());
  EXPECT_EQ(bus.inb(0x20), 0x01);
  bus.outb(0x21, 0x00);
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08);
}

TEST_F(I8259Test, EdgeNeedsNewRisingEdge) {
  init();
  pic.input(6).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 6);
  bus.outb(0x20, 0x20);
  // Still high, but no new edge: nothing pending.
  EXPECT_FALSE(pic.interrupt_pending());
  pic.input(6).lower();
  pic.input(6).raise();
  EXPECT_TRUE(pic.interrupt_pending());
}

TEST_F(I8259Test, CascadeThroughIrq2) {
  init();
  pic.input(12).pulse();
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(bus.inb(0xA0), 0x10);
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 4);
  EXPECT_EQ(read_isr(0x20), 0x04);
  EXPECT_EQ(read_isr(0xA0), 0x10);
  // Slave and master both need EOI.
  bus.outb(0xA0, 0x20);
  bus.outb(0x20, 0x20);
  EXPECT_EQ(read_isr(0x20), 0x00);
  EXPECT_EQ(read_isr(0xA0), 0x00);
  // Slave IRQs sit at IRQ2's priority: IRQ1 beats IRQ8, IRQ8 beats IRQ3.
  pic.input(3).pulse();
  pic.input(8).pulse();
  pic.input(1).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 1);
  bus.outb(0x20, 0x20);
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 0);
  bus.outb(0xA0, 0x20);
  bus.outb(0x20, 0x20);
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
}

TEST_F(I8259Test, SlaveSecondRequestAfterEoi) {
  init();
  pic.input(9).pulse();
  pic.input(11).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 1);
  bus.outb(0xA0, 0x20);
  bus.outb(0x20, 0x20);
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 3);
}

TEST_F(I8259Test, IsaIrq2IsRoutedToIrq9) {
  init();
  pic.input(2).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 1);
  bus.outb(0xA0, 0x20);
  bus.outb(0x20, 0x20);
  pic.input(9).raise();  // already high through IRQ2: no new edge
  EXPECT_FALSE(pic.interrupt_pending());
  pic.input(2).lower();
  pic.input(9).lower();
  pic.input(9).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 1);
}

TEST_F(I8259Test, SpuriousIrq7And15) {
  init();
  // Level-triggered IRQ 5 that goes away before INTA.
  bus.outb(0x4D0, 0x20);
  EXPECT_EQ(bus.inb(0x4D0), 0x20);
  pic.input(5).raise();
  EXPECT_TRUE(pic.interrupt_pending());
  pic.input(5).lower();
  EXPECT_FALSE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 7);
  EXPECT_EQ(read_isr(0x20), 0x00);
  // Slave level IRQ 10 drops after the master latched its IR2 edge.
  bus.outb(0x4D1, 0x04);
  pic.input(10).raise();
  pic.input(10).lower();
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 7);
  EXPECT_EQ(read_isr(0xA0), 0x00);
  EXPECT_EQ(read_isr(0x20), 0x04);  // the master did see IR2
}

TEST_F(I8259Test, ElcrLevelMode) {
  init();
  bus.outb(0x4D0, 0xff);
  EXPECT_EQ(bus.inb(0x4D0), 0xf8);  // IRQ 0-2 cannot be level
  bus.outb(0x4D1, 0xff);
  EXPECT_EQ(bus.inb(0x4D1), 0xde);  // IRQ 8 and 13 cannot be level
  bus.outb(0x4D0, 0x08);
  pic.input(3).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
  bus.outb(0x20, 0x20);
  // Still asserted: requested again without a new edge.
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
  pic.input(3).lower();
  bus.outb(0x20, 0x20);
  EXPECT_FALSE(pic.interrupt_pending());
  // ICW1 LTIM makes every input level-triggered.
  bus.outb(0x4D0, 0x00);
  bus.outb(0x20, 0x19);
  bus.outb(0x21, 0x08);
  bus.outb(0x21, 0x04);
  bus.outb(0x21, 0x01);
  pic.input(6).raise();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 6);
  bus.outb(0x20, 0x20);
  EXPECT_TRUE(pic.interrupt_pending());
}

TEST_F(I8259Test, AutoEoi) {
  init(0x03);
  pic.input(4).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 4);
  EXPECT_EQ(read_isr(0x20), 0x00);
  pic.input(6).pulse();
  EXPECT_TRUE(pic.interrupt_pending());  // not blocked by IRQ 4
}

TEST_F(I8259Test, RotateOnEoiAndSetPriority) {
  init();
  // Rotate on non-specific EOI: serviced IRQ becomes lowest priority.
  pic.input(0).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08);
  bus.outb(0x20, 0xa0);
  pic.input(0).pulse();
  pic.input(5).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 5);  // 0 is now lowest
  bus.outb(0x20, 0xe5);                              // rotate on specific EOI 5
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 0);
  bus.outb(0x20, 0x60);
  // Set priority: IRQ 3 lowest, so IRQ 4 is highest.
  bus.outb(0x20, 0xc3);
  pic.input(3).pulse();
  pic.input(4).pulse();
  pic.input(7).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 4);
  bus.outb(0x20, 0x20);
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 7);
  bus.outb(0x20, 0x20);
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
}

TEST_F(I8259Test, RotateInAutoEoiMode) {
  init(0x03);
  bus.outb(0x20, 0x80);  // set rotate in auto-EOI
  pic.input(1).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 1);
  pic.input(1).pulse();
  pic.input(4).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 4);  // 1 became lowest
  bus.outb(0x20, 0x00);                              // clear rotate in auto-EOI
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 1);
}

TEST_F(I8259Test, SpecialMaskMode) {
  init();
  pic.input(3).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
  pic.input(5).pulse();
  EXPECT_FALSE(pic.interrupt_pending());
  bus.outb(0x21, 0x08);  // mask the in-service level
  bus.outb(0x20, 0x68);  // set special mask mode
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 5);
  bus.outb(0x20, 0x48);  // reset special mask mode
  pic.input(6).pulse();
  EXPECT_FALSE(pic.interrupt_pending());
}

TEST_F(I8259Test, PollMode) {
  init();
  bus.outb(0x21, 0xff);  // polling works with the CPU's INTR ignored
  bus.outb(0x20, 0x0c);
  EXPECT_EQ(bus.inb(0x20), 0x00);  // nothing requested
  bus.outb(0x21, 0x00);
  pic.input(6).pulse();
  bus.outb(0x20, 0x0c);
  EXPECT_EQ(bus.inb(0x20), 0x86);
  EXPECT_EQ(read_isr(0x20), 0x40);  // poll acknowledged it
  EXPECT_EQ(bus.inb(0x20), 0x00);   // back to IRR reads
}

TEST_F(I8259Test, SpecialFullyNestedMode) {
  init();
  // Master in SFNM (ICW4 bit 4).
  bus.outb(0x20, 0x11);
  bus.outb(0x21, 0x08);
  bus.outb(0x21, 0x04);
  bus.outb(0x21, 0x11);
  pic.input(12).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 4);
  pic.input(9).pulse();  // higher priority on the slave
  EXPECT_TRUE(pic.interrupt_pending());
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x70 + 1);
}

TEST_F(I8259Test, IntrOutputFollowsState) {
  init();
  pic.input(1).pulse();
  EXPECT_TRUE(intr.level());
  bus.outb(0x21, 0x02);
  EXPECT_FALSE(intr.level());
  bus.outb(0x21, 0x00);
  EXPECT_TRUE(intr.level());
}

TEST_F(I8259Test, WordAccessSplitsIntoBytePorts) {
  init();
  // A 16-bit OUT to 0x20 writes 0x20 then 0x21 (ports are byte-wide).
  bus.outw(0x20, 0x5a0b);  // OCW3 read ISR, then IMR = 0x5a
  EXPECT_EQ(bus.inb(0x21), 0x5a);
  EXPECT_EQ(bus.inw(0x20), 0x5a00);  // ISR (0) and IMR
}

TEST_F(I8259Test, TwoInstancesAreIndependent) {
  I8259 other;
  init();
  pic.input(3).pulse();
  EXPECT_FALSE(other.interrupt_pending());
  EXPECT_TRUE(pic.interrupt_pending());
}

TEST_F(I8259Test, SaveLoadRoundTrip) {
  init();
  bus.outb(0x4D1, 0x02);
  bus.outb(0x21, 0x20);
  pic.input(3).pulse();
  EXPECT_EQ(pic.acknowledge_interrupt(), 0x08 + 3);
  pic.input(12).pulse();
  IrqLine other_intr;
  I8259 other(&other_intr);
  test::copy_state(pic, other);
  EXPECT_EQ(other.master().imr(), 0x20);
  EXPECT_EQ(other.slave().elcr(), 0x02);
  EXPECT_EQ(other.master().isr(), 0x08);
  EXPECT_EQ(other.slave().vector_base(), 0x70);
  // IRQ 12 (via IR2) beats in-service IRQ 3.
  EXPECT_TRUE(other.interrupt_pending());
  EXPECT_TRUE(other_intr.level());
  EXPECT_EQ(other.acknowledge_interrupt(), 0x70 + 4);
}

TEST_F(I8259Test, ResetClearsState) {
  init();
  pic.input(3).pulse();
  pic.reset();
  EXPECT_FALSE(pic.interrupt_pending());
  EXPECT_EQ(pic.master().imr(), 0);
}

}  // namespace
}  // namespace vx86
