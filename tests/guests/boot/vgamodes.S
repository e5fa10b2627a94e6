/* vgamodes: a boot sector and the three sectors after it, for the VGA mode
   tests. Through the VGA BIOS (int 10h) it sets modes 13h, 12h, 0Dh and 04h
   in turn and draws into each through the VGA's memory window with the write
   modes, read modes and registers DOS programs use, then VESA mode 101h
   (640x480, 256 colours) drawn through its banked window at 0xA0000, then
   the text modes 01h (40 columns) and 03h with the 8x8 font (50 rows). It
   reports on COM1 what it reads back and, after each mode, waits for a key
   (int 16h) so that the test can take a screendump. At the end it returns
   to text mode 3. Linked at 0x7c00; the boot sector loads the rest with
   int 13h. */
        .code16
        .text
        .globl _start
_start:
        cli
        ljmp    $0, $normalized
normalized:
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7c00, %sp
        sti
        mov     $0x0203, %ax         /* read 3 sectors */
        mov     $0x0002, %cx         /* from cylinder 0, sector 2 */
        xor     %dh, %dh             /* head 0; DL is the boot drive */
        mov     $0x7e00, %bx
        int     $0x13
        jc      load_failed
        jmp     main
load_failed:
        mov     $load_failed_message, %si
        call    puts
1:      hlt
        jmp     1b

        .include "com1.inc"

load_failed_message:
        .asciz  "vgamodes: int 13h failed\n"

        .org    510
        .byte   0x55, 0xaa

/* Prints "vgamodes: read XX\n" for the byte in AL. */
report_byte:
        push    %si
        push    %ax
        mov     $read_message, %si
        call    puts
        pop     %ax
        call    put_hex
        mov     $'\n', %al
        call    putc
        pop     %si
        ret

/* Text through the BIOS at row DH, column DL in colour BL: the string at SI. */
bios_text:
        mov     $0x02, %ah           /* set the cursor */
        xor     %bh, %bh
        int     $0x10
1:      lodsb
        test    %al, %al
        jz      2f
        mov     $0x0e, %ah           /* teletype */
        int     $0x10
        jmp     1b
2:      ret

/* Says SI on COM1, then waits for a key. */
step:
        call    puts
        xor     %ah, %ah
        int     $0x16
        ret

/* Fills BP bytes of each of the four planes (write mode 0, the map mask
   picking one plane at a time) with offset >> (plane + 1) ^ its high byte. */
fill_planes:
        mov     $1, %cl
1:      mov     $1, %ah
        shl     %cl, %ah
        shr     $1, %ah              /* the plane's bit in the map mask */
        mov     $0x02, %al
        mov     $0x3c4, %dx
        out     %ax, %dx
        xor     %di, %di
        mov     %bp, %bx
2:      mov     %di, %ax
        shr     %cl, %ax
        xor     %ah, %al
        stosb
        dec     %bx
        jnz     2b
        inc     %cl
        cmp     $5, %cl
        jne     1b
        mov     $0x0f02, %ax         /* all planes again */
        out     %ax, %dx
        ret

/* Text modes: no cursor (it blinks), attribute bit 7 a bright background. */
text_setup:
        mov     $0x0100, %ax
        mov     $0x2000, %cx
        int     $0x10
        mov     $0x1003, %ax
        xor     %bl, %bl
        int     $0x10
        ret

/* Fills CX cells at 0xb8000 with every character in mixed attributes. */
fill_text:
        mov     $0xb800, %ax
        mov     %ax, %es
        xor     %di, %di
        xor     %bx, %bx
1:      mov     %bx, %ax
        mov     %bl, %ah
        rol     $3, %ah
        xor     %bh, %ah
        stosw
        inc     %bx
        loop    1b
        ret

main:
        /* Mode 13h: 320x200, 256 colours, chain 4. */
        mov     $0x0013, %ax
        int     $0x10
        mov     $0xa000, %ax
        mov     %ax, %es
        xor     %di, %di
        mov     $64000, %cx
