#include "core/netdev_user.h"

#include <arpa/inet.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <future>

#include "core/log.h"
#include "core/main_loop.h"

namespace vx86 {

namespace {

// Frames waiting for the main loop beyond this are dropped (TCP resends).
constexpr std::size_t kMaxQueuedFrames = 1024;

in_addr parse_ipv4(const std::string& option, const std::string& key, const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
    throw OptionError(option + ": parameter '" + key + "' expects an IPv4 address, not '" + text +
                      "'");
  }
  return a;
}

std::string ipv4_text(in_addr a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

in_addr host_order(uint32_t v) {
  in_addr a{};
  a.s_addr = htonl(v);
  return a;
}

int to_poll_events(int slirp_events) {
  int e = 0;
  if (slirp_events & SLIRP_POLL_IN) e |= POLLIN;
  if (slirp_events & SLIRP_POLL_OUT) e |= POLLOUT;
  if (slirp_events & SLIRP_POLL_PRI) e |= POLLPRI;
  if (slirp_events & SLIRP_POLL_ERR) e |= POLLERR;
  if (slirp_events & SLIRP_POLL_HUP) e |= POLLHUP;
  return e;
}

int to_slirp_events(int poll_events) {
  int e = 0;
  if (poll_events & POLLIN) e |= SLIRP_POLL_IN;
  if (poll_events & POLLOUT) e |= SLIRP_POLL_OUT;
  if (poll_events & POLLPRI) e |= SLIRP_POLL_PRI;
  if (poll_events & POLLERR) e |= SLIRP_POLL_ERR;
  if (poll_events & POLLHUP) e |= SLIRP_POLL_HUP;
  return e;
}

}  // namespace

HostForward parse_host_forward(const std::string& rule, in_addr default_guest) {
  auto bad = [&](const std::string& why) {
    return OptionError("-netdev user: invalid host forwarding rule '" + rule + "' (" + why +
                       "; expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT)");
  };
  auto port = [&](const std::string& text, const char* which) {
    char* end = nullptr;
    long v = text.empty() ? -1 : std::strtol(text.c_str(), &end, 10);
    if (v < 0 || v > 65535 || (end && *end)) throw bad(std::string("bad ") + which + " port");
    return static_cast<uint16_t>(v);
  };
  auto addr = [&](const std::string& text, in_addr def, const char* which) {
    if (text.empty()) return def;
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
      throw bad(std::string("bad ") + which + " address");
    }
    return a;
  };
  HostForward fwd;
  std::string rest = rule;
  auto colon = rest.find(':');
  if (colon == std::string::npos) throw bad("no ':'");
  std::string proto = rest.substr(0, colon);
  if (proto == "udp") {
    fwd.udp = true;
  } else if (proto != "tcp" && !proto.empty()) {
    throw bad("protocol must be tcp or udp");
  }
  rest = rest.substr(colon + 1);
  auto dash = rest.find('-');
  if (dash == std::string::npos) throw bad("no '-' between host and guest");
  std::string host = rest.substr(0, dash), guest = rest.substr(dash + 1);
  auto host_colon = host.rfind(':');
  auto guest_colon = guest.rfind(':');
  if (host_colon == std::string::npos) throw bad("no ':' before the host port");
  if (guest_colon == std::string::npos) throw bad("no ':' before the guest port");
  fwd.host_addr = addr(host.substr(0, host_colon), host_order(INADDR_ANY), "host");
  fwd.host_port = port(host.substr(host_colon + 1), "host");
  fwd.guest_addr = addr(guest.substr(0, guest_colon), default_guest, "guest");
  fwd.guest_port = port(guest.substr(guest_colon + 1), "guest");
  return fwd;
}

struct UserNetBackend::Timer {
  SlirpTimerCb callback;
  void* callback_opaque;
  int64_t expire_ms = -1;  // -1: not armed
};

struct UserNetBackend::ToGuest {
  std::mutex lock;
  std::deque<std::vector<uint8_t>> frames;
  bool posted = false;
  Receiver receiver;  // main loop only
};

// libslirp's callbacks, all run on the slirp thread.
struct UserNetBackend::Callbacks {
  static UserNetBackend& self(void* opaque) { return *static_cast<UserNetBackend*>(opaque); }

