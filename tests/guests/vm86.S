/* vm86: virtual-8086 mode entered through IRET (EFLAGS.VM) from 32-bit
   protected mode. Real-mode style addressing inside; with IOPL 0, CLI and
   INT n are #GP(0) to the protected-mode handler; with IOPL 3, INT n goes
   through a DPL 3 gate to ring 0 on the TSS stack, with ES/DS/FS/GS pushed
   and then cleared. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    TSS, 0x5000
        .set    KSTACK, 0x90000
        .set    FRAME, 0x1100         /* copy of the INT 0x30 frame */

/* IRET into vm86 at F000:ip with the given IOPL (EFLAGS). */
.macro  ENTER_VM86 ip, eflags
        push    $0x0040               /* GS */
        push    $0x0030               /* FS */
        push    $0x0000               /* DS */
        push    $0x0050               /* ES */
        push    $0x0000               /* SS */
        push    $0x7000               /* SP */
        push    $\eflags
        push    $0xf000               /* CS */
        push    $\ip
        iret
.endm

        .text
        .code16
start:
        cli
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
        mov     $KSTACK, %esp
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        GATE32  0x30, int30, 0xee00   /* DPL 3 interrupt gate */
        lidt    ROM + idtr
        movl    $KSTACK, TSS + 4
        movl    $0x10, TSS + 8
        mov     $0x18, %ax
        ltr     %ax

        GATE32  13, gp_vm86, 0x8e00
        .set    NEXT, 0x1020
        /* IOPL 0: CLI faults with #GP(0). */
        movl    $(ROM + after_cli), NEXT
        ENTER_VM86 vm_cli, 0x20002

        .code16
vm_cli:
        /* Real-mode addressing: ES = 0x50 -> linear 0x500. */
        movw    $0x1234, %es:(0x10)
        cli
        hlt
vm_int:
        int     $0x30
        hlt

        .code32
/* #GP from vm86: stack = error, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. */
gp_vm86:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     (%esp), %eax
        mov     %eax, ERR
        mov     4(%esp), %eax
        mov     %eax, EIP
        mov     12(%esp), %eax
        mov     %eax, FRAME + 0x50    /* EFLAGS */
        mov     $KSTACK, %esp
        jmp     *NEXT

after_cli:
        CHECKMEM32 ERR, 0, 0x10
        CHECKMEM32 EIP, vm_cli + 7, 0x11
        mov     FRAME + 0x50, %eax
        and     $0x20000, %eax
        CHECK32 %eax, 0x20000, 0x12
        CHECKMEM32 0x510, 0x1234, 0x13
        movl    $(ROM + after_int), NEXT
        ENTER_VM86 vm_int, 0x20002
after_int:
        CHECKMEM32 ERR, 0, 0x14
        CHECKMEM32 EIP, vm_int, 0x15
        PUTS32  msg_iopl0

        /* IOPL 3: INT 0x30 goes to ring 0 through the DPL 3 gate. */
        ENTER_VM86 vm_iopl3, 0x23002

        .code16
vm_iopl3:
        movw    $0x5678, %es:(0x12)
        cli                           /* IOPL 3: allowed */
        int     $0x30
vm_iopl3_end:
        hlt

        .code32
int30:
        push    %eax
        push    %ecx
        xor     %ecx, %ecx
1:      mov     8(%esp,%ecx,4), %eax
        mov     %eax, %ss:FRAME(,%ecx,4)
        inc     %ecx
        cmp     $9, %ecx
        jne     1b
        /* The data segments were cleared on entry. */
        mov     %ds, %eax
        mov     %eax, %ss:FRAME + 0x40
        mov     %gs, %eax
        mov     %eax, %ss:FRAME + 0x44
        lea     44(%esp), %eax
        mov     %eax, %ss:FRAME + 0x48
        pop     %ecx
        pop     %eax
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     $KSTACK, %esp
        jmp     check_int30

        .code32
check_int30:
        /* Frame: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. */
        CHECKMEM32 FRAME, vm_iopl3_end, 0x20
        CHECKMEM32 (FRAME+4), 0xf000, 0x21
        mov     FRAME + 8, %eax
        and     $0x23000, %eax
        CHECK32 %eax, 0x23000, 0x22
        CHECKMEM32 (FRAME+12), 0x7000, 0x23
        CHECKMEM32 (FRAME+16), 0, 0x24
        CHECKMEM32 (FRAME+20), 0x50, 0x25
        CHECKMEM32 (FRAME+24), 0, 0x26
        CHECKMEM32 (FRAME+28), 0x30, 0x27
        CHECKMEM32 (FRAME+32), 0x40, 0x28
        CHECKMEM32 (FRAME+0x40), 0, 0x29
        CHECKMEM32 (FRAME+0x44), 0, 0x2a
        CHECKMEM32 (FRAME+0x48), KSTACK, 0x2b
        CHECKMEM32 0x512, 0x5678, 0x2c
        PUTS32  msg_iopl3
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
        GDT_ENTRY TSS, 0x67, 0x89, 0x0       /* 0x18 TSS */
gdt_end:
gdtr:
        .word   gdt_end - gdt - 1
        .long   ROM + gdt
msg_start: .asciz "vm86: start\n"
msg_iopl0: .asciz "IOPL 0: CLI is #GP(0)\n"
msg_iopl3: .asciz "IOPL 3: INT n to ring 0\n"
        LIBDATA
        RESET_VECTOR
