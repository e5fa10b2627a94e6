// The CPU state a boot loader built into the machine (direct kernel boot)
// wants the bootstrap processor to start in. It is CPU-neutral data: hw/
// describes what it prepared in guest memory, and the program, which knows
// the CPU, applies it to vCPU 0 after every reset.
#pragma once

#include <cstdint>

namespace vx86 {

struct BootCpuState {
  enum class Mode {
    // 32-bit protected mode, paging off, interrupts off; CS and the data
    // segments are flat 4 GiB segments described by the GDT below.
    kFlat32,
  };
  Mode mode = Mode::kFlat32;
  uint64_t entry = 0;  // RIP
  // A GDT already written to guest RAM, to load into GDTR.
  uint64_t gdt_base = 0;
  uint16_t gdt_limit = 0;
  uint16_t code_selector = 0;  // CS: execute/read, base 0, limit 4 GiB, 32-bit
  uint16_t data_selector = 0;  // DS, ES, SS, FS, GS: read/write, base 0, limit 4 GiB
  // General registers the entry convention defines; all others are zero.
  uint64_t rax = 0;  // multiboot: the boot loader magic 0x2BADB002
  uint64_t rbx = 0;  // multiboot: the MBI; PVH: hvm_start_info
  uint64_t rsi = 0;  // the Linux boot protocol: address of boot_params
  uint64_t rsp = 0;
};

}  // namespace vx86
