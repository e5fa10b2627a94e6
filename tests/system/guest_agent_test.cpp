// The QEMU guest agent as libvirt reaches it: Debian's qemu-ga runs in the
// guest (workload agent, from initramfs-agent.cpio.gz) on the virtserialport
// org.qemu.guest_agent.0, and the test is the host's agent client on the
// channel's socket: it syncs (guest-sync with an id, as libvirt does), asks
// for the agent's and the guest's facts, runs a program through guest-exec,
// writes and reads a guest file, and shuts the guest down with
// guest-shutdown. QMP says when the agent opens the port (VSERPORT_CHANGE,
// libvirt's "agent connected"). Every answer must equal the one under
// qemu-system-x86_64 (but for process ids and file handles).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

struct AgentRun {
  bool synced = false;
  std::vector<Json> answers;  // in the order asked, pids and handles as 0
  Json agent_opened;          // the first VSERPORT_CHANGE's data
  std::optional<int> status;
  std::string serial;
};

// One command and its answer (null when none came within 10 s).
Json ask(QmpClient& agent, const std::string& command, const Json& args = Json()) {
  return agent.execute(command, args);
}

AgentRun run_agent(std::vector<std::string> emulator, const std::filesystem::path& guest,
                   const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-agent-" + tag + "-" + std::to_string(getpid());
  const std::string serial = base + ".serial", channel = base + ".agent",
                    qmp_socket = base + ".qmp";
  for (const std::string& file : {serial, channel, qmp_socket}) std::filesystem::remove(file);
  std::vector<std::string> boot = debian_guest_boot_options(guest, "agent", serial);
  for (std::size_t i = 0; i + 1 < boot.size(); ++i) {
    if (boot[i] == "-initrd") boot[i + 1] = (guest / "initramfs-agent.cpio.gz").string();
  }
  emulator.insert(emulator.end(), boot.begin(), boot.end());
  // libvirt's <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>.
  const std::vector<std::string> devices = {
      "-device",
      "virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x5",
      "-chardev",
      "socket,id=charchannel0,path=" + channel + ",server=on,wait=off",
      "-device",
      "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,"
      "name=org.qemu.guest_agent.0",
      "-qmp",
      "unix:" + qmp_socket + ",server=on,wait=off"};
  emulator.insert(emulator.end(), devices.begin(), devices.end());
  Process process(emulator);
  AgentRun run;
  QmpClient qmp;
  QmpClient agent;
  if (!qmp.connect_unix(qmp_socket) || !agent.connect_unix(channel)) return run;
  qmp.next();
  qmp.execute("qmp_capabilities");
  // As libvirt: guest-sync with a fresh id until the agent answers with it
  // (answers to earlier ones come first and are skipped).
  int64_t id = 4711;
  for (auto deadline = std::chrono::steady_clock::now() + 240s;
       !run.synced && std::chrono::steady_clock::now() < deadline; ++id) {
    agent.send_text(Json({{"execute", "guest-sync"}, {"arguments", {{"id", id}}}}).dump());
    for (Json answer = agent.next(); !answer.is_null(); answer = agent.next()) {
      if (answer.value("return", Json()) == Json(id)) {
        run.synced = true;
        break;
      }
    }
  }
  if (run.synced) {
    for (const char* command : {"guest-ping", "guest-info", "guest-get-osinfo",
                                "guest-get-host-name", "guest-get-vcpus", "guest-get-timezone"}) {
      run.answers.push_back(ask(agent, command));
    }
    // A program run through the agent, with its output.
    Json exec = ask(agent, "guest-exec",
                    {{"path", "/bin/echo"}, {"arg", {"agent", "exec"}}, {"capture-output", true}});
    const Json pid = exec.contains("return") ? exec["return"].value("pid", Json()) : Json();
    if (exec.contains("return")) exec["return"]["pid"] = 0;
    run.answers.push_back(exec);
    Json status;
    for (int tries = 0; tries < 100 && !pid.is_null(); ++tries) {
      status = ask(agent, "guest-exec-status", {{"pid", pid}});
      if (status.contains("return") && status["return"].value("exited", false)) break;
      std::this_thread::sleep_for(100ms);
    }
    run.answers.push_back(status);
    // A file written and read back.
    auto handle_of = [](Json& open) {
      const Json handle = open.value("return", Json());
      if (!handle.is_null()) open["return"] = 0;
      return handle;
    };
    Json opened = ask(agent, "guest-file-open", {{"path", "/tmp/from-host"}, {"mode", "w"}});
    Json handle = handle_of(opened);
    run.answers.push_back(opened);
    run.answers.push_back(ask(agent, "guest-file-write",
                              {{"handle", handle}, {"buf-b64", "d3JpdHRlbiBieSB0aGUgaG9zdAo="}}));
    run.answers.push_back(ask(agent, "guest-file-close", {{"handle", handle}}));
    opened = ask(agent, "guest-file-open", {{"path", "/tmp/from-host"}, {"mode", "r"}});
    handle = handle_of(opened);
    run.answers.push_back(opened);
    run.answers.push_back(ask(agent, "guest-file-read", {{"handle", handle}, {"count", 64}}));
    run.answers.push_back(ask(agent, "guest-file-close", {{"handle", handle}}));
    // No answer: the guest powers off (qemu-ga runs /sbin/shutdown).
    agent.send_text(R"({"execute": "guest-shutdown"})");
  }
  run.status = process.wait(120s);
  for (Json event = qmp.next(); !event.is_null(); event = qmp.next()) {
    if (event.value("event", "") == "VSERPORT_CHANGE" && run.agent_opened.is_null()) {
      run.agent_opened = event["data"];
    }
  }
  run.serial = file_text(serial);
  for (const std::string& file : {serial, channel, qmp_socket}) std::filesystem::remove(file);
  return run;
}

