// The global device lock: vCPU threads hold it around every device access, so
// device models never run concurrently with each other or the main loop.
#pragma once

#include <mutex>

namespace vx86 {

std::recursive_mutex& device_lock();

class DeviceLockGuard {
 public:
  DeviceLockGuard() { device_lock().lock(); }
  ~DeviceLockGuard() { device_lock().unlock(); }
  DeviceLockGuard(const DeviceLockGuard&) = delete;
  DeviceLockGuard& operator=(const DeviceLockGuard&) = delete;
};

}  // namespace vx86
