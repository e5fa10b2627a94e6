// A bare bus for vCPU tests: RAM, an MMIO device and a port device, the
// GDT, IDT (one HLT handler slot per vector) and identity page tables in RAM,
// and 64-bit mode set through the register-sync path. Shared by the KVM
// tests of this directory.
//
// Only code that starts in 64-bit mode and runs a few instructions: on a
// nested PVM host, mode switches never complete and kernel-mode code is
// emulated slowly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "accel/accel.h"
#include "accel/kvm_accel.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/options.h"
#include "core/system_control.h"
#include "target-x86/cpu_state.h"

namespace vx86::test {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kRamSize = 4ull << 20;
constexpr uint64_t kGdt = 0x1000;
constexpr uint64_t kIdt = 0x2000;
constexpr uint64_t kHandlers = 0x4000;  // vector v: 16 bytes at kHandlers + 16 * v
constexpr uint64_t kPageTables = 0x10000;
constexpr uint64_t kCode = 0x100000;
constexpr uint64_t kStackTop = 0x300000;
constexpr uint64_t kMmioBase = 0x10000000;  // inside the identity map, outside RAM
constexpr uint16_t kSerialPort = 0x3f8;
constexpr uint16_t kCodeSel = 0x08, kDataSel = 0x10;
constexpr uint64_t kCr4Pae = 1ull << 5;
// The local APIC and IOAPIC pages, mapped by the page tables too.
constexpr uint64_t kApicBase = 0xfee00000;
constexpr uint64_t kIoapicBase = 0xfec00000;

struct Access {
  uint64_t offset;
  uint64_t value;
  unsigned size;
  bool write;
  bool operator==(const Access&) const = default;
};

// Records every access; reads return a value derived from the offset.
// on_write, if set, sees each write after it is recorded (on the vCPU
// thread, inside run()).
class RecordingDevice : public IoOps {
 public:
  uint64_t read(uint64_t offset, unsigned size) override {
    uint64_t value = 0x55aa0000 + offset;
    accesses.push_back({offset, value, size, false});
    return value;
  }
  void write(uint64_t offset, uint64_t value, unsigned size) override {
    accesses.push_back({offset, value, size, true});
    if (on_write) on_write(offset, value);
  }
  std::vector<Access> accesses;
  std::function<void(uint64_t offset, uint64_t value)> on_write;
};

// An interrupt controller with one level-triggered vector.
class OneVectorSource : public CpuInterruptSource {
 public:
  bool interrupt_pending() override { return pending; }
  int acknowledge_interrupt() override {
    pending = false;
    ++acknowledged;
    return kVector;
  }
  static constexpr int kVector = 0x30;
  bool pending = false;
  int acknowledged = 0;
};

// A bus with RAM at 0, an MMIO device at kMmioBase and a port device at
// kSerialPort: what a vCPU needs, with no machine.
class BareBus {
 public:
  BareBus() {
    memory_root_ = MemoryRegion::container("memory", 1ull << 32);
    ram_ = MemoryRegion::ram("ram", kRamSize);
    mmio_ = MemoryRegion::io("mmio", 0x1000, &mmio_device, AccessLimits{1, 8, false});
    memory_root_->add_subregion(0, ram_.get());
    memory_root_->add_subregion(kMmioBase, mmio_.get());
    memory_ = std::make_unique<AddressSpace>("memory", memory_root_.get());
    io_root_ = MemoryRegion::container("io", 0x10000);
    port_ = MemoryRegion::io("port", 8, &port_device);
    io_root_->add_subregion(kSerialPort, port_.get());
    io_ = std::make_unique<AddressSpace>("io", io_root_.get());
    build_tables();
  }

  CpuBus bus() {
    CpuBus b;
    b.memory = memory_.get();
    b.io = io_.get();
    b.control = &control;
    return b;
  }
  uint8_t* ram() { return ram_->host_ptr(); }
  // For devices that map themselves (interrupt controllers).
  MemoryRegion& memory_root() { return *memory_root_; }
  MemoryRegion& io_root() { return *io_root_; }

  // Places another region in the memory map (the map changes under the vCPU).
  MemoryRegion* add_region(uint64_t addr, std::unique_ptr<MemoryRegion> region) {
    MemoryRegion* r = region.get();
    extra_.push_back(std::move(region));
    memory_root_->add_subregion(addr, r);
    return r;
  }

  void load(uint64_t addr, const Bytes& bytes) {
    std::memcpy(ram() + addr, bytes.data(), bytes.size());
  }

  RecordingDevice mmio_device;
  RecordingDevice port_device;
  RecordingSystemControl control;

