// Requests devices make of the machine's life cycle: reset (port 0x92, i8042,
// triple fault, ACPI), power off, or ending vx86 with a status (isa-debug-exit).
#pragma once

namespace vx86 {

enum class ShutdownCause { kGuestPowerOff, kGuestReset, kHostSignal, kHostQmp, kGuestPanic };

class SystemControl {
 public:
  virtual ~SystemControl() = default;
  virtual void request_reset(ShutdownCause cause) = 0;
  virtual void request_shutdown(ShutdownCause cause) = 0;
  // Ends vx86 with this process exit status once the current instruction completes.
  virtual void request_exit(int status) = 0;
};

// Records requests; the main loop or a test polls them.
class RecordingSystemControl : public SystemControl {
 public:
  void request_reset(ShutdownCause) override { reset_requested = true; }
  void request_shutdown(ShutdownCause) override { shutdown_requested = true; }
  void request_exit(int status) override {
    exit_requested = true;
    exit_status = status;
  }
  bool reset_requested = false;
  bool shutdown_requested = false;
  bool exit_requested = false;
  int exit_status = 0;
};

}  // namespace vx86
