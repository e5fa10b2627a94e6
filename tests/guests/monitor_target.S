/* monitor_target: the guest the monitor's debugging commands are compared on
   (tests/system/monitor_debug_test.cpp). It enters long mode with page tables
   of every kind (4 KiB pages read-only, user, no-execute and absent, 2 MiB
   pages, the same memory again in the top half of the address space), loads
   known values into the general, segment, x87 and SSE registers, says "ready"
   on COM1 and halts with interrupts off. An NMI adds 1 to NMI_COUNT and
   returns to the halt (LINT1 is set up for NMIs). Nothing in its state depends on timing, so
   `info registers`, `info mem`, `x` and the rest must read the same under
   vx86 and qemu-system-x86_64. */
        .include "macros.inc"
        .set    PML4, 0x30000
        .set    PDPT, 0x31000
        .set    PD, 0x32000
        .set    PT, 0x33000
        .set    PDPT_HIGH, 0x34000
        .set    IDT64, 0x3000
        .set    TSS64, 0x5000
        .set    NMI_COUNT, 0x1000
        .set    DATA, 0x2000          /* known bytes for `x` */

        .text
        .code16
        ENTER_PM32
        /* Clear the tables. */
        mov     $PML4, %edi
        xor     %eax, %eax
        mov     $(0x5000 / 4), %ecx
        rep stosl
        movl    $(PDPT + 7), PML4                 /* low half, user */
        movl    $(PDPT_HIGH + 3), PML4 + 511 * 8  /* top 512 GiB, supervisor */
        movl    $(PD + 7), PDPT
        movl    $(PD + 3), PDPT_HIGH + 510 * 8    /* 0xffffffff80000000 */
        movl    $(PT + 7), PD                     /* first 2 MiB in 4 KiB pages */
        movl    $0x200083, PD + 8                 /* 2 MiB pages */
        movl    $0x400087, PD + 16                /* user */
        movl    $0x600081, PD + 24                /* read-only */
        movl    $0x800083, PD + 32
        movl    $0x80000000, PD + 36              /* no-execute */
        /* PT: identity 0-2 MiB writable supervisor, with exceptions. */
        xor     %ecx, %ecx
        mov     $3, %eax
1:      mov     %eax, PT(,%ecx,8)
        add     $0x1000, %eax
        inc     %ecx
        cmp     $512, %ecx
        jne     1b
        movl    $0x10007, PT + 0x10 * 8           /* user */
        movl    $0x11007, PT + 0x11 * 8
        movl    $0x12005, PT + 0x12 * 8           /* user, read-only */
        movl    $0x13001, PT + 0x13 * 8           /* read-only */
        movl    $0, PT + 0x14 * 8                 /* absent */
        movl    $0x80000000, PT + 0x15 * 8 + 4    /* no-execute */
        movl    $0x16063, PT + 0x16 * 8           /* accessed and dirty */
        /* TSS, the NMI gate and the data `x` reads. */
        mov     $TSS64, %edi
        xor     %eax, %eax
        mov     $(0x68 / 4), %ecx
        rep stosl
        movl    $0x80000, TSS64 + 4
        mov     $IDT64, %edi
        mov     $(256 * 16 / 4), %ecx
        rep stosl
        movl    $(0x00380000 + nmi_handler), IDT64 + 2 * 16
        movl    $0x000f8e00, IDT64 + 2 * 16 + 4
        movl    $0, NMI_COUNT
        mov     $DATA, %edi
        xor     %eax, %eax
2:      mov     %al, (%edi,%eax)
        inc     %eax
        cmp     $256, %eax
        jne     2b
        /* The local APIC on, LINT1 delivering NMIs (as firmware sets it up),
           so that the monitor's `nmi` reaches the handler. */
        movl    $0x1ff, 0xfee000f0
        movl    $0x400, 0xfee00360
        /* The 8259s as an OS sets them up (vectors 0x30/0x38, all masked but
           the cascade) and two masked IOAPIC entries, for `info pic`. */
        PIC_INIT 0x30, 0x38, 0xfb, 0xff
        movl    $0x18, 0xfec00000     /* pin 4: vector 0x34, level, active-low, logical */
        movl    $0x1a834, 0xfec00010
        movl    $0x19, 0xfec00000
        movl    $0x01000000, 0xfec00010
        movl    $0x22, 0xfec00000     /* pin 9: vector 0x39 as an NMI */
        movl    $0x10439, 0xfec00010
        movl    $0x19, 0xfec00000     /* IOREGSEL left on pin 4's high half */
        /* Long mode with NX, SSE and OSFXSR. */
        mov     %cr4, %eax
        or      $0x620, %eax          /* PAE, OSFXSR, OSXMMEXCPT */
        mov     %eax, %cr4
        mov     $PML4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x900, %eax          /* LME, NXE */
        wrmsr
        mov     %cr0, %eax
        or      $0x80000002, %eax     /* PG, MP */
        and     $~0x4, %eax           /* EM off */
        mov     %eax, %cr0
        ljmp    $0x38, $(ROM + long_entry)

        .code64
