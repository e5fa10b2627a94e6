/* smc: self-modifying code. A store into the next instruction of the same
   block, a store into a block that already ran, and an instruction that
   crosses a page boundary whose second page is rewritten. Code runs from
   RAM copies of the snippets below. */
        .include "macros.inc"
        .set    CODE1, 0x8000
        .set    CODE2, 0x8800
        .set    CODE3, 0x9ffd         /* the MOV crosses into 0xa000 */

/* Copies the snippet [from, to) of the image to RAM at `dest`. */
.macro  COPY from, to, dest
        mov     $(ROM + \from), %esi
        mov     $\dest, %edi
        mov     $(\to - \from), %ecx
        rep movsb
.endm

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        cld
        PUTS32  msg_start
        COPY    snippet1, snippet1_end, CODE1
        COPY    snippet2, snippet2_end, CODE2
        COPY    snippet3, snippet3_end, CODE3

        PUTS32  msg_same
        /* The snippet patches its own next instruction with BL. */
        mov     $0x42, %bl
        call    CODE1 - ROM
        CHECK32 %eax, 0x42, 0x10
        mov     $0x43, %bl
        call    CODE1 - ROM
        CHECK32 %eax, 0x43, 0x11
        mov     $0x44, %bl
        call    CODE1 - ROM
        CHECK32 %eax, 0x44, 0x12

        PUTS32  msg_other
        /* Run, then rewrite the immediate of the block that ran. */
        xor     %ebx, %ebx
1:      call    CODE2 - ROM
        cmp     %ebx, %eax
        je      2f
        mov     $0x20, %eax
        jmp     fail32
2:
        inc     %ebx
        mov     %ebx, CODE2 + 1
        cmp     $10, %ebx
        jne     1b

        PUTS32  msg_cross
        call    CODE3 - ROM
        CHECK32 %eax, 0x12345678, 0x30
        /* Rewrite the bytes on the second page only. */
        movw    $0xabcd, CODE3 + 3
        call    CODE3 - ROM
        CHECK32 %eax, 0xabcd5678, 0x31
        /* ... and on the first page only. */
        movb    $0x99, CODE3 + 1
        call    CODE3 - ROM
        CHECK32 %eax, 0xabcd5699, 0x32
        jmp     pass32

/* Snippets, copied to RAM. */
snippet1:
        movb    %bl, CODE1 + (2f - snippet1) + 1
2:      mov     $0, %eax
        ret
snippet1_end:
snippet2:
        mov     $0, %eax
        ret
snippet2_end:
snippet3:
        mov     $0x12345678, %eax
        ret
snippet3_end:

        LIB32
        FLAT32_GDT
msg_start: .asciz "smc: start\n"
msg_same:  .asciz "same block\n"
msg_other: .asciz "executed block\n"
msg_cross: .asciz "cross-page instruction\n"
        LIBDATA
        RESET_VECTOR