 private:
  void build_tables() {
    uint8_t* r = ram();
    for (int v = 0; v < 256; ++v) r[kHandlers + 16 * v] = 0xf4;  // HLT
    const uint64_t gdt[3] = {0, 0x00af9b000000ffffull, 0x00cf93000000ffffull};
    std::memcpy(r + kGdt, gdt, sizeof(gdt));
    for (int v = 0; v < 256; ++v) {
      const uint64_t h = kHandlers + 16 * v;
      uint64_t lo =
          (h & 0xffff) | (uint64_t{kCodeSel} << 16) | (0x8eull << 40) | ((h >> 16) & 0xffff) << 48;
      uint64_t hi = h >> 32;
      std::memcpy(r + kIdt + 16 * v, &lo, 8);
      std::memcpy(r + kIdt + 16 * v + 8, &hi, 8);
    }
    // Identity map of the first 1 GiB with 2 MiB pages.
    const uint64_t pml4e = (kPageTables + 0x1000) | 0x7, pdpte = (kPageTables + 0x2000) | 0x7;
    std::memcpy(r + kPageTables, &pml4e, 8);
    std::memcpy(r + kPageTables + 0x1000, &pdpte, 8);
    for (uint64_t i = 0; i < 512; ++i) {
      uint64_t pde = (i << 21) | 0x87;
      std::memcpy(r + kPageTables + 0x2000 + 8 * i, &pde, 8);
    }
    // And of 3-4 GiB (the APIC and IOAPIC pages), uncached.
    const uint64_t high_pdpte = (kPageTables + 0x3000) | 0x7;
    std::memcpy(r + kPageTables + 0x1000 + 8 * 3, &high_pdpte, 8);
    for (uint64_t i = 0; i < 512; ++i) {
      uint64_t pde = ((3ull << 30) + (i << 21)) | 0x97;
      std::memcpy(r + kPageTables + 0x3000 + 8 * i, &pde, 8);
    }
  }

  std::unique_ptr<MemoryRegion> memory_root_, ram_, mmio_, io_root_, port_;
  std::vector<std::unique_ptr<MemoryRegion>> extra_;
  std::unique_ptr<AddressSpace> memory_, io_;
};

// VT-x or AMD-V on the host: without them (a nested PVM host) KVM emulates
// guest kernel code and some features do not work.
inline bool host_has_hardware_virtualization() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string word;
  while (cpuinfo >> word) {
    if (word == "vmx" || word == "svm") return true;
  }
  return false;
}

// 64-bit mode, CPL 0, interrupts off, at kCode.
inline void enter_long_mode(CpuState& c) {
  const uint16_t data =
      kSegAttrPresent | kSegAttrS | kSegAttrWritable | kSegAttrAccessed | kSegAttrDB | kSegAttrG;
  const uint16_t code = kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrWritable |
                        kSegAttrAccessed | kSegAttrL | kSegAttrG;
  for (auto& s : c.segs) s = SegmentCache{kDataSel, data, 0xffffffff, 0};
  c.segs[kSegCS] = SegmentCache{kCodeSel, code, 0xffffffff, 0};
  c.gdtr = {kGdt, 3 * 8 - 1};
  c.idtr = {kIdt, 256 * 16 - 1};
  c.cr0 = kCr0PE | kCr0ET | kCr0PG;
  c.cr3 = kPageTables;
  c.cr4 = kCr4Pae;
  c.efer = kEferLME | kEferLMA;
  c.eflags_rest = kFlagReserved1;
  load_eflags(c, kFlagReserved1, kFlagsDefined);
  for (auto& r : c.regs) r = 0;
  c.regs[kRSP] = kStackTop;
  c.rip = kCode;
  c.halted = 0;
  update_hflags(c);
}

// A KVM accelerator with -accel kvm,kernel-irqchip=IRQCHIP (null: the
// default), or null with the reason in *why.
inline std::unique_ptr<KvmAccelerator> open_kvm(std::string* why, const char* irqchip = nullptr) {
  const std::vector<OptDesc> keys = {{"accel", OptType::kString, ""},
                                     {"kernel-irqchip", OptType::kString, ""}};
  auto accel = std::make_unique<KvmAccelerator>();
  try {
    if (irqchip) {
      KeyValues opts =
          KeyValues::parse("-accel", std::string("kvm,kernel-irqchip=") + irqchip, "accel", keys);
      accel->init(&opts);
    } else {
      accel->init(nullptr);
    }
  } catch (const AccelError& e) {
    *why = e.what();
    return nullptr;
  }
  return accel;
}

#define SKIP_WITHOUT_KVM(accel, irqchip)                           \
  std::string why;                                                 \
  std::unique_ptr<KvmAccelerator> accel = open_kvm(&why, irqchip); \
  if (!accel) GTEST_SKIP() << "KVM cannot run here: " << why

// Runs until the guest halts. With KVM's local APIC (split, on) HLT sleeps
// inside KVM_RUN and run() does not return: a kick every `settle` brings it
// back, and the state it read says whether the guest had halted (tried for
// up to 20 settles, in case the host is slow to run the vCPU thread).
inline VcpuExit run_until_halt(Vcpu& vcpu, const KvmAccelerator& accel,
                               std::chrono::milliseconds settle = std::chrono::milliseconds(300)) {
  if (accel.irqchip() == KernelIrqchip::kOff) return vcpu.run();
  for (int attempt = 0;; ++attempt) {
    std::mutex m;
    std::condition_variable cv;
    bool returned = false;
    std::thread kicker([&] {
      std::unique_lock<std::mutex> lock(m);
      if (!cv.wait_for(lock, settle, [&] { return returned; })) vcpu.kick();
    });
    VcpuExit exit = vcpu.run();
    {
      std::lock_guard<std::mutex> lock(m);
      returned = true;
    }
    cv.notify_one();
    kicker.join();
    if (exit != VcpuExit::kKicked) return exit;
    if (vcpu.state().halted) return VcpuExit::kHalted;
    if (attempt == 20) return exit;
  }
}

}  // namespace vx86::test
