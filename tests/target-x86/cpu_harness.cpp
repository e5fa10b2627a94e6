#include "tests/target-x86/cpu_harness.h"

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "target-x86/cpuid.h"

namespace vx86::x86::testing {

namespace {

constexpr uint16_t kAttrData = kSegAttrPresent | kSegAttrS | kSegAttrWritable | kSegAttrAccessed;
constexpr uint16_t kAttrCode =
    kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrWritable | kSegAttrAccessed;
constexpr uint64_t kCr4Pae = 1ull << 5;

uint64_t descriptor(uint32_t base, uint32_t limit, uint16_t attrs) {
  // attrs is bits 8..23 of the high dword (type/S/DPL/P, then AVL/L/DB/G at 12..15).
  uint64_t d = limit & 0xffff;
  d |= static_cast<uint64_t>(base & 0xffffff) << 16;
  d |= static_cast<uint64_t>(attrs & 0xff) << 40;
  d |= static_cast<uint64_t>((limit >> 16) & 0xf) << 48;
  d |= static_cast<uint64_t>((attrs >> 12) & 0xf) << 52;
  d |= static_cast<uint64_t>(base >> 24) << 56;
  return d;
}

}  // namespace

CpuHarness::CpuHarness(CpuMode mode) : mode_(mode) {
  ram_ = MemoryRegion::ram("ram", kRamSize);
  memory_ = std::make_unique<AddressSpace>("memory", ram_.get());
  io_root_ = MemoryRegion::container("io", 0x10000);
  io_ = std::make_unique<AddressSpace>("io", io_root_.get());
  cpu_ = std::make_unique<X86Cpu>(*memory_, *io_, nullptr, &control_, CpuModel{});
  cpu_reset_all(*cpu_, true);
  build_tables();
  enter_mode();
  watchdog_ = std::thread([this] { watchdog_loop(); });
}

CpuHarness::~CpuHarness() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
}

void CpuHarness::build_tables() {
  uint8_t* ram = ram_->host_ptr();
  // Exception stubs: HLT, padded.
  for (int v = 0; v < 256; ++v) {
    ram[kStubs + 4 * v] = 0xF4;
  }
  // GDT: null, 64-bit code, flat data, 32-bit code, 16-bit code.
  const uint64_t gdt[5] = {
      0,
      descriptor(0, 0xfffff, kAttrCode | kSegAttrL | kSegAttrG),
      descriptor(0, 0xfffff, kAttrData | kSegAttrDB | kSegAttrG),
      descriptor(0, 0xfffff, kAttrCode | kSegAttrDB | kSegAttrG),
      descriptor(0, 0xffff, kAttrCode),
  };
  std::memcpy(ram + kGdt, gdt, sizeof(gdt));
  // IDT / IVT for the mode.
  for (int v = 0; v < 256; ++v) {
    const uint64_t stub = kStubs + 4 * v;
    if (mode_ == CpuMode::kLong64 || mode_ == CpuMode::kCompat32) {
      uint64_t lo = (stub & 0xffff) | (uint64_t{kCode64Sel} << 16) | (0x8Eull << 40) |
                    ((stub >> 16) & 0xffff) << 48;
      uint64_t hi = stub >> 32;
      std::memcpy(ram + kIdt + 16 * v, &lo, 8);
      std::memcpy(ram + kIdt + 16 * v + 8, &hi, 8);
    } else if (mode_ == CpuMode::kProtected32 || mode_ == CpuMode::kProtected16) {
      uint64_t gate = (stub & 0xffff) | (uint64_t{kCode32Sel} << 16) | (0x8Eull << 40) |
                      ((stub >> 16) & 0xffff) << 48;
      std::memcpy(ram + kIdt + 8 * v, &gate, 8);
    } else {
      uint32_t ivt = static_cast<uint32_t>(stub & 0xffff);  // segment 0
      std::memcpy(ram + 4 * v, &ivt, 4);
    }
  }
  // 4-level identity map of the first 1 GiB with 2 MiB pages.
  const uint64_t pml4 = kPageTables, pdpt = kPageTables + 0x1000, pd = kPageTables + 0x2000;
  const uint64_t pml4e = pdpt | 0x7, pdpte = pd | 0x7;
  std::memcpy(ram + pml4, &pml4e, 8);
  std::memcpy(ram + pdpt, &pdpte, 8);
  for (uint64_t i = 0; i < 512; ++i) {
    uint64_t pde = (i << 21) | 0x87;  // P RW US PS
    std::memcpy(ram + pd + 8 * i, &pde, 8);
  }
}

