// The CPU runner's two threading modes: every vCPU on one thread (TCG) or
// each on its own (KVM); pause waits for all of them, resume and a wake-up
// run them again.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "accel/cpu_runner.h"

namespace vx86 {
namespace {

// Records the thread it runs on, then halts.
class RecordingVcpu : public Vcpu {
 public:
  explicit RecordingVcpu(int index) : index_(index) {}
  int index() const override { return index_; }
  CpuState& state() override { throw std::logic_error("no state"); }
  void sync_from_accel() override {}
  void sync_to_accel() override {}
  VcpuExit run() override {
    {
      std::lock_guard g(lock);
      threads.insert(std::this_thread::get_id());
    }
    runs.fetch_add(1);
    return VcpuExit::kHalted;
  }
  void kick() override {}
  void reset() override {}
  void interrupt_changed() override {}
  bool insert_breakpoint(BreakpointKind, uint64_t, uint64_t) override { return false; }
  bool remove_breakpoint(BreakpointKind, uint64_t, uint64_t) override { return false; }
  void set_single_step(bool) override {}
  bool debug_translate(uint64_t, uint64_t*) override { return false; }

  std::mutex lock;
  std::set<std::thread::id> threads;
  std::atomic<int> runs{0};

 private:
  int index_;
};

struct Runner {
  explicit Runner(CpuRunner::Threading threading) {
    std::vector<std::unique_ptr<Vcpu>> vcpus;
    for (int i = 0; i < 3; ++i) {
      auto v = std::make_unique<RecordingVcpu>(i);
      raw.push_back(v.get());
      vcpus.push_back(std::move(v));
    }
    runner = std::make_unique<CpuRunner>(
        std::move(vcpus), [](Vcpu&, VcpuExit) {}, threading);
  }
  bool wait_for_runs(int at_least) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (RecordingVcpu* v : raw) all = all && v->runs.load() >= at_least;
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  std::set<std::thread::id> threads() {
    std::set<std::thread::id> all;
    for (RecordingVcpu* v : raw) {
      std::lock_guard g(v->lock);
      all.insert(v->threads.begin(), v->threads.end());
    }
    return all;
  }
  std::vector<RecordingVcpu*> raw;
  std::unique_ptr<CpuRunner> runner;
};

TEST(CpuRunner, OneThreadRunsEveryVcpu) {
  Runner r(CpuRunner::Threading::kOneThread);
  r.runner->start(false);
  ASSERT_TRUE(r.wait_for_runs(1));
  r.runner->pause();
  EXPECT_EQ(r.threads().size(), 1u);
  r.runner->stop();
}

TEST(CpuRunner, ThreadPerVcpuPausesWakesAndResumes) {
  Runner r(CpuRunner::Threading::kThreadPerVcpu);
  r.runner->start(false);
  ASSERT_TRUE(r.wait_for_runs(1));
  r.runner->pause();  // returns once all three threads are parked
  EXPECT_TRUE(r.runner->paused());
  EXPECT_EQ(r.threads().size(), 3u);
  const int before = r.raw[1]->runs.load();
  r.runner->resume();  // every halted vCPU looks again
  ASSERT_TRUE(r.wait_for_runs(2));
  // A wake-up for one vCPU runs that one.
  const int runs1 = r.raw[1]->runs.load();
  r.runner->interrupt_changed(1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (r.raw[1]->runs.load() == runs1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT(r.raw[1]->runs.load(), runs1);
  EXPECT_GT(runs1, before);
  r.runner->stop();
}

}  // namespace
}  // namespace vx86
