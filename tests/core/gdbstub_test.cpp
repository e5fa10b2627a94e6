// The GDB remote protocol as the gdbstub speaks it: framing and checksums,
// acknowledgements and no-ack mode, and each packet's effect on a fake
// machine. (tests/system/gdb_stub.sh talks to it with the real gdb.)
#include "core/gdbstub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace vx86 {
namespace {

TEST(GdbPacket, FramesWithChecksumAndEscapes) {
  EXPECT_EQ(gdb_frame_packet("OK"), "$OK#9a");
  EXPECT_EQ(gdb_frame_packet(""), "$#00");
  // '#', '$', '}' and '*' go as '}' and the byte XOR 0x20; the checksum
  // covers what is sent.
  EXPECT_EQ(gdb_frame_packet("a#b"),
            "$a}\x03"
            "b#43");
  EXPECT_EQ(gdb_unescape_binary("a}\x03"
                                "b}]"),
            (std::vector<uint8_t>{'a', '#', 'b', '}'}));
}

TEST(GdbPacket, ReaderChecksPacketsAndSeesInterrupts) {
  std::vector<std::pair<std::string, bool>> packets;
  int interrupts = 0;
  GdbPacketReader reader(
      {[&](const std::string& p, bool ok) { packets.emplace_back(p, ok); }, [&] { ++interrupts; }});
  const std::string input = "+$qC#b4-$g#00\x03$m0,4#fd";
  // Byte by byte, as a slow socket may deliver it.
  for (char c : input) {
    const auto byte = static_cast<uint8_t>(c);
    reader.feed(&byte, 1);
  }
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_EQ(packets[0], std::make_pair(std::string("qC"), true));
  EXPECT_EQ(packets[1], std::make_pair(std::string("g"), false));  // g sums to 67
  EXPECT_EQ(packets[2], std::make_pair(std::string("m0,4"), true));
  EXPECT_EQ(interrupts, 1);
}

TEST(GdbPacket, HexRoundTrip) {
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(gdb_hex_decode("00ff7Fa0", &bytes));
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0x00, 0xff, 0x7f, 0xa0}));
  EXPECT_EQ(gdb_hex_encode(bytes.data(), bytes.size()), "00ff7fa0");
  EXPECT_FALSE(gdb_hex_decode("abc", &bytes));
  EXPECT_FALSE(gdb_hex_decode("zz", &bytes));
}

// Two CPUs, 4 registers of 4 bytes each, 8 KiB of "memory" of which the
// second page is unmapped.
class FakeGdbTarget : public GdbTarget {
 public:
  FakeGdbTarget() {
    for (unsigned i = 0; i < memory.size(); ++i) memory[i] = static_cast<uint8_t>(i);
  }
  unsigned cpu_count() const override { return 2; }
  void stop() override {
    ++stops;
    running = false;
  }
  void resume(int step) override {
    running = true;
    step_cpu = step;
    ++resumes;
  }
  std::string target_xml() const override { return std::string(100, 'x') + "END"; }
  std::vector<uint8_t> read_registers(unsigned cpu) override {
    std::vector<uint8_t> out;
    for (unsigned n = 0; n < 4; ++n) read_register(cpu, n, &out);
    return out;
  }
  bool write_registers(unsigned cpu, const std::vector<uint8_t>& data) override {
    if (data.size() != 16) return false;
    for (unsigned n = 0; n < 4; ++n)
      regs[cpu][n] = std::vector<uint8_t>(data.begin() + 4 * n, data.begin() + 4 * n + 4);
    return true;
  }
  bool read_register(unsigned cpu, unsigned n, std::vector<uint8_t>* out) override {
    if (n >= 4) return false;
    std::vector<uint8_t> value = regs[cpu][n];
    if (value.empty()) value = {static_cast<uint8_t>(cpu), static_cast<uint8_t>(n), 0, 0};
    out->insert(out->end(), value.begin(), value.end());
    return true;
  }
  bool write_register(unsigned cpu, unsigned n, const std::vector<uint8_t>& data) override {
    if (n >= 4 || data.size() != 4) return false;
    regs[cpu][n] = data;
    return true;
  }
  std::size_t read_memory(unsigned cpu, uint64_t addr, uint8_t* buf, std::size_t len) override {
    last_memory_cpu = cpu;
    std::size_t done = 0;
    while (done < len && addr + done < 0x1000) {
      buf[done] = memory[addr + done];
      ++done;
    }
    return done;
  }
  bool write_memory(unsigned cpu, uint64_t addr, const uint8_t* buf, std::size_t len) override {
    last_memory_cpu = cpu;
    if (addr + len > 0x1000) return false;
    std::copy(buf, buf + len, memory.begin() + static_cast<std::ptrdiff_t>(addr));
    return true;
  }
  BreakpointResult insert_breakpoint(BreakpointType type, uint64_t addr, uint64_t) override {
    if (type == BreakpointType::kWatchRead) return BreakpointResult::kUnsupported;
    breakpoints.push_back(addr);
    return BreakpointResult::kOk;
  }
  BreakpointResult remove_breakpoint(BreakpointType, uint64_t addr, uint64_t) override {
    auto it = std::find(breakpoints.begin(), breakpoints.end(), addr);
    if (it == breakpoints.end()) return BreakpointResult::kFailed;
    breakpoints.erase(it);
    return BreakpointResult::kOk;
  }
  void remove_all_breakpoints() override { breakpoints.clear(); }
  std::string monitor_command(const std::string& line) override { return "ran " + line + "\n"; }
  void kill() override { killed = true; }

