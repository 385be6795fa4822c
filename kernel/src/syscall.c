#include <kernel/syscall.h>

#include <arch/esr.h>
#include <arch/timer.h>
#include <bulkhead/errors.h>
#include <bulkhead/syscall.h>
#include <kernel/console.h>

static unsigned timer_intid;
static uint64_t tick_period;
static uint64_t ticks;

void kernel_timer_start(unsigned intid, uint64_t period_ticks)
{
    timer_intid = intid;
    tick_period = period_ticks;
    timer_set_deadline(timer_now() + tick_period);
}

uint64_t kernel_ticks(void)
{
    return ticks;
}

bool kernel_irq(unsigned intid)
{
    if (intid == timer_intid && tick_period != 0) {
        ticks++;
        timer_set_deadline(timer_now() + tick_period);
        return true;
    }
    return false;
}

static uint64_t debug_write(struct thread *t)
{
    uint64_t len = t->regs.x[0];
    if (len > BH_DEBUG_WRITE_MAX) {
        return BH_E_RANGE;
    }
    char buf[BH_DEBUG_WRITE_MAX];
    for (uint64_t i = 0; i < len; i++) {
        buf[i] = (char)(t->regs.x[2 + i / 8] >> (8 * (i % 8)));
    }
    kwrite(buf, (size_t)len);
    return BH_OK;
}

struct arch_regs *syscall_dispatch(struct thread *t)
{
    uint64_t nr = t->regs.x[8];
    switch (nr) {
    case BH_SYS_DEBUG_WRITE:
        t->regs.x[0] = debug_write(t);
        return &t->regs;
    case BH_SYS_EXIT:
        thread_stop(t, t->regs.x[0]);
        return schedule();
    default:
        /* Unknown system call: a fault of the thread (issue 3 sends it to the
         * thread's fault handler), reported with the number it asked for. */
        kprintf("fault: thread '%s' stopped: unknown system call %lu, pc 0x%lx\n", t->name,
                (unsigned long)nr, (unsigned long)t->regs.elr);
        thread_stop(t, 0xfa17);
        return schedule();
    }
}
