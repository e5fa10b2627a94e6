// What devices use: a driver plus the policy around it (read-only, cache
// mode, statistics). Errors surface as BlockError; devices turn them into
// their own error status.
//
// Two APIs share one per-image lock: the synchronous calls (vx86-img,
// simple devices) run on the caller's thread; the *_async calls run on the
// shared worker pool (block/request_queue.h), one request of this backend at
// a time in submission order, and complete on the main loop. A flush_async
// therefore covers every write submitted before it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "block/block_driver.h"

namespace vx86 {

class MainLoop;
class RequestQueue;

// Completion of an asynchronous request: error is empty on success.
using BlockCompletion = std::function<void(const std::string& error)>;

struct BlockBackendOptions {
  std::string file;
  std::string format;  // "" probes
  bool read_only = false;
  CacheMode cache = CacheMode::kWriteback;
  // snapshot=on: writes go to a temporary qcow2 overlay (deleted on exit),
  // the image itself is only read.
  bool snapshot = false;
};

class BlockBackend {
 public:
  explicit BlockBackend(const BlockBackendOptions& opts);
  explicit BlockBackend(std::unique_ptr<BlockDriver> driver,
                        CacheMode cache = CacheMode::kWriteback);
  ~BlockBackend();

  bool read_only() const { return read_only_; }
  uint64_t length() const { return driver_->length(); }
  CacheMode cache_mode() const { return cache_; }
  BlockDriver& driver() { return *driver_; }

  void read(uint64_t offset, void* buf, uint64_t len);
  void write(uint64_t offset, const void* buf, uint64_t len);
  void write_zeroes(uint64_t offset, uint64_t len);
  void discard(uint64_t offset, uint64_t len);
  // Makes completed writes durable (a no-op with cache=unsafe).
  void flush();

  // Asynchronous requests run one at a time, in submission order, on a
  // worker thread, so a slow disk never stalls a vCPU; `done` runs on the
  // main loop thread (under the device lock) with an empty string on success
  // or the reason ("...: Input/output error"). Buffers must stay valid until
  // then. Synchronous calls made meanwhile are not ordered against queued
  // requests.
  void attach_main_loop(MainLoop* loop) { loop_ = loop; }
  void read_async(uint64_t offset, void* buf, uint64_t len, BlockCompletion done);
  void write_async(uint64_t offset, const void* buf, uint64_t len, BlockCompletion done);
  void flush_async(BlockCompletion done);
  void write_zeroes_async(uint64_t offset, uint64_t len, BlockCompletion done);
  void discard_async(uint64_t offset, uint64_t len, BlockCompletion done);
  // Blocks until every submitted request has run (completions may still be
  // queued on the main loop).
  void drain();
  // Requests submitted and not yet run.
  size_t in_flight() const;

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void check_writable() const;
  void after_write();
  void submit(std::function<void()> work, BlockCompletion done);

  std::unique_ptr<BlockDriver> driver_;
  CacheMode cache_;
  bool read_only_;
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> bytes_written_{0};

  // The per-image lock: the driver is used by one thread at a time
  // (synchronous callers and the worker running this backend's queue).
  std::mutex driver_mutex_;
  MainLoop* loop_ = nullptr;
  // Created on the first asynchronous request; destroyed (drained) first.
  std::unique_ptr<RequestQueue> requests_;
  mutable std::mutex requests_mutex_;
};

}  // namespace vx86
