/* privilege: ring 0 -> ring 3 through IRET; back to ring 0 through a call
   gate (and LRET out), through INT n on a DPL 3 gate with the stack switched
   from the TSS, SYSENTER/SYSEXIT; INT n on a DPL 0 gate from ring 3 is
   #GP(vector * 8 + 2). Ring 3 runs with IOPL 3 so it can report on COM1.
   SYSCALL/SYSRET (64-bit only) are checked in long64. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    TSS, 0x5000
        .set    KSTACK, 0x90000
        .set    USTACK, 0x88000
        .set    SEEN_SS, 0x1040
        .set    SEEN_ESP, 0x1044
        .set    SEEN_EIP, 0x1048
        .set    SEEN_CS, 0x104c
        .set    SEEN_USS, 0x1050
        .set    SEEN_UESP, 0x1054

        .text
        .code16
start:
        cli
        lgdtl   %cs:gdtr
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $(ROM + pm_entry)

        .code32
pm_entry:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $KSTACK, %esp
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        GATE32  0x31, record_int, 0xee00     /* DPL 3 interrupt gate */
        GATE32  0x33, finish, 0xee00
        lidt    ROM + idtr
        movl    $KSTACK, TSS + 4
        movl    $0x10, TSS + 8
        mov     $0x28, %ax
        ltr     %ax
        /* SYSENTER: CS 0x08 (SS 0x10), back to CS 0x1b / SS 0x23. */
        mov     $0x174, %ecx
        mov     $0x08, %eax
        xor     %edx, %edx
        wrmsr
        mov     $0x175, %ecx
        mov     $0x8f000, %eax
        wrmsr
        mov     $0x176, %ecx
        mov     $(ROM + sysenter_target), %eax
        wrmsr

        PUTS32  msg_iret
        push    $0x23                 /* SS */
        push    $USTACK               /* ESP */
        push    $0x3002               /* EFLAGS: IOPL 3 */
        push    $0x1b                 /* CS */
        push    $(ROM + user)
        iret

user:
        mov     $0x23, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %cs, %eax
        CHECK32 %eax, 0x1b, 0x10
        mov     %ss, %eax
        CHECK32 %eax, 0x23, 0x11
        CHECK32 %esp, USTACK, 0x12
        PUTS32  msg_ring3

        /* Call gate: to CPL 0 on the TSS stack, and LRET back. */
        lcall   $0x33, $0
call_ret:
        CHECKMEM32 SEEN_SS, 0x10, 0x20
        CHECKMEM32 SEEN_ESP, (KSTACK-16), 0x21
        CHECKMEM32 SEEN_EIP, ROM+call_ret, 0x22
        CHECKMEM32 SEEN_CS, 0x1b, 0x23
        CHECKMEM32 SEEN_UESP, USTACK, 0x24
        CHECKMEM32 SEEN_USS, 0x23, 0x25
        mov     %cs, %eax
        CHECK32 %eax, 0x1b, 0x26
        CHECK32 %esp, USTACK, 0x27
        PUTS32  msg_gate

        /* INT n through a DPL 3 gate. */
        int     $0x31
int_ret:
        CHECKMEM32 SEEN_SS, 0x10, 0x30
        CHECKMEM32 SEEN_ESP, (KSTACK-20), 0x31
        CHECKMEM32 SEEN_EIP, ROM+int_ret, 0x32
        CHECKMEM32 SEEN_CS, 0x1b, 0x33
        CHECKMEM32 SEEN_UESP, USTACK, 0x34
        CHECKMEM32 SEEN_USS, 0x23, 0x35
        CHECK32 %esp, USTACK, 0x36
        PUTS32  msg_int

        /* INT n through a DPL 0 gate: #GP(vector * 8 + 2). */
        FAULT_TEST 13, (0x32*8+2), 0, 0x40, int $0x32
        /* A privileged instruction: #GP(0). */
        FAULT_TEST 13, 0, 0, 0x44, hlt
        FAULT_TEST 13, 0, 0, 0x48, mov %eax, %cr3
        mov     %cs, %eax
        CHECK32 %eax, 0x1b, 0x4c
        PUTS32  msg_dpl

        /* SYSENTER / SYSEXIT. */
        mov     %esp, %ecx
        mov     $(ROM + sysexit_ret), %edx
        sysenter
sysexit_ret:
        CHECKMEM32 SEEN_CS, 0x08, 0x50
        CHECKMEM32 SEEN_SS, 0x10, 0x51
        CHECKMEM32 SEEN_ESP, 0x8f000, 0x52
        mov     %cs, %eax
        CHECK32 %eax, 0x1b, 0x53
        mov     %ss, %eax
        CHECK32 %eax, 0x23, 0x54
        CHECK32 %esp, USTACK, 0x55
        PUTS32  msg_sysenter
        int     $0x33

/* Call gate target (CPL 0): stack = EIP, CS, ESP, SS of the caller. */
gate_target:
        mov     %ss, %eax
        mov     %eax, SEEN_SS
        mov     %esp, SEEN_ESP
        mov     (%esp), %eax
        mov     %eax, SEEN_EIP
        mov     4(%esp), %eax
        mov     %eax, SEEN_CS
        mov     8(%esp), %eax
        mov     %eax, SEEN_UESP
        mov     12(%esp), %eax
        mov     %eax, SEEN_USS
        lret

/* INT 0x31 (CPL 0): stack = EIP, CS, EFLAGS, ESP, SS. */
record_int:
        push    %eax
        mov     %ss, %eax
        mov     %eax, SEEN_SS
        lea     4(%esp), %eax
        mov     %eax, SEEN_ESP
        mov     4(%esp), %eax
        mov     %eax, SEEN_EIP
        mov     8(%esp), %eax
        mov     %eax, SEEN_CS
        mov     16(%esp), %eax
        mov     %eax, SEEN_UESP
        mov     20(%esp), %eax
        mov     %eax, SEEN_USS
        pop     %eax
        iret

sysenter_target:
        push    %eax
        mov     %cs, %eax
        mov     %eax, SEEN_CS
        mov     %ss, %eax
        mov     %eax, SEEN_SS
        lea     4(%esp), %eax
        mov     %eax, SEEN_ESP
        pop     %eax
        sysexit

finish:
        mov     %cs, %eax
        CHECK32 %eax, 0x08, 0x60
        jmp     pass32

        EXC_LIB32
        LIB32
        EXC_TABLE
idtr:
        .word   NVEC * 8 - 1
        .long   IDT
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 DPL0 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 DPL0 */
        GDT_ENTRY 0, 0xfffff, 0xfb, 0xc      /* 0x18 code32 DPL3 */
        GDT_ENTRY 0, 0xfffff, 0xf3, 0xc      /* 0x20 data32 DPL3 */
        GDT_ENTRY TSS, 0x67, 0x89, 0x0       /* 0x28 TSS */
        /* 0x30: 32-bit call gate, DPL 3, to 0x08:ROM+gate_target. */
        .word   gate_target
        .word   0x08
        .word   0xec00
        .word   0x000f
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start:    .asciz "privilege: start\n"
msg_iret:     .asciz "iret to ring 3\n"
msg_ring3:    .asciz "ring 3\n"
msg_gate:     .asciz "call gate\n"
msg_int:      .asciz "int on a DPL 3 gate\n"
msg_dpl:      .asciz "DPL checks\n"
msg_sysenter: .asciz "sysenter/sysexit\n"
        LIBDATA
        RESET_VECTOR
