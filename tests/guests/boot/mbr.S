/* mbr: a boot sector for the BIOS boot tests. The BIOS loads it at 0x7c00
   and jumps there in real mode with the boot drive in DL; it prints a line
   with that drive number on COM1 and leaves through isa-debug-exit (0xf4).
   Linked at 0x7c00, 512 bytes with the 0x55 0xaa signature. */
        .code16
        .text
        .globl _start
_start:
        cli
        ljmp    $0, $normalized      /* some BIOSes enter at 07c0:0000 */
normalized:
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7c00, %sp
        mov     %dl, %bl             /* the boot drive */
        mov     $message, %si
        call    puts
        mov     %bl, %al             /* the drive as two hex digits */
        shr     $4, %al
        call    put_hex_digit
        mov     %bl, %al
        call    put_hex_digit
        mov     $'\n', %al
        call    putc
        mov     $0xf4, %dx
        xor     %al, %al
        out     %al, %dx
halt:
        hlt
        jmp     halt

        .include "com1.inc"

message:
        .asciz  "vx86-mbr: booted by the BIOS from drive 0x"

        .org    510
        .byte   0x55, 0xaa
