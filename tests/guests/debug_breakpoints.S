/* debug_breakpoints: instruction breakpoints through DR0-DR3 and DR7 in
   32-bit protected mode. A breakpoint is a #DB fault before the instruction
   (saved EIP = its address, DR6.Bn set); the handler sets EFLAGS.RF in the
   frame so the IRET resumes past it once; a breakpoint in the middle of
   straight-line code and in a loop hits every time; L and G enables both
   work; R/W != 00 is not an instruction breakpoint; clearing DR7 stops them.
   DR7.GD makes MOV DR a #DB fault with DR6.BD; DR4/DR5 alias DR6/DR7 while
   CR4.DE is clear and are #UD when it is set. DR6/DR7 fixed bits. Data
   breakpoints: a write (R/W = 01) or read/write (11) breakpoint of 4 or 2
   bytes is a #DB trap after the instruction whose access overlaps it (saved
   EIP = the next instruction, DR6.Bn), in the middle of straight-line code;
   reads do not hit a write breakpoint, accesses beside it hit nothing. */
        .include "macros.inc"
        .set    NVEC, 0x42
        .set    HITS, 0x1100          /* count, then (EIP, DR6) pairs */
        .set    RFSEEN, 0x1080
        .set    LOOPS, 0x1084
        .set    WATCHED, 0x1200

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        GATE32  1, db_handler, 0x8e00
        lidt    ROM + idtr
        movl    $0, HITS

        /* Fixed bits after reset and after writes. */
        mov     %dr6, %eax
        CHECK32 %eax, 0xffff0ff0, 0x01
        mov     %dr7, %eax
        CHECK32 %eax, 0x400, 0x02
        xor     %eax, %eax
        mov     %eax, %dr6
        mov     %eax, %dr7
        mov     %dr6, %eax
        CHECK32 %eax, 0xffff0ff0, 0x03
        mov     %dr7, %eax
        CHECK32 %eax, 0x400, 0x04

        /* 1. DR0, local enable: one hit at bp1, EIP = bp1, DR6.B0. */
        mov     $(ROM + bp1), %eax
        mov     %eax, %dr0
        mov     $0x401, %eax          /* L0, R/W0 = 00 (execute), LEN0 = 00 */
        mov     %eax, %dr7
        xor     %ecx, %ecx
        inc     %ecx
bp1:    inc     %ecx                  /* runs once, after the #DB */
        inc     %ecx
        CHECK32 %ecx, 3, 0x10
        CHECKMEM32 HITS, 1, 0x11
        CHECKMEM32 (HITS + 4), ROM + bp1, 0x12
        mov     HITS + 8, %eax
        and     $0xf, %eax
        CHECK32 %eax, 1, 0x13
        /* RF was clear in the frame (the handler set it). */
        CHECKMEM32 RFSEEN, 0, 0x14

        /* 2. DR2, global enable, in a loop and mid straight-line code: one
           hit per pass, DR6.B2. */
        movl    $0, HITS
        mov     $(ROM + bp2), %eax
        mov     %eax, %dr2
        mov     $0x420, %eax          /* G2 */
        mov     %eax, %dr7
        movl    $0, LOOPS
        mov     $3, %ecx
1:      nop
        nop
bp2:    incl    LOOPS
        nop
        dec     %ecx
        jnz     1b
        CHECKMEM32 LOOPS, 3, 0x20
        CHECKMEM32 HITS, 3, 0x21
        CHECKMEM32 (HITS + 4), ROM + bp2, 0x22
        CHECKMEM32 (HITS + 20), ROM + bp2, 0x23
        mov     HITS + 24, %eax
        and     $0xf, %eax
        CHECK32 %eax, 4, 0x24

        /* 3. R/W0 = 01 (a data write breakpoint) on an instruction is no
           instruction breakpoint; with R/W0 = 00 it is; DR7 = 0 disables. */
        movl    $0, HITS
        mov     $(ROM + probe), %eax
        mov     %eax, %dr0
        mov     $0x10401, %eax        /* L0, R/W0 = 01 */
        mov     %eax, %dr7
        call    probe
        CHECKMEM32 HITS, 0, 0x30
        mov     $0x401, %eax
        mov     %eax, %dr7
        call    probe
        CHECKMEM32 HITS, 1, 0x31
        CHECKMEM32 (HITS + 4), ROM + probe, 0x32
        xor     %eax, %eax
        mov     %eax, %dr7
        call    probe
        CHECKMEM32 HITS, 1, 0x33

        /* 4. DR7.GD: MOV from a debug register is a #DB fault with DR6.BD
           (saved EIP = the MOV), and GD is clear in the handler. */
        movl    $0, HITS
        xor     %eax, %eax
        mov     %eax, %dr6
        mov     $0x2400, %eax
        mov     %eax, %dr7
