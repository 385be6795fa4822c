/*
 * C side of the EL2 vectors: kernel exceptions (always a panic), and
 * exceptions and interrupts from EL0 threads.
 */
#include <arch/esr.h>
#include <arch/gic.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <arch/timer.h>
#include <kernel/console.h>
#include <kernel/syscall.h>
#include <kernel/thread.h>

#include <bh_fmt.h>

static const char *const kind_names[] = {
    "synchronous exception", "IRQ", "FIQ", "SError", "exception with SP_EL0 selected",
};

void panic_frame(const char *reason, const struct arch_regs *r, uint64_t esr, uint64_t far)
    __attribute__((noreturn));

void panic_frame(const char *reason, const struct arch_regs *r, uint64_t esr, uint64_t far)
{
    char line[160];
    IRQ_MASK();
    kprintf("\n"
            "KERNEL PANIC: %s\n",
            reason);
    esr_describe(esr, line, sizeof(line));
    kprintf("  ESR_EL2  0x%016lx  %s\n", (unsigned long)esr, line);
    kprintf("  ELR_EL2  0x%016lx\n", (unsigned long)r->elr);
    kprintf("  FAR_EL2  0x%016lx\n", (unsigned long)far);
    spsr_describe(r->spsr, line, sizeof(line));
    kprintf("  SPSR_EL2 0x%016lx  %s\n", (unsigned long)r->spsr, line);
    for (unsigned i = 0; i < 31; i += 2) {
        if (i + 1 < 31) {
            kprintf("  x%-2u 0x%016lx  x%-2u 0x%016lx\n", i, (unsigned long)r->x[i], i + 1,
                    (unsigned long)r->x[i + 1]);
        } else {
            kprintf("  x%-2u 0x%016lx  sp_el0 0x%016lx\n", i, (unsigned long)r->x[i],
                    (unsigned long)r->sp_el0);
        }
    }
    kprintf("System halted.\n");
    for (;;) {
        WFI();
    }
}

void kernel_exception(struct arch_regs *r, unsigned kind)
{
    char reason[96];
    const char *k = kind < 5 ? kind_names[kind] : "exception";
    bh_snprintf(reason, sizeof(reason), "unexpected %s taken at EL2", k);
    panic_frame(reason, r, READ_SYSREG(esr_el2), READ_SYSREG(far_el2));
}

void kernel_assert_fail(const char *file, int line, const char *cond)
{
    panic("assertion failed at %s:%d: %s", file, line, cond);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    IRQ_MASK();
    kprintf("\n"
            "KERNEL PANIC: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\nSystem halted.\n");
    for (;;) {
        WFI();
    }
}

/* A fault by an EL0 thread: report it precisely and stop the thread. (With the
 * capability core, the report becomes a message to its fault endpoint.) */
static struct arch_regs *thread_fault(struct thread *t, uint64_t esr, uint64_t far)
{
    char line[160];
    esr_describe(esr, line, sizeof(line));
    unsigned ec = ESR_EC(esr);
    bool has_far = ec == EC_DABT_LOWER || ec == EC_IABT_LOWER || ec == EC_PC_ALIGN;
    kprintf("fault: thread '%s' stopped: %s", t->name, line);
    if (has_far) {
        kprintf(" at address 0x%lx", (unsigned long)far);
    }
    kprintf(", pc 0x%lx\n", (unsigned long)t->regs.elr);
    thread_stop(t, 0xfa17);
    return schedule();
}

struct arch_regs *handle_lower_sync(struct arch_regs *r)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    uint64_t far = READ_SYSREG(far_el2);
    struct thread *t = thread_current();
    if (t == NULL || r != &t->regs) {
        panic_frame("exception from a lower EL with no current thread", r, esr, far);
    }
    if (ESR_EC(esr) == EC_SVC64) {
        return syscall_dispatch(t);
    }
    return thread_fault(t, esr, far);
}

/* Handles every pending interrupt; returns with them acknowledged. */
static void irq_dispatch(void)
{
    for (;;) {
        unsigned intid = gic_ack();
        if (intid >= GIC_SPURIOUS) {
            return;
        }
        gic_eoi(intid);
        if (kernel_irq(intid)) {
            gic_deactivate(intid);
        } else {
            kprintf("bulkhead: unexpected interrupt %u, disabled\n", intid);
            gic_disable(intid);
            gic_deactivate(intid);
        }
    }
}

struct arch_regs *handle_lower_irq(struct arch_regs *r)
{
    struct thread *t = thread_current();
    if (t != NULL) {
        t->irq_entries++;
    }
    irq_dispatch();
    (void)r;
    return schedule();
}

struct arch_regs *handle_idle_irq(void)
{
    irq_dispatch();
    return schedule();
}

struct arch_regs *handle_lower_fiq(struct arch_regs *r)
{
    panic_frame("FIQ from a lower EL (all interrupts are Group 1 IRQs)", r, READ_SYSREG(esr_el2),
                0);
}

struct arch_regs *handle_lower_serror(struct arch_regs *r)
{
    panic_frame("SError from a lower EL", r, READ_SYSREG(esr_el2), READ_SYSREG(far_el2));
}

struct arch_regs *handle_lower_aarch32(struct arch_regs *r)
{
    struct thread *t = thread_current();
    if (t == NULL) {
        panic_frame("AArch32 exception with no current thread", r, READ_SYSREG(esr_el2), 0);
    }
    kprintf("fault: thread '%s' stopped: AArch32 execution is not supported\n", t->name);
    thread_stop(t, 0xfa17);
    return schedule();
}
