/*
 * Test guest entry and EL1 exception vectors.
 * Entry (Linux arm64 boot protocol): EL1, MMU off, x0 = DTB address or 0;
 * x1/x2 are 0 unless the VMM passes guest parameters (memprobe's range).
 */
    .section .text.boot, "ax"
    .globl _start
_start:
    msr     daifset, #0xf           /* interrupts stay off until a guest wants them */
    mov     x19, x0
    mov     x20, x1
    mov     x21, x2
    ldr     x9, =__stack_top
    mov     sp, x9
    ldr     x9, =guest_vectors
    msr     vbar_el1, x9
    isb
    /* .bss is 16-byte aligned at both ends (guest.ld). */
    ldr     x9, =__bss_start
    ldr     x10, =__bss_end
1:  cmp     x9, x10
    b.hs    2f
    stp     xzr, xzr, [x9], #16
    b       1b
2:  mov     x0, x19
    mov     x1, x20
    mov     x2, x21
    bl      guest_entry
3:  wfi
    b       3b

/* Frame layout: x0..x30 at 8*n, ELR at 248, SPSR at 256 (struct guest_frame). */
.macro vector kind
    .balign 0x80
    sub     sp, sp, #272
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       vector_common
.endm

    .text
    .balign 0x800
    .globl guest_vectors
guest_vectors:
    vector 0    /* current EL, SP_EL0: sync */
    vector 1    /* irq */
    vector 2    /* fiq */
    vector 3    /* serror */
    vector 0    /* current EL, SP_ELx: sync */
    vector 1
    vector 2
    vector 3
    vector 4    /* lower EL (none run here) */
    vector 4
    vector 4
    vector 4
    vector 4
    vector 4
    vector 4
    vector 4

vector_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x9, elr_el1
    mrs     x10, spsr_el1
    stp     x30, x9, [sp, #240]
    str     x10, [sp, #256]
    /* x0 = kind (set by the entry); the original x0 is already saved. */
    mov     x1, x0
    mov     x0, sp
    bl      guest_exception
    ldp     x30, x9, [sp, #240]
    ldr     x10, [sp, #256]
    msr     elr_el1, x9
    msr     spsr_el1, x10
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #272
    eret
