#include "core/chardev_terminal.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>

namespace vx86 {
namespace {

constexpr int kMaxTerminals = 8;

struct SavedTerminal {
  volatile sig_atomic_t in_use = 0;
  int fd = -1;
  struct termios attrs {};
};

SavedTerminal g_terminals[kMaxTerminals];

constexpr int kFatalSignals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
constexpr int kTerminationSignals[] = {SIGTERM, SIGINT};

struct sigaction g_previous[NSIG];
std::once_flag g_install_once;

void die_by_default(int sig) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  // Blocked while this handler runs; delivered (and fatal) on return.
  raise(sig);
}

void call_previous(int sig, siginfo_t* info, void* context) {
  const struct sigaction& prev = g_previous[sig];
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, context);
  } else {
    prev.sa_handler(sig);
  }
}

bool previous_is(int sig, void (*disposition)(int)) {
  const struct sigaction& prev = g_previous[sig];
  return !(prev.sa_flags & SA_SIGINFO) && prev.sa_handler == disposition;
}

void on_signal(int sig, siginfo_t* info, void* context) {
  int saved_errno = errno;
  bool fatal = true;
  for (int t : kTerminationSignals) {
    if (t == sig) fatal = false;
  }
  if (fatal) {
    restore_all_terminals();
    if (previous_is(sig, SIG_DFL) || previous_is(sig, SIG_IGN)) {
      die_by_default(sig);
    } else {
      call_previous(sig, info, context);
    }
  } else if (previous_is(sig, SIG_DFL)) {
    restore_all_terminals();
    die_by_default(sig);
  } else if (!previous_is(sig, SIG_IGN)) {
    // Someone handles it (a graceful shutdown): exit paths restore later.
    call_previous(sig, info, context);
  }
  errno = saved_errno;
}

void install_handlers() {
  std::atexit([] { restore_all_terminals(); });
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (int sig : kFatalSignals) sigaction(sig, &sa, &g_previous[sig]);
  for (int sig : kTerminationSignals) sigaction(sig, &sa, &g_previous[sig]);
}

}  // namespace

bool register_terminal_restore(int fd, const struct termios& original) {
  std::call_once(g_install_once, install_handlers);
  for (SavedTerminal& t : g_terminals) {
    if (t.in_use && t.fd == fd) {
      t.attrs = original;
      return true;
    }
  }
  for (SavedTerminal& t : g_terminals) {
    if (!t.in_use) {
      t.fd = fd;
      t.attrs = original;
      t.in_use = 1;  // last, so a signal never sees a half-filled slot
      return true;
    }
  }
  return false;
}

void restore_terminal(int fd) {
  for (SavedTerminal& t : g_terminals) {
    if (t.in_use && t.fd == fd) {
      tcsetattr(t.fd, TCSANOW, &t.attrs);
      t.in_use = 0;
    }
  }
}

void restore_all_terminals() noexcept {
  for (SavedTerminal& t : g_terminals) {
    if (t.in_use) tcsetattr(t.fd, TCSANOW, &t.attrs);
  }
}

}  // namespace vx86
