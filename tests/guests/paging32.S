/* paging32: 32-bit paging with 4 KiB and 4 MiB pages, then PAE with 2 MiB
   pages and NX. Checks #PF CR2 and error codes (not present, write to
   read-only with CR0.WP on and off, user access to a supervisor page from
   ring 3, instruction fetch from an NX page), accessed/dirty bits and INVLPG. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    PD, 0x10000          /* non-PAE page directory */
        .set    PT0, 0x11000         /* maps 0-4 MiB with 4 KiB pages */
        .set    PDPT, 0x20000
        .set    PAE_PD, 0x21000
        .set    PAE_PT0, 0x22000
        .set    TSS, 0x5000
        .set    USER_STACK, 0x88000


        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        /* Vector 0x30: DPL 3 gate back to ring 0 (see user_done). */
        movl    $(0x00080000 + user_done), IDT + 0x30 * 8
        movl    $(0x000f0000 + 0xee00), IDT + 0x30 * 8 + 4
        lidt    ROM + idtr
        /* TSS: ring-0 stack for interrupts from ring 3. */
        movl    $0x90000, TSS + 4
        movl    $0x10, TSS + 8
        mov     $0x38, %ax
        ltr     %ax

        /* Page tables: PT0 identity-maps 0-4 MiB (supervisor, writable);
           PD[1] is a 4 MiB page at 4 MiB, PD[2] a 4 MiB alias of it. */
        IDENTITY_PT PT0
        mov     $PD, %edi
        xor     %eax, %eax
        mov     $1024, %ecx
        rep stosl
        movl    $(PT0 + 7), PD
        movl    $(0x400000 + 0x83), PD + 4
        movl    $(0x400000 + 0x83), PD + 8
        /* User pages: the ROM (code) and the user stack. */
        mov     $0xf0, %ecx
2:      orl     $4, PT0(,%ecx,4)
        inc     %ecx
        cmp     $0x100, %ecx
        jne     2b
        orl     $4, PT0 + 0x87 * 4
        /* 0x200000: not present; 0x201000: read-only; 0x206000: user RO. */
        movl    $0, PT0 + 0x200 * 4
        movl    $(0x201000 + 1), PT0 + 0x201 * 4
        movl    $(0x206000 + 5), PT0 + 0x206 * 4
        movl    $0x11111111, 0x203000
        movl    $0x22222222, 0x204000
        movl    $PD, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        or      $0x10, %eax           /* PSE */
        mov     %eax, %cr4
        mov     %cr0, %eax
        or      $0x80000000, %eax     /* PG, WP off */
        and     $~0x10000, %eax
        mov     %eax, %cr0
        PUTS32  msg_paging

        /* 4 MiB pages: a write through one alias is read through the other. */
        movl    $0xdeadbeef, 0x400010
        CHECKMEM32 0x800010, 0xdeadbeef, 0x10
        movl    $0x0badf00d, 0x800020
        CHECKMEM32 0x400020, 0x0badf00d, 0x11

        PUTS32  msg_np
        FAULT_TEST 14, 0, 0, 0x20, movl 0x200123, %eax
        CHECKMEM32 CR2, 0x200123, 0x23
        FAULT_TEST 14, 2, 0, 0x24, movl %eax, 0x200ffc
        CHECKMEM32 CR2, 0x200ffc, 0x27

        PUTS32  msg_wp
        /* WP off: the supervisor may write a read-only page. */
        movl    $0x5555aaaa, 0x201008
        CHECKMEM32 0x201008, 0x5555aaaa, 0x30
        mov     %cr0, %eax
        or      $0x10000, %eax
        mov     %eax, %cr0
        FAULT_TEST 14, 3, 0, 0x34, movl $1, 0x201010
        CHECKMEM32 CR2, 0x201010, 0x37

        PUTS32  msg_ad
        /* PTE 0x202: fresh, A and D clear. A read sets A, a write sets D. */
        movl    $(0x202000 + 3), PT0 + 0x202 * 4
        invlpg  0x202000
        movl    0x202000, %eax
        CHECKMEM32 (PT0+0x202*4), 0x202023, 0x40
        movl    %eax, 0x202004
        CHECKMEM32 (PT0+0x202*4), 0x202063, 0x41
        /* The PDE that maps the 4 KiB table is marked accessed. */
        movl    PD, %eax
        and     $0x20, %eax
        CHECK32 %eax, 0x20, 0x42
        /* The 4 MiB page written above is dirty. */
        movl    PD + 8, %eax
        and     $0x60, %eax
        CHECK32 %eax, 0x60, 0x43

        PUTS32  msg_invlpg
        CHECKMEM32 0x203000, 0x11111111, 0x50
        movl    $(0x204000 + 3), PT0 + 0x203 * 4
        invlpg  0x203000
        CHECKMEM32 0x203000, 0x22222222, 0x51
        /* Reloading CR3 flushes too. */
        movl    $(0x203000 + 3), PT0 + 0x203 * 4
        mov     %cr3, %eax
        mov     %eax, %cr3
        CHECKMEM32 0x203000, 0x11111111, 0x52

        PUTS32  msg_user
        /* Ring 3 through IRET: a user write to a supervisor page faults
           with error 7 (present | write | user); INT 0x30 (a DPL 3 gate)
           comes back to ring 0 at user_done, which continues at NEXT. */
        .set    NEXT, 0x1020
        movl    $(ROM + user_back1), NEXT
        movl    $(ROM + user1_next), RESUME
        /* DS/ES must be usable at CPL 3: IRET to an outer level nulls data
           segments whose DPL is below the new CPL, and a null DS faults. */
        mov     $0x33, %ax
        mov     %ax, %ds
        mov     %ax, %es
        push    $0x33                 /* SS */
        push    $(USER_STACK + 0xff0) /* ESP */
        push    $0x202                /* EFLAGS */
        push    $0x2b                 /* CS */
        push    $(ROM + user_code)
        iret
