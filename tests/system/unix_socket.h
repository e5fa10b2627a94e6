// A listening Unix socket made by the test, as libvirt makes the sockets it
// hands QEMU (-chardev socket,fd=N on the command line, or getfd over QMP).
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace vx86::test {

// Listening at path; left open across exec so a child can be given it.
inline int listening_unix_socket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ::unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 1) != 0) {
    ADD_FAILURE() << "cannot listen on " << path;
  }
  return fd;
}

}  // namespace vx86::test
