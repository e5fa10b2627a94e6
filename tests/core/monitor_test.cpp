#include "core/monitor.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/memory.h"

namespace vx86 {
namespace {

class FakeTarget : public MonitorTarget {
 public:
  FakeTarget() {
    root->add_subregion(0, ram.get());
    for (int i = 0; i < 16; ++i) ram->host_ptr()[i] = static_cast<uint8_t>(i);
  }
  std::string run_state() const override {
    return !state.empty() ? state : is_running ? "running" : "paused";
  }
  void stop() override { is_running = false; }
  void cont() override { is_running = true; }
  void system_reset() override { ++resets; }
  bool system_powerdown() override {
    ++powerdowns;
    return true;
  }
  void quit() override { quitted = true; }
  AddressSpace& memory() override { return as; }
  std::string describe_registers(unsigned cpu) override { return "RAX=0\n"; }
  std::string save_memory(bool physical, unsigned cpu, uint64_t addr, uint64_t size,
                          const std::string& filename) override {
    saved.push_back(std::string(physical ? "physical " : "virtual ") + std::to_string(addr) + " " +
                    std::to_string(size) + " " + filename);
    return "";
  }
  std::vector<std::string> saved;
  std::optional<uint64_t> register_value(unsigned, const std::string& name) override {
    if (name == "pc") return 0x1234;
    return std::nullopt;
  }
  std::optional<uint64_t> translate_virtual(unsigned, uint64_t vaddr) override {
    if (vaddr >> 12 == 0xc0000) return 0x5000;
    return std::nullopt;
  }
  uint64_t read_port(uint16_t port, unsigned size) override {
    return port == 0x71 ? 0xabcdef12 : 0;
  }
  void write_port(uint16_t port, unsigned size, uint64_t value) override {
    port_writes.push_back({port, size, value});
  }
  struct PortWrite {
    uint16_t port;
    unsigned size;
    uint64_t value;
    bool operator==(const PortWrite&) const = default;
  };
  std::vector<PortWrite> port_writes;
  unsigned cpu_count() const override { return 1; }
  std::string describe_local_apic(unsigned cpu_index) override {
    return "lapic of CPU " + std::to_string(cpu_index) + "\n";
  }

  std::unique_ptr<MemoryRegion> root = MemoryRegion::container("system", 1ull << 32);
  std::unique_ptr<MemoryRegion> ram = MemoryRegion::ram("ram", 0x1000);
  AddressSpace as{"memory", root.get()};
  bool is_running = true;
  std::string state;  // overrides the state is_running gives
  int resets = 0, powerdowns = 0;
  bool quitted = false;
};

TEST(MonitorTest, InfoLapicTakesACpuIndex) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  EXPECT_EQ(mon.execute("info lapic"), "lapic of CPU 0\n");
  EXPECT_EQ(mon.execute("info lapic 2"), "lapic of CPU 2\n");
  EXPECT_EQ(mon.execute("info lapic two"), "info lapic: 'two' is not a CPU index\n");
}

TEST(MonitorTest, LifeCycleCommands) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  EXPECT_EQ(mon.execute("info status"), "VM status: running\n");
  mon.execute("stop");
  EXPECT_EQ(mon.execute("info status"), "VM status: paused\n");
  target.state = "prelaunch";
  EXPECT_EQ(mon.execute("info status"), "VM status: paused (prelaunch)\n");
  mon.execute("c");
  EXPECT_TRUE(target.is_running);
  mon.execute("system_reset");
  mon.execute("system_powerdown");
  EXPECT_EQ(target.resets, 1);
  EXPECT_EQ(target.powerdowns, 1);
  mon.execute("quit");
  EXPECT_TRUE(target.quitted);
  EXPECT_NE(mon.execute("bogus").find("unknown command: 'bogus'"), std::string::npos);
}

TEST(MonitorTest, InfoMtreeShowsTheAddressSpaces) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  const std::string tree = mon.execute("info mtree");
  EXPECT_EQ(tree.rfind("address-space: ", 0), 0u) << tree;
  EXPECT_NE(tree.find("(prio 0, ram)"), std::string::npos) << tree;
  const std::string flat = mon.execute("info mtree -f");
  EXPECT_EQ(flat.rfind("FlatView (address-space: ", 0), 0u) << flat;
  EXPECT_EQ(mon.execute("info mtree -x"), "info mtree: unknown argument '-x' (-f)\n");
}