gd1:    mov     %dr0, %ebx
        CHECKMEM32 HITS, 1, 0x40
        CHECKMEM32 (HITS + 4), ROM + gd1, 0x41
        mov     HITS + 8, %eax
        and     $0x2000, %eax
        CHECK32 %eax, 0x2000, 0x42
        mov     %dr7, %eax
        CHECK32 %eax, 0x400, 0x43

        /* 5. DR4/DR5 alias DR6/DR7 with CR4.DE clear; #UD with it set. */
        mov     $0x403, %eax
        mov     %eax, %dr5
        mov     %dr7, %eax
        CHECK32 %eax, 0x403, 0x50
        xor     %eax, %eax
        mov     %eax, %dr7
        mov     %dr4, %eax
        mov     %dr6, %ebx
        cmp     %ebx, %eax
        je      1f
        mov     $0x51, %eax
        jmp     fail32
1:
        mov     %cr4, %eax
        or      $8, %eax
        mov     %eax, %cr4
        FAULT_TEST 6, 0, 0, 0x52, mov %dr4, %eax
        mov     %cr4, %eax
        and     $~8, %eax
        mov     %eax, %cr4

        /* 6. DR1: 4-byte write breakpoint (G1, R/W1 = 01, LEN1 = 11). */
        movl    $0, HITS
        xor     %eax, %eax
        mov     %eax, %dr6
        mov     $WATCHED, %eax
        mov     %eax, %dr1
        mov     $0x00d00408, %eax
        mov     %eax, %dr7
        mov     WATCHED, %ebx         /* a read: no hit */
        movl    $5, WATCHED + 4       /* beside it: no hit */
        nop
        movl    $5, WATCHED + 2       /* overlaps bytes 2-3: a trap after it */
dw1:    nop
        movw    $7, WATCHED - 2       /* overlaps nothing */
        CHECKMEM32 HITS, 1, 0x60
        CHECKMEM32 (HITS + 4), ROM + dw1, 0x61
        mov     HITS + 8, %eax
        and     $0xf, %eax
        CHECK32 %eax, 2, 0x62
        CHECKMEM32 WATCHED + 2, 5, 0x63      /* the write happened once */

        /* 7. DR3: 2-byte read/write breakpoint (G3, R/W3 = 11, LEN3 = 01)
           on WATCHED+2: a 4-byte read of WATCHED overlaps it. */
        movl    $0, HITS
        mov     $(WATCHED + 2), %eax
        mov     %eax, %dr3
        mov     $0x70000480, %eax
        mov     %eax, %dr7
        mov     WATCHED + 4, %ecx     /* beside it: no hit */
        mov     WATCHED, %ecx
dr1:    nop
        addl    $1, WATCHED + 3       /* read-modify-write: one trap */
dr2:    nop
        CHECKMEM32 HITS, 2, 0x70
        CHECKMEM32 (HITS + 4), ROM + dr1, 0x71
        mov     HITS + 8, %eax
        and     $0xf, %eax
        CHECK32 %eax, 8, 0x72
        CHECKMEM32 (HITS + 12), ROM + dr2, 0x73
        CHECKMEM32 WATCHED + 3, 1, 0x74      /* added once */
        xor     %eax, %eax
        mov     %eax, %dr7
        jmp     pass32

probe:
        nop
        ret

/* #DB: records EIP and DR6, clears DR6's B bits, sets RF in the frame. */
db_handler:
        push    %eax
        push    %ecx
        mov     HITS, %ecx
        inc     %ecx
        mov     %ecx, HITS
        add     %ecx, %ecx
        mov     8(%esp), %eax
        mov     %eax, HITS - 4(,%ecx,4)
        mov     %dr6, %eax
        mov     %eax, HITS(,%ecx,4)
        xor     %eax, %eax
        mov     %eax, %dr6
        mov     16(%esp), %eax
        and     $0x10000, %eax
        mov     %eax, RFSEEN
        orl     $0x10000, 16(%esp)
        pop     %ecx
        pop     %eax
        iret

        EXC_LIB32
        LIB32
        EXC_TABLE
        FLAT32_TABLES
msg_start: .asciz "debug_breakpoints: start\n"
        LIBDATA
        RESET_VECTOR
