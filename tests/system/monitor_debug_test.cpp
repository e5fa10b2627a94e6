// The monitor's commands for debugging a guest, against qemu-system-x86_64:
// a bare-metal guest (tests/guests/monitor_target.S) halts in long mode with
// known registers and page tables of every kind, and the same human monitor
// commands (through QMP's human-monitor-command) and QMP commands must give
// the same text and the same files under vx86 and QEMU.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

// Human monitor commands whose output must be the same.
const std::vector<std::string>& monitor_commands() {
  static const std::vector<std::string> commands = {
      "info registers",
      "info registers -a",
      "info pic",
      "info mem",
      "info tlb",
      "info cpus",
      "x /16xb 0x2000",
      "x /8xh 0x2000",
      "x /3xg 0x2000",
      "x /5dw 0x20f0",
      "x /4uh 0x20f0",
      "x /4ob 0x2008",
      "x /4dh 0x20fa",
      "x /2dg 0x2000",
      "x /20cb 0x2040",
      "x 0x2000",     // the last size and format again
      "x/2x 0x2004",  // no space after the command
      "x /3 $pc",     // a register
      "x $pc - 3",    // an expression
      "x /2xb $cs.base",
      "x /6i $pc",      // instructions, through the page tables
      "x /4i 0xf0293",  // one longer than a line
      "xp /3i 0xf0293",
      "x /2i 0x14000",  // an absent page
      "x /4xw 0x14000",
      "x /2xg 0xffffffff80002000",  // the top half of the address space
      "xp /2xg 0x30000",            // the page tables themselves (accessed bits)
      "x /2tb 0x2080",              // errors
      "x/2xw $rsp",
      "xp",
      "cpu 1",
      "gva2gpa 0xffffffff80002123",  // through the top-half mapping
      "gva2gpa 0x14000",
      "print $pc",
      "p /d $eax",
      "p /x 0",
      "p /o 8",
      "p /c 65",
      "p /u $eax - 1",
      "p (3 + 4) * 2",  // QEMU's expression grammar and precedence
      "p /x 0x1234 & 0xff | 0x10000",
      "p 6 * 7 ^ 1",  // products bind tighter than bit operations, which bind tighter than sums
      "p 1 + 2 ^ 1",
      "p 2 * 3 + 4 & 1",
      "p /x 'a' + 1",
      "p 7 / 2 + 7 % 4",
      "p /x ~0 - -5",
      "p /x ($eax + 2) * 0x10",
      "p 1 / 0",
      "p (1 + 2",
      "p 99999999999999999999",
      "p 5 6",
      "sum 0x2000 0x10 4",
      "x /2xb $pc - (2 * 2)",
      "sum 0x2000 256",
      "sum 0x20f0 0x10",
      "i /b 0x3fd",  // the UART's line status
      "o /b 0x3f9 0x05",
      "i /b 0x3f9",  // its interrupt enables, as just written
      "i 0x3fb",     // the last size (b) again
  };
  return commands;
}

struct MonitorRun {
  std::vector<std::string> outputs;         // one per monitor_commands()
  std::string nmi_count;                    // `xp /1xw` of the guest's NMI counter after two NMIs
  std::string virtual_save, physical_save;  // memsave's and pmemsave's files
  std::string registers_after_nmi;
  std::vector<Json> qmp_answers;
  int64_t vcpu_thread = 0;
  std::string vcpu_thread_status;  // /proc/TID/status while it ran
  std::string error;
};

std::string without_cr(std::string text) {
  std::erase(text, '\r');
  return text;
}

std::string pic_without_volatile_fields(std::string text) {
  text = std::regex_replace(text, std::regex("ver=0x[0-9a-f]+ id=0x[0-9a-f]+"), "ver= id=");
  text = std::regex_replace(text, std::regex("(pic1: .*) elcr=[0-9a-f]+"), "$1 elcr=");
  text = std::regex_replace(text, std::regex(" irr=[0-9a-f]+"), " irr=");
  return std::regex_replace(text, std::regex("\n  IRR [^\n]*"), "\n  IRR");
}

