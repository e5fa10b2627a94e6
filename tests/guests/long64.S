/* long64: real -> protected -> long mode (PAE, 4-level tables, EFER.LME,
   paging, far jump to 64-bit code); 64-bit registers and RIP-relative
   addressing; a 64-bit IDT with #UD on an IST stack and #GP(0) from a
   non-canonical address; ring 3 through IRETQ, SYSCALL/SYSRET and INT n on
   a DPL 3 gate with RSP0 from the TSS; then back to compatibility mode. */
        .include "macros.inc"
        .set    PML4, 0x30000
        .set    PDPT, 0x31000
        .set    PD, 0x32000
        .set    IDT64, 0x3000
        .set    TSS64, 0x5000
        .set    RSP0, 0x80000
        .set    IST1, 0x70000
        .set    RIPSEEN, 0x1008
        .set    RSPSEEN, 0x1018
        .set    ERR64, 0x1030
        .set    SEEN_RCX, 0x1040
        .set    SEEN_CS, 0x1048
        .set    SEEN_SS, 0x1050
        .set    SEEN_DF, 0x1058
        .set    SEEN_RSP, 0x1060
        .set    USTACK, 0x88000

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        /* Tables: PML4[0] -> PDPT[0] -> PD with 4 x 2 MiB identity pages. */
        mov     $PML4, %edi
        xor     %eax, %eax
        mov     $(0x3000 / 4), %ecx
        rep stosl
        movl    $(PDPT + 7), PML4     /* user pages everywhere */
        movl    $(PD + 7), PDPT
        movl    $0x87, PD
        movl    $0x200087, PD + 8
        movl    $0x400087, PD + 16
        movl    $0x600087, PD + 24
        /* TSS: RSP0 and IST1. */
        mov     $TSS64, %edi
        mov     $(0x68 / 4), %ecx
        rep stosl
        movl    $RSP0, TSS64 + 4
        movl    $IST1, TSS64 + 36
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
        /* Compatibility mode now: LMA is set. */
        rdmsr
        and     $0x400, %eax
        CHECK32 %eax, 0x400, 0x01
        ljmp    $0x38, $(ROM + long_entry)

        .code64
long_entry:
        lea     msg_long(%rip), %rsi
        call    puts64
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x90000, %rsp
        /* 64-bit registers. */
        movabs  $0x123456789abcdef0, %rax
        mov     %rax, %r9
        push    %r9
        pop     %r15
        movabs  $0x123456789abcdef0, %rdx
        cmp     %rdx, %r15
        mov     $0x10, %bl
        jne     fail64
        add     %rax, %r15            /* 0x2468acf13579bde0 */
        movabs  $0x2468acf13579bde0, %rdx
        cmp     %rdx, %r15
        mov     $0x11, %bl
        jne     fail64
        /* 32-bit writes zero the upper half. */
        mov     $-1, %r8
        mov     $5, %r8d
        cmp     $5, %r8
        mov     $0x12, %bl
        jne     fail64
        /* RIP-relative data. */
        mov     magic(%rip), %eax
        cmp     $0x600dc0de, %eax
        mov     $0x13, %bl
        jne     fail64

        /* IDT: #UD on IST1, #GP on the current stack. */
        lea     ud_handler(%rip), %rax
        mov     $6, %ecx
        mov     $1, %edx
        call    set_gate
        lea     gp_handler(%rip), %rax
        mov     $13, %ecx
        xor     %edx, %edx
        call    set_gate
        lidt    idtr64(%rip)
        mov     $0x48, %ax
        ltr     %ax
        lea     msg_idt(%rip), %rsi
        call    puts64

        movq    $0, VEC
ud_insn:
        ud2
        cmpq    $6, VEC
        mov     $0x20, %bl
        jne     fail64
        lea     ud_insn(%rip), %rax
        cmp     %rax, RIPSEEN
        mov     $0x21, %bl
        jne     fail64
        /* The frame was pushed on IST1 (16-byte aligned, 5 quadwords). */
        cmpq    $(IST1 - 40), RSPSEEN
        mov     $0x22, %bl
        jne     fail64
        cmp     $0x90000, %rsp
        mov     $0x23, %bl
        jne     fail64

        movq    $0, VEC
        movabs  $0x8000000000000000, %rcx
