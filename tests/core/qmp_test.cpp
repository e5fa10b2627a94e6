// The QMP server against a scripted machine: the greeting, capabilities
// negotiation, commands, argument checks, QEMU's error texts, events and
// reconnects. The same conversation against qemu-system-x86_64 is in
// tests/system/qmp_system_test.cpp.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/qmp.h"

namespace vx86 {
namespace {

class FakeMachine : public QmpTarget {
 public:
  std::string run_state() const override { return state; }
  void stop() override {
    if (events) events->emit_event("STOP");
    state = "paused";
  }
  void cont() override { state = "running"; }
  void system_reset() override { ++resets; }
  bool system_powerdown() override { return false; }
  void quit() override { quit_requested = true; }
  std::string screendump(const std::string& filename) override {
    screendumps.push_back(filename);
    return filename.empty() ? "could not open ''" : "";
  }
  std::string human_monitor_command(const std::string& line, unsigned cpu_index) override {
    return "ran: " + line + "\n";
  }
  bool kvm_present() const override { return true; }
  bool kvm_enabled() const override { return false; }
  unsigned cpu_count() const override { return 2; }
  std::string vm_name() const override { return name; }
  Json query_block() override { return Json::array(); }
  Json query_pci() override { return Json::array({{{"bus", 0}, {"devices", Json::array()}}}); }
  bool set_link(const std::string& nic, bool up) override {
    if (nic != "net0") return false;
    link_up = up;
    return true;
  }

