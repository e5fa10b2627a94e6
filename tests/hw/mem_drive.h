// A drive in memory for device tests: requests complete at once, or, with
// deferred set, only when the test calls complete_pending() (as requests on
// the block worker pool complete later on the main loop).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hw/block/drive_backend.h"

namespace vx86::test {

class MemDrive : public DriveBackend {
 public:
  explicit MemDrive(uint64_t size, bool read_only = false) : bytes(size), ro(read_only) {}
  std::string id() const override { return "mem"; }
  uint64_t length() const override { return bytes.size(); }
  bool read_only() const override { return ro; }
  void read(uint64_t off, void* buf, uint64_t len, Completion done) override {
    finish([this, off, buf, len, done] {
      std::memcpy(buf, bytes.data() + off, len);
      done(!fail);
    });
  }
  void write(uint64_t off, const void* buf, uint64_t len, Completion done) override {
    finish([this, off, buf, len, done] {
      std::memcpy(bytes.data() + off, buf, len);
      done(!fail);
    });
  }
  void flush(Completion done) override {
    ++flushes;
    finish([this, done] { done(!fail); });
  }
  void discard(uint64_t off, uint64_t len, Completion done) override {
    last_discard = {off, len};
    finish([done] { done(true); });
  }
  void write_zeroes(uint64_t off, uint64_t len, Completion done) override {
    finish([this, off, len, done] {
      std::memset(bytes.data() + off, 0, len);
      done(true);
    });
  }
  // Runs the completions held back while deferred.
  void complete_pending() {
    std::vector<std::function<void()>> now;
    now.swap(pending);
    for (auto& f : now) f();
  }

  std::vector<uint8_t> bytes;
  bool ro;
  bool deferred = false;
  bool fail = false;  // requests end with an I/O error
  int flushes = 0;
  std::pair<uint64_t, uint64_t> last_discard{};
  std::vector<std::function<void()>> pending;

 private:
  void finish(std::function<void()> f) {
    if (deferred) {
      pending.push_back(std::move(f));
    } else {
      f();
    }
  }
};

}  // namespace vx86::test
