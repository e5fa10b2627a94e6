/* multiboot: a multiboot (0.6.96) kernel started with -kernel, loaded through
   its ELF program headers, or with --defsym AOUT_KLUDGE=1 through the header's
   address fields. Checks the entry state and the MBI: EAX magic, paging off,
   mem_upper for -m 64 and the -append command line "mbtest arg=1", then prints
   PASS and exits through isa-debug-exit (0 = pass). Linked at 1 MiB. */
        .set    COM1, 0x3f8
        .set    EXIT_PORT, 0xf4
        .set    MB_MAGIC, 0x1BADB002
        .ifdef  AOUT_KLUDGE
        .set    MB_FLAGS, 0x00010002    /* memory info, address fields */
        .else
        .set    MB_FLAGS, 0x00000002    /* memory info */
        .endif

        .text
        .code32
        .globl  _start
mb_header:
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)
        .long   mb_header               /* header_addr */
        .long   mb_header               /* load_addr: the image starts here */
        .long   image_end               /* load_end_addr */
        .long   bss_end                 /* bss_end_addr */
        .long   _start                  /* entry_addr */

_start:
        mov     $stack_top, %esp
        mov     $1, %ecx
        cmp     $0x2BADB002, %eax
        jne     fail
        mov     %cr0, %edx              /* paging off, protection on */
        mov     $2, %ecx
        test    $0x80000000, %edx
        jnz     fail
        test    $1, %edx
        jz      fail
        mov     %cs, %dx                /* flat data: the MBI reads through DS */
        mov     $3, %ecx
        testl   $1, (%ebx)              /* flags: mem_lower/mem_upper */
        jz      fail
        mov     $4, %ecx
        cmpl    $(64 * 1024 - 1024), 8(%ebx)
        jne     fail
        mov     $5, %ecx
        testl   $4, (%ebx)              /* flags: cmdline */
        jz      fail
        mov     16(%ebx), %esi
        mov     $expected_cmdline, %edi
1:      movb    (%esi), %al
        cmpb    (%edi), %al
        jne     fail
        inc     %esi
        inc     %edi
        test    %al, %al
        jnz     1b
        mov     $6, %ecx
        testl   $0x40, (%ebx)           /* flags: mmap */
        jz      fail
        cmpl    $0, 44(%ebx)
        je      fail
        mov     $7, %ecx                /* the bss is zeroed */
        cmpl    $0, bss_word
        jne     fail
        mov     $msg_pass, %esi
        call    puts
        xor     %al, %al
        jmp     exit

fail:   mov     $msg_fail, %esi
        call    puts
        mov     %cl, %al
        add     $'0', %al
        mov     $COM1, %dx
        outb    %al, %dx
        mov     $'\n', %al
        outb    %al, %dx
        mov     %cl, %al
exit:   mov     $EXIT_PORT, %dx
        outb    %al, %dx
2:      hlt
        jmp     2b

puts:   mov     $COM1, %dx
1:      movb    (%esi), %al
        inc     %esi
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      ret

expected_cmdline:
        .asciz  "mbtest arg=1"
msg_pass:
        .asciz  "PASS\n"
msg_fail:
        .asciz  "FAIL "
        .balign 4
image_end:

        .bss
        .balign 16
bss_word:
        .long   0
        .skip   4096
stack_top:
bss_end:
