/* EL0 program entry: the kernel set SP and put the boot info address in x0. */
    .text
    .global _start
_start:
    mov     x29, xzr
    mov     x30, xzr
    bl      bh_main_entry
1:  b       1b
