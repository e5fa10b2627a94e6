/* apic_irq: interrupts as a 64-bit guest with APICs takes them (long mode,
   the 8259s masked): a self-IPI through the local APIC's ICR, the LAPIC timer
   waking HLT, the PIT through IOAPIC input 2 (edge), and HPET timer 0
   level-triggered on IOAPIC input 20. The HPET handler leaves the timer's
   status set the first time, so after its EOI the IOAPIC (Remote IRR
   cleared, input still asserted) sends again; the second time it clears the
   status and the input falls. Both times Remote IRR must be set while the
   handler runs, and clear at the end. Under KVM this is the split irqchip:
   KVM's local APIC, vx86's IOAPIC sending MSIs and taking the EOI exits.
   Long mode because a nested PVM host runs 64-bit kernel code only. */
        .include "macros.inc"
        .set    PML4, 0x30000
        .set    PDPT, 0x31000
        .set    PD_LOW, 0x32000       /* 0-8 MiB */
        .set    PD_HIGH, 0x33000      /* 3-4 GiB: the IOAPIC/HPET and APIC pages */
        .set    IDT64, 0x3000
        .set    NVEC, 0x34
        .set    APIC, 0xfee00000      /* in %r12 */
        .set    IOAPIC, 0xfec00000    /* in %r13 */
        .set    HPET, 0xfed00000      /* in %r14 */
        .set    IPI_COUNT, 0x1100
        .set    TIMER_COUNT, 0x1104
        .set    PIT_COUNT, 0x1108
        .set    HPET_COUNT, 0x110c
        .set    HPET_IRR, 0x1110      /* bit n-1: Remote IRR set in HPET handler run n */
        .set    V_IPI, 0x30
        .set    V_TIMER, 0x31
        .set    V_PIT, 0x32
        .set    V_HPET, 0x33

/* A 64-bit interrupt gate to handler (a ROM offset) in code segment 0x18. */
.macro  GATE64 vector, handler
        movl    $(0x00180000 + \handler), IDT64 + \vector * 16
        movl    $0x000f8e00, IDT64 + \vector * 16 + 4
        movq    $0, IDT64 + \vector * 16 + 8
.endm

/* Writes value to IOAPIC register index. */
.macro  IOAPIC_WRITE index, value
        movl    $\index, (%r13)
        movl    $\value, 0x10(%r13)
.endm

/* STI; HLT until the counter reaches n (IF=0 afterwards). */
.macro  WAIT_FOR counter, n
1:      cli
        cmpl    $\n, \counter
        jae     2f
        sti
        hlt
        jmp     1b
2:
.endm

/* Fails with code unless the 32-bit value at addr is value. */
.macro  CHECK64 addr, value, code
        cmpl    $\value, \addr
        je      9f
        mov     $\code, %bl
        jmp     fail64
9:
.endm

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        /* Identity map: 0-8 MiB and the 2 MiB pages holding 0xFEC00000 (IOAPIC,
           HPET) and 0xFEE00000 (APIC), uncached. */
        mov     $PML4, %edi
        xor     %eax, %eax
        mov     $(0x4000 / 4), %ecx
        rep stosl
        movl    $(PDPT + 3), PML4
        movl    $(PD_LOW + 3), PDPT
        movl    $(PD_HIGH + 3), PDPT + 3 * 8
        movl    $0x83, PD_LOW
        movl    $0x200083, PD_LOW + 8
        movl    $0x400083, PD_LOW + 16
        movl    $0x600083, PD_LOW + 24
        movl    $(0xfec00000 + 0x9b), PD_HIGH + 0x1f6 * 8
        movl    $(0xfee00000 + 0x9b), PD_HIGH + 0x1f7 * 8
        mov     %cr4, %eax
        or      $0x20, %eax           /* PAE */
        mov     %eax, %cr4
        mov     $PML4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax          /* LME */
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        ljmp    $0x18, $(ROM + long_entry)

        .code64
long_entry:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x90000, %rsp
        mov     $APIC, %r12d
        mov     $IOAPIC, %r13d
        mov     $HPET, %r14d
        /* Exceptions end the test; then the four interrupt vectors. */
        xor     %ecx, %ecx
