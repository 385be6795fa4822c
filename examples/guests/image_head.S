/*
 * arm64 Image header (Linux Documentation/arch/arm64/booting.rst) for the
 * example guests: the VMM loads an Image, not an ELF. Linked first in
 * .text.boot (tests/guests/guest.ld puts that section at 0x40080000), so the
 * flat binary starts with it; code0 branches to start.S's _start.
 */
    .section .text.boot, "ax"
    .globl _head
_head:
    b       _start                  /* code0 */
    .long   0                       /* code1 */
    .quad   0x80000                 /* text_offset: RAM base + 512 KiB (guest.ld) */
    .quad   __stack_top - _head     /* image_size: code, data, BSS and stack */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, anywhere */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic at offset 56 */
    .long   0                       /* res5 */
