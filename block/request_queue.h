// Asynchronous block requests without coroutines: every backend owns one
// FIFO queue whose requests run, one at a time and in submission order, on a
// small process-wide pool of worker threads. Different images proceed in
// parallel; one image's requests never overlap, so the qcow2 metadata code
// (L2/refcount caches, allocation) needs no finer locking.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace vx86 {

class RequestQueue {
 public:
  // Runs on a worker thread; an exception becomes the request's error.
  using Work = std::function<void()>;
  // Called on the worker thread right after the work ran (error is empty on
  // success); the backend uses it to post the completion to the main loop.
  using Finish = std::function<void(std::string error)>;

  RequestQueue();
  // Waits for every submitted request.
  ~RequestQueue();
  RequestQueue(const RequestQueue&) = delete;
  RequestQueue& operator=(const RequestQueue&) = delete;

  void submit(Work work, Finish finish);
  // Blocks until every request submitted so far has finished.
  void drain();
  size_t in_flight() const;

  // Threads in the shared pool.
  static unsigned worker_count();

 private:
  struct Strand;
  std::unique_ptr<Strand> strand_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  size_t in_flight_ = 0;
};

}  // namespace vx86
