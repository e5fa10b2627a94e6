/* pit_irq: real mode with the IVT. Programs the 8259 master (IRQ0 at vector
   8) and the 8254 channel 0 (rate generator, ~1 kHz), then STI + HLT until
   five timer interrupts arrived. Also checks the STI interrupt shadow: with
   IRQ0 already pending, the interrupt comes after the instruction that
   follows STI, not before it. */
        .include "macros.inc"
        .set    TICKS, 0x500
        .set    LAST_IP, 0x504

        .text
        .code16
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7000, %sp
        PUTS16  msg_start
        /* IVT[8] = F000:irq0 */
        movw    $irq0, 8 * 4
        movw    $0xf000, 8 * 4 + 2
        movw    $0, TICKS
        /* 8259 master: ICW1-4, then mask all but IRQ0. */
        mov     $0x11, %al
        out     %al, $0x20
        mov     $0x08, %al
        out     %al, $0x21
        mov     $0x04, %al
        out     %al, $0x21
        mov     $0x01, %al
        out     %al, $0x21
        mov     $0xfe, %al
        out     %al, $0x21
        /* 8254 channel 0, mode 2, divisor 1193 (~1 ms). */
        mov     $0x34, %al
        out     %al, $0x43
        mov     $(1193 & 0xff), %al
        out     %al, $0x40
        mov     $(1193 / 256), %al
        out     %al, $0x40

        PUTS16  msg_hlt
        sti
1:      hlt
        cmpw    $5, TICKS
        jb      1b
        cli
        PUTS16  msg_ticks

        /* Interrupt shadow: wait with IF=0 until IRQ0 is pending (IRR). */
        movw    $0, LAST_IP
2:      mov     $0x0a, %al            /* OCW3: read IRR */
        out     %al, $0x20
        in      $0x20, %al
        test    $1, %al
        jz      2b
        sti
        nop                           /* in the shadow: runs first */
after_shadow:
        cli
        cmpw    $after_shadow, LAST_IP
        jne     bad_shadow
        PUTS16  msg_pass
        mov     $0, %al
        jmp     exit16
bad_shadow:
        PUTS16  msg_bad_shadow
        mov     $0x10, %al
        jmp     exit16

irq0:
        push    %ax
        push    %bp
        mov     %sp, %bp
        mov     4(%bp), %ax           /* the interrupted IP */
        mov     %ax, LAST_IP
        incw    TICKS
        mov     $0x20, %al            /* EOI */
        out     %al, $0x20
        pop     %bp
        pop     %ax
        iret

        LIB16
msg_start:      .asciz "pit_irq: start\n"
msg_hlt:        .asciz "sti; hlt\n"
msg_ticks:      .asciz "5 ticks\n"
msg_pass:       .asciz "sti shadow ok\nPASS\n"
msg_bad_shadow: .asciz "FAIL sti shadow\n"
        RESET_VECTOR
