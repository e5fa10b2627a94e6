/* a20: the A20 gate in real mode. With A20 off, FFFF:0510 (linear 0x100500)
   wraps to 0000:0500; with it on, it is memory above 1 MiB. The gate is
   driven by the i8042 output port (command D1) and by port 0x92 bit 1, and
   is on when either enables it. */
        .include "macros.inc"

/* Fails with `code` unless FFFF:0510 aliases 0000:0500 (alias = 1) or not. */
.macro  EXPECT_ALIAS alias, code
        movw    $0x1111, (0x500)
        movw    $0x2222, %es:(0x510)
        .if \alias
        cmpw    $0x2222, (0x500)
        .else
        cmpw    $0x1111, (0x500)
        .endif
        mov     $\code, %al
        jne     fail
.endm

.macro  KBC_OUTPUT value
        mov     $0xd1, %al
        out     %al, $0x64
        mov     $\value, %al
        out     %al, $0x60
.endm

        .text
        .code16
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7000, %sp
        mov     $0xffff, %ax
        mov     %ax, %es
        PUTS16  msg_start
        /* At reset the i8042 enables A20. */
        EXPECT_ALIAS 0, 0x10
        in      $0x92, %al
        test    $2, %al
        mov     $0x11, %al
        jnz     fail
        PUTS16  msg_kbc
        KBC_OUTPUT 0xdd               /* A20 off */
        EXPECT_ALIAS 1, 0x20
        PUTS16  msg_port92
        in      $0x92, %al
        or      $2, %al
        out     %al, $0x92            /* on through port 0x92 */
        EXPECT_ALIAS 0, 0x30
        in      $0x92, %al
        test    $2, %al
        mov     $0x31, %al
        jz      fail
        in      $0x92, %al
        and     $~2, %al
        out     %al, $0x92            /* off again */
        EXPECT_ALIAS 1, 0x32
        KBC_OUTPUT 0xdf               /* on through the i8042 */
        EXPECT_ALIAS 0, 0x40
        /* Code runs from the wrapped address too: call FFFF:0x10 + x with
           A20 off lands in the low copy. */
        movb    $0xcb, (0x600)        /* retf at 0000:0600 */
        movb    $0xf4, %es:(0x610)    /* hlt at 1 MiB + 0x600: must not run */
        KBC_OUTPUT 0xdd
        lcall   $0xffff, $0x610
        KBC_OUTPUT 0xdf
        PUTS16  msg_pass
        mov     $0, %al
        jmp     exit16
fail:
        push    %ax
        PUTS16  msg_fail
        pop     %ax
        jmp     exit16

        LIB16
msg_start:  .asciz "a20: start\n"
msg_kbc:    .asciz "i8042 output port\n"
msg_port92: .asciz "port 0x92\n"
msg_pass:   .asciz "PASS\n"
msg_fail:   .asciz "FAIL\n"
        RESET_VECTOR
