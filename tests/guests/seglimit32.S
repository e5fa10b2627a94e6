/* seglimit32: segment limit and type checks on data accesses in 32-bit
   protected mode. Expand-up limits (byte and page granular), expand-down
   limits (B=1 and B=0), #SS(0) for SS-relative accesses (explicit SS:, ESP
   and EBP bases, POP), #GP(0) for a null selector, a write to read-only data,
   a write through CS, a read of execute-only code, far-pointer loads that
   cross the limit, and a block that runs first with a flat and then with a
   limited segment (translations keyed on the segment's flatness). DS stays
   flat throughout: the exception handler records through it. */
        .include "macros.inc"
        .set    NVEC, 0x42

        .set    SEL_CODE, 0x08
        .set    SEL_FLAT, 0x10
        .set    SEL_LIM_BYTE, 0x18      /* limit 0xfff, byte granular */
        .set    SEL_LIM_PAGE, 0x20      /* limit 0 pages = 0xfff */
        .set    SEL_READONLY, 0x28
        .set    SEL_CODE_READ, 0x30     /* readable code */
        .set    SEL_CODE_XONLY, 0x38    /* execute-only code */
        .set    SEL_DOWN_BIG, 0x40      /* expand-down, B=1, limit 0xfff */
        .set    SEL_DOWN_SMALL, 0x48    /* expand-down, B=0, limit 0xfff */
        .set    SEL_STACK_LIM, 0x50     /* limit 0x9ffff */
        .set    SEL_STACK_DOWN, 0x58    /* expand-down, B=1, limit 0x7ffff */
        .set    SEL_DATA16, 0x60        /* limit 0xffff */

        .text
        .code16
start:
        cli
        lgdtl   %cs:gdtr
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $SEL_CODE, $(ROM + pm_entry)

        .code32
pm_entry:
        mov     $SEL_FLAT, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        mov     $0x90000, %esp
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        lidt    ROM + idtr
        movl    $0, COUNT

        PUTS32  msg_expand_up
        mov     $SEL_LIM_BYTE, %ax
        mov     %ax, %es
        movl    $0xffffffff, VEC
        mov     %es:0xffc, %eax          /* last dword inside */
        movb    %es:0xfff, %al           /* last byte */
        movb    %al, %es:0xfff
        CHECKMEM32 VEC, 0xffffffff, 0x10
        FAULT_TEST 13, 0, 0, 0x11, mov %es:0xffd, %eax
        FAULT_TEST 13, 0, 0, 0x14, movb %es:0x1000, %al
        FAULT_TEST 13, 0, 0, 0x17, movw %ax, %es:0xfff
        mov     $SEL_LIM_PAGE, %ax
        mov     %ax, %fs
        movl    $0xffffffff, VEC
        mov     %fs:0xffc, %eax
        CHECKMEM32 VEC, 0xffffffff, 0x1a
        FAULT_TEST 13, 0, 0, 0x1b, mov %fs:0xffe, %eax
        /* A string store into the limited ES: the fault stops STOS at the
           element that crosses the limit, with EDI pointing at it. */
        mov     $SEL_LIM_BYTE, %ax
        mov     %ax, %es
        mov     $0xffe, %edi
        mov     $4, %ecx
        cld
        FAULT_TEST 13, 0, 0, 0x1e, rep stosb
        CHECK32 %edi, 0x1000, 0x21
        CHECK32 %ecx, 2, 0x22

        PUTS32  msg_retranslate
        /* The same code, first with a flat ES and then a limited one. */
        mov     $SEL_FLAT, %ax
        mov     %ax, %es
        movl    $0xffffffff, VEC
        call    read_es_high
        call    read_es_high
        CHECKMEM32 VEC, 0xffffffff, 0x23
        mov     $SEL_LIM_BYTE, %ax
        mov     %ax, %es
        movl    $(ROM + 1f), RESUME
        call    read_es_high
        /* read_es_high faulted: the handler resumes here, its return
           address still on the stack. */
