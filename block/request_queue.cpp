#include "block/request_queue.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

namespace vx86 {
namespace {

// I/O threads mostly wait on the disk, so a few more than the cores help;
// qcow2 compression (the CPU-heavy part) is parallelised by its callers.
unsigned pool_size() {
  return std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
}

boost::asio::thread_pool& worker_pool() {
  static boost::asio::thread_pool pool(pool_size());
  return pool;
}

}  // namespace

struct RequestQueue::Strand {
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand{
      boost::asio::make_strand(worker_pool().get_executor())};
};

RequestQueue::RequestQueue() : strand_(std::make_unique<Strand>()) {}

RequestQueue::~RequestQueue() {
  drain();
}

unsigned RequestQueue::worker_count() {
  return pool_size();
}

void RequestQueue::submit(Work work, Finish finish) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_++;
  }
  boost::asio::post(strand_->strand,
                    [this, work = std::move(work), finish = std::move(finish)]() mutable {
                      std::string error;
                      try {
                        work();
                      } catch (const std::exception& e) {
                        error = e.what();
                        if (error.empty()) error = "I/O error";
                      } catch (...) {
                        error = "I/O error (unknown exception)";
                      }
                      try {
                        finish(std::move(error));
                      } catch (...) {
                        // A completion that cannot be delivered must not take the pool down.
                      }
                      std::lock_guard<std::mutex> lock(mutex_);
                      if (--in_flight_ == 0) idle_.notify_all();
                    });
}

void RequestQueue::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

size_t RequestQueue::in_flight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_flight_;
}

}  // namespace vx86
