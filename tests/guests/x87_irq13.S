/* x87_irq13: x87 errors as a PC/AT reports them with CR0.NE=0. An unmasked
   exception raises FERR# at the next waiting instruction, which waits there;
   FERR# reaches the slave 8259 as IRQ 13; the handler writes port 0xF0
   (clears the IRQ 13 latch and asserts IGNNE#), sends EOI to both 8259s,
   FNCLEX and IRET, and the waiting instruction then runs. A handler that
   does not clear the exception gets past it through IGNNE#, which lasts
   until the exception is cleared; the next error interrupts again. With
   CR0.NE=1 the same error is #MF (vector 16) and IRQ 13 stays quiet. */
        .include "macros.inc"
        .set    NVEC, 0x30
        .set    IRQ13_VECTOR, 0x2d  /* slave base 0x28 + 5 */
        .set    ZERO, 0x1030        /* a zero float */
        .set    CW_ZE, 0x1034       /* control word with ZE unmasked */
        .set    IRQ_COUNT, 0x1040   /* IRQ 13 handler runs */
        .set    IRQ_EIP, 0x1044     /* the EIP it interrupted */
        .set    IRQ_SW, 0x1048      /* FSW seen by the handler */
        .set    CLEAR, 0x104c       /* nonzero: the handler does FNCLEX */
        .set    RESULT, 0x1050      /* 10-byte result */

/* Fails with `code` unless the 16-bit word at addr == value. */
.macro  CHECKMEM16 addr, value, code
        cmpw    $\value, \addr
        je      9f
        mov     $\code, %eax
        jmp     fail32
9:
.endm

/* Fails with `code` unless FSW & mask == value (clobbers EAX). */
.macro  CHECKSW mask, value, code
        fnstsw  %ax
        and     $\mask, %eax
        CHECK32 %eax, \value, \code
.endm

/* Fails with `code` if IRQ 13 is requested or in service at the slave 8259. */
.macro  CHECK_IRQ13_IDLE code
        mov     $0x0a, %al          /* OCW3: read IRR */
        out     %al, $0xa0
        in      $0xa0, %al
        test    $0x20, %al
        jz      9f
        mov     $\code, %eax
        jmp     fail32
9:      mov     $0x0b, %al          /* OCW3: read ISR */
        out     %al, $0xa0
        in      $0xa0, %al
        test    $0x20, %al
        jz      9f
        mov     $\code + 1, %eax
        jmp     fail32
9:
.endm

/* 1/0 with ZE unmasked: ZE and ES pending, reported at the next waiting
   instruction. */
.macro  DIVIDE_BY_ZERO
        fninit
        fldcw   CW_ZE
        fld1
        fdivs   ZERO
.endm

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        GATE32  IRQ13_VECTOR, irq13, 0x8e00
        lidt    ROM + idtr
        movl    $0, ZERO
        movl    $0x037b, CW_ZE
        movl    $0, IRQ_COUNT
        movl    $1, CLEAR

        /* 8259 pair: master at 0x20, slave at 0x28 on IRQ 2; only IRQ 13
           (and the cascade) unmasked. */
        PIC_INIT 0x20, 0x28, 0xfb, 0xdf

        /* x87 on with CR0.NE=0: EM=0, TS=0, MP=1. */
        mov     %cr0, %eax
        and     $~0x2c, %eax
        or      $0x02, %eax
        mov     %eax, %cr0
        movl    $0xffffffff, VEC
        movl    $(ROM + unexpected), RESUME  /* any exception outside FAULT_TEST */
        sti

        /* ---- IRQ 13 at the waiting FWAIT; the handler clears the error ---- */
        PUTS32  msg_irq13
        DIVIDE_BY_ZERO
        CHECKMEM32 IRQ_COUNT, 0, 0x10   /* not at the faulting instruction */