  std::vector<uint8_t> memory = std::vector<uint8_t>(0x2000);
  std::map<unsigned, std::map<unsigned, std::vector<uint8_t>>> regs;
  std::vector<uint64_t> breakpoints;
  bool running = true;
  int stops = 0, resumes = 0, step_cpu = -2;
  unsigned last_memory_cpu = 99;
  bool killed = false;
};

GdbStop stop_on(unsigned cpu) {
  GdbStop stop;
  stop.cpu = cpu;
  return stop;
}

class GdbServerTest : public ::testing::Test {
 protected:
  GdbServerTest() {
    chardev.set_frontend(&server);
    chardev.send_event(ChardevEvent::kOpened);
  }
  // Sends one packet and returns everything the stub wrote back.
  std::string exchange(const std::string& payload) {
    chardev.output.clear();
    chardev.deliver_input(reinterpret_cast<const uint8_t*>(gdb_frame_packet(payload).data()),
                          gdb_frame_packet(payload).size());
    return chardev.output;
  }
  // Sends a payload as gdb framed it (binary data already escaped).
  std::string exchange_framed(const std::string& escaped) {
    uint8_t sum = 0;
    for (char c : escaped) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
    char digits[3];
    std::snprintf(digits, sizeof(digits), "%02x", sum);
    const std::string packet = "$" + escaped + "#" + digits;
    chardev.output.clear();
    chardev.deliver_input(reinterpret_cast<const uint8_t*>(packet.data()), packet.size());
    return chardev.output;
  }
  // The reply's payload, after the acknowledgement.
  std::string reply(const std::string& payload) {
    const std::string out = exchange(payload);
    EXPECT_EQ(out.substr(0, 2), "+$") << "for " << payload;
    return out.size() > 5 ? out.substr(2, out.size() - 5) : "";
  }

  BufferChardev chardev{"gdb"};
  FakeGdbTarget target;
  GdbServer server{chardev, target};
};

TEST_F(GdbServerTest, ConnectingStopsTheMachine) {
  EXPECT_EQ(target.stops, 1);
  EXPECT_FALSE(target.running);
  EXPECT_EQ(reply("?"), "T05thread:1;");
}