1:      mov     %di, %ax
        xor     %ah, %al
        stosb
        loop    1b
        mov     $0x3c8, %dx          /* DAC entry 1: orange */
        mov     $1, %al
        out     %al, %dx
        inc     %dx
        mov     $63, %al
        out     %al, %dx
        mov     $32, %al
        out     %al, %dx
        mov     $8, %al
        out     %al, %dx
        mov     $0x0a05, %dx
        mov     $0x0f, %bl
        mov     $text_13, %si
        call    bios_text
        movb    %es:1000, %al
        call    report_byte
        mov     $ready_13, %si
        call    step

        /* Mode 12h: 640x480, 16 colours, planar. */
        mov     $0x0012, %ax
        int     $0x10
        mov     $0xa000, %ax
        mov     %ax, %es
        mov     $38400, %bp
        call    fill_planes
        mov     $0x3ce, %dx
        /* Write mode 2 through bit mask 0x3c over rows 0-99. */
        mov     $0x0205, %ax
        out     %ax, %dx
        mov     $0x3c08, %ax
        out     %ax, %dx
        xor     %di, %di
        mov     $8000, %cx
1:      movb    %es:(%di), %al       /* loads the latches */
        mov     $0x0c, %al
        stosb
        loop    1b
        /* Write mode 0 with set/reset colour 9 XORed into the latches through
           bit mask 0xf0, rows 200-299. */
        mov     $0x0005, %ax
        out     %ax, %dx
        mov     $0x0f01, %ax
        out     %ax, %dx
        mov     $0x0900, %ax
        out     %ax, %dx
        mov     $0x1803, %ax
        out     %ax, %dx
        mov     $0xf008, %ax
        out     %ax, %dx
        mov     $16000, %di
        mov     $8000, %cx
1:      movb    %es:(%di), %al
        stosb
        loop    1b
        /* Rotated CPU data (right by 3) into planes 0 and 2, rows 300-349. */
        mov     $0x0001, %ax
        out     %ax, %dx
        mov     $0x0303, %ax
        out     %ax, %dx
        mov     $0xff08, %ax
        out     %ax, %dx
        mov     $0x3c4, %dx
        mov     $0x0502, %ax
        out     %ax, %dx
        mov     $24000, %di
        mov     $4000, %cx
        mov     $0x81, %al
        rep stosb
        mov     $0x0f02, %ax
        out     %ax, %dx
        mov     $0x3ce, %dx
        mov     $0x0003, %ax
        out     %ax, %dx
        /* Write mode 3: set/reset colour 14 through CPU data 0x55, rows 350-399. */
        mov     $0x0305, %ax
        out     %ax, %dx
        mov     $0x0e00, %ax
        out     %ax, %dx
        mov     $28000, %di
        mov     $4000, %cx
1:      movb    %es:(%di), %al
        mov     $0x55, %al
        stosb
        loop    1b
        /* Write mode 1: rows 0-49 copied through the latches to rows 400-449. */
        mov     $0x0105, %ax
        out     %ax, %dx
        push    %ds
        push    %es
        pop     %ds
        xor     %si, %si
        mov     $32000, %di
        mov     $4000, %cx
        rep movsb
        pop     %ds
        /* Read mode 1: which pixels of byte 100 have colour 12. */
        mov     $0x0805, %ax
        out     %ax, %dx
        mov     $0x0c02, %ax
        out     %ax, %dx
        mov     $0x0f07, %ax
        out     %ax, %dx
        movb    %es:100, %al
        call    report_byte
        /* ...and, ignoring plane 3, colour 4. */
        mov     $0x0402, %ax
        out     %ax, %dx
        mov     $0x0707, %ax
        out     %ax, %dx
        movb    %es:20100, %al
        call    report_byte
        /* Read mode 0: plane 2 of byte 100, plane 3 of byte 20000. */
        mov     $0x0005, %ax
        out     %ax, %dx
        mov     $0x0204, %ax
        out     %ax, %dx
        movb    %es:100, %al
        call    report_byte
        mov     $0x0304, %ax
        out     %ax, %dx
        movb    %es:20000, %al
        call    report_byte
        mov     $0x0004, %ax
        out     %ax, %dx
        mov     $0x0000, %ax
        out     %ax, %dx
        mov     $0x0002, %ax
        out     %ax, %dx
        /* Palette register 1 to white (attribute controller, through the BIOS). */
        mov     $0x1000, %ax
        mov     $0x3f01, %bx
        int     $0x10
        mov     $0x1c10, %dx
        mov     $0x0e, %bl
        mov     $text_12, %si
        call    bios_text
        mov     $ready_12, %si
        call    step

        /* Mode 0Dh: 320x200, 16 colours, planar, half the dot clock. */
        mov     $0x000d, %ax
        int     $0x10
        mov     $0xa000, %ax
        mov     %ax, %es
        mov     $8000, %bp
        call    fill_planes
        mov     $0x0a08, %dx
        mov     $0x0a, %bl
        mov     $text_0d, %si
        call    bios_text
        movb    %es:3000, %al
        call    report_byte
        mov     $ready_0d, %si
        call    step

        /* Mode 04h: 320x200, 4 colours, CGA's interleaved banks at 0xb8000. */
        mov     $0x0004, %ax
        int     $0x10
        mov     $0xb800, %ax
        mov     %ax, %es
        xor     %di, %di
        mov     $0x4000, %cx
