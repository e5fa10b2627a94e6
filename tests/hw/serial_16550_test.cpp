#include "hw/char/serial_16550.h"

#include <gtest/gtest.h>

#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

constexpr uint16_t kBase = 0x3f8;
constexpr uint16_t kRbr = kBase, kIer = kBase + 1, kIir = kBase + 2, kFcr = kBase + 2,
                   kLcr = kBase + 3, kMcr = kBase + 4, kLsr = kBase + 5, kMsr = kBase + 6,
                   kScr = kBase + 7;

class SerialTest : public ::testing::Test {
 protected:
  SerialTest() {
    clocks.set_manual_virtual(true);
    uart.map(*bus.root, kBase);
  }
  void deliver(const std::string& s) {
    chardev.deliver_input(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  void set_divisor(uint16_t div) {
    bus.outb(kLcr, 0x83);
    bus.outb(kRbr, div & 0xff);
    bus.outb(kIer, div >> 8);
    bus.outb(kLcr, 0x03);
  }
  Clocks clocks;
  test::IoBus bus;
  IrqLine irq;
  BufferChardev chardev{"serial0"};
  Serial16550 uart{clocks, &irq, &chardev};
};

TEST_F(SerialTest, ResetValues) {
  EXPECT_EQ(bus.inb(kIer), 0x00);
  EXPECT_EQ(bus.inb(kIir), 0x01);
  EXPECT_EQ(bus.inb(kLcr), 0x00);
  EXPECT_EQ(bus.inb(kMcr), 0x00);
  EXPECT_EQ(bus.inb(kLsr), 0x60);
  EXPECT_EQ(bus.inb(kMsr), 0xb0);
  EXPECT_FALSE(irq.level());
}

TEST_F(SerialTest, ScratchLcrMcrIer) {
  bus.outb(kScr, 0xa5);
  EXPECT_EQ(bus.inb(kScr), 0xa5);
  bus.outb(kLcr, 0x1f);
  EXPECT_EQ(bus.inb(kLcr), 0x1f);
  bus.outb(kMcr, 0xff);
  EXPECT_EQ(bus.inb(kMcr), 0x1f);  // bits 5-7 read 0
  bus.outb(kMcr, 0x00);
  bus.outb(kIer, 0xff);
  EXPECT_EQ(bus.inb(kIer), 0x0f);
}

TEST_F(SerialTest, DivisorLatch) {
  bus.outb(kIer, 0x05);
  set_divisor(0x0180);
  EXPECT_EQ(uart.divisor(), 0x0180);
  EXPECT_EQ(bus.inb(kIer), 0x05);  // IER untouched
  bus.outb(kLcr, 0x80);
  EXPECT_EQ(bus.inb(kRbr), 0x80);
  EXPECT_EQ(bus.inb(kIer), 0x01);
  bus.outb(kLcr, 0x03);
  // 8N1 at 300 baud: 10 bits / 300 = 33.3 ms.
  EXPECT_EQ(uart.char_time_ns(), int64_t{10} * kNsPerSec * 0x180 / 115200);
  EXPECT_TRUE(chardev.output.empty());  // DLL writes are not transmitted
}

TEST_F(SerialTest, TransmitGoesToChardev) {
  bus.outb(kRbr, 'h');
  bus.outb(kRbr, 'i');
  EXPECT_EQ(chardev.output, "hi");
  EXPECT_EQ(bus.inb(kLsr) & 0x60, 0x60);  // THRE and TEMT
}

TEST_F(SerialTest, ThreInterruptAndOut2Gating) {
  bus.outb(kIer, 0x02);
  EXPECT_EQ(bus.inb(kIir), 0x02);  // pending, but OUT2 is off
  EXPECT_FALSE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0x01);  // the read acknowledged it
  bus.outb(kRbr, 'x');
  EXPECT_EQ(bus.inb(kIir) & 0x0f, 0x02);
  bus.outb(kRbr, 'x');
  bus.outb(kMcr, 0x08);  // OUT2 connects the IRQ
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0x02);
  EXPECT_FALSE(irq.level());
  bus.outb(kRbr, 'y');
  EXPECT_TRUE(irq.level());
  bus.outb(kMcr, 0x00);
  EXPECT_FALSE(irq.level());
  // Disabling ETBEI drops it too.
  bus.outb(kMcr, 0x08);
  bus.outb(kIer, 0x00);
  EXPECT_FALSE(irq.level());
}

TEST_F(SerialTest, ReceiveWithoutFifoHoldsInputInChardev) {
  deliver("abc");
  EXPECT_EQ(uart.can_receive(), 0u);
  EXPECT_EQ(chardev.pending_input(), 2u);
  EXPECT_EQ(bus.inb(kLsr) & 0x01, 0x01);
  EXPECT_EQ(bus.inb(kRbr), 'a');
  EXPECT_EQ(bus.inb(kRbr), 'b');
  EXPECT_EQ(bus.inb(kRbr), 'c');
  EXPECT_EQ(bus.inb(kLsr) & 0x01, 0x00);
  EXPECT_EQ(bus.inb(kRbr), 'c');          // an empty RBR reads the last byte again
  EXPECT_EQ(bus.inb(kLsr) & 0x02, 0x00);  // no overrun
}