1:      lea     (%rcx,%rcx), %rdx
        movl    $(0x00180000 + exception), IDT64(,%rdx,8)
        movl    $0x000f8e00, IDT64 + 4(,%rdx,8)
        movq    $0, IDT64 + 8(,%rdx,8)
        inc     %ecx
        cmp     $0x20, %ecx
        jb      1b
        GATE64  V_IPI, ipi_handler
        GATE64  V_TIMER, timer_handler
        GATE64  V_PIT, pit_handler
        GATE64  V_HPET, hpet_handler
        lidt    idtr(%rip)
        movl    $0, IPI_COUNT
        movl    $0, TIMER_COUNT
        movl    $0, PIT_COUNT
        movl    $0, HPET_COUNT
        movl    $0, HPET_IRR

        /* Both 8259s fully masked: the IOAPIC delivers. */
        mov     $0xff, %al
        out     %al, $0x21
        out     %al, $0xa1
        movl    $0x1ff, 0xf0(%r12)          /* SVR: APIC on, spurious 0xff */

        /* Self-IPI. */
        movl    $(0x40000 + V_IPI), 0x300(%r12)
        WAIT_FOR IPI_COUNT, 1
        lea     msg_ipi(%rip), %rsi
        call    puts64

        /* LAPIC timer: one-shot, divide by 1, 100000 ticks. */
        movl    $0xb, 0x3e0(%r12)
        movl    $V_TIMER, 0x320(%r12)
        movl    $100000, 0x380(%r12)
        WAIT_FOR TIMER_COUNT, 1
        lea     msg_timer(%rip), %rsi
        call    puts64

        /* PIT channel 0 (~1 kHz) on IOAPIC input 2: edge, APIC 0. */
        IOAPIC_WRITE 0x15, 0
        IOAPIC_WRITE 0x14, V_PIT
        mov     $0x34, %al
        out     %al, $0x43
        mov     $(1193 & 0xff), %al
        out     %al, $0x40
        mov     $(1193 / 256), %al
        out     %al, $0x40
        WAIT_FOR PIT_COUNT, 3
        IOAPIC_WRITE 0x14, 0x10000 + V_PIT  /* masked again */
        lea     msg_pit(%rip), %rsi
        call    puts64

        /* HPET timer 0 -> IOAPIC input 20, level-triggered, after 100 us. */
        IOAPIC_WRITE 0x39, 0
        IOAPIC_WRITE 0x38, 0x8000 + V_HPET
        movl    $0, 0x10(%r14)              /* halted */
        movl    $0, 0xf0(%r14)              /* main counter 0 */
        movl    $0, 0xf4(%r14)
        movl    $(20 << 9 | 4 | 2), 0x100(%r14)  /* route 20, enabled, level */
        movl    $1000, 0x108(%r14)          /* comparator: 100 us */
        movl    $0, 0x10c(%r14)
        movl    $1, 0x10(%r14)              /* running */
        WAIT_FOR HPET_COUNT, 2
        CHECK64 HPET_IRR, 3, 0x10           /* Remote IRR set in both runs */
        CHECK64 0x20(%r14), 0, 0x11         /* the timer's status cleared */
        movl    $0x38, (%r13)
        mov     0x10(%r13), %eax
        and     $0x4000, %eax
        cmp     $0, %eax
        mov     $0x12, %bl
        jne     fail64                      /* Remote IRR clear after the last EOI */
        CHECK64 HPET_COUNT, 2, 0x13         /* no third interrupt */
        lea     msg_hpet(%rip), %rsi
        call    puts64
        lea     msg_pass(%rip), %rsi
        call    puts64
        xor     %al, %al
        mov     $EXIT_PORT, %dx
        outb    %al, %dx
3:      hlt
        jmp     3b

ipi_handler:
        incl    IPI_COUNT
        movl    $0, 0xb0(%r12)              /* EOI */
        iretq
timer_handler:
        incl    TIMER_COUNT
        movl    $0, 0xb0(%r12)
        iretq
pit_handler:
        incl    PIT_COUNT
        movl    $0, 0xb0(%r12)
        iretq
hpet_handler:
        push    %rax
        incl    HPET_COUNT
        movl    $0x38, (%r13)               /* entry 20, low half */
        mov     0x10(%r13), %eax
        test    $0x4000, %eax               /* Remote IRR */
        jz      2f
        mov     HPET_COUNT, %eax            /* 1 or 2: bit 0 or bit 1 */
        orl     %eax, HPET_IRR
2:      cmpl    $2, HPET_COUNT
        jb      3f
        movl    $1, 0x20(%r14)              /* clear timer 0's status: the input falls */
3:      movl    $0, 0xb0(%r12)              /* EOI */
        pop     %rax
        iretq
exception:
        mov     $0x20, %bl
        jmp     fail64

puts64:
        mov     $COM1, %dx
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      ret

/* Fails with code BL. */
fail64:
        lea     msg_fail(%rip), %rsi
        call    puts64
        mov     %bl, %al
        mov     $EXIT_PORT, %dx
        outb    %al, %dx
3:      hlt
        jmp     3b

        LIB32
        .p2align 3
idtr:
        .word   NVEC * 16 - 1
        .quad   IDT64
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xa      /* 0x18 code64 */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start:  .asciz "apic_irq: start\n"
msg_ipi:    .asciz "self-IPI\n"
msg_timer:  .asciz "LAPIC timer\n"
msg_pit:    .asciz "PIT via IOAPIC\n"
msg_hpet:   .asciz "HPET level-triggered, Remote IRR cleared by EOI\n"
msg_pass:   .asciz "PASS\n"
msg_fail:   .asciz "FAIL\n"
        LIBDATA
        RESET_VECTOR