void CpuHarness::enter_mode() {
  X86Cpu& c = *cpu_;
  c.exception_vector = -1;
  c.halted = 0;
  c.eflags_rest = kFlagReserved1;
  load_eflags(c, kFlagReserved1, kFlagsDefined);
  auto seg = [&](unsigned i, uint16_t sel, uint16_t attrs, uint32_t limit) {
    c.segs[i] = SegmentCache{sel, attrs, limit, 0};
  };
  if (mode_ == CpuMode::kReal16) {
    c.cr0 = kCr0ET;
    c.cr4 = 0;
    c.efer = 0;
    for (unsigned i = 0; i < kSegCount; ++i) seg(i, 0, kAttrData, 0xffff);
    seg(kSegCS, 0, kAttrCode, 0xffff);
    c.idtr = {0, 0x3ff};
    c.regs[kRSP] = 0x7000;
  } else {
    c.gdtr = {kGdt, 5 * 8 - 1};
    for (unsigned i = 0; i < kSegCount; ++i) {
      seg(i, kDataSel, kAttrData | kSegAttrDB | kSegAttrG, 0xffffffff);
    }
    if (mode_ == CpuMode::kLong64 || mode_ == CpuMode::kCompat32) {
      c.cr0 = kCr0PE | kCr0ET | kCr0PG;
      c.cr4 = kCr4Pae;
      c.cr3 = kPageTables;
      c.efer = kEferLME | kEferLMA;
      if (mode_ == CpuMode::kLong64) {
        seg(kSegCS, kCode64Sel, kAttrCode | kSegAttrL | kSegAttrG, 0xffffffff);
      } else {
        seg(kSegCS, kCode32Sel, kAttrCode | kSegAttrDB | kSegAttrG, 0xffffffff);
      }
      c.idtr = {kIdt, 256 * 16 - 1};
    } else {
      c.cr0 = kCr0PE | kCr0ET;
      c.cr4 = 0;
      c.efer = 0;
      if (mode_ == CpuMode::kProtected32) {
        seg(kSegCS, kCode32Sel, kAttrCode | kSegAttrDB | kSegAttrG, 0xffffffff);
      } else {
        seg(kSegCS, kCode16Sel, kAttrCode, 0xffff);
      }
      c.idtr = {kIdt, 256 * 8 - 1};
    }
    c.regs[kRSP] = kStackTop;
  }
  c.rip = code_address();
  update_hflags(c);
  c.mmu.flush_all();
}

void CpuHarness::load_code(const std::vector<uint8_t>& code) {
  load_code(code.data(), code.size(), code_address());
}

void CpuHarness::load_code(const uint8_t* code, std::size_t size, uint64_t address) {
  std::memcpy(ram_->host_ptr() + address, code, size);
  cpu_->tb_cache.flush();
  cpu_->rip = address;
}

void CpuHarness::write_memory(uint64_t address, const void* data, std::size_t size) {
  std::memcpy(ram_->host_ptr() + address, data, size);
}

void CpuHarness::read_memory(uint64_t address, void* data, std::size_t size) const {
  std::memcpy(data, ram_->host_ptr() + address, size);
}

void CpuHarness::set_arith_flags(uint32_t flags) {
  load_eflags(*cpu_, flags, kFlagsArith);
}

uint32_t CpuHarness::arith_flags() const {
  return compute_eflags(*cpu_) & kFlagsArith;
}

void CpuHarness::watchdog_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!quit_) {
    cv_.wait(lock, [this] { return quit_ || running_; });
    if (quit_) break;
    const uint64_t id = run_id_;
    const auto limit = std::chrono::duration<double>(limit_seconds_);
    if (!cv_.wait_for(lock, limit, [&] { return quit_ || !running_ || run_id_ != id; })) {
      fired_ = true;
      cpu_->exit_request = true;
      cv_.wait(lock, [&] { return quit_ || !running_ || run_id_ != id; });
    }
  }
}

RunResult CpuHarness::run(double max_seconds) {
  RunResult result;
  X86Cpu& c = *cpu_;
  c.halted = 0;
  c.exception_vector = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++run_id_;
    running_ = true;
    limit_seconds_ = max_seconds;
    fired_ = false;
  }
  cv_.notify_all();
  ExecExit exit = cpu_exec(c);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
  }
  cv_.notify_all();
  c.exit_request = false;
  if (fired_) {
    result.timed_out = true;
    return result;
  }
  if (exit == ExecExit::kStopped) {
    result.stopped = true;
    return result;
  }
  result.halted = exit == ExecExit::kHalted;
  const uint64_t linear = c.segs[kSegCS].base + c.rip - 1;
  if (linear >= kStubs && linear < kStubs + 4 * 256) {
    result.exception = static_cast<int>((linear - kStubs) / 4);
  }
  c.halted = 0;
  return result;
}

}  // namespace vx86::x86::testing