user_code:
        movl    %eax, 0x100c
user1_next:
        movl    0x206000, %ebx        /* a user read of a user page is fine */
        int     $0x30

user_done:
        /* At CPL 0 with the frame of INT 0x30 on the TSS stack. */
        add     $20, %esp
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        CHECK32 %esp, 0x90000, 0x60
        jmp     *NEXT

user_back1:
        CHECKMEM32 VEC, 14, 0x61
        CHECKMEM32 ERR, 7, 0x62
        CHECKMEM32 CR2, 0x100c, 0x63
        CHECKMEM32 EIP, ROM+user_code, 0x64
        /* A user read of a supervisor page: error 5. */
        movl    $(ROM + user_back2), NEXT
        movl    $(ROM + user2_next), RESUME
        mov     $0x33, %ax
        mov     %ax, %ds
        mov     %ax, %es
        push    $0x33
        push    $(USER_STACK + 0xff0)
        push    $0x202
        push    $0x2b
        push    $(ROM + user_code2)
        iret
user_code2:
        movl    0x3000, %eax
user2_next:
        int     $0x30

user_back2:
        CHECKMEM32 VEC, 14, 0x65
        CHECKMEM32 ERR, 5, 0x66
        CHECKMEM32 CR2, 0x3000, 0x67
        CHECKMEM32 EIP, ROM+user_code2, 0x68
        PUTS32  msg_user_ok

        /* PAE, 2 MiB pages, NX. */
pae:
        PUTS32  msg_pae
        mov     %cr0, %eax
        and     $0x7fffffff, %eax
        mov     %eax, %cr0
        /* PAE_PT0 identity-maps 0-2 MiB; PD[1] = 2 MiB page at 2 MiB;
           PD[2] = the same page, NX. */
        mov     $PDPT, %edi
        xor     %eax, %eax
        mov     $(0x3000 / 4), %ecx
        rep stosl
        xor     %ecx, %ecx
        mov     $3, %eax
