/* simd_xsave: the XSAVE feature set and SIMD exceptions, as an OS sees them
   in 32-bit protected mode. CPUID advertises SSE3..SSE4.2, POPCNT and XSAVE
   (OSXSAVE only once CR4.OSXSAVE is set, never AVX); XGETBV/XSETBV/XSAVE/
   XRSTOR are #UD while CR4.OSXSAVE = 0; XSETBV's XCR0 rules; CPUID.0DH; the
   XSAVE layout (legacy region, XMM0-7 only outside 64-bit mode, header);
   XRSTOR's init of components missing from XSTATE_BV and its header #GP;
   #NM with CR0.TS; an unmasked SSE exception is #XM with CR4.OSXMMEXCPT = 1
   and #UD with 0. */
        .include "macros.inc"
        .set    NVEC, 21
        .set    AREA, 0x4000        /* 64-byte aligned XSAVE area */
        .set    CR4_OSFXSR, 0x200
        .set    CR4_OSXMMEXCPT, 0x400
        .set    CR4_OSXSAVE, 0x40000

        .text
        .code16
        ENTER_PM32              /* start: flat 32-bit protected mode, stack at 0x90000 */
        PUTS32  msg_start
        mov     $NVEC, %ecx
        call    idt_setup32
        lidt    ROM + idtr
        /* FPU and SSE on: EM=0, MP=1, NE=1, TS=0; OSFXSR. */
        mov     %cr0, %eax
        and     $~0x0c, %eax
        or      $0x22, %eax
        mov     %eax, %cr0
        mov     $CR4_OSFXSR, %eax
        mov     %eax, %cr4
        fninit

        PUTS32  msg_cpuid
        mov     $1, %eax
        cpuid
        and     $0x1c980201, %ecx   /* SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT XSAVE OSXSAVE AVX */
        CHECK32 %ecx, 0x04980201, 0x10

        PUTS32  msg_ud
        xor     %ecx, %ecx
        FAULT_TEST 6, 0, 0, 0x18, xgetbv
        mov     $3, %eax
        xor     %edx, %edx
        FAULT_TEST 6, 0, 0, 0x1c, xsetbv
        FAULT_TEST 6, 0, 0, 0x20, xsave AREA
        FAULT_TEST 6, 0, 0, 0x24, xrstor AREA

        PUTS32  msg_xcr0
        mov     %cr4, %eax
        or      $CR4_OSXSAVE, %eax
        mov     %eax, %cr4
        mov     $1, %eax
        cpuid
        and     $0x08000000, %ecx
        CHECK32 %ecx, 0x08000000, 0x28
        xor     %ecx, %ecx
        xgetbv
        CHECK32 %eax, 1, 0x2c
        CHECK32 %edx, 0, 0x2d
        xor     %eax, %eax            /* x87 bit clear */
        FAULT_TEST 13, 0, 0, 0x30, xsetbv
        mov     $7, %eax              /* AVX: not supported */
        FAULT_TEST 13, 0, 0, 0x34, xsetbv
        mov     $3, %eax
        mov     $1, %ecx              /* no XCR1 */
        FAULT_TEST 13, 0, 0, 0x38, xsetbv
        FAULT_TEST 13, 0, 0, 0x3c, xgetbv
        xor     %ecx, %ecx
        mov     $3, %eax
        xsetbv
        xgetbv
        CHECK32 %eax, 3, 0x40

        PUTS32  msg_leaf_d
        mov     $0xd, %eax
        xor     %ecx, %ecx
        cpuid
        CHECK32 %eax, 3, 0x44
        CHECK32 %ebx, 576, 0x45
        CHECK32 %ecx, 576, 0x46
        CHECK32 %edx, 0, 0x47
        mov     $0xd, %eax
        mov     $1, %ecx
        cpuid
        CHECK32 %eax, 1, 0x48           /* XSAVEOPT only */

        PUTS32  msg_layout
        /* Area: 0xaa bytes, header zero. */
        mov     $AREA, %edi
        mov     $512, %ecx
        mov     $0xaa, %al
        rep stosb
        mov     $64, %ecx
        xor     %al, %al
        rep stosb
        movups  ROM + pattern0, %xmm0
        movups  ROM + pattern7, %xmm7
        fldcw   ROM + cw_027f
        mov     $3, %eax
        xor     %edx, %edx
        xsave   AREA
        cmpw    $0x027f, AREA
        je      1f
        mov     $0x50, %eax
        jmp     fail32
