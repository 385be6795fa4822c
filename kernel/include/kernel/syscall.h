/* System call entry (kernel side). */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdbool.h>

#include <arch/regs.h>
#include <kernel/thread.h>

/* Handles the SVC the current thread t just made; returns the frame to resume. */
struct arch_regs *syscall_dispatch(struct thread *t);
/* Kernel-owned interrupts (the scheduling timer). Returns false if unknown. */
bool kernel_irq(unsigned intid);

#endif
