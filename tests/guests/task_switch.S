/* task_switch: hardware task switching in protected mode. With 32-bit TSSs:
   JMP to a TSS (busy bits, TR, CR0.TS, the old task's registers saved and
   restored), CALL through a task gate and IRET back with EFLAGS.NT and the
   back link, INT n through a task gate in the IDT (twice: the handler task
   resumes where its IRET left it), #GP with its error code through a task
   gate, and JMP to a busy TSS (#GP with the selector). Then CALL to a 16-bit
   (80286) TSS and IRET back, with its 16-bit layout. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    GDT_RAM, 0x6000
        .set    TSS_A, 0x5000
        .set    TSS_B, 0x5100
        .set    TSS_C, 0x5200
        .set    TSS_D, 0x5300
        .set    TSS_E, 0x5400         /* 16-bit TSS */
        .set    SEL_E, 0x40
        .set    SEL_CODE_ROM, 0x48    /* 32-bit code, base ROM */
        .set    E_SEEN, 0x1140        /* TR, EAX, EFLAGS */
        .set    SEL_A, 0x18
        .set    SEL_B, 0x20
        .set    SEL_GATE_B, 0x28
        .set    SEL_C, 0x30
        .set    SEL_D, 0x38
        .set    B_SEEN, 0x1100        /* what task B saw: TR, EFLAGS, back link, EAX */
        .set    C_COUNT, 0x1120
        .set    D_ERR, 0x1124
        .set    D_EIP, 0x1128

/* Fills a 32-bit TSS at `base` for a ring-0 flat task starting at `entry`. */
.macro  TSS_INIT base, entry, esp, eax
        mov     $\base, %edi
        xor     %eax, %eax
        mov     $(0x68 / 4), %ecx
        rep stosl
        movl    $(ROM + \entry), \base + 0x20
        movl    $2, \base + 0x24
        movl    $\eax, \base + 0x28
        movl    $\esp, \base + 0x38
        movl    $0x10, \base + 0x48   /* ES */
        movl    $0x08, \base + 0x4c   /* CS */
        movl    $0x10, \base + 0x50   /* SS */
        movl    $0x10, \base + 0x54   /* DS */
        movl    $0x10, \base + 0x58   /* FS */
        movl    $0x10, \base + 0x5c   /* GS */
.endm

/* The access byte of GDT entry `sel` must be `value`. */
.macro  CHECK_ACCESS sel, value, code
        movzbl  GDT_RAM + \sel + 5, %eax
        CHECK32 %eax, \value, \code
.endm

        .text
        .code16
start:
        cli
        lgdtl   %cs:gdtr_rom
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
        mov     $0x90000, %esp
        PUTS32  msg_start
        /* The GDT goes to RAM: task switches write its busy bits. */
        mov     $(ROM + gdt), %esi
        mov     $GDT_RAM, %edi
        mov     $(gdt_end - gdt), %ecx
        rep movsb
        lgdt    ROM + gdtr_ram
        mov     $NVEC, %ecx
        call    idt_setup32
        lidt    ROM + idtr
        mov     $TSS_A, %edi
        xor     %eax, %eax
        mov     $(0x68 / 4), %ecx
        rep stosl
        mov     $SEL_A, %ax
        ltr     %ax
        CHECK_ACCESS SEL_A, 0x8b, 0x01

        /* 1. JMP to TSS B and back with JMP to TSS A. */
        TSS_INIT TSS_B, task_b_jmp, 0x70000, 0xb0b0
        mov     $0x12345678, %ebx
        mov     $0x8765, %esi
        clts
        ljmp    $SEL_B, $0
after_jmp:
        CHECK32 %ebx, 0x12345678, 0x10
        CHECK32 %esi, 0x8765, 0x11
        cmp     $0x90000, %esp
        je      1f
        mov     $0x12, %eax
        jmp     fail32
