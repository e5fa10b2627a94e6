// Sends bytes with a file descriptor attached (SCM_RIGHTS over a Unix
// socket), as libvirt passes fds to QEMU's monitor for getfd.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstring>

namespace vx86::test {

// True when all of data went, with fd alongside.
inline bool send_with_fd(int socket, const void* data, std::size_t len, int fd) {
  iovec iov{const_cast<void*>(data), len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(socket, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(len);
}

}  // namespace vx86::test
