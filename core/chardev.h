// Character devices: the host side of a serial port or monitor. A backend
// (stdio, file, socket...) moves bytes; a frontend (a UART) consumes them.
// Input the frontend cannot take yet stays queued in the backend, so a guest
// that is slow to read loses nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace vx86 {

enum class ChardevEvent { kOpened, kClosed, kBreak };

class CharFrontend {
 public:
  virtual ~CharFrontend() = default;
  // How many bytes receive() may be given now.
  virtual std::size_t can_receive() = 0;
  virtual void receive(const uint8_t* data, std::size_t len) = 0;
  virtual void chardev_event(ChardevEvent event) {}
  // query-chardev's frontend-open: whether the guest side has the device
  // open (a virtserialport only while a guest program has the port open).
  virtual bool frontend_open() const { return true; }
};

class Chardev {
 public:
  explicit Chardev(std::string id) : id_(std::move(id)) {}
  virtual ~Chardev() = default;
  Chardev(const Chardev&) = delete;
  Chardev& operator=(const Chardev&) = delete;

  const std::string& id() const { return id_; }
  // What `info chardev` and query-chardev call the backend, in QEMU's words:
  // "file", "null", "stdio", "pty:/dev/pts/3", "unix:PATH,server=on"...
  virtual std::string filename() const = 0;

  // Whether a peer is there to talk to: a socket has a connection. Most
  // backends always are; a frontend that tells its guest about the host
  // side (virtserialport) follows the kOpened and kClosed events after this.
  virtual bool is_open() const { return true; }
  // A file descriptor the peer passed with its latest data (SCM_RIGHTS on a
  // Unix socket), now the caller's; -1 when there is none. QMP's getfd.
  virtual int take_received_fd() { return -1; }

  // Bytes from the guest side to the host side. Never blocks the caller for
  // long; a disconnected backend drops them.
  virtual void write(const uint8_t* data, std::size_t len) = 0;
  void write(const std::string& s) { write(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

  void set_frontend(CharFrontend* fe) {
    frontend_ = fe;
    flush_input();
    on_input_room();
  }
  CharFrontend* frontend() const { return frontend_; }

  // The frontend calls this when it has room again (its FIFO drained).
  void accept_input() {
    flush_input();
    on_input_room();
  }

  // Host-side input: queued, then handed on as the frontend can take it.
  void deliver_input(const uint8_t* data, std::size_t len) {
    pending_.insert(pending_.end(), data, data + len);
    flush_input();
  }
  std::size_t pending_input() const { return pending_.size(); }

  void send_event(ChardevEvent event) {
    if (frontend_) frontend_->chardev_event(event);
  }

 protected:
  // Backends stop reading their source while this much input is queued.
  static constexpr std::size_t kMaxPendingInput = 4096;

  // Called after the frontend may have taken queued input (accept_input,
  // set_frontend), possibly from a vCPU thread under the device lock. A
  // backend that paused reading its source resumes here.
  virtual void on_input_room() {}

 private:
  void flush_input() {
    if (!frontend_) return;
    while (!pending_.empty()) {
      std::size_t n = frontend_->can_receive();
      if (n == 0) break;
      if (n > pending_.size()) n = pending_.size();
      uint8_t buf[256];
      if (n > sizeof(buf)) n = sizeof(buf);
      for (std::size_t i = 0; i < n; ++i) buf[i] = pending_[i];
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
      frontend_->receive(buf, n);
    }
  }

  std::string id_;
  CharFrontend* frontend_ = nullptr;
  std::deque<uint8_t> pending_;
};

// A backend that keeps what was written, for tests and the null device.
class BufferChardev : public Chardev {
 public:
  using Chardev::Chardev;
  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override { output.append(data, data + len); }
  std::string filename() const override { return "buffer"; }
  std::string output;
};

}  // namespace vx86
