/* code_remap: a direct call into another page keeps calling whatever that
   page maps to. The call runs often enough to be chained to its target, then
   the target's PTE is pointed at other code, followed by INVLPG, a CR3
   reload, or a CR3 reload with CR4.PGE set, and the call must reach the new
   code each time. */
        .include "macros.inc"
        .set    PD, 0x10000          /* page directory */
        .set    PT0, 0x11000         /* maps 0-4 MiB with 4 KiB pages */
        .set    CODE_A, 0x30000      /* mov $1, %eax / ret */
        .set    CODE_B, 0x31000      /* mov $2, %eax / ret */
        .set    TARGET, 0x300000     /* the linear page the call goes to */

/* Calls TARGET 20 times through the one call site in call_loop (so a link
   made by one round is still there for the next); each call must return
   `value` in EAX. */
.macro  CALL_LOOP value, code
        mov     $\value, %ebx
        mov     $\code, %edx
        call    call_loop
.endm

/* Points TARGET's PTE at `phys`. */
.macro  MAP_TARGET phys
        movl    $(\phys + 3), PT0 + (TARGET >> 12) * 4
.endm

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        cld
        PUTS32  msg_start
        /* The two snippets, in RAM. */
        mov     $(ROM + snippet_a), %esi
        mov     $CODE_A, %edi
        mov     $(snippet_a_end - snippet_a), %ecx
        rep movsb
        mov     $(ROM + snippet_b), %esi
        mov     $CODE_B, %edi
        mov     $(snippet_b_end - snippet_b), %ecx
        rep movsb
        /* PT0 identity-maps 0-4 MiB; TARGET goes to CODE_A. */
        IDENTITY_PT PT0
        mov     $PD, %edi
        xor     %eax, %eax
        mov     $1024, %ecx
        rep stosl
        movl    $(PT0 + 3), PD
        MAP_TARGET CODE_A
        mov     $PD, %eax
        mov     %eax, %cr3
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0

        PUTS32  msg_invlpg
        CALL_LOOP 1, 0x10
        MAP_TARGET CODE_B
        invlpg  TARGET
        CALL_LOOP 2, 0x11
        MAP_TARGET CODE_A
        invlpg  TARGET
        CALL_LOOP 1, 0x12

        PUTS32  msg_cr3
        MAP_TARGET CODE_B
        mov     %cr3, %eax
        mov     %eax, %cr3
        CALL_LOOP 2, 0x20
        MAP_TARGET CODE_A
        mov     %cr3, %eax
        mov     %eax, %cr3
        CALL_LOOP 1, 0x21

        /* With CR4.PGE a CR3 reload keeps global translations only: the
           (non-global) target must still be re-resolved. */
        PUTS32  msg_pge
        mov     %cr4, %eax
        or      $0x80, %eax
        mov     %eax, %cr4
        CALL_LOOP 1, 0x30
        MAP_TARGET CODE_B
        mov     %cr3, %eax
        mov     %eax, %cr3
        CALL_LOOP 2, 0x31
        MAP_TARGET CODE_A
        mov     %cr3, %eax
        mov     %eax, %cr3
        CALL_LOOP 1, 0x32
        jmp     pass32

/* EBX: the value each call of TARGET must return; EDX: the failure code. */
call_loop:
        mov     $20, %ecx
1:      xor     %eax, %eax
        call    TARGET - ROM
        cmp     %ebx, %eax
        jne     2f
        dec     %ecx
        jnz     1b
        ret
2:      mov     %edx, %eax
        jmp     fail32

/* Snippets, copied to RAM. */
snippet_a:
        mov     $1, %eax
        ret
snippet_a_end:
snippet_b:
        mov     $2, %eax
        ret
snippet_b_end:

        LIB32
        FLAT32_GDT
msg_start:  .asciz "code_remap: start\n"
msg_invlpg: .asciz "invlpg\n"
msg_cr3:    .asciz "cr3\n"
msg_pge:    .asciz "cr3 with pge\n"
        LIBDATA
        RESET_VECTOR
