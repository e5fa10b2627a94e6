#include "accel/cpu_runner.h"

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

CpuRunner::CpuRunner(std::vector<std::unique_ptr<Vcpu>> vcpus, ExitHandler on_exit)
    : vcpus_(std::move(vcpus)), on_exit_(std::move(on_exit)), halted_(vcpus_.size(), false) {}

CpuRunner::~CpuRunner() {
  stop();
}

void CpuRunner::start(bool start_paused) {
  {
    std::lock_guard g(lock_);
    pause_requested_ = start_paused;
  }
  thread_ = std::thread([this] { thread_main(); });
  if (vcpus_.size() > 1) slicer_ = std::thread([this] { slicer_main(); });
}

void CpuRunner::pause() {
  std::unique_lock g(lock_);
  if (!thread_.joinable()) {
    pause_requested_ = true;
    return;
  }
  pause_requested_ = true;
  for (auto& v : vcpus_) v->kick();
  cond_.notify_all();
  // The vCPU thread itself may ask for a pause (from an exit handler).
  if (std::this_thread::get_id() == thread_.get_id()) return;
  cond_.wait(g, [this] { return parked_ || stop_requested_; });
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
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
  if (slicer_.joinable() && std::this_thread::get_id() != slicer_.get_id()) slicer_.join();
}

void CpuRunner::interrupt_changed(int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= vcpus_.size()) return;
  vcpus_[index]->interrupt_changed();
  std::lock_guard g(lock_);
  halted_[index] = false;
  wakeup_ = true;
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

void CpuRunner::thread_main() {
  std::size_t next = 0;
  while (true) {
    {
      std::unique_lock g(lock_);
      // Park while paused, or while every vCPU is halted with nothing pending.
      auto all_halted = [this] {
        for (bool h : halted_) {
          if (!h) return false;
        }
        return true;
      };
      while (!stop_requested_ && (pause_requested_ || (all_halted() && !wakeup_))) {
        parked_ = true;
        cond_.notify_all();
        cond_.wait(g);
      }
      parked_ = false;
      if (stop_requested_) return;
      if (wakeup_) {
        wakeup_ = false;
        std::fill(halted_.begin(), halted_.end(), false);
      }
    }
    Vcpu& vcpu = *vcpus_[next];
    next = (next + 1) % vcpus_.size();
    current_vcpu_index = vcpu.index();
    running_.store(vcpu.index());
    VcpuExit exit = vcpu.run();
    running_.store(-1);
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
