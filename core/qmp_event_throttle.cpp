#include "core/qmp_event_throttle.h"

namespace vx86 {

QmpEventThrottle::QmpEventThrottle(Clocks& clocks, Emit emit, ClockType clock, int64_t period_ns)
    : clocks_(clocks), emit_(std::move(emit)), clock_(clock), period_ns_(period_ns) {}

QmpEventThrottle::~QmpEventThrottle() = default;

void QmpEventThrottle::emit(const std::string& name, const std::string& key, const Json& data) {
  const Key k{name, key};
  Window& window = windows_[k];
  if (window.timer && window.timer->pending()) {
    window.pending = data;  // the latest wins
    return;
  }
  emit_(name, data);
  // Windows stay once made (one per port, say), so that no timer is
  // destroyed by its own callback.
  if (!window.timer) {
    window.timer = std::make_unique<Timer>(clocks_, clock_, [this, k] { period_ended(k); });
  }
  window.timer->mod(clocks_.now(clock_) + period_ns_);
}

void QmpEventThrottle::period_ended(const Key& key) {
  Window& window = windows_[key];
  // A quiet period: the next event goes out at once.
  if (window.pending.is_null()) return;
  const Json data = std::move(window.pending);
  window.pending = Json();
  emit_(key.first, data);
  window.timer->mod(clocks_.now(clock_) + period_ns_);
}

}  // namespace vx86
