// Terminal attributes that must come back however the process ends: a
// backend that puts a tty in raw mode registers its original attributes here,
// and they are restored at exit and on fatal signals (SIGSEGV, SIGABRT,
// SIGBUS, SIGFPE, SIGILL, and SIGTERM/SIGINT when those would kill).
#pragma once

#include <termios.h>

namespace vx86 {

// Remembers `original` as the attributes to put back on fd. Installs the
// atexit and signal handlers on first use. Returns false when the table is full.
bool register_terminal_restore(int fd, const struct termios& original);

// Puts fd's remembered attributes back now and forgets them.
void restore_terminal(int fd);

// Puts every remembered terminal back. Async-signal-safe.
void restore_all_terminals() noexcept;

}  // namespace vx86
