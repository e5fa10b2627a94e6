// Runs a machine's vCPUs, either all on one thread, round-robin (TCG's
// single-threaded mode), or each on its own thread (KVM), and gives the
// machine its life cycle: start, pause, resume, stop. A halted vCPU sleeps
// until its interrupt controller wakes it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "accel/accel.h"

namespace vx86 {

class CpuRunner {
 public:
  // Called on the vCPU thread for exits the runner does not handle itself
  // (debug events, shutdown requests). The runner pauses before calling it.
  using ExitHandler = std::function<void(Vcpu& vcpu, VcpuExit exit)>;

  enum class Threading { kOneThread, kThreadPerVcpu };

  CpuRunner(std::vector<std::unique_ptr<Vcpu>> vcpus, ExitHandler on_exit,
            Threading threading = Threading::kOneThread);
  ~CpuRunner();
  CpuRunner(const CpuRunner&) = delete;
  CpuRunner& operator=(const CpuRunner&) = delete;

  // Starts the vCPU thread (paused if start_paused).
  void start(bool start_paused);
  // Stops running guest code and returns once no vCPU is inside run().
  void pause();
  void resume();
  bool paused() const;
  // Ends the thread; the machine can then be destroyed.
  void stop();

  // The interrupt controller's output changed for vCPU index (any thread).
  void interrupt_changed(int index);

  std::vector<std::unique_ptr<Vcpu>>& vcpus() { return vcpus_; }
  // The host thread (its Linux thread ID) that runs vCPU index, once the
  // runner has started; 0 before. vCPUs sharing a thread share its ID.
  int64_t thread_id(size_t index) const;

  // The index of the vCPU running guest code on this thread (0 elsewhere):
  // devices that look different to each CPU (the local APIC page) ask.
  static int current_vcpu();

 private:
  // Runs the vCPUs of groups_[group] until stop().
  void thread_main(size_t group);
  bool is_vcpu_thread() const;
  // With several vCPUs on one thread, each gets a time slice: this thread
  // kicks the running one when its slice is over.
  void slicer_main();

  std::vector<std::unique_ptr<Vcpu>> vcpus_;
  ExitHandler on_exit_;
  // The vCPUs (indices) each thread runs, and each vCPU's group.
  std::vector<std::vector<size_t>> groups_;
  std::vector<size_t> group_of_;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::atomic<int64_t>[]> thread_ids_;  // per group, set by the thread
  std::thread slicer_;
  std::atomic<int> running_{-1};  // one thread, several vCPUs: the one inside run(), or -1
  mutable std::mutex lock_;
  std::condition_variable cond_;
  bool pause_requested_ = false;
  size_t parked_ = 0;  // threads outside run() and waiting
  bool stop_requested_ = false;
  std::vector<bool> wakeup_;  // per group: an interrupt arrived while its vCPUs were halted
  std::vector<bool> halted_;
};

}  // namespace vx86