3:      mov     %eax, PAE_PT0(,%ecx,8)
        add     $0x1000, %eax
        inc     %ecx
        cmp     $512, %ecx
        jne     3b
        movl    $(PAE_PD + 1), PDPT
        movl    $(PAE_PT0 + 3), PAE_PD
        movl    $(0x200000 + 0x83), PAE_PD + 8
        movl    $(0x200000 + 0x83), PAE_PD + 16
        movl    $0x80000000, PAE_PD + 20
        movb    $0xc3, 0x300100       /* ret */
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x800, %eax          /* EFER.NXE */
        wrmsr
        mov     %cr4, %eax
        or      $0x20, %eax           /* PAE */
        mov     %eax, %cr4
        mov     $PDPT, %eax
        mov     %eax, %cr3
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        /* 2 MiB pages: both aliases see the same memory. */
        movl    $0x600dbeef, 0x2ffff0
        CHECKMEM32 0x4ffff0, 0x600dbeef, 0x80
        /* Executable alias: the call returns. */
        call    0x300100 - ROM        /* the image runs at ROM */
        /* NX alias: #PF with I/D set (0x11) at the target. */
        movl    $(ROM + 4f), RESUME
        call    0x500100 - ROM
4:      pop     %eax
        CHECK32 %eax, ROM+4b, 0x81
        CHECKMEM32 VEC, 14, 0x82
        CHECKMEM32 ERR, 0x11, 0x83
        CHECKMEM32 CR2, 0x500100, 0x84
        CHECKMEM32 EIP, 0x500100, 0x85
        /* Not present in PAE: the PDPT's second entry is empty. */
        FAULT_TEST 14, 0, 0, 0x88, movl 0x40000000, %eax
        CHECKMEM32 CR2, 0x40000000, 0x8b
        /* An instruction that crosses into a not-present page: #PF on the
           fetch with CR2 at the page start and EIP at the instruction,
           also when the block was translated while the page was there. */
        movl    $0x345678b8, 0x7ffd   /* mov $0x12345678, %eax; ret */
        movw    $0xc312, 0x8001
        call    0x7ffd - ROM
        CHECK32 %eax, 0x12345678, 0x90
        andl    $~1, PAE_PT0 + 8 * 8
        invlpg  0x8000
        movl    $(ROM + 5f), RESUME
        call    0x7ffd - ROM
5:      pop     %eax
        CHECKMEM32 VEC, 14, 0x91
        CHECKMEM32 ERR, 0x10, 0x92
        CHECKMEM32 CR2, 0x8000, 0x93
        CHECKMEM32 EIP, 0x7ffd, 0x94
        orl     $1, PAE_PT0 + 8 * 8
        /* 2 MiB page dirty bit. */
        movl    PAE_PD + 8, %eax
        and     $0x60, %eax
        CHECK32 %eax, 0x60, 0x8c
        jmp     pass32

        EXC_LIB32
        LIB32
        EXC_TABLE
idtr:
        .word   NVEC * 8 - 1
        .long   IDT
        .p2align 3
gdt:
        .quad   0
        GDT_ENTRY 0, 0xfffff, 0x9b, 0xc      /* 0x08 code32 */
        GDT_ENTRY 0, 0xfffff, 0x93, 0xc      /* 0x10 data32 */
        GDT_ENTRY ROM, 0xffff, 0x9b, 0x0     /* 0x18 code16 */
        GDT_ENTRY 0, 0xffff, 0x93, 0x0       /* 0x20 data16 */
        GDT_ENTRY 0, 0xfffff, 0xfb, 0xc      /* 0x28 code32 DPL3 */
        GDT_ENTRY 0, 0xfffff, 0xf3, 0xc      /* 0x30 data32 DPL3 */
        GDT_ENTRY TSS, 0x67, 0x89, 0x0       /* 0x38 TSS */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start:   .asciz "paging32: start\n"
msg_paging:  .asciz "paging on, 4K and 4M pages\n"
msg_np:      .asciz "not present\n"
msg_wp:      .asciz "write protect\n"
msg_ad:      .asciz "accessed/dirty\n"
msg_invlpg:  .asciz "invlpg\n"
msg_user:    .asciz "ring 3\n"
msg_user_ok: .asciz "ring 3 ok\n"
msg_pae:     .asciz "PAE, NX\n"
        LIBDATA
        RESET_VECTOR
