// USB HID devices as QEMU offers them, with the same identities and
// descriptors so guests bind the same drivers: usb-tablet (an absolute
// pointer: the guest's cursor goes where the host's is, no grab needed),
// usb-mouse (relative, boot protocol capable) and usb-kbd (boot keyboard with
// LEDs). Each is an input handler (core/input.h): a pointer makes one report
// of each group of input events, a keyboard one of each key, queued for the
// interrupt endpoint the guest polls.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/input.h"
#include "hw/usb/usb_device.h"

namespace vx86 {

class UsbHid : public UsbDevice, public InputHandler {
 public:
  enum class Kind : uint8_t { kTablet, kMouse, kKeyboard };

  UsbHid(Kind kind, InputRouter& input);
  ~UsbHid() override;
  Kind kind() const { return kind_; }

  const char* input_name() const override;
  unsigned input_kinds() const override;
  void input_event(const InputEvent& event) override;
  void input_sync() override;

  // The keyboard's LEDs as the guest last set them (bit 0 Num Lock, 1 Caps
  // Lock, 2 Scroll Lock).
  uint8_t leds() const { return leds_; }
  // Reports waiting for the guest to poll them.
  std::size_t queued_reports() const { return queue_.size(); }

  void reset() override;

 protected:
  const std::vector<uint8_t>& device_descriptor() const override;
  const std::vector<uint8_t>& configuration_descriptor() const override;
  std::optional<std::string> string(unsigned index) const override;
  std::optional<std::vector<uint8_t>> class_request(const Setup& setup,
                                                    std::span<const uint8_t> out) override;
  UsbResult data_in(uint8_t endpoint, std::span<uint8_t> buffer) override;

 private:
  // The pointer's state as one report gives it, or a keyboard's keys.
  struct State {
    uint8_t buttons = 0;
    int x = 0, y = 0;  // tablet: position; mouse: motion not yet reported
    int wheel = 0;     // steps away from the user
    uint8_t modifiers = 0;
    std::vector<uint8_t> keys;  // usages held, oldest first
  };
  // The report for state (the mouse's motion clamped to what one report
  // carries; the rest stays in state).
  std::vector<uint8_t> report(State& state) const;
  const std::vector<uint8_t>& report_descriptor() const;
  // Queues the current state as the next report.
  void queue_report();

  static constexpr std::size_t kQueueLength = 16;

  Kind kind_;
  InputRouter& input_;
  State current_;            // as the input events left it
  std::deque<State> queue_;  // reports not yet polled
  uint8_t idle_ = 0;         // SET_IDLE's rate (kept: reports go out on change)
  uint8_t protocol_ = 1;     // 1 report, 0 boot
  uint8_t leds_ = 0;
  bool activated_ = false;  // the guest has polled it
};

}  // namespace vx86