TEST_F(GdbServerTest, BadChecksumIsRefusedAndNoAckModeStopsAcks) {
  chardev.output.clear();
  const std::string bad = "$g#00";
  chardev.deliver_input(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
  EXPECT_EQ(chardev.output, "-");
  EXPECT_EQ(reply("QStartNoAckMode"), "OK");  // acknowledged: the old mode still holds
  EXPECT_EQ(exchange("qC"), gdb_frame_packet("QC1"));
}

TEST_F(GdbServerTest, SupportedFeaturesAndTargetDescriptionInChunks) {
  const std::string features = reply("qSupported:multiprocess+;swbreak+");
  EXPECT_NE(features.find("PacketSize="), std::string::npos);
  EXPECT_NE(features.find("qXfer:features:read+"), std::string::npos);
  EXPECT_EQ(reply("qXfer:features:read:target.xml:0,40"), "m" + std::string(0x40, 'x'));
  EXPECT_EQ(reply("qXfer:features:read:target.xml:40,40"), "l" + std::string(0x24, 'x') + "END");
  EXPECT_EQ(reply("qXfer:features:read:target.xml:67,40"), "l");
  EXPECT_EQ(reply("qXfer:features:read:other.xml:0,40"), "E00");
}

TEST_F(GdbServerTest, ThreadsAreTheCpus) {
  EXPECT_EQ(reply("qfThreadInfo"), "m1,2");
  EXPECT_EQ(reply("qsThreadInfo"), "l");
  EXPECT_EQ(reply("T2"), "OK");
  EXPECT_EQ(reply("T3"), "E02");
  EXPECT_EQ(reply("qThreadExtraInfo,2"), gdb_hex_encode("CPU#1"));
  // Hg picks whose registers and memory the next packets see.
  EXPECT_EQ(reply("p2"), "00020000");
  EXPECT_EQ(reply("Hg2"), "OK");
  EXPECT_EQ(reply("p2"), "01020000");
  EXPECT_EQ(reply("m10,2"), "1011");
  EXPECT_EQ(target.last_memory_cpu, 1u);
  EXPECT_EQ(reply("Hgp1.1"), "OK");  // the multiprocess spelling
  EXPECT_EQ(reply("p2"), "00020000");
}

TEST_F(GdbServerTest, RegistersReadAndWritten) {
  EXPECT_EQ(reply("g"), "00000000000100000002000000030000");
  EXPECT_EQ(reply("P1=aabbccdd"), "OK");
  EXPECT_EQ(reply("p1"), "aabbccdd");
  EXPECT_EQ(reply("P1=aabb"), "E22");
  EXPECT_EQ(reply("p9"), "E22");
  EXPECT_EQ(reply("G" + std::string(32, '1')), "OK");
  EXPECT_EQ(reply("p3"), "11111111");
  EXPECT_EQ(reply("G1234"), "E22");
}

TEST_F(GdbServerTest, MemoryReadsStopAtUnmappedPages) {
  EXPECT_EQ(reply("m0,4"), "00010203");
  EXPECT_EQ(reply("mffe,4"), "feff");  // the rest is unmapped: a short read
  EXPECT_EQ(reply("m1000,4"), "E14");
  EXPECT_EQ(reply("M20,2:abcd"), "OK");
  EXPECT_EQ(reply("m20,2"), "abcd");
  // X carries binary, escaped: 0x23 ('#') and 0x7d ('}').
  EXPECT_EQ(exchange_framed(std::string("X30,2:") + "}\x03" + "}]"), "+" + gdb_frame_packet("OK"));
  EXPECT_EQ(reply("m30,2"), "237d");
  EXPECT_EQ(reply("X0,0:"), "OK");  // gdb's probe for X
  EXPECT_EQ(reply("M1000,1:00"), "E14");
  EXPECT_EQ(reply("M20,2:ab"), "E22");  // shorter than said
}

TEST_F(GdbServerTest, BreakpointsAndUnsupportedWatchpoints) {
  EXPECT_EQ(reply("Z0,1000,1"), "OK");
  EXPECT_EQ(reply("Z1,2000,1"), "OK");
  EXPECT_EQ(target.breakpoints, (std::vector<uint64_t>{0x1000, 0x2000}));
  EXPECT_EQ(reply("Z3,3000,4"), "");  // unsupported: gdb falls back
  EXPECT_EQ(reply("z0,1000,1"), "OK");
  EXPECT_EQ(reply("z0,1000,1"), "E22");
  EXPECT_EQ(reply("Z9,1000,1"), "E22");
}

TEST_F(GdbServerTest, ContinueAnswersWithTheLaterStop) {
  EXPECT_EQ(exchange("c"), "+");  // no reply until the machine stops
  EXPECT_TRUE(target.running);
  EXPECT_EQ(target.step_cpu, -1);
  EXPECT_TRUE(server.gdb_waiting());
  chardev.output.clear();
  GdbStop stop;
  stop.cpu = 1;
  stop.watch_kind = "watch";
  stop.watch_addr = 0x7000;
  server.report_stop(stop);
  EXPECT_EQ(chardev.output, gdb_frame_packet("T05watch:7000;thread:2;"));
  // A second report (another vCPU stopping too) is not sent.
  chardev.output.clear();
  server.report_stop(stop);
  EXPECT_EQ(chardev.output, "");
  // The stopped CPU is now the current one.
  EXPECT_EQ(reply("qC"), "QC2");
  EXPECT_EQ(reply("p0"), "01000000");
}

TEST_F(GdbServerTest, VContStepsTheNamedCpu) {
  EXPECT_EQ(reply("vCont?"), "vCont;c;C;s;S");
  EXPECT_EQ(exchange("vCont;s:2;c"), "+");
  EXPECT_EQ(target.step_cpu, 1);
  server.report_stop(stop_on(1));
  EXPECT_EQ(exchange("vCont;c"), "+");
  EXPECT_EQ(target.step_cpu, -1);
  server.report_stop(stop_on(0));
  EXPECT_EQ(reply("vCont;x"), "E22");
}

TEST_F(GdbServerTest, CtrlCStopsARunningMachine) {
  const uint8_t ctrl_c = 0x03;
  chardev.output.clear();
  chardev.deliver_input(&ctrl_c, 1);  // not running for gdb: ignored
  EXPECT_EQ(chardev.output, "");
  exchange("c");
  const int stops = target.stops;
  chardev.output.clear();
  chardev.deliver_input(&ctrl_c, 1);
  EXPECT_EQ(target.stops, stops + 1);
  EXPECT_EQ(chardev.output, gdb_frame_packet("T02thread:1;"));
}

TEST_F(GdbServerTest, MonitorCommandsAndDetach) {
  EXPECT_EQ(
      exchange("qRcmd," + gdb_hex_encode("info status")),
      "+" + gdb_frame_packet("O" + gdb_hex_encode("ran info status\n")) + gdb_frame_packet("OK"));
  reply("Z0,1000,1");
  EXPECT_EQ(reply("D"), "OK");
  EXPECT_TRUE(target.breakpoints.empty());
  EXPECT_TRUE(target.running);
}

TEST_F(GdbServerTest, DisconnectRemovesBreakpointsAndResumes) {
  reply("Z0,1000,1");
  chardev.send_event(ChardevEvent::kClosed);
  EXPECT_TRUE(target.breakpoints.empty());
  EXPECT_TRUE(target.running);
  EXPECT_EQ(target.step_cpu, -1);
}

TEST_F(GdbServerTest, KillAndExit) {
  exchange("c");
  chardev.output.clear();
  server.report_exit(1);
  EXPECT_EQ(chardev.output, gdb_frame_packet("W01"));
  exchange("k");
  EXPECT_TRUE(target.killed);
}

// Malformed and random packets (a buggy client, line noise) get an answer
// and leave the stub working; none may throw or crash.
TEST_F(GdbServerTest, RandomPacketsAreAnsweredWithoutHarm) {
  std::mt19937 rng(11);
  const std::string prefixes[] = {"m",
                                  "M",
                                  "X",
                                  "p",
                                  "P",
                                  "G",
                                  "g",
                                  "H",
                                  "T",
                                  "Z",
                                  "z",
                                  "c",
                                  "s",
                                  "v",
                                  "vCont;",
                                  "q",
                                  "qXfer:features:read:",
                                  "qRcmd,",
                                  "qThreadExtraInfo,",
                                  "Q",
                                  "D",
                                  "?",
                                  "k"};
  const std::string alphabet = "0123456789abcdefABCDEFxyz,:;=-p.}#$*\x03 ";
  for (int i = 0; i < 20000; ++i) {
    std::string payload = prefixes[rng() % std::size(prefixes)];
    const int len = static_cast<int>(rng() % 24);
    for (int j = 0; j < len; ++j) payload += alphabet[rng() % alphabet.size()];
    if (payload == "k" || payload.rfind("vKill", 0) == 0) continue;
    exchange(payload);
    if (server.gdb_waiting()) server.report_stop(stop_on(0));  // answer a c/s
  }
  // Raw noise too: stray '$', '#', bad checksums, Ctrl-C bytes.
  std::vector<uint8_t> noise(50000);
  for (uint8_t& b : noise) b = static_cast<uint8_t>(rng() % 4 ? "$#0a}+-\x03"[rng() % 9] : rng());
  chardev.deliver_input(noise.data(), noise.size());
  if (server.gdb_waiting()) server.report_stop(stop_on(0));
  // Still speaking the protocol.
  chardev.send_event(ChardevEvent::kClosed);
  chardev.send_event(ChardevEvent::kOpened);
  EXPECT_EQ(reply("qC"), "QC1");
  EXPECT_EQ(reply("m0,2"), "0001");
}

}  // namespace
}  // namespace vx86
