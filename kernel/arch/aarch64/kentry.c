/*
 * AArch64 side of every kernel entry: time, the portable kernel, the choice of
 * what runs next, and the hardware state that goes with it (VTTBR_EL2,
 * HCR_EL2, the EL2 timer deadline).
 */
#include <arch/gic.h>
#include <arch/psci.h>
#include <arch/regs.h>
#include <arch/smp.h>
#include <arch/sysreg.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <kernel/console.h>
#include <kernel/console_input.h>
#include <kernel/kernel.h>
#include <kernel/vspace.h>

void arch_idle(uint64_t kstack_top) __attribute__((noreturn));

static unsigned timer_intid;
static unsigned console_intid;

/* While an EL0 thread runs: HCR_EL2 = TGE | DC | VM | RW, i.e. stage 1 off
 * (TGE), the thread's stage-2 table is its address space (DC makes
 * stage-1-off accesses Normal write-back), every exception and interrupt
 * comes to EL2. A thread with a bound vCPU runs its guest instead
 * (vcpu_switch.c). */

void arch_console_write(const char *s, size_t n)
{
    kwrite(s, n);
}

/* Per CPU (struct percpu): el0_vttbr_loaded is VTTBR_EL2 as last loaded for
 * an EL0 thread (0: a guest ran since), so a return to the same address space
 * needs no system register writes; timer_loaded is the EL2 timer's programmed
 * deadline (UINT64_MAX: cancelled). */
static void program_timer(uint64_t deadline)
{
    struct percpu *pc = this_cpu();
    if (deadline == pc->timer_loaded) {
        return;
    }
    if (deadline == UINT64_MAX) {
        timer_cancel();
    } else {
        timer_set_deadline(deadline);
    }
    pc->timer_loaded = deadline;
}

bh_error_t arch_activate(struct tcb *t)
{
    cap_t c = t->slot[TCB_SLOT_VSPACE].cap;
    struct vcpu *v = t->vcpu;
    if (cap_type(c) != (v != NULL ? BH_OBJ_VM : BH_OBJ_ADDRESS_SPACE)) {
        return BH_E_INVALID_CAPABILITY;
    }
    s2_space_t s;
    bh_error_t e = vspace_activate(v != NULL ? &vm_of(c)->as : as_of(c), &s);
    if (e != BH_OK) {
        return e;
    }
    uint64_t vttbr = s2_vttbr(&s);
    struct percpu *pc = this_cpu();
    if (v != NULL) {
        arch_vcpu_enter(t, v, vttbr);
        pc->el0_vttbr_loaded = 0;
    } else if (pc->guest_mode) {
        arch_el0_enter(vttbr);
        pc->el0_vttbr_loaded = vttbr;
    } else if (vttbr != pc->el0_vttbr_loaded) {
        WRITE_SYSREG(vttbr_el2, vttbr);
        WRITE_SYSREG(hcr_el2, HCR_TGE | HCR_DC | HCR_VM | HCR_RW);
        ISB();
        pc->el0_vttbr_loaded = vttbr;
    }
    return BH_OK;
}

bh_error_t arch_irq_claim(uint32_t intid)
{
    if (intid < 32u || intid >= gic_num_intids()) {
        return BH_E_RANGE; /* SGIs and PPIs are per-CPU: never handed out */
    }
    if (intid == console_intid || intid == timer_intid) {
        return BH_E_IN_USE; /* the kernel's own */
    }
    gic_enable(intid);
    return BH_OK;
}

void arch_irq_release(uint32_t intid)
{
    gic_disable(intid);
    gic_deactivate(intid);
}

void arch_irq_ack(uint32_t intid)
{
    gic_deactivate(intid);
}

