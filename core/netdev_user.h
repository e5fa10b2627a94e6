// -netdev user: QEMU's user-mode network, from libslirp. The guest sits on a
// private network (10.0.2.0/24 by default) behind a NAT router at .2 that
// also serves DHCP (addresses from .15) and relays DNS at .3; connections
// the guest opens become the host's own sockets, and hostfwd rules forward
// host ports into the guest. libslirp is not thread-safe, so one thread
// owns it: it polls slirp's sockets, runs slirp's timers and feeds it the
// guest's frames; frames for the guest go to the main loop.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/netdev.h"
#include "core/options.h"

struct Slirp;
struct pollfd;

namespace vx86 {

class MainLoop;

// One hostfwd rule: [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT.
struct HostForward {
  bool udp = false;
  in_addr host_addr{};  // INADDR_ANY when not given
  uint16_t host_port = 0;
  in_addr guest_addr{};  // the first DHCP address when not given
  uint16_t guest_port = 0;
};

// Parses a rule; throws OptionError naming it and saying what is wrong.
HostForward parse_host_forward(const std::string& rule, in_addr default_guest);

class UserNetBackend : public NetBackend {
 public:
  // The keys -netdev user takes (besides "type" and "id").
  static const std::vector<OptDesc>& option_keys();

  // Throws OptionError for bad options or a host port that cannot be bound.
  UserNetBackend(std::string id, const KeyValues& opts, MainLoop& loop);
  ~UserNetBackend() override;

  const std::string& id() const override { return id_; }
  void set_receiver(Receiver receiver) override;
  void send(const uint8_t* frame, std::size_t len) override;
  std::string describe() const override;
  // hostfwd_add RULE, hostfwd_remove [tcp|udp]:[HOSTADDR]:HOSTPORT.
  std::string add_host_forward(const std::string& rule) override;
  std::string remove_host_forward(const std::string& rule) override;

 private:
  struct Timer;
  struct ToGuest;  // frames for the guest, shared with main-loop handlers
  struct Callbacks;

  void run();
  // Runs fn on the slirp thread (which owns libslirp) and waits for it.
  void call_on_slirp_thread(const std::function<void()>& fn);
  void wake();
  void frame_for_guest(const uint8_t* frame, std::size_t len);
  int64_t now_ms() const;

  std::string id_;
  std::string summary_;
  MainLoop& loop_;
  Slirp* slirp_ = nullptr;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  std::mutex from_guest_lock_;
  std::deque<std::vector<uint8_t>> from_guest_;
  std::vector<std::function<void()>> calls_;  // under from_guest_lock_
  in_addr default_guest_{};
  std::shared_ptr<ToGuest> to_guest_;

  // Owned by the slirp thread (and the constructor before it starts).
  std::vector<std::unique_ptr<Timer>> timers_;
  std::vector<pollfd>* poll_fds_ = nullptr;
};

}  // namespace vx86
