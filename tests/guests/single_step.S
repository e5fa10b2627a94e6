/* single_step: EFLAGS.TF. After POPF sets TF, every following instruction
   ends in a #DB trap (saved EIP = the next instruction, DR6.BS set), the
   POPF that clears TF included; an INT n while stepping raises no #DB of its
   own, and stepping resumes after its handler's IRET. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    TRAPS, 0x1100         /* count, then the saved EIPs */
        .set    DR6SEEN, 0x1080

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        GATE32  1, db_handler, 0x8e00
        GATE32  0x40, int40, 0x8e00
        lidt    ROM + idtr
        movl    $0, TRAPS
        movl    $0, 0x1090

        pushf
        orl     $0x100, (%esp)
        popf                          /* TF was clear here: no trap */
s1:     nop
s2:     mov     $1, %eax
s3:     int     $0x40                 /* no #DB for the INT itself */
s4:     pushf
s5:     andl    $~0x100, (%esp)
s6:     popf                          /* TF set at its start: trap */
s7:     nop                           /* not stepped */
        nop
        CHECKMEM32 TRAPS, 5, 0x10
        CHECKMEM32 (TRAPS+4), ROM+s2, 0x11
        CHECKMEM32 (TRAPS+8), ROM+s3, 0x12
        CHECKMEM32 (TRAPS+12), ROM+s5, 0x13
        CHECKMEM32 (TRAPS+16), ROM+s6, 0x14
        CHECKMEM32 (TRAPS+20), ROM+s7, 0x15
        /* The INT 0x40 handler ran once, not stepped (TF cleared). */
        CHECKMEM32 0x1090, 1, 0x16
        mov     DR6SEEN, %eax
        and     $0x4000, %eax
        CHECK32 %eax, 0x4000, 0x17
        pushf
        pop     %eax
        and     $0x100, %eax
        CHECK32 %eax, 0, 0x18
        jmp     pass32

db_handler:
        push    %eax
        push    %ecx
        mov     TRAPS, %ecx
        inc     %ecx
        mov     %ecx, TRAPS
        mov     8(%esp), %eax
        mov     %eax, TRAPS(,%ecx,4)
        mov     %dr6, %eax
        mov     %eax, DR6SEEN
        pop     %ecx
        pop     %eax
        iret

int40:
        incl    0x1090
        iret

        EXC_LIB32
        LIB32
        EXC_TABLE
        FLAT32_TABLES
msg_start: .asciz "single_step: start\n"
        LIBDATA
        RESET_VECTOR
