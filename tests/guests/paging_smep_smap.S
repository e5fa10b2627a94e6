/* paging_smep_smap: the supervisor-side page protections under PAE paging.
   SMEP: ring 0 fetching from a user page is #PF (error P|I/D, CR2 = the
   address) with CR4.SMEP and runs without it. SMAP: ring 0 reading or
   writing a user page is #PF (P, P|W) with CR4.SMAP and EFLAGS.AC clear,
   allowed after STAC, refused again after CLAC. A reserved bit (bit 63 with
   EFER.NXE clear) is #PF with P|RSVD. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    PDPT, 0x20000
        .set    PD, 0x21000
        .set    PT0, 0x22000
        .set    UCODE, 0x40000        /* user page holding a RET */
        .set    UDATA, 0x41000        /* user data page */
        .set    RSVD, 0x42000         /* PTE with reserved bit 63 */

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        lidt    ROM + idtr

        /* PAE tables: 0-2 MiB in 4 KiB supervisor pages, three user ones. */
        mov     $PDPT, %edi
        xor     %eax, %eax
        mov     $(0x3000 / 4), %ecx
        rep stosl
        movl    $(PD + 1), PDPT
        movl    $(PT0 + 7), PD
        xor     %ecx, %ecx
        mov     $3, %eax
1:      mov     %eax, PT0(,%ecx,8)
        add     $0x1000, %eax
        inc     %ecx
        cmp     $512, %ecx
        jne     1b
        orl     $4, PT0 + (UCODE >> 12) * 8
        orl     $4, PT0 + (UDATA >> 12) * 8
        orl     $0x80000000, PT0 + (RSVD >> 12) * 8 + 4
        movb    $0xc3, UCODE          /* ret */
        movl    $0x600d, UDATA
        mov     %cr4, %eax
        or      $0x20, %eax           /* PAE */
        mov     %eax, %cr4
        mov     $PDPT, %eax
        mov     %eax, %cr3
        mov     %cr0, %eax
        or      $0x80010000, %eax     /* PG, WP */
        mov     %eax, %cr0
        PUTS32  msg_paging

        /* Without SMEP/SMAP ring 0 uses user pages freely. */
        mov     $UCODE, %eax
        call    *%eax
        CHECKMEM32 UDATA, 0x600d, 0x01

        /* SMEP: a fetch from the user page. */
        mov     %cr4, %eax
        or      $(1 << 20), %eax
        mov     %eax, %cr4
        mov     $UCODE, %ebx
        movl    $(ROM + 8f), RESUME
        movl    $0xffffffff, VEC
        call    *%ebx
8:      CHECKMEM32 VEC, 14, 0x10
        CHECKMEM32 ERR, 0x11, 0x11
        CHECKMEM32 EIP, UCODE, 0x12
        CHECKMEM32 CR2, UCODE, 0x13
        add     $4, %esp              /* the CALL's return address */
        mov     %cr4, %eax
        and     $~(1 << 20), %eax
        mov     %eax, %cr4

        /* SMAP: reads and writes with AC clear fault; STAC allows them. */
        mov     %cr4, %eax
        or      $(1 << 21), %eax
        mov     %eax, %cr4
        FAULT_TEST 14, 0x1, 0, 0x20, mov UDATA, %eax
        CHECKMEM32 CR2, UDATA, 0x22
        FAULT_TEST 14, 0x3, 0, 0x23, movl $1, UDATA + 4
        CHECKMEM32 CR2, UDATA + 4, 0x25
        stac
        mov     UDATA, %eax
        CHECK32 %eax, 0x600d, 0x26
        movl    $0x1234, UDATA + 8
        pushf
        pop     %eax
        and     $0x40000, %eax
        CHECK32 %eax, 0x40000, 0x27
        clac
        FAULT_TEST 14, 0x1, 0, 0x28, mov UDATA + 8, %eax
        mov     %cr4, %eax
        and     $~(1 << 21), %eax
        mov     %eax, %cr4
        CHECKMEM32 UDATA + 8, 0x1234, 0x2b

        /* A reserved bit in the PTE. */
        FAULT_TEST 14, 0x9, 0, 0x30, mov RSVD, %eax
        CHECKMEM32 CR2, RSVD, 0x33
        jmp     pass32

        EXC_LIB32
        LIB32
        EXC_TABLE
        FLAT32_TABLES
msg_start:  .asciz "paging_smep_smap: start\n"
msg_paging: .asciz "PAE paging on\n"
        LIBDATA
        RESET_VECTOR