1:      mov     %di, %ax
        xor     %ah, %al
        stosb
        loop    1b
        mov     $0x0a08, %dx
        mov     $0x03, %bl
        mov     $text_04, %si
        call    bios_text
        movb    %es:0x2100, %al
        call    report_byte
        mov     $ready_04, %si
        call    step

        /* VBE mode 101h: 640x480, 256 colours, through the banked window at
           0xA0000 (bit 14 of BX clear: no linear framebuffer). */
        mov     $0x4f02, %ax
        mov     $0x0101, %bx
        int     $0x10
        call    report_byte          /* AL = 4Fh: the function is supported */
        mov     $0xa000, %ax
        mov     %ax, %es
        xor     %dx, %dx             /* the bank */
1:      push    %dx
        mov     $0x4f05, %ax         /* window A to bank DX */
        xor     %bx, %bx
        int     $0x10
        pop     %dx
        xor     %di, %di
        xor     %cx, %cx             /* 65536 bytes */
2:      mov     %di, %ax
        xor     %ah, %al
        add     %dl, %al
        add     %dl, %al
        stosb
        loop    2b
        inc     %dx
        cmp     $5, %dx              /* 640x480 bytes: 4.7 banks */
        jne     1b
        mov     $0x3c8, %dx          /* DAC entry 3: violet */
        mov     $3, %al
        out     %al, %dx
        inc     %dx
        mov     $40, %al
        out     %al, %dx
        mov     $10, %al
        out     %al, %dx
        mov     $63, %al
        out     %al, %dx
        mov     $0x4f05, %ax         /* bank 2 again, and read a byte back */
        xor     %bx, %bx
        mov     $2, %dx
        int     $0x10
        movb    %es:0x1234, %al
        call    report_byte
        mov     $ready_vbe, %si
        call    step

        /* Mode 01h: 40x25 text, 9-pixel characters at half the dot clock. */
        mov     $0x0001, %ax
        int     $0x10
        call    text_setup
        mov     $1000, %cx
        call    fill_text
        mov     $ready_01, %si
        call    step

        /* Mode 03h with the BIOS's 8x8 font: 80x50. */
        mov     $0x0003, %ax
        int     $0x10
        mov     $0x1112, %ax
        xor     %bl, %bl
        int     $0x10
        call    text_setup
        mov     $4000, %cx
        call    fill_text
        mov     $ready_50, %si
        call    step

        /* Back to text mode 3. */
        mov     $0x0003, %ax
        int     $0x10
        call    text_setup
        mov     $0x0500, %dx
        mov     $0x07, %bl
        mov     $text_03, %si
        call    bios_text
        mov     $done, %si
        call    puts
1:      hlt
        jmp     1b

read_message:   .asciz  "vgamodes: read "
ready_13:       .asciz  "vgamodes: mode 13 ready\n"
ready_12:       .asciz  "vgamodes: mode 12 ready\n"
ready_0d:       .asciz  "vgamodes: mode 0d ready\n"
ready_04:       .asciz  "vgamodes: mode 04 ready\n"
ready_vbe:      .asciz  "vgamodes: vbe 101 ready\n"
ready_01:       .asciz  "vgamodes: mode 01 ready\n"
ready_50:       .asciz  "vgamodes: mode 03 80x50 ready\n"
done:           .asciz  "vgamodes: back in text mode\n"
text_13:        .asciz  "Mode 13h"
text_12:        .asciz  "Mode 12h: 640x480 in 16 colours"
text_0d:        .asciz  "Mode 0Dh"
text_04:        .asciz  "Mode 04h"
text_03:        .asciz  "Text mode again"

        .org    2048
