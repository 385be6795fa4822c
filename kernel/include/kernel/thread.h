/*
 * Threads as the kernel runs them. The capability-level TCB object (issue 3)
 * embeds this; the foundation has just the root task and idle.
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <arch/regs.h>
#include <kernel/types.h>
#include <vm/stage2.h>
#include <vm/vmid.h>

enum thread_state {
    THREAD_INACTIVE = 0,
    THREAD_RUNNABLE = 1,
    THREAD_BLOCKED = 2,
    THREAD_STOPPED = 3, /* exited or stopped after a fault */
};

struct thread {
    struct arch_regs regs; /* saved EL0 context; vectors.S saves into it */
    char name[24];
    enum thread_state state;
    s2_space_t *space; /* address space (stage-2 table + VMID) */
    uint64_t exit_status;
    uint64_t irq_entries; /* interrupts taken while this thread ran */
};

/* The thread running at EL0 on this CPU, or NULL when idle. */
struct thread *thread_current(void);
/* Makes t current and returns the frame to resume (arch_restore_regs). */
struct arch_regs *thread_switch_to(struct thread *t);
/* Picks what runs next: a frame to resume, or never returns (idle/power off). */
struct arch_regs *schedule(void);
/* Stops t (exit or unhandled fault); the root task stopping ends the system. */
void thread_stop(struct thread *t, uint64_t status);
void thread_set_root(struct thread *t);

#endif
