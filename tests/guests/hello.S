/* hello: prints "hello" on COM1 and leaves through isa-debug-exit (port 0xf4).
   Runs in real mode straight from the reset vector; uses few instructions so
   it is the first guest any CPU backend can run. Exit status: (0 << 1) | 1 = 1. */
        .code16
        .text
        .globl start
start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        mov     $0x3f8, %dx
        mov     $message, %si
next_char:
        lodsb
        test    %al, %al
        jz      done
        outb    %al, %dx
        jmp     next_char
done:
        mov     $0xf4, %dx
        mov     $0, %al
        outb    %al, %dx
halt:
        hlt
        jmp     halt

message:
        .asciz  "hello\n"

        .section .reset, "ax"
reset_vector:
        ljmp    $0xf000, $start
