/* string_restart: REP MOVSB / REP STOSD that run into a not-present page
   fault with the registers of the element that faulted; the #PF handler maps
   the page and IRETs, and the string instruction completes with the right
   ESI/EDI/ECX and data. */
        .include "macros.inc"
        .set    NVEC, 0x20
        .set    PD, 0x10000
        .set    PT0, 0x11000
        .set    MAP_ADDR, 0x1040      /* the PTE the handler fills in */
        .set    MAP_VAL, 0x1044
        .set    F_ECX, 0x1048
        .set    F_ESI, 0x104c
        .set    F_EDI, 0x1050

/* Makes the page at `va` (in 0-4 MiB) not present; the handler maps it back. */
.macro  UNMAP va
        movl    $0, PT0 + (\va / 0x1000) * 4
        movl    $(PT0 + (\va / 0x1000) * 4), MAP_ADDR
        movl    $(\va + 3), MAP_VAL
        invlpg  \va
.endm

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        GATE32  14, pf_handler, 0x8e00
        lidt    ROM + idtr
        /* Identity map 0-4 MiB with 4 KiB pages. */
        IDENTITY_PT PT0
        movl    $(PT0 + 3), PD
        /* Source pattern: byte i = i at 0x300f80..0x30107f; 0x206000 holds
           0xa0 + i. */
        xor     %ecx, %ecx
2:      mov     %cl, 0x300f80(%ecx)
        mov     %cl, %al
        add     $0xa0, %al
        mov     %al, 0x206000(%ecx)
        inc     %ecx
        cmp     $0x100, %ecx
        jne     2b
        mov     $PD, %eax
        mov     %eax, %cr3
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        cld

        PUTS32  msg_movsb
        UNMAP   0x202000
        movl    $0, COUNT
        mov     $0x300f80, %esi
        mov     $0x201f80, %edi
        mov     $0x100, %ecx
        rep movsb
        CHECKMEM32 COUNT, 1, 0x10
        CHECKMEM32 CR2, 0x202000, 0x11
        CHECKMEM32 ERR, 2, 0x12
        CHECKMEM32 F_ECX, 0x80, 0x13
        CHECKMEM32 F_ESI, 0x301000, 0x14
        CHECKMEM32 F_EDI, 0x202000, 0x15
        CHECK32 %ecx, 0, 0x16
        CHECK32 %esi, 0x301080, 0x17
        CHECK32 %edi, 0x202080, 0x18
        CHECKMEM32 0x201f80, 0x03020100, 0x19
        CHECKMEM32 0x201ffc, 0x7f7e7d7c, 0x1a
        CHECKMEM32 0x202000, 0x83828180, 0x1b
        CHECKMEM32 0x20207c, 0xfffefdfc, 0x1c

        PUTS32  msg_stosd
        UNMAP   0x204000
        movl    $0, COUNT
        mov     $0x203ff0, %edi
        mov     $16, %ecx
        mov     $0x5a5a1234, %eax
        rep stosl
        CHECKMEM32 COUNT, 1, 0x20
        CHECKMEM32 CR2, 0x204000, 0x21
        CHECKMEM32 ERR, 2, 0x22
        CHECKMEM32 F_ECX, 12, 0x23
        CHECKMEM32 F_EDI, 0x204000, 0x24
        CHECK32 %ecx, 0, 0x25
        CHECK32 %edi, 0x204030, 0x26
        CHECKMEM32 0x203ffc, 0x5a5a1234, 0x27
        CHECKMEM32 0x20402c, 0x5a5a1234, 0x28
        CHECKMEM32 0x204030, 0, 0x29

        PUTS32  msg_src
        /* The source page faults (a read: error 0). */
        UNMAP   0x206000
        movl    $0, COUNT
        mov     $0x205ffe, %esi
        mov     $0x207000, %edi
        mov     $6, %ecx
        rep movsb
        CHECKMEM32 COUNT, 1, 0x30
        CHECKMEM32 CR2, 0x206000, 0x31
        CHECKMEM32 ERR, 0, 0x32
        CHECKMEM32 F_ECX, 4, 0x33
        CHECKMEM32 F_ESI, 0x206000, 0x34
        CHECKMEM32 F_EDI, 0x207002, 0x35
        CHECK32 %ecx, 0, 0x36
        CHECK32 %esi, 0x206004, 0x37
        CHECK32 %edi, 0x207006, 0x38
        CHECKMEM32 0x207002, 0xa3a2a1a0, 0x39

        PUTS32  msg_std
        /* Backwards: STD; REP STOSB down across a page boundary. */
        UNMAP   0x208000
        movl    $0, COUNT
        std
        mov     $0x209003, %edi
        mov     $8, %ecx
        mov     $0x77, %al
        rep stosb
        cld
        CHECKMEM32 COUNT, 1, 0x40
        CHECKMEM32 CR2, 0x208fff, 0x41
        CHECKMEM32 F_ECX, 4, 0x42
        CHECK32 %ecx, 0, 0x43
        CHECK32 %edi, 0x208ffb, 0x44
        CHECKMEM32 0x208ffc, 0x77777777, 0x45
        CHECKMEM32 0x209000, 0x77777777, 0x46
        jmp     pass32

pf_handler:
        push    %eax
        push    %edx
        mov     %cr2, %eax
        mov     %eax, CR2
        mov     8(%esp), %eax
        mov     %eax, ERR
        mov     %ecx, F_ECX
        mov     %esi, F_ESI
        mov     %edi, F_EDI
        incl    COUNT
        mov     MAP_ADDR, %edx
        mov     MAP_VAL, %eax
        mov     %eax, (%edx)
        pop     %edx
        pop     %eax
        add     $4, %esp
        iret

        EXC_LIB32
        LIB32
        EXC_TABLE
        FLAT32_TABLES
msg_start: .asciz "string_restart: start\n"
msg_movsb: .asciz "rep movsb into a missing page\n"
msg_stosd: .asciz "rep stosd\n"
msg_src:   .asciz "rep movsb from a missing page\n"
msg_std:   .asciz "rep stosb backwards\n"
        LIBDATA
        RESET_VECTOR