TEST_F(SerialTest, RxDataInterrupt) {
  bus.outb(kMcr, 0x08);
  bus.outb(kIer, 0x01);
  deliver("z");
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0x04);
  EXPECT_EQ(bus.inb(kRbr), 'z');
  EXPECT_FALSE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0x01);
}

TEST_F(SerialTest, FifoTriggerLevels) {
  bus.outb(kMcr, 0x08);
  bus.outb(kIer, 0x01);
  const unsigned levels[4] = {1, 4, 8, 14};
  for (unsigned i = 0; i < 4; ++i) {
    bus.outb(kFcr, static_cast<uint8_t>(0x07 | i << 6));
    EXPECT_EQ(uart.can_receive(), 16u);
    deliver(std::string(levels[i] - 1, 'q'));
    EXPECT_EQ(bus.inb(kIir), 0xc1) << "level " << levels[i];
    EXPECT_FALSE(irq.level());
    deliver("q");
    EXPECT_EQ(bus.inb(kIir), 0xc4) << "level " << levels[i];
    EXPECT_TRUE(irq.level());
    // Reading below the trigger level clears the request.
    bus.inb(kRbr);
    EXPECT_EQ(bus.inb(kIir), 0xc1);
    bus.outb(kFcr, static_cast<uint8_t>(0x03 | i << 6));  // clear RX FIFO
    EXPECT_EQ(bus.inb(kLsr) & 0x01, 0x00);
  }
}

TEST_F(SerialTest, CharacterTimeoutInterrupt) {
  set_divisor(1);  // 115200 baud, 8N1: 86.8 us per character
  bus.outb(kMcr, 0x08);
  bus.outb(kIer, 0x01);
  bus.outb(kFcr, 0xc1);  // FIFO, trigger 14
  deliver("abc");
  EXPECT_FALSE(irq.level());
  int64_t four_chars = 4 * uart.char_time_ns();
  clocks.advance_virtual(four_chars - 1);
  EXPECT_FALSE(irq.level());
  clocks.advance_virtual(1);
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0xcc);
  // A read clears the timeout and restarts it while data remains.
  EXPECT_EQ(bus.inb(kRbr), 'a');
  EXPECT_FALSE(irq.level());
  clocks.advance_virtual(four_chars);
  EXPECT_EQ(bus.inb(kIir), 0xcc);
  EXPECT_EQ(bus.inb(kRbr), 'b');
  EXPECT_EQ(bus.inb(kRbr), 'c');
  clocks.advance_virtual(10 * four_chars);
  EXPECT_EQ(bus.inb(kIir), 0xc1);  // empty FIFO: no timeout
}

TEST_F(SerialTest, SlowReaderLosesNothing) {
  bus.outb(kFcr, 0x01);
  std::string input;
  for (int i = 0; i < 300; ++i) input += static_cast<char>('A' + i % 26);
  deliver(input);
  EXPECT_EQ(chardev.pending_input(), 300u - 16u);
  std::string got;
  while (bus.inb(kLsr) & 0x01) {
    got += static_cast<char>(bus.inb(kRbr));
    clocks.advance_virtual(1'000'000);  // a slow guest
  }
  EXPECT_EQ(got, input);
  EXPECT_EQ(bus.inb(kLsr) & 0x82, 0x00);  // no overrun, no FIFO error
}

TEST_F(SerialTest, FifoEnableTogglesClearAndIirBits) {
  bus.outb(kFcr, 0x01);
  deliver("12345");
  EXPECT_EQ(bus.inb(kIir) & 0xc0, 0xc0);
  bus.outb(kFcr, 0x00);  // disabling the FIFO empties it
  EXPECT_EQ(bus.inb(kIir) & 0xc0, 0x00);
  EXPECT_EQ(bus.inb(kLsr) & 0x01, 0x00);
}

TEST_F(SerialTest, LoopbackModemStatusMapping) {
  bus.outb(kMcr, 0x10);            // loop, all outputs off
  EXPECT_EQ(bus.inb(kMsr), 0x0b);  // CTS, DSR, DCD dropped: deltas set
  EXPECT_EQ(bus.inb(kMsr), 0x00);  // deltas clear on read
  bus.outb(kMcr, 0x11);            // DTR -> DSR
  EXPECT_EQ(bus.inb(kMsr), 0x22);
  bus.outb(kMcr, 0x13);  // RTS -> CTS
  EXPECT_EQ(bus.inb(kMsr), 0x31);
  bus.outb(kMcr, 0x17);  // OUT1 -> RI (no delta on the leading edge)
  EXPECT_EQ(bus.inb(kMsr), 0x70);
  bus.outb(kMcr, 0x13);  // RI trailing edge -> TERI
  EXPECT_EQ(bus.inb(kMsr), 0x34);
  bus.outb(kMcr, 0x1b);  // OUT2 -> DCD
  EXPECT_EQ(bus.inb(kMsr), 0xb8);
}