MonitorRun run_monitor(const std::vector<std::string>& emulator, const std::string& tag,
                       const std::vector<std::string>& extra = {}) {
  MonitorRun run;
  const std::string dir = ::testing::TempDir() + "/monitor-debug-" + tag + std::to_string(getpid());
  run_command({"mkdir", "-p", dir});
  const std::string serial = dir + "/serial", sock = dir + "/qmp.sock";
  std::vector<std::string> argv = emulator;
  for (const char* arg : {"-display", "none", "-m", "128", "-bios"}) argv.push_back(arg);
  argv.push_back(std::string(VX86_GUEST_DIR) + "/monitor_target.bin");
  for (const std::string& arg : {std::string("-serial"), "file:" + serial, std::string("-qmp"),
                                 "unix:" + sock + ",server=on,wait=off"})
    argv.push_back(arg);
  argv.insert(argv.end(), extra.begin(), extra.end());
  Process process(argv);
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) {
    run.error = tag + ": no QMP socket";
    return run;
  }
  qmp.next();  // greeting
  qmp.execute("qmp_capabilities");
  auto hmp = [&](const std::string& line) {
    return without_cr(qmp.execute("human-monitor-command", {{"command-line", line}})["return"]
                          .get<std::string>());
  };
  // Ready, then halted (a few instructions after "ready").
  bool halted = false;
  for (int i = 0; i < 200 && !halted; ++i) {
    halted = file_text(serial).find("ready") != std::string::npos &&
             hmp("info registers").find("HLT=1") != std::string::npos;
    if (!halted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!halted) {
    run.error = tag + ": the guest did not halt: " + file_text(serial);
    return run;
  }
  // The vCPU's host thread, as management tools find it to pin it.
  run.vcpu_thread = qmp.execute("query-cpus-fast")["return"][0]["thread-id"].get<int64_t>();
  run.vcpu_thread_status = file_text("/proc/" + std::to_string(run.vcpu_thread) + "/status");
  // Stopped first, as a user would, so that every accelerator shows current state.
  qmp.execute("stop");
  for (const std::string& command : monitor_commands()) run.outputs.push_back(hmp(command));
  run.virtual_save = dir + "/virtual.mem";
  run.physical_save = dir + "/physical.mem";
  // QMP's addresses are signed: 0xffffffff80010000.
  run.qmp_answers.push_back(qmp.execute(
      "memsave", {{"val", -0x7fff0000ll}, {"size", 0x3000}, {"filename", run.virtual_save}}));
  run.qmp_answers.push_back(qmp.execute(
      "pmemsave", {{"val", 0x30000}, {"size", 0x5000}, {"filename", run.physical_save}}));
  // Refusals: an unsigned address, an absent page, no such CPU, no such
  // directory, an unknown argument.
  const std::string scratch = dir + "/refused.mem";
  for (const Json& args :
       {Json{{"val", 0xffffffff80010000ull}, {"size", 16}, {"filename", scratch}},
        Json{{"val", 0x14000}, {"size", 16}, {"filename", scratch}},
        Json{{"val", 0x2000}, {"size", 16}, {"filename", scratch}, {"cpu-index", 3}},
        Json{{"val", 0x2000}, {"size", 16}, {"filename", "/nonexistent/x"}}})
    run.qmp_answers.push_back(qmp.execute("memsave", args));
  run.qmp_answers.push_back(qmp.execute("inject-nmi", {{"cpu", 0}}));
  run.qmp_answers.push_back(
      qmp.execute("human-monitor-command", {{"command-line", "info cpus"}, {"cpu-index", 1}}));
  qmp.execute("cont");
  // Two NMIs, each counted by the guest's handler once it has run.
  for (const char* expected : {"0x00000001", "0x00000002"}) {
    qmp.execute("inject-nmi");
    for (int i = 0; i < 200; ++i) {
      run.nmi_count = hmp("xp /1xw 0x1000");
      if (run.nmi_count.find(expected) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  qmp.execute("stop");
  run.registers_after_nmi = hmp("info registers");
  qmp.execute("quit");
  process.wait(std::chrono::seconds(10));
  return run;
}

// vx86 keeps the TSS's busy type in TR once LTR has marked the descriptor
// busy, as the processor does; QEMU shows the type it read before.
std::string as_qemu_shows_tr(std::string text) {
  const std::string ours = "00008b00 DPL=0 TSS64-busy", qemus = "00008900 DPL=0 TSS64-avl";
  for (std::size_t at = text.find(ours); at != std::string::npos; at = text.find(ours, at))
    text.replace(at, ours.size(), qemus);
  return text;
}

TEST(MonitorDebugTest, InspectingAHaltedGuestReadsAsUnderQemu) {
  const MonitorRun ours = run_monitor({VX86_BINARY}, "vx86");
  ASSERT_TRUE(ours.error.empty()) << ours.error;
  ASSERT_EQ(ours.outputs.size(), monitor_commands().size());
  // What vx86 says on its own, in case QEMU is not there.
  EXPECT_NE(ours.outputs[0].find("RAX=1111111111111111 RBX=2222222222222222"), std::string::npos)
      << ours.outputs[0];
  EXPECT_NE(ours.nmi_count.find("0x00000002"), std::string::npos) << ours.nmi_count;
  EXPECT_EQ(file_text(ours.physical_save).size(), 0x5000u);
  EXPECT_EQ(file_text(ours.virtual_save).size(), 0x3000u);
  // query-cpus-fast's thread-id is the thread running the vCPU: a thread of
  // the vx86 process other than its main one.
  const std::string tgid_tag = "\nTgid:\t";
  const std::size_t tgid_at = ours.vcpu_thread_status.find(tgid_tag);
  ASSERT_NE(tgid_at, std::string::npos) << "no thread " << ours.vcpu_thread;
  EXPECT_NE(std::atoll(ours.vcpu_thread_status.c_str() + tgid_at + tgid_tag.size()),
            ours.vcpu_thread);
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const MonitorRun qemu = run_monitor({"qemu-system-x86_64", "-accel", "tcg"}, "qemu");
  ASSERT_TRUE(qemu.error.empty()) << qemu.error;
  for (std::size_t i = 0; i < monitor_commands().size(); ++i) {
    std::string mine = as_qemu_shows_tr(ours.outputs[i]), theirs = qemu.outputs[i];
    if (monitor_commands()[i] == "info pic") {
      // What differs by design: the IOAPIC's version (vx86's 0x11, QEMU's
      // 0x20) and ID (vx86 numbers it after the CPUs, as the MADT says), the
      // slave's ELCR (vx86 sets PCI's IRQs 10 and 11 level-triggered at reset,
      // as SeaBIOS would, whatever firmware runs), and the requests latched
      // from the PIT, which the two PIT models raise at their own times.
      mine = pic_without_volatile_fields(mine);
      theirs = pic_without_volatile_fields(theirs);
    }
    if (monitor_commands()[i] == "info cpus") {
      // Thread IDs differ from run to run.
      mine = mine.substr(0, mine.find("thread_id="));
      theirs = theirs.substr(0, theirs.find("thread_id="));
    }
    EXPECT_EQ(mine, theirs) << monitor_commands()[i];
  }
  EXPECT_EQ(ours.qmp_answers, qemu.qmp_answers);
  EXPECT_EQ(ours.nmi_count, qemu.nmi_count);
  EXPECT_EQ(as_qemu_shows_tr(ours.registers_after_nmi), qemu.registers_after_nmi);
  EXPECT_TRUE(file_text(ours.virtual_save) == file_text(qemu.virtual_save)) << "memsave";
  EXPECT_TRUE(file_text(ours.physical_save) == file_text(qemu.physical_save)) << "pmemsave";
}

// With -cpu max the guest turns AVX on: `info registers` then shows whole
// YMM registers, one per line, as QEMU does.
TEST(MonitorDebugTest, AvxRegistersReadAsUnderQemu) {
  const MonitorRun ours = run_monitor({VX86_BINARY}, "vx86-max", {"-cpu", "max"});
  ASSERT_TRUE(ours.error.empty()) << ours.error;
  EXPECT_NE(ours.outputs[0].find("\nYMM00="), std::string::npos) << ours.outputs[0];
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  const MonitorRun qemu =
      run_monitor({"qemu-system-x86_64", "-accel", "tcg"}, "qemu-max", {"-cpu", "max"});
  ASSERT_TRUE(qemu.error.empty()) << qemu.error;
  EXPECT_EQ(as_qemu_shows_tr(ours.outputs[0]), qemu.outputs[0]);
}

}  // namespace
}  // namespace vx86::test