  std::string state = "prelaunch";
  std::string name;
  int resets = 0;
  bool quit_requested = false;
  bool link_up = true;
  std::vector<std::string> screendumps;
  QmpServer* events = nullptr;
};

class QmpTest : public ::testing::Test {
 protected:
  QmpTest() {
    machine_.events = &server_;
    chardev_.set_frontend(&server_);
    server_.start();
  }
  // Everything the server wrote since the last call, one JSON value per line.
  std::vector<Json> output() {
    std::vector<Json> out;
    std::istringstream lines(chardev_.output);
    chardev_.output.clear();
    for (std::string line; std::getline(lines, line);) {
      EXPECT_TRUE(line.empty() || line.back() == '\r') << line;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) out.push_back(Json::parse(line));
    }
    return out;
  }
  std::vector<Json> send(const std::string& text) {
    chardev_.deliver_input(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    return output();
  }
  Json execute(const std::string& text) {
    auto out = send(text);
    EXPECT_EQ(out.size(), 1u) << text;
    return out.empty() ? Json() : out.back();
  }
  void negotiate() {
    output();
    EXPECT_EQ(execute(R"({"execute": "qmp_capabilities"})"), Json::parse(R"({"return": {}})"));
  }
  static Json error(const std::string& error_class, const std::string& desc) {
    return Json{{"error", {{"class", error_class}, {"desc", desc}}}};
  }

  BufferChardev chardev_{"qmp"};
  FakeMachine machine_;
  QmpServer server_{chardev_, machine_};
};

TEST_F(QmpTest, GreetingThenNothingBeforeNegotiation) {
  auto out = output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["QMP"]["version"]["qemu"]["major"], QmpServer::kVersionMajor);
  EXPECT_EQ(out[0]["QMP"]["version"]["package"], "vx86");
  EXPECT_TRUE(out[0]["QMP"]["capabilities"].is_array());
  EXPECT_EQ(execute(R"({"execute": "query-status"})"),
            error("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
  EXPECT_EQ(execute(R"({"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}})"),
            error("GenericError", "Capability 'oob' not available"));
  negotiate();
  EXPECT_EQ(
      execute(R"({"execute": "qmp_capabilities"})"),
      error("CommandNotFound", "Capabilities negotiation is already complete, command ignored"));
}

TEST_F(QmpTest, QueriesAnswerAsQemuDoes) {
  negotiate();
  EXPECT_EQ(
      execute(R"({"execute": "query-status"})"),
      Json::parse(R"({"return": {"status": "prelaunch", "singlestep": false, "running": false}})"));
  EXPECT_EQ(execute(R"({"execute": "query-kvm"})"),
            Json::parse(R"({"return": {"enabled": false, "present": true}})"));
  EXPECT_EQ(execute(R"({"execute": "query-target"})"),
            Json::parse(R"({"return": {"arch": "x86_64"}})"));
  EXPECT_EQ(execute(R"({"execute": "query-name"})"), Json::parse(R"({"return": {}})"));
  machine_.name = "guest1";
  EXPECT_EQ(execute(R"({"execute": "query-name"})"),
            Json::parse(R"({"return": {"name": "guest1"}})"));
  Json cpus = execute(R"({"execute": "query-cpus-fast"})")["return"];
  ASSERT_EQ(cpus.size(), 2u);
  EXPECT_EQ(cpus[1]["cpu-index"], 1);
  EXPECT_EQ(cpus[1]["target"], "x86_64");
  Json commands = execute(R"({"execute": "query-commands"})")["return"];
  std::vector<std::string> names;
  for (const Json& c : commands) names.push_back(c["name"]);
  for (const char* want : {"qmp_capabilities", "query-status", "stop", "cont", "system_reset",
                           "quit", "human-monitor-command", "query-version"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
}

TEST_F(QmpTest, SetLinkReachesTheNicOrSaysWhichIsMissing) {
  negotiate();
  EXPECT_EQ(execute(R"({"execute": "set_link", "arguments": {"name": "net0", "up": false}})"),
            Json::parse(R"({"return": {}})"));
  EXPECT_FALSE(machine_.link_up);
  EXPECT_EQ(execute(R"({"execute": "set_link", "arguments": {"name": "nic9", "up": true}})"),
            Json::parse(R"({"error": {"class": "DeviceNotFound",
                                      "desc": "Device 'nic9' not found"}})"));
  Json missing = execute(R"({"execute": "set_link", "arguments": {"name": "net0"}})");
  EXPECT_EQ(missing["error"]["class"], "GenericError");
  EXPECT_TRUE(machine_.link_up == false);
}

TEST_F(QmpTest, IdIsEchoedWhateverItIs) {
  negotiate();
  EXPECT_EQ(execute(R"({"execute": "cont", "id": "x1"})"),
            Json::parse(R"({"return": {}, "id": "x1"})"));
  EXPECT_EQ(execute(R"({"execute": "nonesuch", "id": {"n": [1]}})"),
            Json::parse(R"({"error": {"class": "CommandNotFound",
                                      "desc": "The command nonesuch has not been found"},
                           "id": {"n": [1]}})"));
}

TEST_F(QmpTest, BadInputGetsQemusErrors) {
  negotiate();
  const std::pair<const char*, const char*> cases[] = {
      {R"([1, 2])", "QMP input must be a JSON object"},
      {R"({"foo": 1})", "QMP input member 'foo' is unexpected"},
      {R"({"arguments": {}})", "QMP input lacks member 'execute'"},
      {R"({"execute": 1})", "QMP input member 'execute' must be a string"},
      {R"({"execute": "query-status", "arguments": []})",
       "QMP input member 'arguments' must be an object"},
      {R"({"execute": "stop", "arguments": {"x": 1}})", "Parameter 'x' is unexpected"},
      {R"({"execute": "human-monitor-command"})", "Parameter 'command-line' is missing"},
      {R"({"execute": "human-monitor-command", "arguments": {"command-line": 5}})",
       "Invalid parameter type for 'command-line', expected: string"},
  };
  for (const auto& [input, desc] : cases) {
    EXPECT_EQ(execute(input), error("GenericError", desc)) << input;
  }
  Json parse = execute(R"({"execute": "query-status" bad})");
  EXPECT_EQ(parse["error"]["class"], "GenericError");
  EXPECT_EQ(parse["error"]["desc"].get<std::string>().rfind("JSON parse error, ", 0), 0u) << parse;
  // The server still answers afterwards.
  EXPECT_EQ(execute(R"({"execute": "query-target"})")["return"]["arch"], "x86_64");
}

TEST_F(QmpTest, CommandsReachTheMachine) {
  negotiate();
  EXPECT_EQ(execute(R"({"execute": "human-monitor-command",
                       "arguments": {"command-line": "info registers", "cpu-index": 0}})"),
            Json::parse(R"({"return": "ran: info registers\n"})"));
  execute(R"({"execute": "system_reset"})");
  EXPECT_EQ(machine_.resets, 1);
  EXPECT_EQ(execute(R"({"execute": "system_powerdown"})")["error"]["class"], "GenericError");
  EXPECT_EQ(execute(R"({"execute": "screendump", "arguments": {"filename": "/tmp/s.ppm"}})"),
            Json::parse(R"({"return": {}})"));
  EXPECT_EQ(machine_.screendumps, std::vector<std::string>{"/tmp/s.ppm"});
  EXPECT_EQ(execute(R"({"execute": "screendump", "arguments": {"filename": ""}})"),
            error("GenericError", "could not open ''"));
  EXPECT_EQ(execute(R"({"execute": "screendump",
                       "arguments": {"filename": "/tmp/s.png", "format": "png"}})")["error"]
                                                                                   ["class"],
            "GenericError");
  execute(R"({"execute": "quit"})");
  EXPECT_TRUE(machine_.quit_requested);
}

