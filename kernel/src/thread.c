/*
 * Foundation scheduling: one EL0 thread (the root task) and idle. The
 * capability core's scheduler (kernel/core/sched.c) replaces schedule().
 */
#include <kernel/thread.h>

#include <arch/psci.h>
#include <arch/sysreg.h>
#include <kernel/console.h>

extern struct percpu percpu0;
void arch_idle(uint64_t kstack_top) __attribute__((noreturn));

static struct thread *root_thread;
static struct thread *current;

/* While an EL0 thread runs: stage 1 off (TGE), the thread's stage-2 table is
 * its address space (DC makes stage-1-off accesses Normal write-back and
 * implies VM), all exceptions and interrupts come to EL2. */
#define HCR_EL0_THREAD (HCR_TGE | HCR_DC | HCR_VM | HCR_RW)

struct thread *thread_current(void)
{
    return current;
}

void thread_set_root(struct thread *t)
{
    root_thread = t;
}

struct arch_regs *thread_switch_to(struct thread *t)
{
    current = t;
    WRITE_SYSREG(vttbr_el2, s2_vttbr(t->space));
    WRITE_SYSREG(hcr_el2, HCR_EL0_THREAD);
    ISB();
    percpu0.cur = &t->regs;
    return &t->regs;
}

static void system_halt(void)
{
    kprintf("bulkhead: system halted, powering off\n");
    psci_system_off();
    kprintf("bulkhead: PSCI SYSTEM_OFF unavailable; halting this CPU\n");
    for (;;) {
        IRQ_MASK();
        WFI();
    }
}

struct arch_regs *schedule(void)
{
    if (root_thread != NULL && root_thread->state == THREAD_RUNNABLE) {
        return thread_switch_to(root_thread);
    }
    current = NULL;
    percpu0.cur = NULL;
    if (root_thread == NULL || root_thread->state == THREAD_STOPPED) {
        system_halt();
    }
    arch_idle(percpu0.kstack_top);
}

void thread_stop(struct thread *t, uint64_t status)
{
    t->state = THREAD_STOPPED;
    t->exit_status = status;
    if (t == root_thread) {
        kprintf("bulkhead: root task exited with status %lu (%lu interrupts taken while it ran)\n",
                (unsigned long)status, (unsigned long)t->irq_entries);
    }
}
