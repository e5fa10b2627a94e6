// The KVM vCPU on a bare bus (kvm_test_bus.h): RAM, one MMIO device and a
// port device, the CPU placed in 64-bit mode through the register-sync path
// (GDT, IDT, page tables in RAM; segments, control registers and EFER set in
// CpuState). Each program runs under KVM and under TCG and must leave the
// same registers and the same device accesses. Skipped, with the reason,
// where KVM cannot run. Tests of user-space interrupt controllers run with
// kernel-irqchip=off; kvm_irqchip_test.cpp tests split.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "accel/kvm_accel.h"
#include "accel/kvm_vcpu.h"
#include "accel/tcg_vcpu.h"
#include "core/clock.h"
#include "core/device_lock.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/options.h"
#include "core/system_control.h"
#include "hw/intc/lapic.h"
#include "target-x86/cpu_state.h"
#include "target-x86/cpuid.h"
#include "tests/accel/kvm_test_bus.h"

namespace vx86 {
namespace {

using namespace test;

// The tests whose programs need no interrupt controller run with both
// kernel-irqchip=off and split (the default).
class KvmVcpuBothIrqchips : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Irqchip, KvmVcpuBothIrqchips, ::testing::Values("off", "split"),
                         [](const auto& info) { return std::string(info.param); });

// What a run leaves behind, compared between KVM and TCG.
struct Outcome {
  VcpuExit exit = VcpuExit::kKicked;
  uint64_t regs[16] = {};
  uint64_t rip = 0;
  uint32_t eflags = 0;
  uint64_t cr2 = 0;
  std::vector<Access> mmio, ports;
};

Outcome finish(Vcpu& vcpu, VcpuExit exit, BareBus& bus) {
  Outcome o;
  o.exit = exit;
  vcpu.sync_from_accel();
  const CpuState& c = vcpu.state();
  std::memcpy(o.regs, c.regs, sizeof(o.regs));
  o.rip = c.rip;
  o.eflags = compute_eflags(c);
  o.cr2 = c.cr2;
  o.mmio = bus.mmio_device.accesses;
  o.ports = bus.port_device.accesses;
  return o;
}

Outcome run_under_kvm(KvmAccelerator& accel, const Bytes& code,
                      const std::vector<std::pair<int, Bytes>>& handlers) {
  BareBus bus;
  bus.load(kCode, code);
  for (const auto& [vector, bytes] : handlers) bus.load(kHandlers + 16 * vector, bytes);
  std::unique_ptr<Vcpu> vcpu = accel.create_vcpu(0, bus.bus());
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  VcpuExit exit = run_until_halt(*vcpu, accel);
  return finish(*vcpu, exit, bus);
}

Outcome run_under_tcg(const Bytes& code, const std::vector<std::pair<int, Bytes>>& handlers) {
  BareBus bus;
  bus.load(kCode, code);
  for (const auto& [vector, bytes] : handlers) bus.load(kHandlers + 16 * vector, bytes);
  TcgVcpu vcpu(0, bus.bus(), *x86::find_cpu_model("qemu64"), nullptr);
  enter_long_mode(vcpu.state());
  vcpu.sync_to_accel();
  VcpuExit exit = vcpu.run();
  return finish(vcpu, exit, bus);
}

void expect_same(const Outcome& kvm, const Outcome& tcg) {
  EXPECT_EQ(kvm.exit, tcg.exit);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(kvm.regs[i], tcg.regs[i]) << "register " << i;
  EXPECT_EQ(kvm.rip, tcg.rip);
  EXPECT_EQ(kvm.eflags & kFlagsDefined, tcg.eflags & kFlagsDefined);
  EXPECT_EQ(kvm.cr2, tcg.cr2);
  EXPECT_EQ(kvm.mmio, tcg.mmio);
  EXPECT_EQ(kvm.ports, tcg.ports);
}

TEST_P(KvmVcpuBothIrqchips, PortIoMmioAndUdThroughTheIdt) {
  SKIP_WITHOUT_KVM(accel, GetParam());
  const Bytes code = {
      0xb0, 0x4b,                    // mov al, 'K'
      0x66, 0xba, 0xf8, 0x03,        // mov dx, 0x3f8
      0xee,                          // out dx, al
      0xb8, 0xef, 0xbe, 0xad, 0xde,  // mov eax, 0xdeadbeef
      0xbb, 0x00, 0x00, 0x00, 0x10,  // mov ebx, 0x10000000 (the MMIO device)
      0x89, 0x03,                    // mov [rbx], eax
      0x8b, 0x4b, 0x04,              // mov ecx, [rbx + 4]
      0x48, 0xbe, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // mov rsi, imm64
      0x48, 0x01, 0xce,                                            // add rsi, rcx
      0x0f, 0x0b,                                                  // ud2
  };
  // #UD: R8 = the faulting RIP from the frame, 'U' to the port, HLT.
  const Bytes ud_handler = {0x4c, 0x8b, 0x04, 0x24, 0xb0, 0x55, 0xee, 0xf4};
  Outcome kvm = run_under_kvm(*accel, code, {{6, ud_handler}});
  Outcome tcg = run_under_tcg(code, {{6, ud_handler}});

  EXPECT_EQ(kvm.exit, VcpuExit::kHalted);
  EXPECT_EQ(kvm.regs[kRCX], 0x55aa0004u);
  EXPECT_EQ(kvm.regs[kRSI], 0x1122334455667788ull + 0x55aa0004u);
  EXPECT_EQ(kvm.regs[kR8], kCode + code.size() - 2);  // the UD2
  EXPECT_EQ(kvm.regs[kRSP], kStackTop - 40);          // the 64-bit exception frame
  EXPECT_EQ(kvm.rip, kHandlers + 16 * 6 + ud_handler.size());
  const std::vector<Access> ports = {{0, 'K', 1, true}, {0, 'U', 1, true}};
  EXPECT_EQ(kvm.ports, ports);
  const std::vector<Access> mmio = {{0, 0xdeadbeef, 4, true}, {4, 0x55aa0004, 4, false}};
  EXPECT_EQ(kvm.mmio, mmio);
  expect_same(kvm, tcg);
}

TEST_P(KvmVcpuBothIrqchips, PageFaultReportsAddressAndErrorCode) {
  SKIP_WITHOUT_KVM(accel, GetParam());
  const Bytes code = {
      0x48, 0xc7, 0xc7, 0x34, 0x12, 0x00, 0x00,        // mov rdi, 0x1234
      0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40,  // mov rax, [0x40000000]: not mapped
  };
  // #PF: R9 = CR2, R10 = the error code, HLT.
  const Bytes pf_handler = {0x41, 0x0f, 0x20, 0xd1, 0x41, 0x5a, 0xf4};
  Outcome kvm = run_under_kvm(*accel, code, {{14, pf_handler}});
  Outcome tcg = run_under_tcg(code, {{14, pf_handler}});

  EXPECT_EQ(kvm.exit, VcpuExit::kHalted);
  EXPECT_EQ(kvm.regs[kRDI], 0x1234u);
  EXPECT_EQ(kvm.regs[kR9], 0x40000000u);
  EXPECT_EQ(kvm.cr2, 0x40000000u);
  EXPECT_EQ(kvm.regs[kR10], 0u);  // read, not present, supervisor
  expect_same(kvm, tcg);
}

TEST_P(KvmVcpuBothIrqchips, KickStopsASpinningGuest) {
  SKIP_WITHOUT_KVM(accel, GetParam());
  BareBus bus;
  bus.load(kCode, {0x48, 0xff, 0xc0, 0xeb, 0xfb});  // inc rax; jmp back
  std::unique_ptr<Vcpu> vcpu = accel->create_vcpu(0, bus.bus());
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  std::thread kicker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    vcpu->kick();
  });
  VcpuExit exit = vcpu->run();
  kicker.join();
  EXPECT_EQ(exit, VcpuExit::kKicked);
  // run() read the state back: the guest was inside its loop and counted.
  EXPECT_GE(vcpu->state().rip, kCode);
  EXPECT_LT(vcpu->state().rip, kCode + 5);
  EXPECT_GT(vcpu->state().regs[kRAX], 0u);
}