gp_insn:
        mov     (%rcx), %rax          /* non-canonical: #GP(0) */
        cmpq    $13, VEC
        mov     $0x30, %bl
        jne     fail64
        cmpq    $0, ERR64
        mov     $0x31, %bl
        jne     fail64
        lea     gp_insn(%rip), %rax
        cmp     %rax, RIPSEEN
        mov     $0x32, %bl
        jne     fail64
        cmpq    $(0x90000 - 48), RSPSEEN
        mov     $0x33, %bl
        jne     fail64

        lea     msg_exc(%rip), %rsi
        call    puts64

        /* SYSCALL: CS 0x38 / SS 0x40; SYSRET: CS 0x6b / SS 0x63. FMASK
           clears DF. */
        mov     $0xc0000080, %ecx
        rdmsr
        or      $1, %eax              /* SCE */
        wrmsr
        mov     $0xc0000081, %ecx     /* STAR */
        xor     %eax, %eax
        mov     $0x00580038, %edx
        wrmsr
        mov     $0xc0000082, %ecx     /* LSTAR */
        lea     syscall_entry(%rip), %rax
        xor     %edx, %edx
        wrmsr
        mov     $0xc0000084, %ecx     /* FMASK */
        mov     $0x400, %eax
        wrmsr
        /* INT 0x81 and 0x82: DPL 3 interrupt gates. */
        lea     int81_handler(%rip), %rax
        mov     $0x81, %ecx
        xor     %edx, %edx
        call    set_gate
        movb    $0xee, IDT64 + 0x81 * 16 + 5
        lea     int82_handler(%rip), %rax
        mov     $0x82, %ecx
        xor     %edx, %edx
        call    set_gate
        movb    $0xee, IDT64 + 0x82 * 16 + 5
        /* IRETQ to ring 3 (IOPL 3 so that it can use COM1). */
        pushq   $0x63
        pushq   $USTACK
        pushq   $0x3002
        pushq   $0x6b
        lea     user64(%rip), %rax
        push    %rax
        iretq

user64:
        mov     %cs, %eax
        cmp     $0x6b, %eax
        mov     $0x50, %bl
        jne     fail64
        mov     %ss, %eax
        cmp     $0x63, %eax
        mov     $0x51, %bl
        jne     fail64
        lea     msg_ring3(%rip), %rsi
        call    puts64
        std
        mov     $0x1234, %rdi
syscall_insn:
        syscall
        /* Back from SYSRET: RFLAGS (with DF) restored from R11. */
        pushf
        pop     %rax
        cld
        and     $0x400, %eax
        cmp     $0x400, %eax
        mov     $0x52, %bl
        jne     fail64
        mov     %cs, %eax
        cmp     $0x6b, %eax
        mov     $0x53, %bl
        jne     fail64
        mov     %ss, %eax
        cmp     $0x63, %eax
        mov     $0x54, %bl
        jne     fail64
        cmp     $USTACK, %rsp
        mov     $0x55, %bl
        jne     fail64
        lea     syscall_insn + 2(%rip), %rax
        cmp     %rax, SEEN_RCX
        mov     $0x56, %bl
        jne     fail64
        cmpq    $0x38, SEEN_CS
        mov     $0x57, %bl
        jne     fail64
        cmpq    $0x40, SEEN_SS
        mov     $0x58, %bl
        jne     fail64
        cmpq    $0, SEEN_DF
        mov     $0x59, %bl
        jne     fail64
        lea     msg_syscall(%rip), %rsi
        call    puts64
        /* INT n on a DPL 3 gate: the frame goes on RSP0. */
        int     $0x81
int81_ret:
        cmpq    $(RSP0 - 40), SEEN_RSP
        mov     $0x60, %bl
        jne     fail64
        cmpq    $0x6b, SEEN_CS
        mov     $0x61, %bl
        jne     fail64
        lea     int81_ret(%rip), %rax
        cmp     %rax, RIPSEEN
        mov     $0x62, %bl
        jne     fail64
        cmp     $USTACK, %rsp
        mov     $0x63, %bl
        jne     fail64
        lea     msg_int(%rip), %rsi
        call    puts64
        int     $0x82

