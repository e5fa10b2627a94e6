#include "core/chardev_mux.h"

#include <cstring>

namespace vx86 {
namespace {

constexpr char kHelp[] =
    "\r\n"
    "C-a h    print this help\r\n"
    "C-a x    exit the emulator\r\n"
    "C-a s    write disk changes back (with -snapshot)\r\n"
    "C-a b    send a break\r\n"
    "C-a c    switch between console and monitor\r\n"
    "C-a C-a  send C-a\r\n";

constexpr char kTerminated[] = "vx86: Terminated\r\n";

}  // namespace

void MuxPortChardev::write(const uint8_t* data, std::size_t len) {
  mux_.backend_->write(data, len);
}

bool MuxPortChardev::focused() const {
  return mux_.focus_ == index_;
}

void MuxPortChardev::on_input_room() {
  mux_.port_has_room();
}

MuxChardev::MuxChardev(std::string id, std::unique_ptr<Chardev> backend)
    : Chardev(std::move(id)), backend_(std::move(backend)) {
  targets_.push_back(this);
  backend_->set_frontend(this);
}

MuxChardev::~MuxChardev() {
  backend_->set_frontend(nullptr);
}

MuxPortChardev* MuxChardev::add_frontend() {
  ports_.push_back(
      std::unique_ptr<MuxPortChardev>(new MuxPortChardev(id(), *this, targets_.size())));
  targets_.push_back(ports_.back().get());
  return ports_.back().get();
}

void MuxChardev::set_focus(std::size_t index) {
  if (index >= targets_.size()) return;
  focus_ = index;
  port_has_room();
}

std::size_t MuxChardev::can_receive() {
  std::size_t queued = targets_[focus_]->pending_input();
  return queued >= kMaxPendingInput ? 0 : kMaxPendingInput - queued;
}

void MuxChardev::receive(const uint8_t* data, std::size_t len) {
  in_receive_ = true;
  std::size_t run = 0;  // start of the plain bytes not yet delivered
  for (std::size_t i = 0; i < len; ++i) {
    uint8_t ch = data[i];
    if (got_escape_) {
      got_escape_ = false;
      if (ch == kEscapeChar) {
        run = i;  // the second C-a is sent on as data
        continue;
      }
      run = i + 1;
      handle_escape(ch);
    } else if (ch == kEscapeChar) {
      deliver_to_focus(data + run, i - run);
      got_escape_ = true;
      run = i + 1;
    }
  }
  deliver_to_focus(data + run, len - run);
  in_receive_ = false;
}

void MuxChardev::deliver_to_focus(const uint8_t* data, std::size_t len) {
  if (len > 0) targets_[focus_]->deliver_input(data, len);
}

void MuxChardev::handle_escape(uint8_t command) {
  switch (command) {
    case 'h':
    case '?':
      backend_->write(reinterpret_cast<const uint8_t*>(kHelp), std::strlen(kHelp));
      break;
    case 'x':
      backend_->write(reinterpret_cast<const uint8_t*>(kTerminated), std::strlen(kTerminated));
      if (quit_) quit_();
      break;
    case 's':
      if (commit_) commit_();
      break;
    case 'b':
      targets_[focus_]->send_event(ChardevEvent::kBreak);
      break;
    case 'c':
      focus_ = (focus_ + 1) % targets_.size();
      break;
    default:
      break;  // unknown escapes are swallowed
  }
}

void MuxChardev::chardev_event(ChardevEvent event) {
  if (event == ChardevEvent::kBreak) {
    targets_[focus_]->send_event(event);
    return;
  }
  for (Chardev* target : targets_) target->send_event(event);
}

void MuxChardev::port_has_room() {
  if (!in_receive_) backend_->accept_input();
}

Chardev* chardev_for_frontend(Chardev* cd) {
  auto* mux = dynamic_cast<MuxChardev*>(cd);
  if (mux && mux->frontend()) return mux->add_frontend();
  return cd;
}

}  // namespace vx86