TEST(MonitorTest, ExaminesPhysicalMemory) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  EXPECT_EQ(mon.execute("xp /4b 0"), "0000000000000000: 0x00 0x01 0x02 0x03\n");
  // As in QEMU, the size and format stay for the next command that does not say them.
  EXPECT_EQ(mon.execute("xp /2x 0x4"), "0000000000000004: 0x04 0x05\n");
  EXPECT_EQ(mon.execute("xp /2xw 0x4"), "0000000000000004: 0x07060504 0x0b0a0908\n");
  EXPECT_EQ(mon.execute("xp 0x8"), "0000000000000008: 0x0b0a0908\n");
  EXPECT_EQ(mon.execute("xp/3cb 0x9"), "0000000000000009: '\\x09' '\\n' '\\x0b'\n");
  EXPECT_EQ(mon.execute("xp /1x nowhere"),
            "invalid char in expression\nTry \"help xp\" for more information\n");
  EXPECT_EQ(mon.execute("xp /300000g 0"), "xp: at most 1 MiB at a time\n");
  EXPECT_EQ(mon.execute("xp /1q 0"),
            "invalid char in format: 'q'\nTry \"help xp\" for more information\n");
}

TEST(MonitorTest, PrintsTranslatesAndDoesPortIo) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  EXPECT_EQ(mon.execute("print $pc + 2"), "0x1236\n");  // QEMU's first format is x
  EXPECT_EQ(mon.execute("p /d 0x10"), "16\n");
  EXPECT_EQ(mon.execute("p -1"), "-1\n");  // d, the last format
  EXPECT_EQ(mon.execute("p /x -1"), "0xffffffffffffffff\n");
  EXPECT_EQ(mon.execute("p 5 - -2"), "0x7\n");
  // The hint names the command as typed, as QEMU's (MonitorDebugTest compares).
  EXPECT_EQ(mon.execute("p 5 -"),
            "unexpected end of expression\nTry \"help p\" for more information\n");
  EXPECT_EQ(mon.execute("p 5 6"),
            "print|p: extraneous characters at the end of line\nTry \"help p\" for more "
            "information\n");
  EXPECT_EQ(mon.execute("p /x 0"), "0\n");
  EXPECT_EQ(mon.execute("p /o 8"), "010\n");
  EXPECT_EQ(mon.execute("p /c 10"), "'\\n'\n");
  EXPECT_EQ(mon.execute("gva2gpa 0xc0000123"), "gpa: 0x5123\n");
  EXPECT_EQ(mon.execute("gva2gpa 0x1000"), "Unmapped\n");
  EXPECT_EQ(mon.execute("i /b 0x71"), "portb[0x0071] = 0x12\n");
  EXPECT_EQ(mon.execute("i /h 0x71"), "portw[0x0071] = 0xef12\n");
  EXPECT_EQ(mon.execute("i /w 0x71"), "portl[0x0071] = 0xabcdef12\n");
  EXPECT_EQ(mon.execute("o /b 0x80 0x55"), "");
  EXPECT_EQ(target.port_writes, (std::vector<FakeTarget::PortWrite>{{0x80, 1, 0x55}}));
}

TEST(MonitorTest, LogItemsChangeWhileRunning) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  const uint32_t before = log_mask();
  EXPECT_EQ(mon.execute("log int,unimp"), "");
  uint32_t expected = 0;
  std::string bad;
  ASSERT_TRUE(parse_log_mask("int,unimp", &expected, &bad));
  EXPECT_EQ(log_mask(), expected);
  EXPECT_EQ(mon.execute("log nonsense"),
            "log item1[,...] -- activates logging of the specified items\n");
  EXPECT_EQ(log_mask(), expected);
  EXPECT_EQ(mon.execute("log none"), "");
  EXPECT_EQ(log_mask(), 0u);
  set_log_mask(before);
}

TEST(MonitorTest, SavesPhysicalMemoryToAFile) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  const std::string path = ::testing::TempDir() + "/monitor-test-pmemsave";
  EXPECT_EQ(mon.execute("pmemsave 2 4 " + path), "");
  EXPECT_EQ(target.saved, (std::vector<std::string>{"physical 2 4 " + path}));
  EXPECT_EQ(mon.execute("memsave $nosuch 4 x"),
            "unknown register\nTry \"help memsave\" for more information\n");
  EXPECT_EQ(mon.execute("cpu 1"), "invalid CPU index\n");
}

TEST(MonitorTest, TypedLineIsEchoedAndExecuted) {
  BufferChardev chr("mon");
  FakeTarget target;
  HumanMonitor mon(chr, target);
  chr.set_frontend(&mon);
  std::string typed = "stpo\x7f\x7fop\r";
  chr.deliver_input(reinterpret_cast<const uint8_t*>(typed.data()), typed.size());
  EXPECT_FALSE(target.is_running);
  EXPECT_NE(chr.output.find("(vx86) "), std::string::npos);
}

}  // namespace
}  // namespace vx86
