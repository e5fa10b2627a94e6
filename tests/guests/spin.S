/* spin: prints "spin" on COM1 and loops forever with interrupts off. Used by
   tests that drive the machine from outside (monitor, signals). */
        .code16
        .text
start:
        cli
        mov     $0x3f8, %dx
        mov     $'s', %al
        outb    %al, %dx
spin:
        jmp     spin

        .section .reset, "ax"
        ljmp    $0xf000, $start
