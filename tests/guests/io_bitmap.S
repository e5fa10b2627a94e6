/* io_bitmap: I/O permission at CPL 3 with IOPL 0, decided by the TSS I/O
   bitmap: allowed ports (COM1, isa-debug-exit) work, a denied port is #GP(0)
   for IN and OUT, a word access is denied when either port's bit is set
   (including the byte past the bitmap's end), a bitmap beyond the TSS limit
   denies everything; CLI/STI at CPL > IOPL are #GP(0); with IOPL 3 every
   port is allowed without the bitmap. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    TSS, 0x5000
        .set    IOMAP, 0x68           /* bitmap offset in the TSS */
        .set    TSS_LIMIT, IOMAP + 0x80   /* ports 0-0x3ff, then 0xff */
        .set    USTACK, 0x88000
        .set    GDT_RAM, 0x6000       /* the GDT in RAM: INT 0x30 edits it */

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $(ROM + gdt), %esi
        mov     $GDT_RAM, %edi
        mov     $(gdt_end - gdt), %ecx
        rep movsb
        lgdt    ROM + gdtr_ram
        movl    $0, 0x1200
        mov     $NVEC, %ecx
        call    idt_setup32
        /* Vector 0x30: a DPL 3 gate for ring 3 to change the TSS limit. */
        movl    $(0x00080000 + shrink_tss), IDT + 0x30 * 8
        movl    $(0x000f0000 + 0xee00), IDT + 0x30 * 8 + 4
        lidt    ROM + idtr
        /* TSS: ring-0 stack; the bitmap denies every port but COM1
           (0x3f8-0x3ff) and isa-debug-exit (0xf4). */
        mov     $TSS, %edi
        mov     $0xff, %al
        mov     $(TSS_LIMIT + 1), %ecx
        rep stosb
        movl    $0x90000, TSS + 4
        movl    $0x10, TSS + 8
        movw    $IOMAP, TSS + 102
        movb    $0x00, TSS + IOMAP + 0x3f8 / 8
        andb    $~0x10, TSS + IOMAP + 0xf4 / 8
        mov     $0x28, %ax
        ltr     %ax

        /* Ring 3 with IOPL 0. */
        push    $0x23
        push    $USTACK
        push    $0x2
        push    $0x1b
        push    $(ROM + ring3)
        iret

ring3:
        mov     $0x23, %ax
        mov     %ax, %ds
        mov     %ax, %es
        PUTS32  msg_ring3             /* COM1: allowed */
        FAULT_TEST 13, 0, 0, 0x10, outb %al, $0x80
        FAULT_TEST 13, 0, 0, 0x13, inb $0x80, %al
        /* A word at 0x3ff also needs port 0x400: the 0xff past the map. */
        mov     $0x3ff, %dx
        FAULT_TEST 13, 0, 0, 0x16, inw %dx, %ax
        /* 0x3fe-0x3ff are both allowed. */
        mov     $0x3fe, %dx
        inw     %dx, %ax
        FAULT_TEST 13, 0, 0, 0x19, cli
        FAULT_TEST 13, 0, 0, 0x1c, sti
        /* The bitmap cut off by the TSS limit: COM1 is denied too. */
        int     $0x30
        mov     $0x3f8, %dx
        FAULT_TEST 13, 0, 0, 0x20, outb %al, %dx
        /* IOPL 3 (set by the gate's return): the bitmap is not consulted. */
        int     $0x30
        outb    %al, $0x80
        cli
        /* pass32 ends in HLT, which ring 3 may not run: spin instead. */
        PUTS32  pass_msg
        xor     %eax, %eax
        mov     $EXIT_PORT, %dx
        outb    %al, %dx
1:      jmp     1b

/* INT 0x30 from ring 3: the first call limits the TSS to 0x67 (no bitmap),
   the second sets IOPL 3 in the returned EFLAGS. */
shrink_tss:
        push    %eax
        push    %ecx
        cmpl    $0, 0x1200
        jne     1f
        movl    $1, 0x1200
        /* Reload TR with limit 0x67: clear busy, rewrite the limit, LTR. */
        movw    $0x67, GDT_RAM + 0x28
        andb    $~0x02, GDT_RAM + 0x28 + 5
        mov     $0x28, %ax
        ltr     %ax
        jmp     2f
1:      orl     $0x3000, 16(%esp)
2:      pop     %ecx
        pop     %eax
        iret

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
        GDT_ENTRY 0, 0xfffff, 0xfb, 0xc      /* 0x18 code32 DPL 3 */
        GDT_ENTRY 0, 0xfffff, 0xf3, 0xc      /* 0x20 data32 DPL 3 */
        GDT_ENTRY TSS, TSS_LIMIT, 0x89, 0x0  /* 0x28 TSS */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
gdtr_ram:
        .word   gdt_end - gdt - 1
        .long   GDT_RAM
msg_start: .asciz "io_bitmap: start\n"
msg_ring3: .asciz "ring 3, IOPL 0\n"
        LIBDATA
        RESET_VECTOR