void arch_irq_route(uint32_t intid, unsigned cpu)
{
    const struct percpu *pc = smp_cpu(cpu);
    if (pc != NULL) {
        gic_route(intid, pc->mpidr);
    }
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

/* Leaves the kernel: the lock goes, then the CPUs this entry woke threads for
 * (or changed under) are interrupted. */
static void kernel_exit(void)
{
    uint32_t kicks = sched_take_kicks();
    smp_unlock();
    if (kicks != 0) {
        smp_kick(kicks);
    }
}

/* Picks the next thread and programs the deadline; never returns to idle's caller. */
static struct arch_regs *resume(uint64_t now)
{
    if (kernel_root_stopped()) {
        system_halt();
    }
    uint64_t deadline = UINT64_MAX;
    if (arch_vcpu_has_sleepers()) {
        arch_vcpu_poll_timers(now);
    }
    struct tcb *next = kernel_schedule(now, &deadline);
    if (arch_vcpu_has_sleepers()) {
        uint64_t vt = arch_vcpu_next_timer();
        deadline = vt < deadline ? vt : deadline;
    }
    program_timer(deadline);
    if (kernel_root_stopped()) {
        system_halt();
    }
    struct percpu *pc = this_cpu();
    if (next == NULL) {
        pc->cur = NULL;
        kernel_exit();
        arch_idle(pc->kstack_top);
    }
    /* TPIDRRO_EL0 tells EL0 code where its IPC buffer is; TPIDR_EL0 is the
     * thread's own. */
    WRITE_SYSREG(tpidrro_el0, next->vcpu != NULL
                                  ? next->vcpu->sys[VCPU_SYS(BH_VCPU_REG_TPIDRRO_EL0)]
                                  : next->ipcbuf_va);
    WRITE_SYSREG(tpidr_el0, next->tpidr_el0);
    pc->cur = &next->regs;
    kernel_exit();
    return &next->regs;
}

void kentry_init(unsigned timer, unsigned console, uint64_t timeslice_us)
{
    timer_intid = timer;
    console_intid = console;
    console_rx_start(console); /* typed bytes go to the ConsoleInput object (kernel_irq) */
    kernel_init(timer_now(), timer_us_to_ticks(timeslice_us), timer_freq());
    arch_vcpu_init(VCPU_PPI_VTIMER);
}

/* First exit of a CPU (it holds the lock). */
struct arch_regs *kentry_start(void)
{
    return resume(timer_now());
}

static struct tcb *tcb_of_regs(struct arch_regs *r)
{
    return (struct tcb *)(void *)((char *)r - __builtin_offsetof(struct tcb, regs));
}

static void save_thread_pointer(struct tcb *t)
{
    t->tpidr_el0 = READ_SYSREG(tpidr_el0);
    if (t->vcpu != NULL) {
        t->vcpu->sys[VCPU_SYS(BH_VCPU_REG_TPIDRRO_EL0)] = READ_SYSREG(tpidrro_el0);
    }
}

/*
 * Entry from the thread whose frame the vectors saved at r: the rest of its
 * user-visible state goes to memory, then the kernel lock. NULL if the entry
 * is to be dropped: another CPU stalled this one while it waited (the thread
 * may have been changed or destroyed; a system call or HVC restarts).
 */
struct tcb *kentry_lock(struct arch_regs *r, uint64_t esr, bool sync)
{
    struct percpu *pc = this_cpu();
    struct tcb *t = tcb_of_regs(r);
    save_thread_pointer(t);
    pc->in_flight = r;
    pc->entry_esr = esr;
    pc->entry_sync = sync ? 1u : 0u;
    smp_lock();
    sched_set_self(pc->cpu_index);
    pc->in_flight = NULL;
    if (pc->restart) {
        pc->restart = 0;
        return NULL;
    }
    if (kernel_current() != t) {
        panic("cpu %u: entry from a thread that is not its current one", pc->cpu_index);
    }
    return t;
}

/* The idle loop took an interrupt: nothing to save. */
void kentry_lock_idle(void)
{
    struct percpu *pc = this_cpu();
    pc->in_flight = NULL;
    smp_lock();
    sched_set_self(pc->cpu_index);
    pc->restart = 0;
}

/* An entry dropped by a stall: only the scheduling part. */
struct arch_regs *kentry_restart(void)
{
    uint64_t now = timer_now();
    kernel_enter(now);
    return resume(now);
}

struct arch_regs *kentry_syscall(struct tcb *t)
{
    uint64_t now = timer_now();
    kernel_enter(now);
    kernel_syscall(t, now);
    return resume(now);
}

struct arch_regs *kentry_vcpu_exit(struct tcb *t, uint64_t esr, uint64_t far, uint64_t ipa)
{
    uint64_t now = timer_now();
    kernel_enter(now);
    if (t->vcpu != NULL) {
        vcpu_exit(t, t->vcpu, esr, far, ipa);
    }
    return resume(now);
}

struct arch_regs *kentry_fault(struct tcb *t, uint64_t label, const uint64_t msg[6],
                               const char *what)
{
    uint64_t now = timer_now();
    kernel_enter(now);
    kernel_fault(t, label, msg, what);
    return resume(now);
}

/* Handles every pending interrupt. The kernel's timer is simply acknowledged
 * (resume() reprograms it); a user-level driver's interrupt stays active until
 * its handler acknowledges it. SGIs are the other CPUs' kicks: resume()
 * reschedules and refills list registers anyway. */
static void irq_dispatch(void)
{
    for (unsigned n = 0; n < 64u; n++) {
        unsigned intid = gic_ack();
        if (intid >= GIC_SPURIOUS) {
            return;
        }
        gic_eoi(intid);
        if (intid < 16u) {
            gic_deactivate(intid);
            if (intid == SGI_STOP) {
                smp_halt();
            }
        } else if (intid == timer_intid) {
            program_timer(UINT64_MAX); /* fired: resume() sets the next deadline */
            gic_deactivate(intid);
        } else if (arch_vcpu_irq(intid)) {
            /* finished: injected into the loaded vCPU, or a maintenance IRQ */
        } else if (!kernel_irq(intid)) {
            kprintf("bulkhead: interrupt %u has no handler; disabled\n", intid);
            gic_disable(intid);
            gic_deactivate(intid);
        }
    }
}

/* Called with the lock held (kentry_lock or kentry_lock_idle). */
struct arch_regs *kentry_irq(void)
{
    uint64_t now = timer_now();
    kernel_enter(now);
    irq_dispatch();
    return resume(timer_now());
}