TEST_P(KvmVcpuBothIrqchips, StateRoundTripsThroughKvm) {
  SKIP_WITHOUT_KVM(accel, GetParam());
  BareBus bus;
  std::unique_ptr<Vcpu> vcpu = accel->create_vcpu(0, bus.bus());
  CpuState& c = vcpu->state();
  enter_long_mode(c);
  for (int i = 0; i < 16; ++i) c.regs[i] = 0x0101010101010101ull * (i + 1);
  c.rip = kCode + 0x123;
  load_eflags(c, kFlagCF | kFlagZF | kFlagDF | kFlagReserved1, kFlagsDefined);
  c.cr2 = 0xfeedf00d;
  c.lstar = 0xffffffff81000000ull;
  c.star = 0x0023001000000000ull;
  c.sfmask = 0x47700;
  c.kernel_gs_base = 0xffff888000000000ull;
  c.sysenter_eip = 0xabcdef;
  for (int i = 0; i < 16; ++i) c.xmm[i] = XmmReg{{0x1111111111111111ull * i, ~0ull - i}};
  c.mxcsr = 0x1f80 | (1u << 13);                         // round down
  c.st[3] = Float80{0x8000000000000000ull, 0x3fff, {}};  // 1.0 in physical register 3
  c.fpu_tw = 0xffff & ~(3u << 6);                        // only register 3 valid
  c.fpu_top = 3;
  c.dr[0] = 0x400000;
  const CpuState want = c;
  vcpu->sync_to_accel();
  c = CpuState{};
  vcpu->sync_from_accel();
  for (int i = 0; i < 16; ++i) EXPECT_EQ(c.regs[i], want.regs[i]) << "register " << i;
  EXPECT_EQ(c.rip, want.rip);
  EXPECT_EQ(compute_eflags(c), compute_eflags(want));
  EXPECT_EQ(c.cr0, want.cr0);
  EXPECT_EQ(c.cr2, want.cr2);
  EXPECT_EQ(c.cr3, want.cr3);
  EXPECT_EQ(c.cr4, want.cr4);
  EXPECT_EQ(c.efer, want.efer);
  for (int i = 0; i < kSegCount; ++i) {
    EXPECT_EQ(c.segs[i].selector, want.segs[i].selector) << "segment " << i;
    EXPECT_EQ(c.segs[i].attrs, want.segs[i].attrs) << "segment " << i;
    EXPECT_EQ(c.segs[i].base, want.segs[i].base) << "segment " << i;
  }
  EXPECT_EQ(c.gdtr.base, want.gdtr.base);
  EXPECT_EQ(c.gdtr.limit, want.gdtr.limit);
  EXPECT_EQ(c.idtr.base, want.idtr.base);
  EXPECT_EQ(c.idtr.limit, want.idtr.limit);
  EXPECT_EQ(c.lstar, want.lstar);
  EXPECT_EQ(c.star, want.star);
  EXPECT_EQ(c.sfmask, want.sfmask);
  EXPECT_EQ(c.kernel_gs_base, want.kernel_gs_base);
  EXPECT_EQ(c.sysenter_eip, want.sysenter_eip);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(c.xmm[i].q[0], want.xmm[i].q[0]) << "xmm" << i;
    EXPECT_EQ(c.xmm[i].q[1], want.xmm[i].q[1]) << "xmm" << i;
  }
  EXPECT_EQ(c.mxcsr, want.mxcsr);
  EXPECT_EQ(c.fpu_top, want.fpu_top);
  EXPECT_EQ(c.fpu_tw, want.fpu_tw);
  EXPECT_EQ(c.st[3].mantissa, want.st[3].mantissa);
  EXPECT_EQ(c.st[3].sign_exponent, want.st[3].sign_exponent);
  EXPECT_EQ(c.dr[0], want.dr[0]);
}

