#include "accel/cpu_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace vx86 {

namespace {
// Long enough to amortize the switch, short enough that a vCPU spinning on a
// lock held by another one gives way soon.
constexpr auto kTimeSlice = std::chrono::milliseconds(2);
thread_local int current_vcpu_index = 0;
}  // namespace

int CpuRunner::current_vcpu() {
  return current_vcpu_index;
}

CpuRunner::CpuRunner(std::vector<std::unique_ptr<Vcpu>> vcpus, ExitHandler on_exit,
                     Threading threading)
    : vcpus_(std::move(vcpus)),
      on_exit_(std::move(on_exit)),
      group_of_(vcpus_.size(), 0),
      halted_(vcpus_.size(), false) {
  if (threading == Threading::kThreadPerVcpu) {
    for (size_t i = 0; i < vcpus_.size(); ++i) {
      groups_.push_back({i});
      group_of_[i] = i;
    }
  } else {
    groups_.emplace_back();
    for (size_t i = 0; i < vcpus_.size(); ++i) groups_[0].push_back(i);
  }
  wakeup_.assign(groups_.size(), false);
}

bool CpuRunner::is_vcpu_thread() const {
  for (const std::thread& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) return true;
  }
  return false;
}

CpuRunner::~CpuRunner() {
  stop();
}

void CpuRunner::start(bool start_paused) {
  {
    std::lock_guard g(lock_);
    pause_requested_ = start_paused;
  }
  thread_ids_ = std::make_unique<std::atomic<int64_t>[]>(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    threads_.emplace_back([this, g] {
      thread_ids_[g].store(gettid());
      thread_main(g);
    });
  }
  if (groups_.size() == 1 && vcpus_.size() > 1) slicer_ = std::thread([this] { slicer_main(); });
}

void CpuRunner::pause() {
  std::unique_lock g(lock_);
  pause_requested_ = true;
  if (threads_.empty()) return;
  for (auto& v : vcpus_) v->kick();
  cond_.notify_all();
  // A vCPU thread itself may ask for a pause (from an exit handler).
  if (is_vcpu_thread()) return;
  cond_.wait(g, [this] { return parked_ == threads_.size() || stop_requested_; });
}

void CpuRunner::resume() {
  std::lock_guard g(lock_);
  pause_requested_ = false;
  // A reset (or the monitor) may have changed a halted vCPU; let each one
  // look again (a still-halted one returns kHalted at once).
  std::fill(halted_.begin(), halted_.end(), false);
  cond_.notify_all();
}

bool CpuRunner::paused() const {
  std::lock_guard g(lock_);
  return pause_requested_;
}

void CpuRunner::stop() {
  {
    std::lock_guard g(lock_);
    stop_requested_ = true;
    for (auto& v : vcpus_) v->kick();
    cond_.notify_all();
  }
  for (std::thread& t : threads_) {
    if (t.joinable() && std::this_thread::get_id() != t.get_id()) t.join();
  }
  if (slicer_.joinable() && std::this_thread::get_id() != slicer_.get_id()) slicer_.join();
}

void CpuRunner::interrupt_changed(int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= vcpus_.size()) return;
  vcpus_[index]->interrupt_changed();
  std::lock_guard g(lock_);
  halted_[index] = false;
  wakeup_[group_of_[index]] = true;
  cond_.notify_all();
}

void CpuRunner::slicer_main() {
  std::unique_lock g(lock_);
  auto deadline = std::chrono::steady_clock::now() + kTimeSlice;
  while (!stop_requested_) {
    if (cond_.wait_until(g, deadline) != std::cv_status::timeout) continue;
    int running = running_.load();
    if (running >= 0) vcpus_[static_cast<std::size_t>(running)]->kick();
    deadline = std::chrono::steady_clock::now() + kTimeSlice;
  }
}

int64_t CpuRunner::thread_id(size_t index) const {
  if (!thread_ids_ || index >= group_of_.size()) return 0;
  return thread_ids_[group_of_[index]].load();
}

void CpuRunner::thread_main(size_t group) {
  const std::vector<size_t>& mine = groups_[group];
  std::size_t next = 0;
  while (true) {
    {
      std::unique_lock g(lock_);
      // Park while paused, or while every vCPU of this thread is halted with
      // nothing pending.
      auto all_halted = [&] {
        for (size_t i : mine) {
          if (!halted_[i]) return false;
        }
        return true;
      };
      bool parked = false;
      while (!stop_requested_ && (pause_requested_ || (all_halted() && !wakeup_[group]))) {
        if (!parked) {
          parked = true;
          ++parked_;
          cond_.notify_all();
        }
        cond_.wait(g);
      }
      if (parked) --parked_;
      if (stop_requested_) return;
      if (wakeup_[group]) {
        wakeup_[group] = false;
        for (size_t i : mine) halted_[i] = false;
      }
    }
    Vcpu& vcpu = *vcpus_[mine[next]];
    next = (next + 1) % mine.size();
    current_vcpu_index = vcpu.index();
    if (mine.size() > 1) running_.store(vcpu.index());
    VcpuExit exit = vcpu.run();
    if (mine.size() > 1) running_.store(-1);
    switch (exit) {
      case VcpuExit::kKicked:
        break;
      case VcpuExit::kHalted: {
        std::lock_guard g(lock_);
        halted_[vcpu.index()] = true;
        break;
      }
      case VcpuExit::kDebug:
      case VcpuExit::kShutdown:
        on_exit_(vcpu, exit);
        break;
    }
  }
}

}  // namespace vx86