TEST(GuestAgentTest, TheAgentAnswersAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "agent");
  if (!std::filesystem::exists(guest / "initramfs-agent.cpio.gz")) {
    GTEST_SKIP() << "no initramfs-agent.cpio.gz (rebuild the guest with scripts/build-guest.sh)";
  }
  const AgentRun ours = run_agent({VX86_BINARY}, guest, "vx86");
  ASSERT_TRUE(ours.synced) << ours.serial;
  EXPECT_EQ(ours.status, std::optional<int>(0)) << ours.serial;
  EXPECT_NE(ours.serial.find("vx86-init: agent shutdown"), std::string::npos) << ours.serial;
  EXPECT_EQ(ours.agent_opened, Json({{"id", "channel0"}, {"open", true}}));
  ASSERT_EQ(ours.answers.size(), 14u);
  EXPECT_EQ(ours.answers[0], Json({{"return", Json::object()}}));  // guest-ping
  EXPECT_EQ(ours.answers[1]["return"]["version"].get<std::string>().substr(0, 4), "7.2.");
  EXPECT_EQ(ours.answers[2]["return"]["machine"], "x86_64");
  EXPECT_EQ(ours.answers[4], Json::parse(R"({"return": [{"online": true, "can-offline": false,
                                                         "logical-id": 0}]})"));
  // echo's output, base64: "agent exec\n".
  EXPECT_EQ(ours.answers[7]["return"]["out-data"], "YWdlbnQgZXhlYwo=") << ours.answers[7];
  EXPECT_EQ(ours.answers[7]["return"]["exitcode"], 0);
  EXPECT_EQ(ours.answers[9], Json::parse(R"({"return": {"count": 20, "eof": false}})"));
  EXPECT_EQ(ours.answers[12], Json::parse(R"({"return": {"count": 20,
                                          "buf-b64": "d3JpdHRlbiBieSB0aGUgaG9zdAo=",
                                          "eof": true}})"));

  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const AgentRun qemu = run_agent({"qemu-system-x86_64", "-accel", "tcg"}, guest, "qemu");
  ASSERT_TRUE(qemu.synced) << qemu.serial;
  EXPECT_EQ(qemu.status, std::optional<int>(0));
  EXPECT_EQ(ours.agent_opened, qemu.agent_opened);
  ASSERT_EQ(qemu.answers.size(), ours.answers.size());
  for (std::size_t i = 0; i < ours.answers.size(); ++i) {
    EXPECT_EQ(ours.answers[i], qemu.answers[i]) << "answer " << i;
  }
}

}  // namespace
}  // namespace vx86::test