TEST_P(KvmVcpuBothIrqchips, RomDropsWritesUntilTheMapShadowsIt) {
  SKIP_WITHOUT_KVM(accel, GetParam());
  BareBus bus;
  const Bytes code = {
      0xbb, 0x00, 0x00, 0x00, 0x30,        // mov ebx, 0x30000000 (the ROM)
      0xc7, 0x03, 0x44, 0x33, 0x22, 0x11,  // mov dword [rbx], 0x11223344
      0x8b, 0x03,                          // mov eax, [rbx]
      0xf4,                                // hlt
  };
  bus.load(kCode, code);
  MemoryRegion* rom = bus.add_region(0x30000000, MemoryRegion::rom("rom", 0x10000));
  const uint32_t original = 0xaabbccdd;
  std::memcpy(rom->host_ptr(), &original, 4);
  std::unique_ptr<Vcpu> vcpu = accel->create_vcpu(0, bus.bus());
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  ASSERT_EQ(run_until_halt(*vcpu, *accel), VcpuExit::kHalted);
  EXPECT_EQ(vcpu->state().regs[kRAX], original);  // the write went nowhere

  rom->set_readonly(false);  // shadow RAM: the slot becomes writable
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  ASSERT_EQ(run_until_halt(*vcpu, *accel), VcpuExit::kHalted);
  EXPECT_EQ(vcpu->state().regs[kRAX], 0x11223344u);
  uint32_t stored = 0;
  std::memcpy(&stored, rom->host_ptr(), 4);
  EXPECT_EQ(stored, 0x11223344u);
}

