/*
 * EL2 exception vectors.
 *
 * From a lower EL (an EL0 thread or a guest) SP_EL2 points just past the
 * running thread's saved-register frame (struct arch_regs), so the entry code
 * saves the full frame straight into the thread, then switches to this CPU's
 * kernel stack (TPIDR_EL2 -> struct percpu). The C handler returns the frame
 * of whatever runs next and arch_restore_regs() resumes it.
 *
 * At EL2 the kernel runs with interrupts masked except in the idle loop, so an
 * IRQ taken at EL2 comes from idle and needs no state saved. Any synchronous
 * exception at EL2 is a kernel bug: the frame goes on the stack and we panic.
 */
#include <arch/regs.h>

.macro save_frame_at_sp
    stp     x0, x1, [sp, #0]
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
    str     x30, [sp, #REGS_X30]
    mrs     x0, sp_el0
    str     x0, [sp, #REGS_SP_EL0]
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x0, x1, [sp, #REGS_ELR]
.endm

/* Lower-EL entry: save into the thread, x0 = frame, switch to the kernel stack. */
.macro lower_entry handler
    sub     sp, sp, #REGS_SIZE
    save_frame_at_sp
    mov     x0, sp
    mrs     x1, tpidr_el2
    ldr     x2, [x1, #PERCPU_KSTACK_TOP]
    mov     sp, x2
    mov     x29, xzr
    bl      \handler
    b       arch_restore_regs
.endm

/* EL2 entry (kernel bug): full frame on the current stack, then panic. */
.macro kernel_entry kind
    sub     sp, sp, #REGS_SIZE
    save_frame_at_sp
    mov     x0, sp
    mov     x1, #\kind
    bl      kernel_exception
    b       halt_forever
.endm

.macro ventry target
    .align 7
    b       \target
.endm

    .text
    .align 11
    .global el2_vectors
el2_vectors:
    ventry  cur_sp0_sync            /* current EL with SP_EL0: never used */
    ventry  cur_sp0_irq
    ventry  cur_sp0_fiq
    ventry  cur_sp0_serror
    ventry  cur_spx_sync            /* current EL with SP_EL2 */
    ventry  cur_spx_irq
    ventry  cur_spx_fiq
    ventry  cur_spx_serror
    ventry  lower64_sync            /* lower EL, AArch64 */
    ventry  lower64_irq
    ventry  lower64_fiq
    ventry  lower64_serror
    ventry  lower32_sync            /* lower EL, AArch32: not supported */
    ventry  lower32_irq
    ventry  lower32_fiq
    ventry  lower32_serror

/* Kinds passed to kernel_exception / handle_lower_unexpected (see exception.c). */
#define K_SYNC   0
#define K_IRQ    1
#define K_FIQ    2
#define K_SERROR 3
#define K_SP0    4

cur_sp0_sync:   kernel_entry K_SP0
cur_sp0_irq:    kernel_entry K_SP0
cur_sp0_fiq:    kernel_entry K_SP0
cur_sp0_serror: kernel_entry K_SP0
cur_spx_sync:   kernel_entry K_SYNC
cur_spx_fiq:    kernel_entry K_FIQ
cur_spx_serror: kernel_entry K_SERROR

cur_spx_irq:
    /* Only the idle loop runs with IRQs unmasked at EL2: nothing to save. */
    mrs     x1, tpidr_el2
    ldr     x2, [x1, #PERCPU_KSTACK_TOP]
    mov     sp, x2
    mov     x29, xzr
    bl      handle_idle_irq
    b       arch_restore_regs

lower64_sync:   lower_entry handle_lower_sync
lower64_irq:    lower_entry handle_lower_irq
lower64_fiq:    lower_entry handle_lower_fiq
lower64_serror: lower_entry handle_lower_serror
lower32_sync:   lower_entry handle_lower_aarch32
lower32_irq:    lower_entry handle_lower_aarch32
lower32_fiq:    lower_entry handle_lower_aarch32
lower32_serror: lower_entry handle_lower_aarch32

/*
 * arch_restore_regs(struct arch_regs *frame): resume a lower-EL context.
 * Leaves SP_EL2 just past the frame so the next exception saves into it.
 */
    .global arch_restore_regs
arch_restore_regs:
    mov     sp, x0
    ldp     x0, x1, [sp, #REGS_ELR]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldr     x0, [sp, #REGS_SP_EL0]
    msr     sp_el0, x0
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
    ldr     x30, [sp, #REGS_X30]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #REGS_SIZE
    eret
    dsb     nsh                     /* speculation barrier after eret */
    isb

/* arch_idle(kstack_top): wait for interrupts with nothing to save. */
    .global arch_idle
arch_idle:
    mov     sp, x0
    msr     daifclr, #2
1:  wfi
    b       1b