TEST_F(QmpTest, EventsComeOnlyAfterNegotiationAndBeforeTheAnswer) {
  server_.emit_event("RESET", {{"guest", true}, {"reason", "guest-reset"}});
  EXPECT_EQ(output().size(), 1u);  // only the greeting
  negotiate();
  machine_.state = "running";
  auto out = send(R"({"execute": "stop"})");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["event"], "STOP");
  EXPECT_TRUE(out[0]["timestamp"]["seconds"].is_number_integer());
  EXPECT_TRUE(out[0]["timestamp"]["microseconds"].is_number_integer());
  EXPECT_FALSE(out[0].contains("data"));
  EXPECT_EQ(out[1], Json::parse(R"({"return": {}})"));
  server_.emit_event("SHUTDOWN", {{"guest", true}, {"reason", "guest-shutdown"}});
  out = output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["data"], Json::parse(R"({"guest": true, "reason": "guest-shutdown"})"));
}

TEST_F(QmpTest, EachConnectionIsGreetedAndNegotiatesAgain) {
  negotiate();
  chardev_.deliver_input(reinterpret_cast<const uint8_t*>("{\"exec"), 6);  // cut off
  chardev_.send_event(ChardevEvent::kClosed);
  chardev_.send_event(ChardevEvent::kOpened);
  auto out = output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].contains("QMP"));
  EXPECT_EQ(execute(R"({"execute": "query-status"})")["error"]["class"], "CommandNotFound");
}

TEST_F(QmpTest, PrettyOutputIsStillOneValuePerAnswer) {
  BufferChardev chardev{"pretty"};
  QmpServer pretty(chardev, machine_, true);
  chardev.set_frontend(&pretty);
  pretty.start();
  EXPECT_NE(chardev.output.find("\n    "), std::string::npos) << chardev.output;
  EXPECT_TRUE(Json::parse(chardev.output).contains("QMP"));
}

TEST_F(QmpTest, RandomInputIsAnsweredWithoutHarm) {
  negotiate();
  std::mt19937 rng(1234);
  const std::string alphabet = "{}[]\":,\\ abcdeq0123456789-\r\nexecute";
  for (int round = 0; round < 2000; ++round) {
    std::string junk;
    const int n = std::uniform_int_distribution<int>(1, 60)(rng);
    for (int i = 0; i < n; ++i)
      junk += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    for (const Json& reply : send(junk))
      EXPECT_TRUE(reply.contains("error") || reply.contains("return"));
  }
  // Whatever was left half-open, a fresh connection works.
  chardev_.send_event(ChardevEvent::kOpened);
  output();
  negotiate();
  EXPECT_EQ(execute(R"({"execute": "query-target"})")["return"]["arch"], "x86_64");
}

}  // namespace
}  // namespace vx86
