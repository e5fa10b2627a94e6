// Runs short x86 code sequences on one vx86 vCPU (TCG, IR interpreter) with
// no machine around it: RAM, an empty I/O space, and the CPU placed directly
// in 64-bit long mode (identity-mapped 4-level paging), compatibility mode
// (32-bit code under long mode), 32-bit or 16-bit protected mode (flat data)
// or real mode. Code must end with HLT (CPL 0). Every
// exception vector has a stub that is just HLT, so a fault ends the run too
// and is reported with its vector.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/memory.h"
#include "core/system_control.h"
#include "target-x86/cpu_exec.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86::testing {

enum class CpuMode { kLong64, kProtected32, kReal16, kProtected16, kCompat32 };

struct RunResult {
  bool halted = false;     // reached a HLT (the code's own or an exception stub)
  int exception = -1;      // vector whose stub halted, -1 if the code's own HLT
  bool timed_out = false;  // the guard stopped a run that never halted
  bool stopped = false;    // cpu_exec stopped (e.g. triple fault)
};

class CpuHarness {
 public:
  static constexpr uint64_t kRamSize = 4ull << 20;
  static constexpr uint64_t kGdt = 0x1000;
  static constexpr uint64_t kIdt = 0x2000;
  static constexpr uint64_t kStubs = 0x3000;  // vector v: HLT at kStubs + 4 * v
  static constexpr uint64_t kPageTables = 0x10000;
  static constexpr uint64_t kData = 0x200000;      // scratch data (protected/long mode)
  static constexpr uint64_t kStackTop = 0x300000;  // scratch stack (protected/long mode)
  static constexpr uint16_t kCode64Sel = 0x08, kDataSel = 0x10, kCode32Sel = 0x18;
  static constexpr uint16_t kCode16Sel = 0x20;  // 16-bit code, base 0, limit 64 KiB

  explicit CpuHarness(CpuMode mode = CpuMode::kLong64);
  ~CpuHarness();

  X86Cpu& cpu() { return *cpu_; }
  CpuMode mode() const { return mode_; }
  // Where load_code() puts code by default: 1 MiB, or 0x8000 for 16-bit code.
  uint64_t code_address() const {
    return mode_ == CpuMode::kReal16 || mode_ == CpuMode::kProtected16 ? 0x8000 : 0x100000;
  }

  // Copies code into RAM, drops stale translations and points rIP at it.
  void load_code(const std::vector<uint8_t>& code);
  void load_code(const uint8_t* code, std::size_t size, uint64_t address);

  void write_memory(uint64_t address, const void* data, std::size_t size);
  void read_memory(uint64_t address, void* data, std::size_t size) const;
  uint8_t* ram() { return ram_->host_ptr(); }

  uint64_t& reg(unsigned index) { return cpu_->regs[index]; }
  // Arithmetic flags (kFlagsArith bits) in and out.
  void set_arith_flags(uint32_t flags);
  uint32_t arith_flags() const;

  // Resets segments, control registers and flags to the mode's start state
  // (keeps RAM and registers other than rIP/RSP).
  void enter_mode();

  // Rewrites the GDT, IDT/IVT, exception stubs and page tables (after code
  // that may have scribbled over them).
  void rebuild_tables() { build_tables(); }

  // Runs from the current rIP until a HLT. max_seconds bounds a run that
  // would never halt (a guard against translator bugs, not a timing test).
  RunResult run(double max_seconds = 20.0);

 private:
  void build_tables();
  void watchdog_loop();

  CpuMode mode_;
  std::unique_ptr<MemoryRegion> ram_;
  std::unique_ptr<MemoryRegion> io_root_;
  std::unique_ptr<AddressSpace> memory_;
  std::unique_ptr<AddressSpace> io_;
  RecordingSystemControl control_;
  std::unique_ptr<X86Cpu> cpu_;

  // Watchdog: kicks the vCPU if one run lasts longer than its limit.
  std::thread watchdog_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool quit_ = false;
  uint64_t run_id_ = 0;
  bool running_ = false;
  double limit_seconds_ = 20.0;
  std::atomic<bool> fired_{false};
};

}  // namespace vx86::x86::testing