// STI; HLT, then an interrupt from the controller: the handler runs after
// the HLT and halts again. Same under KVM (KVM_INTERRUPT) and TCG.
template <typename MakeVcpu>
Outcome run_interrupt_program(MakeVcpu make_vcpu) {
  BareBus bus;
  OneVectorSource source;
  bus.load(kCode, {0xfb, 0xf4, 0xf4});  // sti; hlt; hlt
  // mov r11, [rsp] (the interrupted RIP); hlt
  bus.load(kHandlers + 16 * OneVectorSource::kVector, {0x4c, 0x8b, 0x1c, 0x24, 0xf4});
  CpuBus cpu_bus = bus.bus();
  cpu_bus.interrupts = &source;
  std::unique_ptr<Vcpu> vcpu = make_vcpu(cpu_bus);
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  Outcome first = finish(*vcpu, vcpu->run(), bus);
  EXPECT_EQ(first.exit, VcpuExit::kHalted);
  EXPECT_EQ(first.rip, kCode + 2);
  // Still halted with nothing pending.
  EXPECT_EQ(vcpu->run(), VcpuExit::kHalted);
  {
    DeviceLockGuard lock;
    source.pending = true;
    vcpu->interrupt_changed();
  }
  Outcome o = finish(*vcpu, vcpu->run(), bus);
  EXPECT_EQ(source.acknowledged, 1);
  return o;
}

TEST(KvmVcpu, InterruptFromUserSpaceControllerWakesHalt) {
  SKIP_WITHOUT_KVM(accel, "off");
  Outcome kvm = run_interrupt_program([&](const CpuBus& b) { return accel->create_vcpu(0, b); });
  Outcome tcg = run_interrupt_program([](const CpuBus& b) {
    return std::make_unique<TcgVcpu>(0, b, *x86::find_cpu_model("qemu64"), nullptr);
  });
  EXPECT_EQ(kvm.exit, VcpuExit::kHalted);
  EXPECT_EQ(kvm.regs[kR11], kCode + 2);  // interrupted after the first HLT
  EXPECT_EQ(kvm.rip, kHandlers + 16 * OneVectorSource::kVector + 5);
  expect_same(kvm, tcg);
}

// Enables the LAPIC in x2APIC mode through its MSRs (R8: IA32_APIC_BASE as
// it was), then SVR = 0x1ff.
const Bytes kEnableX2apic = {
    0xb9, 0x1b, 0x00, 0x00, 0x00,  // mov ecx, IA32_APIC_BASE
    0x0f, 0x32,                    // rdmsr
    0x49, 0x89, 0xc0,              // mov r8, rax
    0x0d, 0x00, 0x0c, 0x00, 0x00,  // or eax, enable | x2APIC
    0x0f, 0x30,                    // wrmsr
    0xb9, 0x0f, 0x08, 0x00, 0x00,  // mov ecx, SVR
    0xb8, 0xff, 0x01, 0x00, 0x00,  // mov eax, 0x1ff
    0x31, 0xd2,                    // xor edx, edx
    0x0f, 0x30,                    // wrmsr
};
// An interrupt handler (16 bytes) counting in R13 and EOIing through the x2APIC EOI MSR.
const Bytes kX2apicEoiHandler = {
    0x49, 0xff, 0xc5,              // inc r13
    0xb9, 0x0b, 0x08, 0x00, 0x00,  // mov ecx, EOI
    0x31, 0xc0,                    // xor eax, eax
    0x31, 0xd2,                    // xor edx, edx
    0x0f, 0x30,                    // wrmsr
    0x48, 0xcf,                    // iretq
};

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// kernel-irqchip=off: the guest reads IA32_APIC_BASE, switches vx86's LAPIC
// to x2APIC mode, enables it, reads its x2APIC ID and sends itself an IPI
// through the x2APIC ICR; the handler EOIs through the EOI MSR. Every one of
// those MSRs reaches vx86's LAPIC (KVM's MSR filter) as under TCG.
struct X2apicOutcome {
  Outcome run;
  uint64_t apic_base = 0;
};

