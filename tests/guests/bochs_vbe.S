/* bochs_vbe: sets a graphics mode itself through the Bochs VBE (DISPI)
   registers of the standard VGA, as hobby kernels do with no BIOS: maps the
   VGA's BAR 0 (PCI 00:02.0) at 0xE0000000, reads the DISPI ID and the video
   memory size, sets 640x480 with 32 bits per pixel and a linear framebuffer,
   fills it with pixel n = n (so every byte of every channel varies), prints
   "vbe ready" and waits (FramebufferTest takes the screendump). */
        .include "macros.inc"
        .set    FB, 0xe0000000
        .text
        .code16
        ENTER_PM32
        /* BAR 0 of 00:02.0 at FB, memory decoding on. */
        mov     $0xcf8, %dx
        mov     $0x80001010, %eax
        outl    %eax, %dx
        mov     $0xcfc, %dx
        mov     $FB, %eax
        outl    %eax, %dx
        mov     $0xcf8, %dx
        mov     $0x80001004, %eax
        outl    %eax, %dx
        mov     $0xcfc, %dx
        inw     %dx, %ax
        or      $2, %ax
        outw    %ax, %dx
        /* The DISPI ID and the video memory in 64 KiB units. */
        PUTS32  msg_id
        mov     $0, %ax
        call    dispi_read
        call    puthex32
        PUTS32  msg_mem
        mov     $0xa, %ax
        call    dispi_read
        call    puthex32
        PUTS32  msg_nl
        /* 640x480x32, linear framebuffer. */
        mov     $4, %ax
        xor     %bx, %bx
        call    dispi_write
        mov     $1, %ax
        mov     $640, %bx
        call    dispi_write
        mov     $2, %ax
        mov     $480, %bx
        call    dispi_write
        mov     $3, %ax
        mov     $32, %bx
        call    dispi_write
        mov     $4, %ax
        mov     $0x41, %bx
        call    dispi_write
        /* Unblank, as bochs-drm does: with no VGA BIOS the attribute
           controller's palette-address-source bit is clear, which blanks
           the screen on QEMU (and real VGAs). */
        mov     $0x3da, %dx
        inb     %dx, %al
        mov     $0x3c0, %dx
        mov     $0x20, %al
        outb    %al, %dx
        /* VIRT_WIDTH follows XRES. */
        mov     $6, %ax
        call    dispi_read
        CHECK32 %eax, 640, 0x01
        /* Pixel n = n. */
        mov     $FB, %edi
        xor     %eax, %eax
1:      mov     %eax, (%edi,%eax,4)
        inc     %eax
        cmp     $(640 * 480), %eax
        jne     1b
        PUTS32  msg_ready
2:      hlt
        jmp     2b

/* DISPI register AX: read into EAX, or write BX. */
dispi_read:
        mov     $0x1ce, %dx
        outw    %ax, %dx
        mov     $0x1cf, %dx
        xor     %eax, %eax
        inw     %dx, %ax
        ret
dispi_write:
        mov     $0x1ce, %dx
        outw    %ax, %dx
        mov     $0x1cf, %dx
        mov     %bx, %ax
        outw    %ax, %dx
        ret

        LIB32
        FLAT32_GDT
msg_id:    .asciz "vbe id "
msg_mem:   .asciz " memory "
msg_nl:    .asciz "\n"
msg_ready: .asciz "vbe ready\n"
        LIBDATA
        RESET_VECTOR
