/* x87_fpu: the x87 as a 32-bit protected-mode OS uses it. Lazy FPU switching:
   CR0.TS set, the first x87 instruction raises #NM, the handler does CLTS,
   saves the old owner's state and loads the new one's (FNSAVE/FRSTOR, then
   FXSAVE/FXRSTOR), and the instruction re-executes on the new state. #MF
   (CR0.NE=1): an unmasked exception is reported at the next waiting
   instruction (FWAIT or arithmetic), not by FNSTSW, and FNCLEX clears it.
   The FNSAVE layouts (32- and 16-bit operand size) and the x87 part of the
   FXSAVE layout, with the instruction pointer and opcode of the last
   non-control instruction. */
        .include "macros.inc"
        .set    NVEC, 21
        .set    NM_COUNT, 0x1020
        .set    MODE, 0x1024        /* 0: FNSAVE/FRSTOR, 1: FXSAVE/FXRSTOR */
        .set    ZERO, 0x1030        /* a zero float */
        .set    CW_ZE, 0x1034       /* control word with ZE unmasked */
        .set    RESULT, 0x1040      /* 10-byte results */
        .set    SAVE_CUR, 0x3000    /* FNSAVE images */
        .set    SAVE_NEXT, 0x3100
        .set    SAVE16, 0x3200
        .set    FX_CUR, 0x4000      /* FXSAVE images (16-byte aligned) */
        .set    FX_NEXT, 0x4200

/* Fails with `code` unless the 16-bit word at addr == value. */
.macro  CHECKMEM16 addr, value, code
        cmpw    $\value, \addr
        je      9f
        mov     $\code, %eax
        jmp     fail32
9:
.endm

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        /* Vector 7 gets the lazy-switch handler instead of the recorder. */
        mov     $(ROM + nm_handler), %eax
        mov     %eax, %edx
        and     $0xffff, %eax
        or      $0x00080000, %eax
        mov     %eax, IDT + 7 * 8
        and     $0xffff0000, %edx
        or      $0x8e00, %edx
        mov     %edx, IDT + 7 * 8 + 4
        lidt    ROM + idtr
        /* x87 on: EM=0, MP=1, NE=1, TS=0; OSFXSR for FXSAVE. */
        mov     %cr0, %eax
        and     $~0x0c, %eax
        or      $0x22, %eax
        mov     %eax, %cr0
        mov     $0x200, %eax
        mov     %eax, %cr4
        movl    $0, NM_COUNT
        movl    $0, ZERO
        movl    $0x037b, CW_ZE

        /* ---- lazy switching with FNSAVE/FRSTOR ---- */
        PUTS32  msg_lazy
        movl    $0, MODE
        fninit
        fldl2t                      /* the next owner's state: log2(10) */
        fnsave  SAVE_NEXT           /* (also reinitialises) */
        fld1                        /* the current owner: ST0 = pi, ST1 = 1 */
        fldpi
        mov     %cr0, %eax
        or      $0x08, %eax         /* TS: the next x87 instruction traps */
        mov     %eax, %cr0
        fadd    %st(0), %st         /* #NM, switch, re-executed: 2 * log2(10) */
        CHECKMEM32 NM_COUNT, 1, 0x10
        fstpt   RESULT
        CHECKMEM32 RESULT, 0xcd1b8afe, 0x11
        CHECKMEM32 RESULT + 4, 0xd49a784b, 0x12
        CHECKMEM16 RESULT + 8, 0x4001, 0x13
        mov     %cr0, %eax
        test    $0x08, %eax         /* the handler cleared TS */
        jz      1f
        mov     $0x14, %eax
        jmp     fail32
1:      /* The saved state of the old owner: 32-bit protected-mode layout. */
        CHECKMEM16 SAVE_CUR + 0, 0x037f, 0x18   /* FCW */
        CHECKMEM16 SAVE_CUR + 4, 0x3000, 0x19   /* FSW: TOP = 6 */
        CHECKMEM16 SAVE_CUR + 8, 0x0fff, 0x1a   /* FTW: physical 6, 7 valid */
        CHECKMEM32 SAVE_CUR + 28, 0x2168c235, 0x1b  /* ST0 = pi */
        CHECKMEM32 SAVE_CUR + 32, 0xc90fdaa2, 0x1c
        CHECKMEM16 SAVE_CUR + 36, 0x4000, 0x1d
        CHECKMEM32 SAVE_CUR + 42, 0x80000000, 0x1e  /* ST1 = 1 */
        CHECKMEM16 SAVE_CUR + 46, 0x3fff, 0x1f

        /* ---- lazy switching with FXSAVE/FXRSTOR ---- */
        movl    $1, MODE
        fninit
        fldlg2
        fxsave  FX_NEXT
        fninit
        fldln2
        mov     %cr0, %eax
        or      $0x08, %eax
        mov     %eax, %cr0
        fabs                        /* #NM, switch: ST0 = log10(2) */
        CHECKMEM32 NM_COUNT, 2, 0x20
        fstpt   RESULT
        CHECKMEM32 RESULT, 0xfbcff799, 0x21
        CHECKMEM32 RESULT + 4, 0x9a209a84, 0x22
        CHECKMEM16 RESULT + 8, 0x3ffd, 0x23
        CHECKMEM16 FX_CUR + 2, 0x3800, 0x24     /* FSW: TOP = 7 */
        cmpb    $0x80, FX_CUR + 4               /* abridged FTW: physical 7 */
        je      1f
        mov     $0x25, %eax
        jmp     fail32
