/* debugcon: writes "debugcon hello" to the debug console port (0xe9), reads
   the port back and reports on COM1 whether it read 0xe9, then leaves through
   isa-debug-exit (0xf4). Run by DebugconTest with -debugcon. Real mode from
   the reset vector. Exit status: (0 << 1) | 1 = 1. */
        .code16
        .text
        .globl start
start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        mov     $0xe9, %dx
        mov     $greeting, %si
        call    puts
        inb     %dx, %al
        mov     $readback_ok, %si
        cmp     $0xe9, %al
        je      report
        mov     $readback_bad, %si
report:
        mov     $0x3f8, %dx
        call    puts
        mov     $0xf4, %dx
        mov     $0, %al
        outb    %al, %dx
halt:
        hlt
        jmp     halt

/* Writes the string at %si to port %dx. */
puts:
        lodsb
        test    %al, %al
        jz      1f
        outb    %al, %dx
        jmp     puts
1:
        ret

greeting:
        .asciz  "debugcon hello\n"
readback_ok:
        .asciz  "readback 0xe9 ok\n"
readback_bad:
        .asciz  "readback bad\n"

        .section .reset, "ax"
reset_vector:
        ljmp    $0xf000, $start
