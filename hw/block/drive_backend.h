// What a disk controller sees of a -drive: its length, whether it is
// read-only, and requests that finish by calling a completion. The program
// implements this over block/'s BlockBackend (hw/ links core only); tests use
// memory. Today completions run before the request call returns; once
// requests are asynchronous they run later on the main loop (under the device
// lock), so device models treat both the same way: buffers live until done.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace vx86 {

class DriveBackend {
 public:
  // ok is false after an I/O error (logged by the backend).
  using Completion = std::function<void(bool ok)>;

  virtual ~DriveBackend() = default;

  virtual std::string id() const = 0;
  virtual uint64_t length() const = 0;
  virtual bool read_only() const = 0;

  virtual void read(uint64_t offset, void* buf, uint64_t len, Completion done) = 0;
  virtual void write(uint64_t offset, const void* buf, uint64_t len, Completion done) = 0;
  virtual void flush(Completion done) = 0;
  virtual void discard(uint64_t offset, uint64_t len, Completion done) = 0;
  virtual void write_zeroes(uint64_t offset, uint64_t len, Completion done) = 0;

  // Removable media (a CD-ROM drive): whether a medium is in, whether the
  // tray is open, and a count of media changes (ejects and inserts) that a
  // device compares with the last it saw to tell the guest. Fixed disks
  // always have their medium.
  virtual bool inserted() const { return true; }
  virtual bool tray_open() const { return false; }
  virtual uint64_t media_changes() const { return 0; }
  // The guest locked (PREVENT MEDIUM REMOVAL) or unlocked the tray; the
  // monitor's eject then needs force, as in QEMU.
  virtual void set_tray_locked(bool locked) { (void)locked; }
  // The guest opens or closes the tray (START STOP UNIT with LoEj); a medium
  // in an open tray stays there but cannot be read. False when it cannot
  // (a locked tray does not open).
  virtual bool move_tray(bool open) {
    (void)open;
    return false;
  }
};

}  // namespace vx86
