/*
 * C side of the EL2 vectors: kernel exceptions (always a panic), and
 * exceptions and interrupts from EL0 threads.
 */
#include <arch/esr.h>
#include <arch/gic.h>
#include <arch/regs.h>
#include <arch/smp.h>
#include <arch/sysreg.h>
#include <arch/timer.h>
#include <kernel/console.h>
#include <bulkhead/ipc.h>
#include <kernel/kernel.h>
#include <kernel/vcpu.h>

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
    if (!smp_panic_begin()) {
        smp_halt(); /* another CPU is reporting its panic */
    }
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
    smp_report_stop();
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
    if (!smp_panic_begin()) {
        smp_halt(); /* another CPU is reporting its panic */
    }
    kprintf("\n"
            "KERNEL PANIC: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    smp_report_stop();
    kprintf("System halted.\n");
    for (;;) {
        WFI();
    }
}

struct arch_regs *kentry_syscall(struct tcb *t);
struct arch_regs *kentry_fault(struct tcb *t, uint64_t label, const uint64_t msg[6],
                               const char *what);
struct arch_regs *kentry_irq(void);
struct arch_regs *kentry_vcpu_exit(struct tcb *t, uint64_t esr, uint64_t far, uint64_t ipa);
struct tcb *kentry_lock(struct arch_regs *r, uint64_t esr, bool sync);
void kentry_lock_idle(void);
struct arch_regs *kentry_restart(void);

/* The frame the vectors saved must be the one this CPU was running. */
static void check_frame(struct arch_regs *r, const char *what)
{
    if (r != this_cpu()->cur) {
        panic_frame(what, r, READ_SYSREG(esr_el2), READ_SYSREG(far_el2));
    }
}

/* A guest exit: the IPA of a stage-2 abort is HPFAR_EL2.FIPA (IPA[47:12] in
 * bits [43:4]) plus the page offset from FAR_EL2. */
static struct arch_regs *guest_exit(struct tcb *t, uint64_t esr, uint64_t far, uint64_t hpfar)
{
    uint64_t ipa = ((hpfar & 0x00000ffffffffff0ull) << 8) | (far & 0xfffu);
    return kentry_vcpu_exit(t, esr, far, ipa);
}

/* A fault by an EL0 thread becomes a fault message to its handler; the
 * decoded description is what the kernel prints when it has none. */
static struct arch_regs *thread_fault(struct tcb *t, uint64_t esr, uint64_t far)
{
    char what[200];
    size_t n = esr_describe(esr, what, sizeof(what));
    unsigned ec = ESR_EC(esr);
    uint64_t label = BH_FAULT_USER_EXCEPTION;
    uint64_t msg[6] = {t->regs.elr, esr, t->regs.sp_el0, 0, 0, 0};
    if (ec == EC_DABT_LOWER || ec == EC_IABT_LOWER) {
        label = BH_FAULT_VM;
        msg[1] = far;
        msg[2] = esr;
        msg[3] = ec == EC_IABT_LOWER;
    }
    if ((ec == EC_DABT_LOWER || ec == EC_IABT_LOWER || ec == EC_PC_ALIGN) && n < sizeof(what)) {
        bh_snprintf(what + n, sizeof(what) - n, " at address 0x%lx", (unsigned long)far);
    }
    return kentry_fault(t, label, msg, what);
}

/* Every lower-EL entry: syndrome registers first (this CPU's own), then the
 * kernel lock (kentry_lock), then the handling. */
struct arch_regs *handle_lower_sync(struct arch_regs *r)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    uint64_t far = READ_SYSREG(far_el2);
    uint64_t hpfar = READ_SYSREG(hpfar_el2);
    check_frame(r, "exception from a lower EL with no current thread");
    struct tcb *t = kentry_lock(r, esr, true);
    if (t == NULL) {
        return kentry_restart();
    }
    if (t->vcpu != NULL) {
        return guest_exit(t, esr, far, hpfar);
    }
    if (ESR_EC(esr) == EC_SVC64) {
        return kentry_syscall(t);
    }
    return thread_fault(t, esr, far);
}

struct arch_regs *handle_lower_irq(struct arch_regs *r)
{
    check_frame(r, "interrupt from a lower EL with no current thread");
    struct tcb *t = kentry_lock(r, 0, false);
    if (t != NULL) {
        t->irq_entries++;
    }
    return kentry_irq();
}

struct arch_regs *handle_idle_irq(void)
{
    kentry_lock_idle();
    return kentry_irq();
}

struct arch_regs *handle_lower_fiq(struct arch_regs *r)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    check_frame(r, "FIQ from a lower EL with no current thread");
    struct tcb *t = kentry_lock(r, esr, false);
    if (t == NULL) {
        return kentry_restart();
    }
    if (t->vcpu != NULL) {
        return guest_exit(t, esr, 0, READ_SYSREG(hpfar_el2)); /* an unknown exit for its VMM */
    }
    panic_frame("FIQ from a lower EL (all interrupts are Group 1 IRQs)", r, esr, 0);
}

struct arch_regs *handle_lower_serror(struct arch_regs *r)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    uint64_t far = READ_SYSREG(far_el2);
    check_frame(r, "SError from a lower EL with no current thread");
    struct tcb *t = kentry_lock(r, esr, false);
    if (t == NULL) {
        return kentry_restart();
    }
    if (t->vcpu != NULL) {
        /* A guest's SError is its own problem: its VMM gets an unknown exit. */
        return guest_exit(t, esr, far, READ_SYSREG(hpfar_el2));
    }
    panic_frame("SError from a lower EL", r, esr, far);
}

struct arch_regs *handle_lower_aarch32(struct arch_regs *r)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    check_frame(r, "AArch32 exception with no current thread");
    struct tcb *t = kentry_lock(r, esr, false);
    if (t == NULL) {
        return kentry_restart();
    }
    if (t->vcpu != NULL) {
        return guest_exit(t, esr, 0, READ_SYSREG(hpfar_el2));
    }
    uint64_t msg[6] = {r->elr, esr, 0, 0, 0, 0};
    return kentry_fault(t, BH_FAULT_USER_EXCEPTION, msg, "AArch32 execution is not supported");
}