template <typename MakeVcpu>
X2apicOutcome run_x2apic_program(MakeVcpu make_vcpu) {
  BareBus bus;
  Clocks clocks;
  ApicBus apic_bus;
  LocalApic apic(clocks, apic_bus, 0, true);
  bus.load(kCode, concat(kEnableX2apic, {
                                            0xb9, 0x02, 0x08, 0x00, 0x00,  // mov ecx, x2APIC ID
                                            0x0f, 0x32,                    // rdmsr
                                            0x49, 0x89, 0xc1,              // mov r9, rax
                                            0xb9, 0x30, 0x08, 0x00, 0x00,  // mov ecx, ICR
                                            0xb8, 0x44, 0x00, 0x04, 0x00,  // mov eax, self | 0x44
                                            0x0f, 0x30,                    // wrmsr
                                            0xfb,                          // sti
                                            0xf4,                          // hlt
                                            0xf4,                          // hlt
                                        }));
  bus.load(kHandlers + 16 * 0x44, kX2apicEoiHandler);
  CpuBus cpu_bus = bus.bus();
  cpu_bus.local_apic = &apic;
  cpu_bus.interrupts = &apic;
  std::unique_ptr<Vcpu> vcpu = make_vcpu(cpu_bus);
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  X2apicOutcome o;
  o.run = finish(*vcpu, vcpu->run(), bus);
  DeviceLockGuard lock;
  apic.cpu_read_msr(LocalApic::kMsrApicBase, &o.apic_base);
  return o;
}

TEST(KvmVcpu, ApicMsrsReachTheUserSpaceLapic) {
  SKIP_WITHOUT_KVM(accel, "off");
  if (!accel->apic_msrs_in_user_space()) {
    GTEST_SKIP() << "this KVM cannot send MSR accesses to user space (KVM_CAP_X86_MSR_FILTER)";
  }
  X2apicOutcome kvm = run_x2apic_program([&](const CpuBus& b) { return accel->create_vcpu(0, b); });
  X2apicOutcome tcg = run_x2apic_program([](const CpuBus& b) {
    return std::make_unique<TcgVcpu>(0, b, *x86::find_cpu_model("qemu64"), nullptr);
  });
  EXPECT_EQ(kvm.run.exit, VcpuExit::kHalted);
  EXPECT_EQ(kvm.run.regs[kR8],
            LocalApic::kDefaultBase | LocalApic::kBaseEnable | LocalApic::kBaseBsp);
  EXPECT_EQ(kvm.run.regs[kR9], 0u);   // x2APIC ID
  EXPECT_EQ(kvm.run.regs[kR13], 1u);  // the self-IPI's handler ran once
  EXPECT_EQ(kvm.apic_base, kvm.run.regs[kR8] | LocalApic::kBaseX2apic);
  expect_same(kvm.run, tcg.run);
  EXPECT_EQ(kvm.apic_base, tcg.apic_base);
}

// kernel-irqchip=off: the guest arms vx86's LAPIC timer in TSC-deadline mode
// for `delay` TSC ticks from now (R10), reads the deadline back and sleeps in
// HLT; the timer's interrupt wakes it and the handler EOIs. Under KVM the
// LAPIC counts at KVM's TSC rate, under TCG at its 1 GHz.
struct DeadlineOutcome {
  Outcome run;
  uint64_t deadline_after = 1;
  uint64_t lapic_tsc_hz = 0;  // the rate the LAPIC converts deadlines at
};

