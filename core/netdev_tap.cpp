#include "core/netdev_tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/device_lock.h"
#include "core/main_loop.h"

namespace vx86 {

namespace {

constexpr char kDefaultUpScript[] = "/etc/qemu-ifup";
constexpr char kDefaultDownScript[] = "/etc/qemu-ifdown";
// Enough for any frame a TAP interface hands over (65535 plus the header).
constexpr std::size_t kMaxFrame = 65536 + 14;

}  // namespace

// Reads frames on the main loop while the backend lives.
struct TapNetBackend::Reader {
  Reader(boost::asio::io_context& io, int fd) : stream(io, fd) {}
  boost::asio::posix::stream_descriptor stream;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kMaxFrame);
  Receiver receiver;
  bool stopped = false;

  void read_next(const std::shared_ptr<Reader>& self) {
    stream.async_read_some(
        boost::asio::buffer(buffer), [self](const boost::system::error_code& ec, std::size_t n) {
          if (self->stopped || ec == boost::asio::error::operation_aborted) {
            return;
          }
          if (!ec && n > 0 && self->receiver) {
            DeviceLockGuard lock;
            self->receiver(self->buffer.data(), n);
          }
          // EAGAIN and short hiccups: keep reading; a dead fd ends it.
          if (ec && ec != boost::asio::error::would_block && ec != boost::asio::error::try_again) {
            return;
          }
          self->read_next(self);
        });
  }
};

const std::vector<OptDesc>& TapNetBackend::option_keys() {
  static const std::vector<OptDesc> keys = {
      {"ifname", OptType::kString, "interface name (default: tap%d, numbered by the kernel)"},
      {"script", OptType::kString,
       "run with the interface name once it is open (default "
       "/etc/qemu-ifup; no: none)"},
      {"downscript", OptType::kString, "run when vx86 ends (default /etc/qemu-ifdown; no: none)"},
      {"fd", OptType::kNumber, "an open TAP file descriptor (as libvirt passes it)"},
      {"vhost", OptType::kBool, "vhost-net (not available)"},
      {"vnet_hdr", OptType::kBool, "the virtio-net header on frames (not available)"},
      {"queues", OptType::kNumber, "number of queues (1)"},
      {"sndbuf", OptType::kSize, "send buffer limit (ignored: vx86 never queues)"},
      {"br", OptType::kString, "bridge for helper= (not available)"},
      {"helper", OptType::kString, "qemu-bridge-helper (not available)"},
  };
  return keys;
}

std::string run_network_script(const std::string& script, const std::string& ifname) {
  const pid_t pid = fork();
  if (pid < 0) return std::string("could not launch network script ") + script;
  if (pid == 0) {
    // The script inherits nothing of vx86's but the standard streams.
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    execl(script.c_str(), script.c_str(), ifname.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "network script " + script + " failed with status " + std::to_string(status);
}

TapNetBackend::TapNetBackend(std::string id, const KeyValues& opts, MainLoop& loop)
    : id_(std::move(id)) {
  const std::string option = "-netdev tap,id=" + id_;
  for (const char* key : {"vhost", "vnet_hdr"}) {
    if (opts.get_bool(key, false)) {
      throw OptionError(option + ": parameter '" + key + "' is not available yet");
    }
  }
  for (const char* key : {"br", "helper"}) {
    if (opts.has(key)) {
      throw OptionError(option + ": parameter '" + key +
                        "' is not available yet (give ifname= and script=)");
    }
  }
  if (opts.get_number("queues", 1) != 1) {
    throw OptionError(option + ": parameter 'queues': more than one queue is not available yet");
  }
  ifreq request{};
  if (opts.has("fd")) {
    if (opts.has("ifname") || opts.has("script") || opts.has("downscript")) {
      throw OptionError(option + ": ifname=, script=, downscript= and fd= cannot go together");
    }
    fd_ = static_cast<int>(opts.get_number("fd", 0));
    if (ioctl(fd_, TUNGETIFF, &request) < 0) {
      throw OptionError(option + ": file descriptor " + std::to_string(fd_) +
                        " is not a TAP device (" + std::strerror(errno) + ")");
    }
  } else {
    fd_ = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      throw OptionError(option + ": could not open /dev/net/tun: " + std::strerror(errno));
    }
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    const std::string wanted = opts.get_string("ifname", "tap%d");
    if (wanted.size() >= IFNAMSIZ) {
      close(fd_);
      throw OptionError(option + ": interface name '" + wanted + "' is too long");
    }
    std::strncpy(request.ifr_name, wanted.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd_, TUNSETIFF, &request) < 0) {
      const int error = errno;
      close(fd_);
      throw OptionError(option + ": could not configure /dev/net/tun (" + wanted +
                        "): " + std::strerror(error));
    }
  }
  ifname_ = request.ifr_name;
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  std::string script, downscript;
  if (!opts.has("fd")) {
    script = opts.get_string("script", kDefaultUpScript);
    downscript = opts.get_string("downscript", kDefaultDownScript);
    if (script != "no" && !script.empty()) {
      const std::string error = run_network_script(script, ifname_);
      if (!error.empty()) {
        close(fd_);
        throw OptionError(option + ": " + error);
      }
    }
    if (downscript != "no" && !downscript.empty()) downscript_ = downscript;
  }
  summary_ = opts.has("fd")
                 ? "type=tap,fd=" + std::to_string(fd_)
                 : "type=tap,ifname=" + ifname_ + ",script=" + script + ",downscript=" + downscript;
  reader_ = std::make_shared<Reader>(loop.io(), fd_);
  reader_->read_next(reader_);
}

TapNetBackend::~TapNetBackend() {
  reader_->stopped = true;
  boost::system::error_code ec;
  reader_->stream.cancel(ec);
  reader_->stream.release();  // the fd is closed below, after the script
  if (!downscript_.empty()) run_network_script(downscript_, ifname_);
  close(fd_);
}

void TapNetBackend::set_receiver(Receiver receiver) {
  reader_->receiver = std::move(receiver);
}

void TapNetBackend::send(const uint8_t* frame, std::size_t len) {
  // Non-blocking: when the interface's queue is full the frame is lost.
  while (write(fd_, frame, len) < 0 && errno == EINTR) {
  }
}

std::string TapNetBackend::describe() const {
  return summary_;
}

}  // namespace vx86
