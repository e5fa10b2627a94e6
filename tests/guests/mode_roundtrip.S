/* mode_roundtrip: real -> 32-bit protected -> long (64-bit) -> compatibility
   -> paging and EFER.LME off (32-bit protected) -> 16-bit protected -> real
   mode again, as firmware and boot loaders do. Each mode leaves a value the
   next one checks; back in real mode, segment arithmetic, the IVT (INT n) and
   a second trip to protected mode must work as after reset. */
        .include "macros.inc"
        .set    PML4, 0x30000
        .set    PDPT, 0x31000
        .set    PD, 0x32000
        .set    MARK64, 0x600         /* written by 64-bit code */
        .set    INTSEEN, 0x610
        .set    TRIPS, 0x614

        .text
        .code16
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x8000, %sp
        movl    $0, TRIPS
        PUTS16  msg_start
        /* IVT vector 0x30 for the real-mode check at the end. */
        movw    $int30, 0x30 * 4
        movw    $0xf000, 0x30 * 4 + 2
        movl    $0, INTSEEN

to_protected:
        lgdtl   %cs:gdtr
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $(ROM + pm32)

        .code32
pm32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x90000, %esp
        PUTS32  msg_pm32
        incl    TRIPS
        cmpl    $2, TRIPS
        je      pass32                /* the second trip ends here */
        /* Identity-map 8 MiB with 2 MiB pages. */
        mov     $PML4, %edi
        xor     %eax, %eax
        mov     $(0x3000 / 4), %ecx
        rep stosl
        movl    $(PDPT + 3), PML4
        movl    $(PD + 3), PDPT
        movl    $0x83, PD
        movl    $0x200083, PD + 8
        movl    $0x400083, PD + 16
        movl    $0x600083, PD + 24
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
        rdmsr
        and     $0x400, %eax          /* LMA */
        CHECK32 %eax, 0x400, 0x01
        ljmp    $0x28, $(ROM + long64)

        .code64
long64:
        movabs  $0x1122334455667788, %rax
        mov     %rax, MARK64
        mov     %rsp, %rax
        shr     $32, %rax             /* RSP's upper half is zero */
        mov     %eax, MARK64 + 8
        /* Back to compatibility mode with a far return. */
        pushq   $0x08
        lea     compat(%rip), %rax
        push    %rax
        lretq

        .code32
compat:
        CHECKMEM32 MARK64, 0x55667788, 0x10
        CHECKMEM32 MARK64 + 4, 0x11223344, 0x11
        CHECKMEM32 MARK64 + 8, 0, 0x12
        PUTS32  msg_long
        /* Paging off leaves long mode (LMA clears); then LME and PAE off. */
        mov     %cr0, %eax
        and     $0x7fffffff, %eax
        mov     %eax, %cr0
        mov     $0xc0000080, %ecx
        rdmsr
        mov     %eax, %ebx
        and     $0x400, %ebx
        CHECK32 %ebx, 0, 0x13
        and     $~0x100, %eax
        wrmsr
        rdmsr
        and     $0x500, %eax
        CHECK32 %eax, 0, 0x14
        mov     %cr4, %eax
        and     $~0x20, %eax
        mov     %eax, %cr4
        PUTS32  msg_legacy
        /* 16-bit protected mode: CS base F0000, data with 64 KiB limits. */
        ljmpl   $0x18, $pm16

        .code16
pm16:
        mov     $0x20, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x8000, %sp
        mov     %cr0, %eax
        and     $~1, %eax
        mov     %eax, %cr0
        ljmp    $0xf000, $real_again

real_again:
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x8000, %sp
        PUTS16  msg_real
        mov     %cr0, %eax
        and     $1, %eax
        mov     $0x20, %al
        jnz     fail16
        /* Segment arithmetic: 1234:0010 is linear 0x12350 = 1235:0000. */
        mov     $0x1234, %ax
        mov     %ax, %es
        movw    $0xbeef, %es:0x10
        mov     $0x1235, %ax
        mov     %ax, %es
        cmpw    $0xbeef, %es:0
        mov     $0x21, %al
        jne     fail16
        /* The IVT: INT 0x30 reaches F000:int30 and returns. */
        int     $0x30
        cmpl    $1, INTSEEN
        mov     $0x22, %al
        jne     fail16
        /* The stack pointer is back where it was. */
        cmp     $0x8000, %sp
        mov     $0x23, %al
        jne     fail16
        jmp     to_protected

int30:
        push    %ds
        push    %ax
        xor     %ax, %ax
        mov     %ax, %ds
        incl    INTSEEN
        pop     %ax
        pop     %ds
        iret

fail16:
        push    %ax
        PUTS16  fail_msg
        pop     %ax
        jmp     exit16

        LIB16
        LIB32
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        GDT_ENTRY ROM, 0xffff, 0x9b, 0x0     /* 0x18 code16, base F0000 */
        GDT_ENTRY 0, 0xffff, 0x93, 0x0       /* 0x20 data16, 64 KiB */
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xa      /* 0x28 code64 */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start:  .asciz "mode_roundtrip: real mode\n"
msg_pm32:   .asciz "protected mode\n"
msg_long:   .asciz "long mode and back to compatibility mode\n"
msg_legacy: .asciz "paging and long mode off\n"
msg_real:   .asciz "real mode again\n"
        LIBDATA
        RESET_VECTOR
