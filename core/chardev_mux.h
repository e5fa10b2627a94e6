// The multiplexer (QEMU's mux=on, and -serial mon:stdio): several frontends,
// such as a UART and the monitor, share one backend. Output from every
// frontend goes to the backend; input goes to the frontend with the focus.
// The mux itself is frontend 0 (attach the serial port to it directly, and it
// starts with the focus); add_frontend() makes ports for the others.
// Ctrl-A starts an escape: C-a c moves the focus to the next frontend, C-a x
// quits, C-a h prints help, C-a b sends a break, C-a s commits disks, and
// C-a C-a sends a literal Ctrl-A.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/chardev.h"

namespace vx86 {

class MuxChardev;

// What one frontend of a mux sees: an ordinary Chardev.
class MuxPortChardev : public Chardev {
 public:
  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override;
  std::string filename() const override { return "mux"; }

  std::size_t index() const { return index_; }
  bool focused() const;

 protected:
  void on_input_room() override;

 private:
  friend class MuxChardev;
  MuxPortChardev(std::string id, MuxChardev& mux, std::size_t index)
      : Chardev(std::move(id)), mux_(mux), index_(index) {}

  MuxChardev& mux_;
  std::size_t index_;
};

class MuxChardev : public Chardev, private CharFrontend {
 public:
  static constexpr uint8_t kEscapeChar = 0x01;  // Ctrl-A

  explicit MuxChardev(std::string id, std::unique_ptr<Chardev> backend);
  ~MuxChardev() override;

  // A port for one more frontend (index 1, 2, ...); the mux owns it.
  MuxPortChardev* add_frontend();
  // Frontend 0 (the mux itself) and the ports.
  std::size_t frontend_count() const { return targets_.size(); }
  Chardev* port(std::size_t index) { return targets_.at(index); }

  std::size_t focus() const { return focus_; }
  void set_focus(std::size_t index);

  // C-a x (after printing "vx86: Terminated").
  void set_quit_handler(std::function<void()> handler) { quit_ = std::move(handler); }
  // C-a s: write snapshot-mode disk changes back.
  void set_commit_handler(std::function<void()> handler) { commit_ = std::move(handler); }

  Chardev& backend() { return *backend_; }
  const Chardev& backend() const { return *backend_; }
  std::string filename() const override { return "mux"; }

  // Writing to the mux itself is writing to the backend.
  using Chardev::write;
  void write(const uint8_t* data, std::size_t len) override { backend_->write(data, len); }

 protected:
  void on_input_room() override { port_has_room(); }

 private:
  friend class MuxPortChardev;

  std::size_t can_receive() override;
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;

  void port_has_room();
  void handle_escape(uint8_t command);
  void deliver_to_focus(const uint8_t* data, std::size_t len);

  std::unique_ptr<Chardev> backend_;
  std::vector<std::unique_ptr<MuxPortChardev>> ports_;
  // Where input may go, by frontend index: this, then the ports.
  std::vector<Chardev*> targets_;
  std::size_t focus_ = 0;
  bool got_escape_ = false;
  // Set while the backend hands us input; asking it for more then would
  // reorder bytes.
  bool in_receive_ = false;
  std::function<void()> quit_;
  std::function<void()> commit_;
};

// The Chardev a frontend should be attached to: cd itself, unless cd is a
// mux whose frontend 0 is taken (has a frontend), then a fresh port.
Chardev* chardev_for_frontend(Chardev* cd);

}  // namespace vx86
