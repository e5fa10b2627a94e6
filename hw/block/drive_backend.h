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
};

}  // namespace vx86