1:      add     $4, %esp
        CHECKMEM32 VEC, 13, 0x24
        CHECKMEM32 ERR, 0, 0x25
        CHECK32 %esp, 0x90000, 0x26

        PUTS32  msg_null
        xor     %eax, %eax
        mov     %ax, %es
        FAULT_TEST 13, 0, 0, 0x28, mov %es:0, %eax
        FAULT_TEST 13, 0, 0, 0x2b, movl $1, %es:0x10
        xor     %edi, %edi
        FAULT_TEST 13, 0, 0, 0x2e, stosb
        mov     $SEL_FLAT, %ax
        mov     %ax, %es

        PUTS32  msg_types
        mov     $SEL_READONLY, %ax
        mov     %ax, %fs
        movl    $0xffffffff, VEC
        mov     %fs:0x100, %eax
        CHECKMEM32 VEC, 0xffffffff, 0x30
        FAULT_TEST 13, 0, 0, 0x31, mov %eax, %fs:0x100
        FAULT_TEST 13, 0, 0, 0x34, incl %fs:0x100
        /* Readable code through GS: reads work, writes fault. */
        mov     $SEL_CODE_READ, %ax
        mov     %ax, %gs
        movl    $0xffffffff, VEC
        mov     %gs:(ROM + gdt), %eax
        CHECKMEM32 VEC, 0xffffffff, 0x37
        FAULT_TEST 13, 0, 0, 0x38, mov %eax, %gs:0x100
        /* A write through CS always faults. */
        FAULT_TEST 13, 0, 0, 0x3b, mov %eax, %cs:0x100
        mov     $SEL_FLAT, %ax
        mov     %ax, %fs
        mov     %ax, %gs
        /* Execute-only code: run from it, then read through CS. */
        ljmp    $SEL_CODE_XONLY, $(ROM + xonly)
xonly:
        FAULT_TEST 13, 0, 0, 0x3e, mov %cs:0x100, %eax
        ljmp    $SEL_CODE, $(ROM + back_from_xonly)