TEST_F(SerialTest, LoopbackDataAndOverrun) {
  bus.outb(kMcr, 0x10);
  bus.outb(kRbr, 'L');
  EXPECT_TRUE(chardev.output.empty());
  EXPECT_EQ(bus.inb(kLsr) & 0x01, 0x01);
  bus.outb(kRbr, 'M');  // RBR full: overrun
  EXPECT_EQ(bus.inb(kLsr) & 0x03, 0x03);
  EXPECT_EQ(bus.inb(kLsr) & 0x02, 0x00);  // OE clears on read
  EXPECT_EQ(bus.inb(kRbr), 'M');
  // Host input waits while in loopback, and arrives when it ends.
  deliver("h");
  EXPECT_EQ(chardev.pending_input(), 1u);
  bus.outb(kMcr, 0x00);
  EXPECT_EQ(chardev.pending_input(), 0u);
  EXPECT_EQ(bus.inb(kRbr), 'h');
}

TEST_F(SerialTest, InterruptPriorities) {
  bus.outb(kMcr, 0x18);  // loop + OUT2
  bus.inb(kMsr);
  bus.outb(kIer, 0x0f);
  bus.outb(kRbr, 'a');
  bus.outb(kRbr, 'b');   // overrun: line status
  bus.outb(kMcr, 0x19);  // DTR -> DSR delta: modem status
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0x06);
  bus.inb(kLsr);
  EXPECT_EQ(bus.inb(kIir), 0x04);
  bus.inb(kRbr);
  EXPECT_EQ(bus.inb(kIir), 0x02);  // THRE (acknowledged by this read)
  EXPECT_EQ(bus.inb(kIir), 0x00);  // modem status
  bus.inb(kMsr);
  EXPECT_EQ(bus.inb(kIir), 0x01);
  EXPECT_FALSE(irq.level());
}

TEST_F(SerialTest, BreakSetsBiAndFifoError) {
  bus.outb(kFcr, 0x01);
  bus.outb(kIer, 0x04);
  bus.outb(kMcr, 0x08);
  chardev.send_event(ChardevEvent::kBreak);
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(bus.inb(kIir), 0xc6);
  EXPECT_EQ(bus.inb(kLsr), 0x80 | 0x40 | 0x20 | 0x10 | 0x01);
  EXPECT_EQ(bus.inb(kLsr), 0x61);
  EXPECT_EQ(bus.inb(kRbr), 0x00);
  EXPECT_FALSE(irq.level());
}

TEST_F(SerialTest, ModemInputsFromHost) {
  bus.outb(kIer, 0x08);
  bus.outb(kMcr, 0x08);
  uart.set_modem_inputs(true, true, true, false);
  EXPECT_EQ(bus.inb(kIir), 0x00);
  EXPECT_TRUE(irq.level());
  EXPECT_EQ(bus.inb(kMsr), 0x78);
  EXPECT_FALSE(irq.level());
}

TEST_F(SerialTest, WordAccessSplitsIntoBytes) {
  bus.outw(kRbr, 0x0241);  // THR <- 'A', IER <- 0x02
  EXPECT_EQ(chardev.output, "A");
  EXPECT_EQ(bus.inb(kIer), 0x02);
  EXPECT_EQ(bus.inw(kLcr), 0x0000);  // LCR and MCR
}

TEST_F(SerialTest, TwoInstancesAreIndependent) {
  BufferChardev other_chardev("serial1");
  IrqLine other_irq;
  Serial16550 other(clocks, &other_irq, &other_chardev);
  other.map(*bus.root, 0x2f8);
  bus.outb(0x2f8, 'B');
  bus.outb(kRbr, 'A');
  EXPECT_EQ(chardev.output, "A");
  EXPECT_EQ(other_chardev.output, "B");
}

TEST_F(SerialTest, SaveLoadRoundTrip) {
  set_divisor(3);
  bus.outb(kFcr, 0x81);
  bus.outb(kIer, 0x01);
  bus.outb(kMcr, 0x0b);
  bus.outb(kScr, 0x42);
  deliver("0123456789");
  IrqLine other_irq;
  Serial16550 other(clocks, &other_irq, nullptr);
  test::copy_state(uart, other);
  test::IoBus other_bus;
  other.map(*other_bus.root, kBase);
  EXPECT_TRUE(other_irq.level());
  EXPECT_EQ(other.divisor(), 3);
  EXPECT_EQ(other_bus.inb(kScr), 0x42);
  EXPECT_EQ(other_bus.inb(kMcr), 0x0b);
  EXPECT_EQ(other_bus.inb(kIir), 0xc4);
  std::string got;
  while (other_bus.inb(kLsr) & 0x01) got += static_cast<char>(other_bus.inb(kRbr));
  EXPECT_EQ(got, "0123456789");
}

}  // namespace
}  // namespace vx86