1:      CHECKMEM32 B_SEEN, SEL_B, 0x13
        mov     B_SEEN + 4, %eax
        and     $0x4000, %eax         /* NT clear after a JMP */
        CHECK32 %eax, 0, 0x14
        CHECKMEM32 B_SEEN + 12, 0xb0b0, 0x15
        CHECKMEM32 B_SEEN + 16, 8, 0x16      /* CR0.TS set by the switch */
        CHECK_ACCESS SEL_A, 0x8b, 0x17
        CHECK_ACCESS SEL_B, 0x89, 0x18
        str     %ax
        CHECK32 %eax, SEL_A, 0x19
        /* Task B's TSS holds its state: EIP after its JMP, EAX. */
        CHECKMEM32 TSS_B + 0x20, ROM + b_after_jmp, 0x1a
        CHECKMEM32 TSS_B + 0x28, 0xb1b1, 0x1b

        /* 2. CALL through a task gate; task B returns with IRET (NT). */
        TSS_INIT TSS_B, task_b_call, 0x70000, 0xb2b2
        mov     $0x600d, %ebx
        lcall   $SEL_GATE_B, $0
after_call:
        CHECK32 %ebx, 0x600d, 0x20
        CHECKMEM32 B_SEEN, SEL_B, 0x21
        mov     B_SEEN + 4, %eax
        and     $0x4000, %eax         /* NT set in the called task */
        CHECK32 %eax, 0x4000, 0x22
        CHECKMEM32 B_SEEN + 8, SEL_A, 0x23   /* back link */
        pushf
        pop     %eax
        and     $0x4000, %eax
        CHECK32 %eax, 0, 0x24
        CHECK_ACCESS SEL_B, 0x89, 0x25
        CHECK_ACCESS SEL_A, 0x8b, 0x26
        /* While B ran, A stayed busy (a CALL nests). */
        CHECKMEM32 B_SEEN + 20, 0x8b, 0x27

        /* 3. INT 0x40 through a task gate, twice. */
        TSS_INIT TSS_C, task_c, 0x60000, 0
        movl    $(SEL_C << 16), IDT + 0x40 * 8
        movl    $0x8500, IDT + 0x40 * 8 + 4
        movl    $0, C_COUNT
        int     $0x40
        int     $0x40
        CHECKMEM32 C_COUNT, 2, 0x30
        CHECK_ACCESS SEL_C, 0x89, 0x31

        /* 4. JMP to the busy TSS A: #GP(0x18) through the interrupt gate. */
        FAULT_TEST 13, SEL_A, 0, 0x40, ljmp $SEL_A, $0

        /* 5. #GP through a task gate: the error code on the new task's
           stack, the faulting EIP in the old TSS. */
        TSS_INIT TSS_D, task_d, 0x50000, 0
        movl    $(SEL_D << 16), IDT + 13 * 8
        movl    $0x8500, IDT + 13 * 8 + 4
        mov     $0x1f8, %ax
gp_insn:
        mov     %ax, %ds              /* beyond the GDT limit: #GP(0x1f8) */
        mov     $0x10, %ax
        mov     %ax, %ds
        CHECKMEM32 D_ERR, 0x1f8, 0x50
        CHECKMEM32 D_EIP, ROM + gp_insn, 0x51

        /* 6. CALL to a 16-bit TSS (IP, FLAGS, 16-bit registers, ES CS SS DS)
           and IRET back. */
        mov     $TSS_E, %edi
        xor     %eax, %eax
        mov     $(0x2c / 4), %ecx
        rep stosl
        movw    $task_e, TSS_E + 0x0e         /* IP (CS base is ROM) */
        movw    $2, TSS_E + 0x10              /* FLAGS */
        movw    $0xe0e0, TSS_E + 0x12         /* AX */
        movw    $0x7000, TSS_E + 0x1a         /* SP */
        movw    $0x10, TSS_E + 0x22           /* ES */
        movw    $SEL_CODE_ROM, TSS_E + 0x24   /* CS */
        movw    $0x10, TSS_E + 0x26           /* SS */
        movw    $0x10, TSS_E + 0x28           /* DS */
        mov     $0x4321, %ebx
        lcall   $SEL_E, $0
        CHECK32 %ebx, 0x4321, 0x60
        CHECKMEM32 E_SEEN, SEL_E, 0x61
        movzwl  E_SEEN + 4, %eax
        CHECK32 %eax, 0xe0e0, 0x62
        mov     E_SEEN + 8, %eax
        and     $0x4000, %eax
        CHECK32 %eax, 0x4000, 0x63
        movzwl  TSS_E, %eax                   /* back link */
        CHECK32 %eax, SEL_A, 0x64
        movzwl  TSS_E + 0x0e, %eax            /* IP saved by the IRET */
        CHECK32 %eax, e_after_iret, 0x65
        movzwl  TSS_E + 0x12, %eax            /* AX saved */
        CHECK32 %eax, 0xe1e1, 0x66
        CHECK_ACCESS SEL_E, 0x81, 0x67
        jmp     pass32

