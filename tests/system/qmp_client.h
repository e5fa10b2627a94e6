// Helpers for tests that drive the vx86 program over QMP: a started process
// that is killed if the test ends first, and a QMP client on a unix or TCP
// socket that keeps events apart from answers.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/send_fd.h"

namespace vx86::test {

using Json = nlohmann::json;

// A started program; killed if the test ends before it does.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv) {
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      freopen("/dev/null", "r", stdin);
      freopen("/dev/null", "w", stdout);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The exit status once the process ended within the timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    for (auto waited = std::chrono::milliseconds(0); !status_ && waited < timeout;
         waited += std::chrono::milliseconds(10)) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A QMP client on a unix or TCP socket: answers are collected apart from
// the events that arrive meanwhile.
class QmpClient {
 public:
  bool connect_unix(const std::string& path) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
      if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return true;
      close(fd_);
      fd_ = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool connect_tcp(int port) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return true;
      close(fd_);
      fd_ = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  ~QmpClient() {
    if (fd_ >= 0) close(fd_);
  }

  // The next JSON value from the server (null after 10 s or at end of stream).
  Json next() {
    for (;;) {
      std::optional<std::string> line = next_line();
      if (!line) return Json();
      if (line->find_first_not_of(" \r") == std::string::npos) continue;
      return Json::parse(*line);
    }
  }
  // The next line, without its newline (nothing after 10 s or at end of
  // stream): for peers that do not speak JSON.
  std::optional<std::string> next_line() {
    for (int i = 0; i < 200; ++i) {
      std::size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      timeval tv{0, 50000};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      char buf[4096];
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n == 0) return std::nullopt;
      if (n > 0) buffer_.append(buf, static_cast<std::size_t>(n));
    }
    return std::nullopt;
  }
  void send_text(const std::string& text) {
    std::string line = text + "\n";
    // MSG_NOSIGNAL: a peer that went away fails the test, not kills it.
    ASSERT_EQ(send(fd_, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
  }
  // Sends one request and returns its answer; events go to events().
  Json request(const std::string& text) {
    send_text(text);
    for (;;) {
      Json j = next();
      if (j.is_null() || !j.contains("event")) return j;
      events_.push_back(j);
    }
  }
  Json execute(const std::string& command, const Json& args = Json()) {
    Json r = {{"execute", command}};
    if (!args.is_null()) r["arguments"] = args;
    return request(r.dump());
  }
  // As execute, passing fd along with the command (SCM_RIGHTS), as libvirt
  // passes fds for getfd.
  Json execute_with_fd(const std::string& command, const Json& args, int fd) {
    std::string line = Json({{"execute", command}, {"arguments", args}}).dump() + "\n";
    if (!send_with_fd(fd_, line.data(), line.size(), fd)) return Json();
    for (;;) {
      Json j = next();
      if (j.is_null() || !j.contains("event")) return j;
      events_.push_back(j);
    }
  }
  // The events named `name` received so far (without waiting), oldest first.
  std::vector<Json> take_events(const std::string& name) {
    std::vector<Json> taken, kept;
    for (Json& e : events_) (e["event"] == name ? taken : kept).push_back(std::move(e));
    events_ = std::move(kept);
    return taken;
  }
  // The first event named name, waiting up to 10 s for it.
  Json wait_event(const std::string& name) {
    for (int i = 0; i < 20; ++i) {
      for (std::size_t k = 0; k < events_.size(); ++k) {
        if (events_[k]["event"] == name) {
          Json e = events_[k];
          events_.erase(events_.begin() + static_cast<std::ptrdiff_t>(k));
          return e;
        }
      }
      Json j = next();
      if (j.is_null()) continue;
      events_.push_back(j);
    }
    return Json();
  }

 private:
  int fd_ = -1;
  std::string buffer_;
  std::vector<Json> events_;
};

}  // namespace vx86::test