  static ssize_t send_packet(const void* buf, size_t len, void* opaque) {
    self(opaque).frame_for_guest(static_cast<const uint8_t*>(buf), len);
    return static_cast<ssize_t>(len);
  }
  static void guest_error(const char* msg, void* opaque) {
    VX86_LOG(kLogGuestErrors, "netdev %s: %s\n", self(opaque).id_.c_str(), msg);
  }
  static int64_t clock_get_ns(void*) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static void* timer_new(SlirpTimerCb cb, void* cb_opaque, void* opaque) {
    auto& timers = self(opaque).timers_;
    timers.push_back(std::make_unique<Timer>(Timer{cb, cb_opaque}));
    return timers.back().get();
  }
  static void timer_free(void* timer, void* opaque) {
    auto& timers = self(opaque).timers_;
    std::erase_if(timers, [timer](const auto& t) { return t.get() == timer; });
  }
  static void timer_mod(void* timer, int64_t expire_ms, void*) {
    static_cast<Timer*>(timer)->expire_ms = expire_ms;
  }
  static void register_poll_fd(int, void*) {}
  static void unregister_poll_fd(int, void*) {}
  static void notify(void* opaque) { self(opaque).wake(); }

  static int add_poll(int fd, int events, void* opaque) {
    auto& fds = *self(opaque).poll_fds_;
    fds.push_back(pollfd{fd, static_cast<short>(to_poll_events(events)), 0});
    return static_cast<int>(fds.size() - 1);
  }
  static int get_revents(int index, void* opaque) {
    return to_slirp_events((*self(opaque).poll_fds_)[static_cast<std::size_t>(index)].revents);
  }
};

const std::vector<OptDesc>& UserNetBackend::option_keys() {
  static const std::vector<OptDesc> keys = {
      {"net", OptType::kString, "guest network ADDR[/MASK] (default 10.0.2.0/24)"},
      {"host", OptType::kString, "the host's address in it (default .2)"},
      {"dhcpstart", OptType::kString, "first DHCP address (default .15)"},
      {"dns", OptType::kString, "the DNS relay's address (default .3)"},
      {"restrict", OptType::kBool, "on: the guest cannot reach the host or beyond"},
      {"hostname", OptType::kString, "host name DHCP gives the guest"},
      {"domainname", OptType::kString, "domain name DHCP gives the guest"},
      {"hostfwd", OptType::kString, "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"},
      {"ipv4", OptType::kBool, "IPv4 on the guest network (default on)"},
      {"ipv6", OptType::kBool, "IPv6 on the guest network (default on)"},
  };
  return keys;
}