/* Task B entered by JMP: records what it sees, then JMPs back to A. */
task_b_jmp:
        call    b_record
        mov     $0xb1b1, %eax
        ljmp    $SEL_A, $0
b_after_jmp:
        mov     $0x60, %eax
        jmp     fail32

/* Task B entered by CALL: records, then IRET to the caller task. */
task_b_call:
        call    b_record
        movzbl  GDT_RAM + SEL_A + 5, %eax
        mov     %eax, B_SEEN + 20
        iret
        mov     $0x61, %eax
        jmp     fail32

b_record:
        str     %cx
        movzwl  %cx, %ecx
        mov     %ecx, B_SEEN
        pushf
        pop     %ecx
        mov     %ecx, B_SEEN + 4
        movzwl  TSS_B, %ecx
        mov     %ecx, B_SEEN + 8
        mov     %eax, B_SEEN + 12
        mov     %cr0, %ecx
        and     $8, %ecx
        mov     %ecx, B_SEEN + 16
        ret

/* Task C, the INT 0x40 handler: each IRET leaves it here for next time. */
task_c:
        incl    C_COUNT
        iret
        jmp     task_c

/* Task D, the #GP handler: the error code, the faulting EIP from the old
   TSS, which then resumes after the 2-byte MOV to DS. */
task_d:
        pop     %eax
        mov     %eax, D_ERR
        mov     TSS_A + 0x20, %eax
        mov     %eax, D_EIP
        addl    $2, TSS_A + 0x20
        iret
        jmp     task_d

/* Task E (16-bit TSS, CS base ROM): records TR, AX and FLAGS, returns. */
task_e:
        str     %cx
        movzwl  %cx, %ecx
        mov     %ecx, E_SEEN
        mov     %eax, E_SEEN + 4
        pushf
        pop     %ecx
        mov     %ecx, E_SEEN + 8
        mov     $0xe1e1, %ax
        iret
e_after_iret:
        jmp     task_e

        EXC_LIB32
        LIB32
        EXC_TABLE
idtr:
        .word   NVEC * 8 - 1
        .long   IDT
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        GDT_ENTRY TSS_A, 0x67, 0x89, 0x0     /* 0x18 TSS A */
        GDT_ENTRY TSS_B, 0x67, 0x89, 0x0     /* 0x20 TSS B */
        .word   0, SEL_B, 0x8500, 0          /* 0x28 task gate to B */
        GDT_ENTRY TSS_C, 0x67, 0x89, 0x0     /* 0x30 TSS C */
        GDT_ENTRY TSS_D, 0x67, 0x89, 0x0     /* 0x38 TSS D */
        GDT_ENTRY TSS_E, 0x2b, 0x81, 0x0     /* 0x40 16-bit TSS E */
        GDT_ENTRY ROM, 0xffff, 0x9b, 0x4     /* 0x48 code32, base ROM */
gdt_end:
gdtr_rom:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
gdtr_ram:
        .word   gdt_end - gdt - 1
        .long   GDT_RAM
msg_start: .asciz "task_switch: start\n"
        LIBDATA
        RESET_VECTOR
