// Helpers for system instructions: segment loads and far transfers,
// interrupts and exceptions, port I/O, control registers, MSRs, CPUID, HLT.
// Helpers take the CpuState* env of generated code and reach the rest of the
// vCPU with x86_cpu(env).
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"
#include "tcg/ir.h"

namespace vx86::x86 {

struct X86Cpu;

// ---- HelperInfo for each helper called from IR ----
const tcg::HelperInfo& helper_info_load_segment();        // (seg, selector)
const tcg::HelperInfo& helper_info_inhibit_interrupts();  // ()
const tcg::HelperInfo& helper_info_pushf_value();         // () -> EFLAGS as pushed
const tcg::HelperInfo& helper_info_popf();                // (value, size)
const tcg::HelperInfo& helper_info_far_jump();            // (selector, offset, size, next_ip)
const tcg::HelperInfo& helper_info_far_call();            // (selector, offset, size, next_ip)
const tcg::HelperInfo& helper_info_far_return();          // (size, imm)
const tcg::HelperInfo& helper_info_iret();                // (size, next_ip)
const tcg::HelperInfo& helper_info_software_interrupt();  // (vector, kind, next_ip)
const tcg::HelperInfo& helper_info_port_in();             // (port, size) -> value
const tcg::HelperInfo& helper_info_port_out();            // (port, value, size)
const tcg::HelperInfo& helper_info_hlt();                 // (next_ip)
const tcg::HelperInfo& helper_info_cli();                 // ()
const tcg::HelperInfo& helper_info_sti();                 // ()
const tcg::HelperInfo& helper_info_cpuid();               // ()
const tcg::HelperInfo& helper_info_rdtsc();               // ()
const tcg::HelperInfo& helper_info_rdmsr();               // ()
const tcg::HelperInfo& helper_info_wrmsr();               // ()
const tcg::HelperInfo& helper_info_read_cr();             // (cr) -> value
const tcg::HelperInfo& helper_info_write_cr();            // (cr, value)
const tcg::HelperInfo& helper_info_read_dr();             // (dr) -> value
const tcg::HelperInfo& helper_info_write_dr();            // (dr, value)
const tcg::HelperInfo& helper_info_load_dtr();            // (which: 0 GDT 1 IDT, linear, size)
const tcg::HelperInfo& helper_info_store_dtr();           // (which, linear, size)
const tcg::HelperInfo& helper_info_lldt();                // (selector)
const tcg::HelperInfo& helper_info_ltr();                 // (selector)
const tcg::HelperInfo& helper_info_lmsw();                // (value)
const tcg::HelperInfo& helper_info_clts();                // ()
const tcg::HelperInfo& helper_info_invlpg();              // (linear)
const tcg::HelperInfo& helper_info_check_cpl0();          // () : #GP(0) unless CPL 0
const tcg::HelperInfo& helper_info_syscall();             // (next_ip)
const tcg::HelperInfo& helper_info_sysret();              // (size)
const tcg::HelperInfo& helper_info_sysenter();            // ()
const tcg::HelperInfo& helper_info_sysexit();             // (size)
const tcg::HelperInfo& helper_info_verify_segment();      // (selector, is_write): ZF
const tcg::HelperInfo& helper_info_swapgs();              // ()

// ---- used by helpers and by the execution loop ----
// Guest memory from helpers: a fault records the exception and throws.
uint64_t cpu_load(X86Cpu& cpu, uint64_t linear, unsigned size, unsigned mem_index);
void cpu_store(X86Cpu& cpu, uint64_t linear, uint64_t value, unsigned size, unsigned mem_index);

// Delivers an interrupt or exception through the IVT/IDT. `software` is INT n
// (privilege checked against the gate's DPL); next_ip is the return address
// for traps and software interrupts, the faulting IP for faults. Faults during
// delivery escalate to #DF and then to a triple fault (machine reset).
void deliver_interrupt(X86Cpu& cpu, int vector, bool software, bool has_error_code,
                       uint32_t error_code, uint64_t next_ip);

// All-ones mask of a width in bytes.
uint64_t width_mask_bytes(unsigned bytes);

// Loads a segment register in real/vm86 mode (base = selector << 4).
void load_segment_real(CpuState& cpu, unsigned seg, uint16_t selector);

}  // namespace vx86::x86
