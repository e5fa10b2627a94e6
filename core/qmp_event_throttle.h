// QMP events a guest can cause at any rate go out at most once a period per
// event and key, as QEMU rate-limits them (BALLOON_CHANGE, RTC_CHANGE; VSERPORT_CHANGE
// per port id): the first at once, then the latest of those that came
// within the period when it ends, which starts the next period. A guest that
// opens and closes a port in a loop cannot flood the management client.
// Callers hold the device lock, as the timers' callbacks do.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/qmp.h"

namespace vx86 {

class QmpEventThrottle {
 public:
  using Emit = std::function<void(const std::string& name, const Json& data)>;
  // QEMU's period for every throttled event is one second.
  QmpEventThrottle(Clocks& clocks, Emit emit, ClockType clock = ClockType::kHost,
                   int64_t period_ns = kNsPerSec);
  ~QmpEventThrottle();

  // name with data, now or when the current period for (name, key) ends.
  void emit(const std::string& name, const std::string& key, const Json& data);

 private:
  struct Window {
    std::unique_ptr<Timer> timer;
    Json pending;  // null: nothing came within the period
  };
  using Key = std::pair<std::string, std::string>;
  void period_ended(const Key& key);

  Clocks& clocks_;
  Emit emit_;
  ClockType clock_;
  int64_t period_ns_;
  std::map<Key, Window> windows_;
};

}  // namespace vx86