UserNetBackend::UserNetBackend(std::string id, const KeyValues& opts, MainLoop& loop)
    : id_(std::move(id)), loop_(loop), to_guest_(std::make_shared<ToGuest>()) {
  const std::string option = "-netdev user";
  // The guest network and the router's, DHCP's and DNS's places in it.
  std::string net = opts.get_string("net", "10.0.2.0/24");
  uint32_t prefix_len = 24;
  in_addr mask = host_order(0xffffff00u);
  if (auto slash = net.find('/'); slash != std::string::npos) {
    std::string m = net.substr(slash + 1);
    net = net.substr(0, slash);
    if (m.find('.') != std::string::npos) {
      mask = parse_ipv4(option, "net", m);
      uint32_t bits = ntohl(mask.s_addr);
      if (bits & ~(bits << 1) & 0xfffffffeu) {  // a 1 after a 0: not a prefix
        throw OptionError(option + ": parameter 'net' has a netmask that is not a prefix");
      }
      prefix_len = static_cast<uint32_t>(__builtin_popcount(bits));
    } else {
      auto n = parse_number(m);
      if (!n || *n < 1 || *n > 30) {
        throw OptionError(option + ": parameter 'net' expects a prefix length from 1 to 30");
      }
      prefix_len = static_cast<uint32_t>(*n);
    }
  }
  if (prefix_len < 1 || prefix_len > 30) {
    throw OptionError(option + ": parameter 'net' expects a prefix length from 1 to 30");
  }
  uint32_t mask_bits = 0xffffffffu << (32 - prefix_len);
  mask = host_order(mask_bits);
  uint32_t network = ntohl(parse_ipv4(option, "net", net).s_addr) & mask_bits;
  auto in_net = [&](const char* key, uint32_t def) {
    uint32_t v =
        opts.has(key) ? ntohl(parse_ipv4(option, key, opts.get_string(key)).s_addr) : network | def;
    if ((v & mask_bits) != network || (v & ~mask_bits) == 0 || (v | mask_bits) == 0xffffffffu) {
      throw OptionError(option + ": parameter '" + key + "' is not a host address in " +
                        ipv4_text(host_order(network)) + "/" + std::to_string(prefix_len));
    }
    return host_order(v);
  };
  in_addr host = in_net("host", 2);
  in_addr dhcp = in_net("dhcpstart", 15);
  in_addr dns = in_net("dns", 3);
  bool restricted = opts.get_bool("restrict", false);
  bool ipv4 = opts.get_bool("ipv4", true);
  bool ipv6 = opts.get_bool("ipv6", true);
  if (!ipv4 && !ipv6) throw OptionError(option + ": ipv4=off and ipv6=off leave no network");
  std::vector<HostForward> forwards;
  for (const std::string& rule : opts.get_all("hostfwd")) {
    forwards.push_back(parse_host_forward(rule, dhcp));
  }
  default_guest_ = dhcp;
  std::string hostname = opts.get_string("hostname");
  std::string domainname = opts.get_string("domainname");

  SlirpConfig cfg{};
  cfg.version = 4;
  cfg.restricted = restricted;
  cfg.in_enabled = ipv4;
  cfg.vnetwork = host_order(network);
  cfg.vnetmask = mask;
  cfg.vhost = host;
  // QEMU's IPv6 defaults: fec0::/64, the host at ::2 and DNS at ::3.
  cfg.in6_enabled = ipv6;
  inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
  cfg.vprefix_len = 64;
  inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
  inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
  cfg.vhostname = hostname.empty() ? nullptr : hostname.c_str();
  cfg.vdomainname = domainname.empty() ? nullptr : domainname.c_str();
  cfg.vdhcp_start = dhcp;
  cfg.vnameserver = dns;

  static const SlirpCb callbacks = {
      .send_packet = Callbacks::send_packet,
      .guest_error = Callbacks::guest_error,
      .clock_get_ns = Callbacks::clock_get_ns,
      .timer_new = Callbacks::timer_new,
      .timer_free = Callbacks::timer_free,
      .timer_mod = Callbacks::timer_mod,
      .register_poll_fd = Callbacks::register_poll_fd,
      .unregister_poll_fd = Callbacks::unregister_poll_fd,
      .notify = Callbacks::notify,
      .init_completed = nullptr,
      .timer_new_opaque = nullptr,
  };
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw OptionError(option + ": cannot create an eventfd");
  slirp_ = slirp_new(&cfg, &callbacks, this);
  if (!slirp_) {
    close(wake_fd_);
    throw OptionError(option + ": libslirp refused the configuration");
  }
  for (std::size_t i = 0; i < forwards.size(); ++i) {
    const HostForward& f = forwards[i];
    if (slirp_add_hostfwd(slirp_, f.udp, f.host_addr, f.host_port, f.guest_addr, f.guest_port) <
        0) {
      std::string rule = opts.get_all("hostfwd")[i];
      slirp_cleanup(slirp_);
      close(wake_fd_);
      throw OptionError(option + ": could not set up host forwarding rule '" + rule +
                        "' (is the host port in use?)");
    }
  }
  summary_ = "type=user,net=" + ipv4_text(host_order(network)) +
             ",restrict=" + (restricted ? "on" : "off");
  thread_ = std::thread([this] { run(); });
}

UserNetBackend::~UserNetBackend() {
  stop_ = true;
  wake();
  thread_.join();
  slirp_cleanup(slirp_);
  close(wake_fd_);
  std::lock_guard<std::mutex> guard(to_guest_->lock);
  to_guest_->receiver = nullptr;
}

void UserNetBackend::set_receiver(Receiver receiver) {
  to_guest_->receiver = std::move(receiver);
}

std::string UserNetBackend::describe() const {
  return summary_;
}

void UserNetBackend::call_on_slirp_thread(const std::function<void()>& fn) {
  std::promise<void> done;
  {
    std::lock_guard<std::mutex> guard(from_guest_lock_);
    calls_.push_back([&] {
      fn();
      done.set_value();
    });
  }
  wake();
  done.get_future().wait();
}