1:      CHECKMEM32 AREA+24, 0x1f80, 0x51                /* MXCSR */
        CHECKMEM32 AREA+160, 0x11223344, 0x52           /* XMM0 */
        CHECKMEM32 AREA+172, 0xddeeff00, 0x53
        CHECKMEM32 AREA+160+7*16, 0x77777777, 0x54      /* XMM7 */
        CHECKMEM32 AREA+288, 0xaaaaaaaa, 0x55           /* no XMM8 outside 64-bit mode */
        CHECKMEM32 AREA+416, 0xaaaaaaaa, 0x56           /* bytes 416.. untouched */
        CHECKMEM32 AREA+512, 3, 0x57                    /* XSTATE_BV: x87 and SSE in use */
        CHECKMEM32 AREA+516, 0, 0x58
        CHECKMEM32 AREA+520, 0, 0x59                    /* XCOMP_BV not written */
        mov     $3, %eax
        FAULT_TEST 13, 0, 0, 0x5c, xsave AREA+16     /* 64-byte alignment */

        PUTS32  msg_xrstor
        /* XSTATE_BV = x87 only: XMM registers are initialized (zero), the
           x87 state loaded. */
        movl    $1, AREA + 512
        fninit
        mov     $3, %eax
        xor     %edx, %edx
        xrstor  AREA
        movd    %xmm0, %eax
        CHECK32 %eax, 0, 0x60
        movd    %xmm7, %eax
        CHECK32 %eax, 0, 0x61
        fnstcw  0x1100
        CHECKMEM32 0x1100, 0x027f, 0x62
        /* Header: XCOMP_BV[63] (compacted form) and XSTATE_BV beyond XCR0. */
        movl    $0x80000000, AREA + 524
        mov     $3, %eax
        FAULT_TEST 13, 0, 0, 0x64, xrstor AREA
        movl    $0, AREA + 524
        movl    $4, AREA + 512
        FAULT_TEST 13, 0, 0, 0x68, xrstor AREA
        movl    $0, AREA + 512
        /* CR0.TS: #NM. */
        mov     %cr0, %eax
        or      $8, %eax
        mov     %eax, %cr0
        mov     $3, %eax
        FAULT_TEST 7, 0, 0, 0x6c, xsave AREA
        clts

        PUTS32  msg_xm
        mov     %cr4, %eax
        or      $CR4_OSXMMEXCPT, %eax
        mov     %eax, %cr4
        movss   ROM + one, %xmm1
        xorps   %xmm2, %xmm2
        ldmxcsr ROM + mxcsr_ze_unmasked
        FAULT_TEST 19, 0, 0, 0x70, divss %xmm2, %xmm1
        stmxcsr 0x1100
        CHECKMEM32 0x1100, 0x1d84, 0x74                 /* ZE flag set */
        movd    %xmm1, %eax
        CHECK32 %eax, 0x3f800000, 0x75                 /* destination kept */
        mov     %cr4, %eax
        and     $~CR4_OSXMMEXCPT, %eax
        mov     %eax, %cr4
        FAULT_TEST 6, 0, 0, 0x78, divss %xmm2, %xmm1
        ldmxcsr ROM + mxcsr_default
        divss   %xmm2, %xmm1                           /* masked: +inf */
        movd    %xmm1, %eax
        CHECK32 %eax, 0x7f800000, 0x7c

        PUTS32  msg_sse42
        /* CRC-32C("123456789") = E3069283; PCMPISTRI finds the 'd'. */
        mov     $0xffffffff, %eax
        crc32l  ROM + digits, %eax
        crc32l  ROM + digits + 4, %eax
        crc32b  ROM + digits + 8, %eax
        not     %eax
        CHECK32 %eax, 0xe3069283, 0x80
        movdqu  ROM + needle, %xmm3
        movdqu  ROM + haystack, %xmm4
        pcmpistri $0x00, %xmm4, %xmm3                  /* equal any, bytes */
        CHECK32 %ecx, 3, 0x81
        mov     $0x0f0f0f0f, %eax
        popcnt  %eax, %eax
        CHECK32 %eax, 16, 0x82

        /* CR4.OSXSAVE cleared again: #UD. */
        mov     %cr4, %eax
        and     $~CR4_OSXSAVE, %eax
        mov     %eax, %cr4
        xor     %ecx, %ecx
        FAULT_TEST 6, 0, 0, 0x88, xgetbv
        jmp     pass32

        EXC_LIB32
        LIB32
        .p2align 2
        EXC_TABLE
        .p2align 4
pattern0:
        .long   0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00
pattern7:
        .long   0x77777777, 0x77777777, 0x77777777, 0x77777777
needle:
        .ascii  "xyd\0            "
haystack:
        .ascii  "abcdefgh\0       "
digits:
        .ascii  "123456789"
        .p2align 2
one:
        .long   0x3f800000
mxcsr_ze_unmasked:
        .long   0x1d80
mxcsr_default:
        .long   0x1f80
cw_027f:
        .word   0x027f
        FLAT32_TABLES
msg_start:  .asciz "simd_xsave: start\n"
msg_cpuid:  .asciz "CPUID\n"
msg_ud:     .asciz "#UD without CR4.OSXSAVE\n"
msg_xcr0:   .asciz "XGETBV/XSETBV\n"
msg_leaf_d: .asciz "CPUID.0DH\n"
msg_layout: .asciz "XSAVE layout\n"
msg_xrstor: .asciz "XRSTOR\n"
msg_xm:     .asciz "#XM/#UD\n"
msg_sse42:  .asciz "CRC32/PCMPISTRI/POPCNT\n"
        LIBDATA
        RESET_VECTOR