// ticks_per_ms: the vCPU's TSC rate.
template <typename MakeVcpu, typename TicksPerMs>
DeadlineOutcome run_tsc_deadline_program(MakeVcpu make_vcpu, TicksPerMs ticks_per_ms) {
  BareBus bus;
  Clocks clocks;
  clocks.resume_virtual();
  ApicBus apic_bus;
  LocalApic apic(clocks, apic_bus, 0, true);
  bus.load(kCode, concat(kEnableX2apic, {
                                            0xb9, 0x32, 0x08, 0x00, 0x00,  // mov ecx, LVT timer
                                            0xb8, 0x45, 0x00, 0x04, 0x00,  // TSC-deadline, 0x45
                                            0x0f, 0x30,                    // wrmsr
                                            0x0f, 0x31,                    // rdtsc
                                            0x48, 0xc1, 0xe2, 0x20,        // shl rdx, 32
                                            0x48, 0x09, 0xd0,              // or rax, rdx
                                            0x4c, 0x01, 0xd0,              // add rax, r10
                                            0x49, 0x89, 0xc3,              // mov r11, rax
                                            0x48, 0x89, 0xc2,              // mov rdx, rax
                                            0x48, 0xc1, 0xea, 0x20,        // shr rdx, 32
                                            0xb9, 0xe0, 0x06, 0x00, 0x00,  // mov ecx, TSC_DEADLINE
                                            0x0f, 0x30,                    // wrmsr
                                            0x0f, 0x32,                    // rdmsr
                                            0x48, 0xc1, 0xe2, 0x20,        // shl rdx, 32
                                            0x48, 0x09, 0xd0,              // or rax, rdx
                                            0x49, 0x89, 0xc1,              // mov r9, rax
                                            0xfb,                          // sti
                                            0xf4,                          // hlt
                                            0xf4,                          // hlt
                                        }));
  bus.load(kHandlers + 16 * 0x45, kX2apicEoiHandler);
  CpuBus cpu_bus = bus.bus();
  cpu_bus.local_apic = &apic;
  cpu_bus.interrupts = &apic;
  std::unique_ptr<Vcpu> vcpu = make_vcpu(cpu_bus);
  enter_long_mode(vcpu->state());
  apic.set_output_changed([&vcpu] { vcpu->interrupt_changed(); });  // as the machine does
  vcpu->state().regs[kR10] = 2 * ticks_per_ms(*vcpu);               // 2 ms ahead
  vcpu->sync_to_accel();
  DeadlineOutcome o;
  EXPECT_EQ(vcpu->run(), VcpuExit::kHalted);  // asleep in the first HLT
  // The main loop's part: run the LAPIC's timer when it comes due.
  for (int i = 0; i < 2000; ++i) {
    DeviceLockGuard lock;
    clocks.run_expired();
    if (apic.interrupt_pending()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  o.run = finish(*vcpu, vcpu->run(), bus);
  DeviceLockGuard lock;
  apic.cpu_read_msr(LocalApic::kMsrTscDeadline, &o.deadline_after);
  o.lapic_tsc_hz = apic.tsc_hz();
  return o;
}

TEST(KvmVcpu, TscDeadlineTimerOfTheUserSpaceLapic) {
  SKIP_WITHOUT_KVM(accel, "off");
  if (!accel->apic_msrs_in_user_space()) {
    GTEST_SKIP() << "this KVM cannot send MSR accesses to user space (KVM_CAP_X86_MSR_FILTER)";
  }
  uint32_t tsc_khz = 0;
  DeadlineOutcome kvm =
      run_tsc_deadline_program([&](const CpuBus& b) { return accel->create_vcpu(0, b); },
                               [&](Vcpu& vcpu) {
                                 tsc_khz = static_cast<KvmVcpu&>(vcpu).tsc_khz();
                                 return uint64_t{tsc_khz};
                               });
  if (tsc_khz == 0) GTEST_SKIP() << "KVM_GET_TSC_KHZ gives no rate here";
  DeadlineOutcome tcg = run_tsc_deadline_program(
      [](const CpuBus& b) {
        return std::make_unique<TcgVcpu>(0, b, *x86::find_cpu_model("qemu64"), nullptr);
      },
      [](Vcpu&) { return uint64_t{1'000'000}; });
  for (const DeadlineOutcome* o : {&kvm, &tcg}) {
    EXPECT_EQ(o->run.exit, VcpuExit::kHalted);
    EXPECT_EQ(o->run.regs[kR9], o->run.regs[kR11]);  // the deadline reads back
    EXPECT_EQ(o->run.regs[kR13], 1u);                // the timer's handler ran once
    EXPECT_EQ(o->deadline_after, 0u);                // and the deadline is spent
  }
  EXPECT_EQ(kvm.run.rip, tcg.run.rip);
  EXPECT_EQ(kvm.lapic_tsc_hz, uint64_t{tsc_khz} * 1000);  // KVM's TSC rate, not TCG's 1 GHz
  EXPECT_EQ(tcg.lapic_tsc_hz, 1'000'000'000u);
}

// INIT resets the CPU but not its TSC (SDM Vol. 3A, Table 9-1): the guest
// sets its TSC to 2^52, an INIT sends the CPU to the reset vector, where it
// reads the TSC again.
template <typename MakeVcpu>
std::pair<uint64_t, uint64_t> tsc_before_and_after_init(MakeVcpu make_vcpu) {
  BareBus bus;
  Clocks clocks;
  clocks.resume_virtual();
  ApicBus apic_bus;
  LocalApic apic(clocks, apic_bus, 0, true);
  bus.load(kCode, {
                      0xb9, 0x10, 0x00, 0x00, 0x00,  // mov ecx, IA32_TIME_STAMP_COUNTER
                      0x31, 0xc0,                    // xor eax, eax
                      0xba, 0x00, 0x00, 0x10, 0x00,  // mov edx, 0x100000 (2^52)
                      0x0f, 0x30,                    // wrmsr
                      0x0f, 0x31,                    // rdtsc
                      0xf4,                          // hlt
                  });
  // At the reset vector (0xFFFFFFF0): rdtsc; hlt.
  MemoryRegion* top = bus.add_region(0xffff0000, MemoryRegion::ram("reset-vector", 0x10000));
  const uint8_t reset_code[] = {0x0f, 0x31, 0xf4};
  std::memcpy(top->host_ptr() + 0xfff0, reset_code, sizeof(reset_code));
  CpuBus cpu_bus = bus.bus();
  cpu_bus.local_apic = &apic;
  cpu_bus.interrupts = &apic;
  std::unique_ptr<Vcpu> vcpu = make_vcpu(cpu_bus);
  apic.set_output_changed([&vcpu] { vcpu->interrupt_changed(); });
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  EXPECT_EQ(vcpu->run(), VcpuExit::kHalted);
  vcpu->sync_from_accel();
  const uint64_t before = vcpu->state().regs[kRDX] << 32 | (vcpu->state().regs[kRAX] & 0xffffffff);
  {
    DeviceLockGuard lock;
    ApicMessage init;
    init.mode = ApicDeliveryMode::kInit;
    apic_bus.deliver(init);
  }
  EXPECT_EQ(vcpu->run(), VcpuExit::kHalted);
  vcpu->sync_from_accel();
  EXPECT_EQ(vcpu->state().rip, 0xfff3u);  // it did start over at the reset vector
  const uint64_t after = vcpu->state().regs[kRDX] << 32 | (vcpu->state().regs[kRAX] & 0xffffffff);
  return {before, after};
}

TEST(KvmVcpu, InitKeepsTheTsc) {
  SKIP_WITHOUT_KVM(accel, "off");
  constexpr uint64_t kSet = 1ull << 52;
  auto [kvm_before, kvm_after] =
      tsc_before_and_after_init([&](const CpuBus& b) { return accel->create_vcpu(0, b); });
  auto [tcg_before, tcg_after] = tsc_before_and_after_init([](const CpuBus& b) {
    return std::make_unique<TcgVcpu>(0, b, *x86::find_cpu_model("qemu64"), nullptr);
  });
  EXPECT_GE(tcg_before, kSet);
  EXPECT_GE(tcg_after, tcg_before);
  if (kvm_before < kSet) {
    GTEST_SKIP() << "this KVM ignores the guest's TSC writes (TSC read back: " << kvm_before << ")";
  }
  EXPECT_GE(kvm_after, kvm_before);
}

// A local APIC that only delivers a start-up IPI.
class SipiOnlyApic : public CpuLocalApic {
 public:
  bool interrupt_pending() override { return false; }
  int acknowledge_interrupt() override { return -1; }
  MsrAccess cpu_read_msr(uint32_t, uint64_t*) override { return MsrAccess::kNotMine; }
  MsrAccess cpu_write_msr(uint32_t, uint64_t, uint64_t) override { return MsrAccess::kNotMine; }
  uint64_t read_cr8() const override { return 0; }
  void write_cr8(uint64_t) override {}
  bool nmi_pending() const override { return false; }
  void acknowledge_nmi() override {}
  bool init_pending() const override { return false; }
  void acknowledge_init() override {}
  bool sipi_pending() const override { return sipi; }
  uint8_t acknowledge_sipi() override {
    sipi = false;
    return 0x10;  // start at 0x10000
  }
  bool sipi = false;
};

TEST(KvmVcpu, ApplicationProcessorWaitsForStartupIpi) {
  SKIP_WITHOUT_KVM(accel, "off");
  BareBus bus;
  bus.load(0x10000, {0xb8, 0x34, 0x12, 0xf4});  // mov ax, 0x1234; hlt (real mode)
  SipiOnlyApic apic;
  CpuBus cpu_bus = bus.bus();
  cpu_bus.local_apic = &apic;
  cpu_bus.interrupts = &apic;
  cpu_bus.topology.cores = 2;
  std::unique_ptr<Vcpu> ap = accel->create_vcpu(1, cpu_bus);
  EXPECT_EQ(ap->run(), VcpuExit::kHalted);  // no SIPI yet
  {
    DeviceLockGuard lock;
    apic.sipi = true;
    ap->interrupt_changed();
  }
  EXPECT_EQ(ap->run(), VcpuExit::kHalted);
  EXPECT_EQ(ap->state().segs[kSegCS].selector, 0x1000);
  EXPECT_EQ(ap->state().rip, 4u);
  EXPECT_EQ(ap->state().regs[kRAX] & 0xffff, 0x1234u);
}

// Breakpoints, watchpoints and single-step: vcpu_debug_test.cpp, under TCG
// and KVM alike.

// The guest reads the TSC rate KVM gives it from the hypervisor timing leaf
// (under the default irqchip).
TEST(KvmVcpu, GuestSeesTheTscRateInCpuid) {
  SKIP_WITHOUT_KVM(accel, nullptr);
  BareBus bus;
  bus.load(kCode, {
                      0xb8, 0x10, 0x00, 0x00, 0x40,  // mov eax, 0x40000010
                      0x31, 0xc9,                    // xor ecx, ecx
                      0x0f, 0xa2,                    // cpuid
                      0xf4,                          // hlt
                  });
  std::unique_ptr<Vcpu> vcpu = accel->create_vcpu(0, bus.bus());
  const uint32_t tsc_khz = static_cast<KvmVcpu&>(*vcpu).tsc_khz();
  if (tsc_khz == 0) GTEST_SKIP() << "KVM_GET_TSC_KHZ gives no rate here";
  bool invariant = false, kvm_leaves = false;
  for (const kvm_cpuid_entry2& e : accel->supported_cpuid()) {
    if (e.function == 0x80000007) invariant = (e.edx >> 8) & 1;
    if (e.function == 0x40000000) kvm_leaves = true;
  }
  if (!invariant || !kvm_leaves) {
    GTEST_SKIP() << "no invariant TSC or no KVM CPUID leaves: the rate is not reported";
  }
  enter_long_mode(vcpu->state());
  vcpu->sync_to_accel();
  ASSERT_EQ(run_until_halt(*vcpu, *accel), VcpuExit::kHalted);
  EXPECT_EQ(vcpu->state().regs[kRAX], tsc_khz);
  EXPECT_EQ(vcpu->state().regs[kRBX], 1'000'000u);  // the LAPIC timer's 1 GHz, in kHz
}

// -cpu ...,tsc-frequency=: KVM_SET_TSC_KHZ where KVM has KVM_CAP_TSC_CONTROL,
// else a clear error unless the rate is the host's own.
TEST(KvmVcpu, TscFrequency) {
  SKIP_WITHOUT_KVM(accel, nullptr);
  BareBus bus;
  uint32_t host_khz = 0;
  {
    auto probe = accel->create_vcpu(0, bus.bus());
    host_khz = static_cast<KvmVcpu&>(*probe).tsc_khz();
  }
  if (host_khz == 0) GTEST_SKIP() << "KVM_GET_TSC_KHZ gives no rate here";
  accel->set_tsc_khz(host_khz);  // the host's rate needs nothing from KVM
  EXPECT_EQ(static_cast<KvmVcpu&>(*accel->create_vcpu(1, bus.bus())).tsc_khz(), host_khz);
  const uint32_t other = host_khz + 100'000;
  accel->set_tsc_khz(other);
  if (accel->check_extension(KVM_CAP_TSC_CONTROL) > 0) {
    EXPECT_EQ(static_cast<KvmVcpu&>(*accel->create_vcpu(2, bus.bus())).tsc_khz(), other);
    return;
  }
  try {
    accel->create_vcpu(2, bus.bus());
    FAIL() << "a TSC rate KVM cannot set was accepted";
  } catch (const AccelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("-cpu tsc-frequency=" + std::to_string(uint64_t{other} * 1000)),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("no KVM_CAP_TSC_CONTROL"), std::string::npos) << what;
  }
}

TEST(KvmAccelerator, MissingDeviceIsAClearError) {
  const std::vector<OptDesc> keys = {{"accel", OptType::kString, ""},
                                     {"device", OptType::kString, ""}};
  KeyValues opts = KeyValues::parse("-accel", "kvm,device=/nonexistent/kvm", "accel", keys);
  KvmAccelerator accel;
  try {
    accel.init(&opts);
    FAIL() << "init succeeded without a KVM device";
  } catch (const AccelError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kvm does not exist"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vx86
