// The real gdb debugs 64-bit code run by TCG and by KVM through the gdbstub,
// the accelerator interface's debug hooks and a CpuRunner, over a TCP
// socket chardev, as in vx86 with -gdb; both accelerators must give gdb the
// same answers. The code starts in 64-bit mode and runs a few instructions,
// so the KVM run works on the nested PVM development hosts too (with
// hardware breakpoints: such a host cannot intercept INT3). Skipped, with
// the reason, where gdb is missing or KVM cannot run.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "accel/cpu_runner.h"
#include "accel/kvm_accel.h"
#include "accel/machine_debugger.h"
#include "accel/tcg_vcpu.h"
#include "core/chardev_factory.h"
#include "core/gdbstub.h"
#include "core/main_loop.h"
#include "target-x86/cpuid.h"
#include "tests/accel/kvm_test_bus.h"

namespace vx86 {
namespace {

using namespace test;

const Bytes kProgram = {
    0x48, 0xff, 0xc0,                                // 0:  inc rax
    0x48, 0xff, 0xc3,                                // 3:  inc rbx
    0x48, 0xff, 0xc1,                                // 6:  inc rcx
    0x48, 0x89, 0x0c, 0x25, 0x00, 0x00, 0x20, 0x00,  // 9:  mov [0x200000], rcx
    0xeb, 0xfe,                                      // 17: jmp $
};

// A TCP port nobody listens on now.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Runs gdb in batch mode on a command file; returns what it printed.
std::string run_gdb(const std::string& commands) {
  const std::string script = ::testing::TempDir() + "/gdb_session_" + std::to_string(getpid());
  std::ofstream(script) << commands;
  std::string output;
  if (FILE* gdb = popen(("timeout 60 gdb -batch -nx -x " + script + " 2>&1").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof(buf), gdb)) output += buf;
    pclose(gdb);
  }
  std::remove(script.c_str());
  return output;
}

class GdbSession : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Accel, GdbSession, ::testing::Values("tcg", "kvm"),
                         [](const auto& info) { return std::string(info.param); });

TEST_P(GdbSession, BreakStepReadAndWrite) {
  if (std::system("command -v gdb >/dev/null 2>&1") != 0) GTEST_SKIP() << "gdb is not installed";
  const bool kvm = std::string(GetParam()) == "kvm";
  BareBus bus;
  bus.load(kCode, kProgram);
  std::unique_ptr<KvmAccelerator> accel;
  std::vector<std::unique_ptr<Vcpu>> vcpus;
  if (kvm) {
    std::string why;
    accel = open_kvm(&why, "off");
    if (!accel) GTEST_SKIP() << "KVM cannot run here: " << why;
    vcpus.push_back(accel->create_vcpu(0, bus.bus()));
  } else {
    vcpus.push_back(
        std::make_unique<TcgVcpu>(0, bus.bus(), *x86::find_cpu_model("qemu64"), nullptr));
  }
  enter_long_mode(vcpus[0]->state());
  vcpus[0]->sync_to_accel();

  // The pieces vx86's MachineController puts together for -gdb.
  MainLoop loop;
  std::unique_ptr<GdbServer> server;
  std::unique_ptr<MachineDebugger> debugger;
  CpuRunner* runner_ptr = nullptr;
  CpuRunner runner(
      std::move(vcpus),
      [&](Vcpu& vcpu, VcpuExit exit) {
        if (exit != VcpuExit::kDebug) return;
        runner_ptr->pause();
        boost::asio::post(loop.io(),
                          [&, v = &vcpu] { server->report_stop(debugger->describe_stop(*v)); });
      },
      kvm ? CpuRunner::Threading::kThreadPerVcpu : CpuRunner::Threading::kOneThread);
  runner_ptr = &runner;
  MachineDebugger::Machine machine;
  machine.stop = [&] { runner.pause(); };
  machine.resume = [&] { runner.resume(); };
  machine.monitor = [](const std::string& line) { return "no monitor for " + line + "\n"; };
  machine.quit = [&] { loop.stop(); };
  debugger = std::make_unique<MachineDebugger>(runner, *bus.bus().memory, std::move(machine));
  const int port = free_port();
  std::unique_ptr<Chardev> chardev = create_chardev(
      parse_legacy_chardev("-gdb", "tcp:127.0.0.1:" + std::to_string(port) + ",server=on,wait=off",
                           "gdb"),
      loop);
  server = std::make_unique<GdbServer>(*chardev, *debugger, [&](std::function<void()> fn) {
    boost::asio::post(loop.io(), std::move(fn));
  });
  chardev->set_frontend(server.get());
  runner.start(/*start_paused=*/true);  // as with -S
  std::thread loop_thread([&] { loop.run(); });

  const std::string out = run_gdb("target remote 127.0.0.1:" + std::to_string(port) +
                                  "\n"
                                  "hbreak *0x100006\n"
                                  "continue\n"
                                  "p $rax + $rbx\n"
                                  "stepi\n"
                                  "p/x $pc\n"
                                  "set var $rcx = 41\n"
                                  "set {long}0x200008 = 0x1122334455667788\n"
                                  "x/gx 0x200008\n"
                                  "delete\n"
                                  "hbreak *0x100011\n"
                                  "continue\n"
                                  "x/gx 0x200000\n"
                                  "p $rcx\n"
                                  "p/x $cr3\n"
                                  "info threads\n"
                                  "x/2i 0x100006\n"
                                  "set var $ymm3.v4_int64[3] = 0x77\n"
                                  "p/x $ymm3.v4_int64\n"
                                  "detach\n");
  runner.stop();
  loop.stop();
  loop_thread.join();

  auto expect_line = [&out](const std::string& pattern, const char* what) {
    EXPECT_TRUE(std::regex_search(out, std::regex(pattern, std::regex::multiline)))
        << what << "\n--- gdb printed:\n"
        << out;
  };
  expect_line(R"(Breakpoint 1, 0x0*100006 in)", "the hardware breakpoint was not hit");
  expect_line(R"(^\$1 = 2$)", "RAX + RBX at the breakpoint");
  expect_line(R"(^\$2 = 0x100009$)", "stepi did not run one instruction");
  expect_line(R"(^0x200008:\s+0x1122334455667788$)", "gdb's memory write did not land");
  expect_line(R"(Breakpoint 2, 0x0*100011 in)", "the second breakpoint was not hit");
  expect_line(R"(^0x200000:\s+0x0*29$)", "the guest did not store the RCX gdb set (41)");
  expect_line(R"(^\$3 = 41$)", "RCX");
  expect_line(R"(^\$4 = 0x10000$)", "CR3 is not the page tables' address");
  expect_line(R"(Thread 1 \(CPU#0\))", "info threads");
  expect_line(R"(0x100006:\s+inc\s+%rcx)", "x/i does not decode the code");
  expect_line(R"(^\$5 = \{0x0, 0x0, 0x0, 0x77\}$)", "gdb's $ymm3 (the avx feature's upper half)");
  expect_line(R"(Remote target\) detached)", "gdb did not detach");
}

}  // namespace
}  // namespace vx86
