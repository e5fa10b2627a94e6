/* pm32: real mode -> 32-bit protected mode (GDT, far jump), flat segments,
   a segment with a non-zero base, memory above 1 MiB, then back to real
   mode through a 16-bit protected-mode segment. */
        .include "macros.inc"
        .text
        .code16
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ss
        mov     $0x7000, %sp
        PUTS16  msg_start
        lgdtl   %cs:gdtr
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
        PUTS32  msg_pm
        /* CS is our 32-bit code selector, CR0.PE is set. */
        mov     %cs, %eax
        CHECK32 %eax, 0x08, 0x01
        mov     %cr0, %eax
        and     $1, %eax
        CHECK32 %eax, 1, 0x02
        /* Flat memory above 1 MiB. */
        movl    $0x12345678, 0x200000
        movl    $0xcafef00d, 0x200004
        CHECKMEM32 0x200000, 0x12345678, 0x03
        CHECKMEM32 0x200004, 0xcafef00d, 0x04
        /* FS: base 0x3000. */
        mov     $0x48, %ax
        mov     %ax, %fs
        movl    $0xa5a5a5a5, %fs:0x10
        CHECKMEM32 0x3010, 0xa5a5a5a5, 0x05
        movl    $0x5a5a5a5a, 0x3014
        movl    %fs:0x14, %eax
        CHECK32 %eax, 0x5a5a5a5a, 0x06
        /* The ROM reads through the flat data segment. */
        movl    ROM + magic, %eax
        CHECK32 %eax, 0x600dc0de, 0x07
        /* A near call/ret and a stack frame. */
        push    $0x11111111
        call    add_one
        pop     %eax
        CHECK32 %eax, 0x11111112, 0x08
        CHECK32 %esp, 0x90000, 0x09
        /* Segment registers hold the expected selectors. */
        mov     %ss, %eax
        CHECK32 %eax, 0x10, 0x0a
        /* Back to real mode: first to a 16-bit segment. */
        PUTS32  msg_leave
        ljmp    $0x18, $pm16

add_one:
        incl    4(%esp)
        ret

        .code16
pm16:
        mov     $0x20, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        mov     %cr0, %eax
        and     $0xfffffffe, %eax
        mov     %eax, %cr0
        ljmp    $0xf000, $real_again
real_again:
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7000, %sp
        /* Real-mode addressing works again: 0x3010 = 0x0300:0x0010. */
        mov     $0x0300, %ax
        mov     %ax, %es
        cmpl    $0xa5a5a5a5, %es:0x10
        jne     bad_real
        mov     %cr0, %eax
        test    $1, %al
        jnz     bad_real
        PUTS16  msg_pass
        mov     $0, %al
        jmp     exit16
bad_real:
        PUTS16  msg_bad_real
        mov     $0x20, %al
        jmp     exit16

        LIB16
        LIB32

        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        GDT_ENTRY ROM, 0xffff, 0x9b, 0x0     /* 0x18 code16 at F0000 */
        GDT_ENTRY 0, 0xffff, 0x93, 0x0       /* 0x20 data16 */
        .quad   0, 0                         /* 0x28, 0x30 */
        .quad   0, 0                         /* 0x38, 0x40 */
        GDT_ENTRY 0x3000, 0xfffff, 0x93, 0xc /* 0x48 data32 based at 0x3000 */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
magic:
        .long   0x600dc0de
msg_start:
        .asciz  "pm32: real mode\n"
msg_pm:
        .asciz  "pm32: protected mode\n"
msg_leave:
        .asciz  "pm32: leaving\n"
msg_pass:
        .asciz  "pm32: back in real mode\nPASS\n"
msg_bad_real:
        .asciz  "FAIL real mode\n"
        LIBDATA
        RESET_VECTOR