long_entry:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x60 | 3, %ax
        mov     %ax, %fs
        xor     %eax, %eax
        mov     %ax, %gs
        mov     $0x90000, %rsp
        lidt    idtr64(%rip)
        mov     $0x48, %ax
        ltr     %ax
        mov     $0xc0000100, %ecx     /* FS.base */
        mov     $0x12345678, %eax
        mov     $0x1abc, %edx
        wrmsr
        /* x87 and SSE. */
        fninit
        fld1
        fldpi
        fldl2e
        lea     xmm_data(%rip), %rsi
        movdqu  (%rsi), %xmm0
        movdqu  16(%rsi), %xmm1
        pshufd  $0x1b, %xmm0, %xmm2
        paddq   %xmm1, %xmm2
        movdqa  %xmm2, %xmm15
        mov     $0x1f00, %eax
        push    %rax
        ldmxcsr (%rsp)                /* rounding down, all masked */
        pop     %rax
        /* AVX where the CPU has it (-cpu max): YMM registers with upper halves. */
        mov     $1, %eax
        cpuid
        bt      $28, %ecx
        jnc     5f
        mov     %cr4, %rax
        or      $0x40000, %rax        /* OSXSAVE */
        mov     %rax, %cr4
        xor     %ecx, %ecx
        xor     %edx, %edx
        mov     $7, %eax              /* XCR0: x87, SSE, AVX */
        xsetbv
        vinsertf128 $1, %xmm1, %ymm0, %ymm0
        vperm2f128 $0x03, %ymm0, %ymm2, %ymm3
        vaddpd  %ymm0, %ymm3, %ymm14
5:
        lea     msg_ready(%rip), %rsi
        mov     $COM1, %dx
3:      lodsb
        test    %al, %al
        jz      4f
        outb    %al, %dx
        jmp     3b
4:      /* Known values in every general register. */
        movabs  $0x1111111111111111, %rax
        movabs  $0x2222222222222222, %rbx
        movabs  $0x3333333333333333, %rcx
        movabs  $0x4444444444444444, %rdx
        movabs  $0x5555555555555555, %rsi
        movabs  $0x6666666666666666, %rdi
        movabs  $0x7777777777777777, %rbp
        movabs  $0x8888888888888888, %r8
        movabs  $0x9999999999999999, %r9
        movabs  $0xaaaaaaaaaaaaaaaa, %r10
        movabs  $0xbbbbbbbbbbbbbbbb, %r11
        movabs  $0xcccccccccccccccc, %r12
        movabs  $0xdddddddddddddddd, %r13
        movabs  $0xeeeeeeeeeeeeeeee, %r14
        movabs  $0xffffffffffffffff, %r15
        cmp     %rax, %rbx            /* flags: a borrow and a sign */
        .globl  halted
halted:
        hlt
        jmp     halted

nmi_handler:
        incl    NMI_COUNT
        iretq

        .p2align 4
xmm_data:
        .quad   0x0123456789abcdef, 0xfedcba9876543210
        .quad   0x1000000000000001, 0x2000000000000002
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        .quad   0, 0, 0, 0                   /* 0x18-0x30 */
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xa      /* 0x38 code64 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x40 data */
        GDT_ENTRY TSS64, 0x67, 0x89, 0x0     /* 0x48 TSS (16 bytes) */
        .quad   0
        .quad   0                            /* 0x58 */
        GDT_ENTRY 0, 0xfffff, 0xf3, 0xc      /* 0x60 data DPL3 */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
idtr64:
        .word   256 * 16 - 1
        .quad   IDT64
msg_ready:  .asciz "ready\n"
        RESET_VECTOR
