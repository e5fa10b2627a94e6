// The stdio backend on a real terminal: raw mode while it runs, and the
// original attributes back however the process ends (exit, SIGTERM, abort).
// The child runs on a pty whose slave the parent keeps open, so the kernel
// never resets the attributes itself and the parent can read them.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "core/chardev_stdio.h"
#include "core/main_loop.h"

namespace vx86 {
namespace {

enum class ChildEnd { kExit, kSigterm, kAbort };

[[noreturn]] void child_main(int slave, int report_fd, int go_fd, ChildEnd end,
                             bool allow_signals) {
  if (login_tty(slave) != 0) _exit(90);
  struct rlimit no_core {};
  setrlimit(RLIMIT_CORE, &no_core);
  MainLoop loop;
  // Leaked on purpose: restoring must not depend on the destructor.
  auto* cd = new StdioChardev("serial0", loop, allow_signals);
  char report = cd->raw_mode() ? 'R' : 'N';
  if (write(report_fd, &report, 1) != 1) _exit(91);
  char go;
  if (read(go_fd, &go, 1) != 1) _exit(92);
  if (end == ChildEnd::kAbort) std::abort();
  std::exit(0);  // atexit handlers run; destructors of leaked objects do not
}

struct ChildOutcome {
  char report = 0;
  struct termios during {};
  struct termios after {};
  int status = 0;
};

bool wait_child(pid_t pid, int* status) {
  for (int i = 0; i < 1000; ++i) {
    if (waitpid(pid, status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return false;
}

ChildOutcome run_child(ChildEnd end, bool allow_signals, struct termios* before) {
  ChildOutcome out;
  int master = -1, slave = -1;
  EXPECT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  tcgetattr(slave, before);
  int report[2], go[2];
  EXPECT_EQ(pipe(report), 0);
  EXPECT_EQ(pipe(go), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(master);
    close(report[0]);
    close(go[1]);
    child_main(slave, report[1], go[0], end, allow_signals);
  }
  close(report[1]);
  close(go[0]);
  pollfd p{report[0], POLLIN, 0};
  if (poll(&p, 1, 10000) == 1 && read(report[0], &out.report, 1) == 1) {
    tcgetattr(slave, &out.during);
  }
  if (end == ChildEnd::kSigterm) {
    kill(pid, SIGTERM);
  } else {
    char g = 'g';
    EXPECT_EQ(write(go[1], &g, 1), 1);
  }
  EXPECT_TRUE(wait_child(pid, &out.status));
  tcgetattr(slave, &out.after);
  close(report[0]);
  close(go[1]);
  close(slave);
  close(master);
  return out;
}

void expect_same_modes(const struct termios& a, const struct termios& b) {
  EXPECT_EQ(a.c_iflag, b.c_iflag);
  EXPECT_EQ(a.c_oflag, b.c_oflag);
  EXPECT_EQ(a.c_lflag, b.c_lflag);
  EXPECT_EQ(a.c_cflag, b.c_cflag);
}

TEST(ChardevStdioTerminal, RawWhileRunningRestoredAtExit) {
  struct termios before {};
  ChildOutcome o = run_child(ChildEnd::kExit, true, &before);
  ASSERT_EQ(o.report, 'R');
  EXPECT_EQ(o.during.c_lflag & (ECHO | ICANON), 0u);
  EXPECT_NE(o.during.c_lflag & ISIG, 0u);  // signal=on keeps Ctrl-C for the host
  EXPECT_EQ(o.during.c_iflag & ICRNL, 0u);
  ASSERT_TRUE(WIFEXITED(o.status)) << o.status;
  EXPECT_EQ(WEXITSTATUS(o.status), 0);
  EXPECT_NE(o.after.c_lflag & ECHO, 0u);
  expect_same_modes(o.after, before);
}

TEST(ChardevStdioTerminal, RestoredWhenKilledBySigterm) {
  struct termios before {};
  ChildOutcome o = run_child(ChildEnd::kSigterm, false, &before);
  ASSERT_EQ(o.report, 'R');
  EXPECT_EQ(o.during.c_lflag & (ECHO | ICANON | ISIG), 0u);  // signal=off
  ASSERT_TRUE(WIFSIGNALED(o.status)) << o.status;
  EXPECT_EQ(WTERMSIG(o.status), SIGTERM);
  expect_same_modes(o.after, before);
}

TEST(ChardevStdioTerminal, RestoredOnAbort) {
  struct termios before {};
  ChildOutcome o = run_child(ChildEnd::kAbort, true, &before);
  ASSERT_EQ(o.report, 'R');
  ASSERT_TRUE(WIFSIGNALED(o.status)) << o.status;
  EXPECT_EQ(WTERMSIG(o.status), SIGABRT);
  expect_same_modes(o.after, before);
}

}  // namespace
}  // namespace vx86