1:      CHECKMEM32 FX_CUR + 32, 0xd1cf79ac, 0x26  /* ST0 = ln(2) */
        CHECKMEM32 FX_CUR + 36, 0xb17217f7, 0x27
        CHECKMEM16 FX_CUR + 40, 0x3ffe, 0x28

        /* ---- #MF at the next waiting instruction ---- */
        PUTS32  msg_mf
        fninit
        fldcw   CW_ZE
        fld1
        fdivs   ZERO                /* 1/0: ZE pending, no trap here */
        fnstsw  %ax                 /* non-waiting: no trap either */
        and     $0x80ff, %eax
        CHECK32 %eax, 0x8084, 0x30  /* B, ES, ZE */
        FAULT_TEST 16, 0, 0, 0x34, fwait
        FAULT_TEST 16, 0, 0, 0x38, fld1
        /* The unmasked response left ST0 = 1 (not infinity), no push by
           the faulting FLD1. */
        fnstsw  %ax
        and     $0x3800, %eax
        CHECK32 %eax, 0x3800, 0x3c  /* TOP = 7 */
        fnclex
        movl    $0xffffffff, VEC
        fwait
        fld1
        CHECKMEM32 VEC, 0xffffffff, 0x3d
        fninit

        /* ---- FNSAVE layouts ---- */
        PUTS32  msg_layout
        fninit
        fld1
fldz_insn:
        fldz
        fnsave  SAVE_CUR
        CHECKMEM16 SAVE_CUR + 0, 0x037f, 0x40
        CHECKMEM16 SAVE_CUR + 4, 0x3000, 0x41
        CHECKMEM16 SAVE_CUR + 8, 0x1fff, 0x42   /* ST0 zero (01), ST1 valid */
        CHECKMEM32 SAVE_CUR + 12, ROM + fldz_insn, 0x43  /* FIP */
        CHECKMEM32 SAVE_CUR + 16, 0x01ee0008, 0x44      /* FOP D9 EE, FCS */
        CHECKMEM32 SAVE_CUR + 28, 0, 0x45
        CHECKMEM32 SAVE_CUR + 42, 0x80000000, 0x46
        CHECKMEM16 SAVE_CUR + 46, 0x3fff, 0x47
        /* FNSAVE reinitialised the FPU. */
        fnstsw  %ax
        and     $0xffff, %eax
        CHECK32 %eax, 0, 0x48
        /* FRSTOR brings it back; a 16-bit FNSAVE image of the same state. */
        frstor  SAVE_CUR
        data16 fnsave SAVE16
        CHECKMEM16 SAVE16 + 0, 0x037f, 0x50
        CHECKMEM16 SAVE16 + 2, 0x3000, 0x51
        CHECKMEM16 SAVE16 + 4, 0x1fff, 0x52
        CHECKMEM16 SAVE16 + 6, fldz_insn, 0x53  /* ROM + offset, low 16 bits */
        CHECKMEM16 SAVE16 + 8, 0x0008, 0x54
        CHECKMEM32 SAVE16 + 14, 0, 0x55
        CHECKMEM32 SAVE16 + 28, 0x80000000, 0x56
        CHECKMEM16 SAVE16 + 32, 0x3fff, 0x57

        /* ---- FXSAVE layout ---- */
        frstor  SAVE_CUR
        fxsave  FX_CUR
        CHECKMEM16 FX_CUR + 0, 0x037f, 0x60
        CHECKMEM16 FX_CUR + 2, 0x3000, 0x61
        cmpb    $0xc0, FX_CUR + 4
        je      1f
        mov     $0x62, %eax
        jmp     fail32
1:      CHECKMEM16 FX_CUR + 6, 0x01ee, 0x63     /* FOP */
        CHECKMEM32 FX_CUR + 8, ROM + fldz_insn, 0x64
        CHECKMEM16 FX_CUR + 12, 0x0008, 0x65
        CHECKMEM32 FX_CUR + 24, 0x1f80, 0x66    /* MXCSR */
        CHECKMEM32 FX_CUR + 32, 0, 0x67         /* ST0 = +0 */
        CHECKMEM16 FX_CUR + 40, 0, 0x68
        CHECKMEM32 FX_CUR + 52, 0x80000000, 0x69  /* ST1 = 1 */
        CHECKMEM16 FX_CUR + 56, 0x3fff, 0x6a
        jmp     pass32

/* #NM: the lazy switch. Saves the current owner's state and loads the next
   one's; IRET re-executes the instruction that trapped. */
nm_handler:
        clts
        incl    NM_COUNT
        cmpl    $0, MODE
        jne     1f
        fnsave  SAVE_CUR
        frstor  SAVE_NEXT
        iret
1:      fxsave  FX_CUR
        fxrstor FX_NEXT
        iret

        EXC_LIB32
        LIB32
        .p2align 2
        EXC_TABLE
        FLAT32_TABLES
msg_start:  .asciz "x87_fpu: start\n"
msg_lazy:   .asciz "lazy #NM switch\n"
msg_mf:     .asciz "#MF\n"
msg_layout: .asciz "FNSAVE/FXSAVE layouts\n"
        LIBDATA
        RESET_VECTOR
