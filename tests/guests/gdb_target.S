/* gdb_target: the guest of the gdbstub test (tests/system/gdb_stub.sh),
   which runs it with gdb attached. It passes only if gdb changed it while it
   was stopped at `checkpoint`: the immediate of add_value's MOV (in RAM, after
   add_value has run three times, so its translation is stale), EDX, and the
   word at POKE. On its own it fails with code 0x10. */
        .include "macros.inc"
        .set    ADD_CODE, 0x8000        /* add_value, copied to RAM */
        .set    COUNTER, 0x7000         /* add_value calls so far */
        .set    POKE, 0x7004            /* gdb writes 0x1234 here */

        .text
        .code16
        ENTER_PM32
        cld
        movl    $0, COUNTER
        movl    $0, POKE
        mov     $(ROM + add_value), %esi
        mov     $ADD_CODE, %edi
        mov     $(add_value_end - add_value), %ecx
        rep movsb
        xor     %ebx, %ebx
        xor     %edx, %edx
        mov     $3, %ecx
first_pass:
        call    ADD_CODE - ROM
        incl    COUNTER
        loop    first_pass
        .globl  checkpoint
checkpoint:
        nop
        call    ADD_CODE - ROM          /* gdb made it add 0x40 */
        CHECK32 %ebx, 0x43, 0x10
        CHECKMEM32 POKE, 0x1234, 0x11
        CHECK32 %edx, 7, 0x12
        .globl  passed
passed:
        jmp     pass32

add_value:
        mov     $1, %eax
        add     %eax, %ebx
        ret
add_value_end:

        LIB32
        FLAT32_GDT
        LIBDATA
        RESET_VECTOR
