/* exceptions32: a 32-bit IDT whose handlers record vector, error code and
   return EIP; checks #DE, #UD, #GP (bad selector, limit), #NP, #SS, #BP,
   INTO, INT n (present, not present, beyond the IDT limit) and #DF from an
   exception whose delivery faults. */
        .include "macros.inc"
        .set    NVEC, 0x42          /* vectors 0..0x41: INT 0x42 is beyond the limit */

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        andl    $~0x8000, IDT + 0x41 * 8 + 4      /* vector 0x41: not present */
        lidt    ROM + idtr
        movl    $0, COUNT
        mov     $0x0ff8, %bx
        mov     $0x38, %si
        mov     $0x40, %di
        mov     $0x08, %bp

        PUTS32  msg_ud
        FAULT_TEST 6, 0, 0, 0x10, ud2
        PUTS32  msg_gp
        /* Selector beyond the GDT limit: #GP(selector). */
        FAULT_TEST 13, 0x0ff8, 0, 0x20, mov %bx, %ds
        /* A system descriptor (the LDT-ish entry) into DS: #GP(selector). */
        FAULT_TEST 13, 0x38, 0, 0x28, mov %si, %ds
        /* Data segment limits are not checked (like QEMU's TCG), so no
           limit-violation test here. */
        PUTS32  msg_np
        FAULT_TEST 11, 0x40, 0, 0x40, mov %di, %fs
        PUTS32  msg_ss
        FAULT_TEST 12, 0x40, 0, 0x48, mov %di, %ss
        /* SS must be writable data: a code selector gives #GP. */
        FAULT_TEST 13, 0x08, 0, 0x4c, mov %bp, %ss
        CHECK32 %esp, 0x90000, 0x4f
        /* Far transfers to bad targets. */
        FAULT_TEST 13, 0x10, 0, 0x4d, ljmp $0x10, $0
        FAULT_TEST 11, 0x48, 0, 0x4e, lcall $0x48, $0
        /* A null SS in 32-bit protected mode: #GP(0). */
        xor     %eax, %eax
        FAULT_TEST 13, 0, 0, 0x58, mov %ax, %ss
        /* POP DS faulting leaves ESP unchanged. */
        push    $0x0ff8
        FAULT_TEST 13, 0x0ff8, 0, 0x5c, pop %ds
        CHECK32 %esp, (0x90000-4), 0x5f
        pop     %eax
        /* BOUND out of range: #BR (a fault). */
        movl    $10, 0x1100
        movl    $20, 0x1104
        mov     $15, %eax
        movl    $0xffffffff, VEC
        bound   %eax, 0x1100          /* in range */
        CHECKMEM32 VEC, 0xffffffff, 0x63
        mov     $-3, %eax             /* signed: below 10 */
        FAULT_TEST 5, 0, 0, 0x6c, bound %eax, 0x1100
        mov     $21, %eax
        FAULT_TEST 5, 0, 0, 0x60, bound %eax, 0x1100
        /* IRET to a null CS: #GP(0). */
        pushf
        push    $0
        push    $(ROM + 8f)
        FAULT_TEST 13, 0, 0, 0x65, iret
        add     $12, %esp
        CHECK32 %esp, 0x90000, 0x68
        PUTS32  msg_bp
        FAULT_TEST 3, 0, 1, 0x50, int3
        FAULT_TEST 3, 0, 1, 0x54, int $3
        PUTS32  msg_into
        mov     $0x7fffffff, %eax
        add     $1, %eax              /* OF = 1 */
        FAULT_TEST 4, 0, 1, 0x60, into
        /* INTO with OF clear does nothing. */
        movl    $0xffffffff, VEC
        xor     %eax, %eax
        into
        CHECKMEM32 VEC, 0xffffffff, 0x64
        PUTS32  msg_int
        FAULT_TEST 0x40, 0, 1, 0x70, int $0x40
        /* Not-present gate: #NP(vector * 8 + 2). */
        FAULT_TEST 11, (0x41*8+2), 0, 0x74, int $0x41
        /* Beyond the IDT limit: #GP(vector * 8 + 2). */
        FAULT_TEST 13, (0x42*8+2), 0, 0x78, int $0x42
        PUTS32  msg_de
        mov     $0x0ff8, %bx          /* restore the operands used above */
        xor     %ecx, %ecx
        mov     $1, %eax
        xor     %edx, %edx
        FAULT_TEST 0, 0, 0, 0x80, divl %ecx
        PUTS32  msg_df
        /* #GP whose gate is not present: the #NP during delivery is a
           second contributory fault, so the CPU raises #DF(0). */
        andl    $~0x8000, IDT + 13 * 8 + 4
        FAULT_TEST 8, 0, 0, 0x90, mov %bx, %ds
        orl     $0x8000, IDT + 13 * 8 + 4
        /* The registers the handler saved were restored. */
        CHECK32 %esp, 0x90000, 0x98
        mov     %ds, %eax
        CHECK32 %eax, 0x10, 0x99
        jmp     pass32

        EXC_LIB32
        LIB32
        .p2align 2
        EXC_TABLE
idtr:
        .word   NVEC * 8 - 1
        .long   IDT
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        GDT_ENTRY ROM, 0xffff, 0x9b, 0x0     /* 0x18 code16 */
        GDT_ENTRY 0, 0xffff, 0x93, 0x0       /* 0x20 data16 */
        .quad   0                            /* 0x28 */
        GDT_ENTRY 0, 0xfff, 0x93, 0x4        /* 0x30 data32, limit 0xfff */
        GDT_ENTRY 0x4000, 0x67, 0x82, 0x0    /* 0x38 an LDT descriptor */
        GDT_ENTRY 0, 0xfffff, 0x13, 0xc      /* 0x40 data32, not present */
        GDT_ENTRY 0, 0xfffff, 0x1b, 0xc      /* 0x48 code32, not present */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start: .asciz "exceptions32: start\n"
msg_ud:    .asciz "#UD\n"
msg_gp:    .asciz "#GP\n"
msg_np:    .asciz "#NP\n"
msg_ss:    .asciz "#SS\n"
msg_bp:    .asciz "#BP\n"
msg_into:  .asciz "INTO\n"
msg_int:   .asciz "INT n\n"
msg_de:    .asciz "#DE\n"
msg_df:    .asciz "#DF\n"
        LIBDATA
        RESET_VECTOR