wait1:  fwait
        CHECKMEM32 IRQ_COUNT, 1, 0x11
        CHECKMEM32 IRQ_EIP, ROM + wait1, 0x12
        movzwl  IRQ_SW, %eax
        and     $0xb8ff, %eax
        CHECK32 %eax, 0xb884, 0x13      /* B, ES, ZE, TOP = 7 */
        CHECKMEM32 VEC, 0xffffffff, 0x14 /* no #MF, nothing else */
        CHECKSW 0x80ff, 0x0000, 0x15     /* cleared by the handler */
        /* The unmasked response left ST0 = 1 (not infinity). */
        fstpt   RESULT
        CHECKMEM32 RESULT, 0, 0x16
        CHECKMEM32 RESULT + 4, 0x80000000, 0x17
        CHECKMEM16 RESULT + 8, 0x3fff, 0x18
        CHECK_IRQ13_IDLE 0x19
        /* Nothing pending any more: no second interrupt. */
        fwait
        fld1
        fstp    %st(0)
        CHECKMEM32 IRQ_COUNT, 1, 0x1b

        /* ---- arithmetic as the waiting instruction; the handler only
           writes port 0xF0: IGNNE# lets it and the next ones run ---- */
        PUTS32  msg_ignne
        movl    $0, CLEAR
        DIVIDE_BY_ZERO
wait2:  fld1                        /* IRQ 13 here, then runs through IGNNE# */
        CHECKMEM32 IRQ_COUNT, 2, 0x20
        CHECKMEM32 IRQ_EIP, ROM + wait2, 0x21
        CHECKSW 0x80ff, 0x8084, 0x22     /* still pending */
        fwait
        fld1
        fstp    %st(0)
        fstp    %st(0)
        CHECKMEM32 IRQ_COUNT, 2, 0x23   /* IGNNE# still asserted */
        CHECKMEM32 VEC, 0xffffffff, 0x24
        CHECK_IRQ13_IDLE 0x25
        /* Cleared: the next waiting instruction drops FERR# and IGNNE#... */
        fnclex
        fwait
        /* ...so a new error interrupts again. */
        movl    $1, CLEAR
        DIVIDE_BY_ZERO
wait3:  fwait
        CHECKMEM32 IRQ_COUNT, 3, 0x28
        CHECKMEM32 IRQ_EIP, ROM + wait3, 0x29
        CHECKSW 0x80ff, 0x0000, 0x2a
        CHECKMEM32 VEC, 0xffffffff, 0x2b
        CHECK_IRQ13_IDLE 0x2c

        /* ---- CR0.NE=1: #MF at the waiting instruction, no IRQ 13 ---- */
        PUTS32  msg_mf
        mov     %cr0, %eax
        or      $0x20, %eax
        mov     %eax, %cr0
        DIVIDE_BY_ZERO
        FAULT_TEST 16, 0, 0, 0x30, fwait
        FAULT_TEST 16, 0, 0, 0x34, fld1
        CHECKMEM32 IRQ_COUNT, 3, 0x38
        CHECK_IRQ13_IDLE 0x39
        movl    $(ROM + unexpected), RESUME
        fnclex
        movl    $0xffffffff, VEC
        fwait
        CHECKMEM32 VEC, 0xffffffff, 0x3b
        CHECKMEM32 IRQ_COUNT, 3, 0x3c
        cli
        jmp     pass32

/* An exception where none was expected: fail with 0x0f. */
unexpected:
        cli
        mov     $0x0f, %eax
        jmp     fail32

/* IRQ 13: records the interrupted EIP and the status word, acknowledges the
   error at port 0xF0, EOI to slave and master, FNCLEX when CLEAR says so. */
irq13:
        push    %eax
        incl    IRQ_COUNT
        mov     4(%esp), %eax
        mov     %eax, IRQ_EIP
        fnstsw  %ax
        mov     %ax, IRQ_SW
        xor     %al, %al
        out     %al, $0xf0
        mov     $0x20, %al
        out     %al, $0xa0
        out     %al, $0x20
        cmpl    $0, CLEAR
        je      1f
        fnclex
1:      pop     %eax
        iret

        EXC_LIB32
        LIB32
        .p2align 2
        EXC_TABLE
        FLAT32_TABLES
msg_start:  .asciz "x87_irq13: start\n"
msg_irq13:  .asciz "CR0.NE=0: FERR# -> IRQ 13, port 0xF0\n"
msg_ignne:  .asciz "IGNNE# until the error is cleared\n"
msg_mf:     .asciz "CR0.NE=1: #MF, no IRQ 13\n"
        LIBDATA
        RESET_VECTOR