back_from_xonly:

        PUTS32  msg_expand_down
        mov     $SEL_DOWN_BIG, %ax
        mov     %ax, %es
        movl    $0xffffffff, VEC
        mov     %es:0x1000, %eax         /* first valid offset */
        mov     %es:0x80000, %eax
        CHECKMEM32 VEC, 0xffffffff, 0x40
        FAULT_TEST 13, 0, 0, 0x41, mov %es:0xffc, %eax
        FAULT_TEST 13, 0, 0, 0x44, mov %es:0xffe, %eax
        FAULT_TEST 13, 0, 0, 0x47, movb %es:0, %al
        mov     $SEL_DOWN_SMALL, %ax
        mov     %ax, %es
        movl    $0xffffffff, VEC
        mov     %es:0xfffc, %eax         /* last dword below 64 KiB */
        CHECKMEM32 VEC, 0xffffffff, 0x4a
        FAULT_TEST 13, 0, 0, 0x4b, mov %es:0xfffd, %eax
        FAULT_TEST 13, 0, 0, 0x4e, movb %es:0x10000, %al
        FAULT_TEST 13, 0, 0, 0x51, movb %es:0xfff, %al
        mov     $SEL_FLAT, %ax
        mov     %ax, %es

        PUTS32  msg_stack
        mov     $SEL_STACK_LIM, %ax
        mov     %ax, %ss                 /* same base: ESP stays valid */
        movl    $0xffffffff, VEC
        mov     %ss:0x9fffc, %eax
        push    %eax
        pop     %eax
        CHECKMEM32 VEC, 0xffffffff, 0x54
        FAULT_TEST 12, 0, 0, 0x55, mov %ss:0x9fffd, %eax
        FAULT_TEST 12, 0, 0, 0x58, mov 0x10000(%esp), %eax
        mov     $0xa0000, %ebp
        FAULT_TEST 12, 0, 0, 0x5b, mov (%ebp), %eax
        /* DS-relative through EBP with an override: #GP, not #SS. */
        mov     $SEL_LIM_BYTE, %ax
        mov     %ax, %es
        FAULT_TEST 13, 0, 0, 0x5e, mov %es:(%ebp), %eax
        mov     $SEL_FLAT, %ax
        mov     %ax, %es
        /* POP across the limit faults and leaves ESP alone. */
        mov     %esp, %esi
        mov     $0x9fffe, %esp
        FAULT_TEST 12, 0, 0, 0x61, pop %eax
        CHECK32 %esp, 0x9fffe, 0x64
        mov     %esi, %esp
        /* An expand-down stack segment. */
        mov     $SEL_STACK_DOWN, %ax
        mov     %ax, %ss
        movl    $0xffffffff, VEC
        mov     %ss:0x80000, %eax
        push    %eax
        pop     %eax
        CHECKMEM32 VEC, 0xffffffff, 0x65
        FAULT_TEST 12, 0, 0, 0x66, mov %ss:0x7fffc, %eax
        mov     $SEL_FLAT, %ax
        mov     %ax, %ss
        CHECK32 %esp, 0x90000, 0x69

        PUTS32  msg_far
        /* LES reads 6 bytes: offset 0xffc..0x1001 crosses the limit. */
        mov     $SEL_LIM_BYTE, %ax
        mov     %ax, %fs
        mov     $0x1234, %ebx
        FAULT_TEST 13, 0, 0, 0x6a, les %fs:0xffc, %ebx
        CHECK32 %ebx, 0x1234, 0x6d
        /* 16-bit addressing: a word at 0xffff crosses a 64 KiB limit. */
        mov     $SEL_DATA16, %ax
        mov     %ax, %fs
        mov     $0xffff, %bx
        FAULT_TEST 13, 0, 0, 0x6e, addr16 mov %fs:(%bx), %ax
        mov     $0xfffe, %bx
        movl    $0xffffffff, VEC
        addr16 mov %fs:(%bx), %ax
        CHECKMEM32 VEC, 0xffffffff, 0x71
        mov     $SEL_FLAT, %ax
        mov     %ax, %fs
        jmp     pass32

read_es_high:
        mov     %es:0x1ffe, %eax
        ret

        EXC_LIB32
        LIB32
        .p2align 2
        EXC_TABLE
idtr:
        .word   NVEC * 8 - 1
        .long   IDT
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 flat */
        GDT_ENTRY 0, 0xfff, 0x93, 0x4        /* 0x18 limit 0xfff bytes */
        GDT_ENTRY 0, 0, 0x93, 0xc            /* 0x20 limit 0 pages */
        GDT_ENTRY 0, 0xfffff, 0x91, 0xc      /* 0x28 read-only data */
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x30 readable code */
        GDT_ENTRY 0, 0xfffff, 0x99, 0xc      /* 0x38 execute-only code */
        GDT_ENTRY 0, 0xfff, 0x97, 0x4        /* 0x40 expand-down, B=1 */
        GDT_ENTRY 0, 0xfff, 0x97, 0x0        /* 0x48 expand-down, B=0 */
        GDT_ENTRY 0, 0x9ffff, 0x93, 0x4      /* 0x50 limit 0x9ffff */
        GDT_ENTRY 0, 0x7ffff, 0x97, 0x4      /* 0x58 expand-down stack */
        GDT_ENTRY 0, 0xffff, 0x93, 0x0       /* 0x60 data16 */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start:       .asciz "seglimit32: start\n"
msg_expand_up:   .asciz "expand-up limits\n"
msg_retranslate: .asciz "flat then limited\n"
msg_null:        .asciz "null selector\n"
msg_types:       .asciz "types\n"
msg_expand_down: .asciz "expand-down limits\n"
msg_stack:       .asciz "stack segment\n"
msg_far:         .asciz "far pointers, 16-bit addressing\n"
        LIBDATA
        RESET_VECTOR
