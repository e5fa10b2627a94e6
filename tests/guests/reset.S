/* reset: prints "boot" on COM1, then resets the machine through the fast
   reset bit of port 0x92. With -no-reboot vx86 exits (status 0); without it
   the machine boots again and prints "boot" once more. */
        .code16
        .text
start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        mov     $0x3f8, %dx
        mov     $message, %si
next_char:
        lodsb
        test    %al, %al
        jz      reset
        outb    %al, %dx
        jmp     next_char
reset:
        mov     $0x92, %dx
        inb     %dx, %al
        or      $1, %al
        outb    %al, %dx
halt:
        hlt
        jmp     halt

message:
        .asciz  "boot\n"

        .section .reset, "ax"
        ljmp    $0xf000, $start
