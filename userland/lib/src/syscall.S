/*
 * bh_syscall(struct bh_sysregs *r): the one generic system call. Loads x0..x7
 * and the number (x8) from r, traps, and stores x0..x8 back (x8 carries the
 * badge on receive).
 */
    .text
    .global bh_syscall
bh_syscall:
    stp     x19, x30, [sp, #-16]!
    mov     x19, x0
    ldp     x0, x1, [x19, #0]
    ldp     x2, x3, [x19, #16]
    ldp     x4, x5, [x19, #32]
    ldp     x6, x7, [x19, #48]
    ldr     x8, [x19, #64]
    svc     #0
    stp     x0, x1, [x19, #0]
    stp     x2, x3, [x19, #16]
    stp     x4, x5, [x19, #32]
    stp     x6, x7, [x19, #48]
    str     x8, [x19, #64]
    ldp     x19, x30, [sp], #16
    ret