std::string UserNetBackend::add_host_forward(const std::string& rule) {
  HostForward f;
  try {
    f = parse_host_forward(rule, default_guest_);
  } catch (const OptionError& e) {
    return std::string(e.what()).substr(std::string("-netdev user: ").size());
  }
  int result = 0;
  call_on_slirp_thread([&] {
    result = slirp_add_hostfwd(slirp_, f.udp, f.host_addr, f.host_port, f.guest_addr, f.guest_port);
  });
  if (result < 0) return "could not set up host forwarding rule '" + rule + "'";
  return "";
}

std::string UserNetBackend::remove_host_forward(const std::string& rule) {
  // [tcp|udp]:[HOSTADDR]:HOSTPORT, parsed as a whole rule with a dummy guest side.
  HostForward f;
  try {
    f = parse_host_forward(rule + "-:1", default_guest_);
  } catch (const OptionError&) {
    return "invalid format '" + rule + "' (expected [tcp|udp]:[HOSTADDR]:HOSTPORT)";
  }
  int result = 0;
  call_on_slirp_thread(
      [&] { result = slirp_remove_hostfwd(slirp_, f.udp, f.host_addr, f.host_port); });
  if (result < 0) return "host forwarding rule for " + rule + " not found";
  return "";
}

void UserNetBackend::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

int64_t UserNetBackend::now_ms() const {
  return Callbacks::clock_get_ns(nullptr) / 1000000;
}

void UserNetBackend::send(const uint8_t* frame, std::size_t len) {
  {
    std::lock_guard<std::mutex> guard(from_guest_lock_);
    if (from_guest_.size() >= kMaxQueuedFrames) return;
    from_guest_.emplace_back(frame, frame + len);
  }
  wake();
}

void UserNetBackend::frame_for_guest(const uint8_t* frame, std::size_t len) {
  std::shared_ptr<ToGuest> to_guest = to_guest_;
  std::lock_guard<std::mutex> guard(to_guest->lock);
  if (to_guest->frames.size() >= kMaxQueuedFrames) return;
  to_guest->frames.emplace_back(frame, frame + len);
  if (to_guest->posted) return;
  to_guest->posted = true;
  loop_.post([to_guest] {
    std::deque<std::vector<uint8_t>> frames;
    {
      std::lock_guard<std::mutex> guard(to_guest->lock);
      frames.swap(to_guest->frames);
      to_guest->posted = false;
    }
    for (const auto& f : frames) {
      if (to_guest->receiver) to_guest->receiver(f.data(), f.size());
    }
  });
}

void UserNetBackend::run() {
  std::vector<pollfd> fds;
  poll_fds_ = &fds;
  std::deque<std::vector<uint8_t>> frames;
  while (!stop_) {
    fds.clear();
    fds.push_back(pollfd{wake_fd_, POLLIN, 0});
    uint32_t timeout = UINT32_MAX;
    slirp_pollfds_fill(slirp_, &timeout, Callbacks::add_poll, this);
    int64_t now = now_ms();
    for (const auto& t : timers_) {
      if (t->expire_ms >= 0) {
        timeout = static_cast<uint32_t>(
            std::min<int64_t>(timeout, std::max<int64_t>(0, t->expire_ms - now)));
      }
    }
    int wait = timeout > INT_MAX ? -1 : static_cast<int>(timeout);
    int n = poll(fds.data(), fds.size(), wait);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      uint64_t count;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof(count));
    }
    slirp_pollfds_poll(slirp_, n < 0, Callbacks::get_revents, this);
    std::vector<std::function<void()>> calls;
    {
      std::lock_guard<std::mutex> guard(from_guest_lock_);
      frames.swap(from_guest_);
      calls.swap(calls_);
    }
    for (const auto& f : frames) slirp_input(slirp_, f.data(), static_cast<int>(f.size()));
    frames.clear();
    for (const auto& call : calls) call();
    now = now_ms();
    // A timer's callback may re-arm or free timers: take the due ones first.
    std::vector<Timer*> due;
    for (const auto& t : timers_) {
      if (t->expire_ms >= 0 && t->expire_ms <= now) due.push_back(t.get());
    }
    for (Timer* t : due) {
      bool alive = std::any_of(timers_.begin(), timers_.end(),
                               [t](const auto& owned) { return owned.get() == t; });
      if (!alive || t->expire_ms < 0 || t->expire_ms > now) continue;
      t->expire_ms = -1;
      t->callback(t->callback_opaque);
    }
  }
  poll_fds_ = nullptr;
}

}  // namespace vx86