syscall_entry:
        mov     %rcx, SEEN_RCX
        mov     %cs, %eax
        mov     %rax, SEEN_CS
        mov     %ss, %eax
        mov     %rax, SEEN_SS
        pushf
        pop     %rax
        and     $0x400, %eax
        mov     %rax, SEEN_DF
        cmp     $0x1234, %rdi
        mov     $0x5a, %bl
        jne     fail64
        sysretq

int81_handler:
        mov     %rsp, SEEN_RSP
        push    %rax
        mov     8(%rsp), %rax
        mov     %rax, RIPSEEN
        mov     16(%rsp), %rax
        mov     %rax, SEEN_CS
        pop     %rax
        iretq

int82_handler:
        /* Ring 0 again: drop the frame and continue. */
        mov     $0x90000, %rsp
        mov     %cs, %eax
        cmp     $0x38, %eax
        mov     $0x64, %bl
        jne     fail64

        /* Back to 32-bit compatibility mode with a far return. */
        pushq   $0x08
        lea     compat(%rip), %rax
        push    %rax
        lretq

/* set_gate: RAX = handler, ECX = vector, EDX = IST. */
set_gate:
        shl     $4, %ecx
        mov     %ax, IDT64(%rcx)
        movw    $0x38, IDT64 + 2(%rcx)
        mov     %dl, IDT64 + 4(%rcx)
        movb    $0x8e, IDT64 + 5(%rcx)
        mov     %rax, %rdx
        mov     $0, %dx
        ror     $16, %rdx
        mov     %dx, IDT64 + 6(%rcx)
        movl    $0, IDT64 + 8(%rcx)
        movl    $0, IDT64 + 12(%rcx)
        ret

ud_handler:
        movq    $6, VEC
        mov     %rsp, RSPSEEN
        push    %rax
        mov     8(%rsp), %rax
        mov     %rax, RIPSEEN
        addq    $2, 8(%rsp)           /* skip ud2 */
        pop     %rax
        iretq

gp_handler:
        movq    $13, VEC
        mov     %rsp, RSPSEEN
        push    %rax
        mov     8(%rsp), %rax
        mov     %rax, ERR64
        mov     16(%rsp), %rax
        mov     %rax, RIPSEEN
        addq    $3, 16(%rsp)          /* skip mov (%rcx), %rax */
        pop     %rax
        add     $8, %rsp              /* the error code */
        iretq

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

        .code32
compat:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x90000, %esp
        PUTS32  msg_compat
        mov     %cs, %eax
        CHECK32 %eax, 0x08, 0x40
        mov     $0xc0000080, %ecx
        rdmsr
        and     $0x400, %eax
        CHECK32 %eax, 0x400, 0x41
        jmp     pass32

        LIB32
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        .quad   0, 0, 0, 0                   /* 0x18-0x30 */
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xa      /* 0x38 code64 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x40 data (SYSCALL SS) */
        GDT_ENTRY TSS64, 0x67, 0x89, 0x0     /* 0x48 TSS (16 bytes) */
        .quad   0
        .quad   0                            /* 0x58 SYSRET base (32-bit CS) */
        GDT_ENTRY 0, 0xfffff, 0xf3, 0xc      /* 0x60 data DPL3 */
        GDT_ENTRY 0, 0xfffff, 0xfb, 0xa      /* 0x68 code64 DPL3 */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
idtr64:
        .word   256 * 16 - 1
        .quad   IDT64
magic:
        .long   0x600dc0de
msg_start:  .asciz "long64: start\n"
msg_long:   .asciz "64-bit mode\n"
msg_idt:    .asciz "IDT loaded\n"
msg_compat: .asciz "compatibility mode\n"
msg_exc:    .asciz "#UD on IST, #GP\n"
msg_ring3:  .asciz "ring 3\n"
msg_syscall: .asciz "syscall/sysret\n"
msg_int:    .asciz "int on a DPL 3 gate\n"
msg_fail:   .asciz "FAIL\n"
        LIBDATA
        RESET_VECTOR
