/*
 * SMP: secondary CPU start, the big kernel lock, IPIs and remote calls.
 *
 * Why one lock: the kernel runs with interrupts masked and every path is
 * bounded, and its proofs (kernel/core, caps/, vm/) are of sequential code.
 * A single lock around each kernel entry keeps all of that true on any number
 * of CPUs (as in seL4's SMP kernel): only one CPU is ever inside the kernel,
 * user threads and guests run in parallel. A ticket lock makes it fair (FIFO),
 * so no CPU waits more than (CPUs - 1) kernel entries, each bounded.
 */
#include <arch/gic.h>
#include <arch/mmu.h>
#include <arch/psci.h>
#include <arch/smp.h>
#include <arch/sysreg.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <kernel/console.h>
#include <kernel/kernel.h>

#define KSTACK_SIZE   16384u
#define START_WAIT_US 1000000u /* how long a started CPU may take to report in */

/* Spin-wait hint. Not WFE: a waiter parked in WFE depends on every releaser
 * sending an event, and emulators do not all model SEV wake-ups; the waits
 * are short (one bounded kernel entry per CPU ahead in the queue). */
#define CPU_RELAX() __asm__ volatile("yield" ::: "memory")

_Static_assert(PLAT_MAX_CPUS <= SMP_MAX_CPUS, "every CPU the platform names has a slot");
_Static_assert(SMP_MAX_CPUS <= 32u, "kick masks are 32 bits");

/* One slot per CPU of the device tree; online CPUs get indices 0..n-1. */
static struct percpu slots[SMP_MAX_CPUS];
static struct percpu *by_index[SMP_MAX_CPUS];
static unsigned nonline = 1;
static uint8_t kstacks[SMP_MAX_CPUS][KSTACK_SIZE] __attribute__((aligned(16)));
static unsigned kernel_timer_intid;

static struct {
    volatile uint32_t next;
    volatile uint32_t owner;
} klock __attribute__((aligned(64)));

static volatile uint32_t stopping; /* a CPU panicked: all halt */

void secondary_entry(void); /* head.S */
struct arch_regs *kentry_start(void);
void arch_restore_regs(struct arch_regs *r) __attribute__((noreturn));
void arch_vcpu_flush_here(struct vcpu *v);

struct percpu *smp_cpu(unsigned cpu)
{
    return cpu < nonline ? by_index[cpu] : NULL;
}

unsigned smp_online(void)
{
    return nonline;
}

uint64_t arch_cpu_mpidr(unsigned cpu)
{
    const struct percpu *pc = smp_cpu(cpu);
    if (pc == NULL) {
        return 0;
    }
    return (pc->mpidr & 0xffffffu) | ((pc->mpidr >> 32) & 0xffu) << 32;
}

static void percpu_setup(struct percpu *pc, unsigned slot, uint64_t mpidr)
{
    pc->kstack_top = (uint64_t)(uintptr_t)(kstacks[slot] + KSTACK_SIZE);
    pc->cur = NULL;
    pc->mpidr = mpidr & MPIDR_AFF_MASK;
    pc->online = 0;
    pc->timer_loaded = UINT64_MAX;
    pc->el0_vttbr_loaded = 0;
    pc->vcpu_loaded = NULL;
    pc->guest_mode = false;
}

void smp_boot_cpu_init(uint64_t mpidr)
{
    percpu_setup(&slots[0], 0, mpidr);
    slots[0].cpu_index = 0;
    slots[0].online = 1;
    by_index[0] = &slots[0];
    WRITE_SYSREG(tpidr_el2, (uint64_t)(uintptr_t)&slots[0]);
    ISB();
}

/* ---- the lock ---- */

static uint32_t ticket_take(volatile uint32_t *p)
{
    uint32_t old;
    uint32_t tmp;
    uint32_t fail;
    __asm__ volatile("1: ldxr %w0, [%3]\n"
                     "   add  %w1, %w0, #1\n"
                     "   stxr %w2, %w1, [%3]\n"
                     "   cbnz %w2, 1b\n"
                     : "=&r"(old), "=&r"(tmp), "=&r"(fail)
                     : "r"(p)
                     : "memory");
    return old;
}

/* A stall: the frame this CPU saved on entry is in memory, and the thread's
 * entry is restarted rather than handled (the lock holder may change or
 * destroy the thread before this CPU gets the lock). An SVC or HVC is
 * re-executed, so nothing is lost; other exits and faults re-occur. */
static void stall_here(struct percpu *pc)
{
    if (pc->in_flight == NULL || pc->restart) {
        return;
    }
    if (pc->entry_sync) {
        unsigned ec = (unsigned)(pc->entry_esr >> 26) & 0x3fu;
        if (ec == 0x15u || ec == 0x16u) { /* SVC64, HVC64: ELR is past it */
            pc->in_flight->elr -= 4;
        }
    }
    pc->restart = 1;
}

static void poll_while_waiting(void)
{
    struct percpu *pc = this_cpu();
    if (stopping) {
        smp_halt();
    }
    uint32_t seq = __atomic_load_n(&pc->call_seq, __ATOMIC_ACQUIRE);
    if (seq == pc->call_ack) {
        return;
    }
    switch (pc->call_op) {
    case SMP_CALL_STALL:
        stall_here(pc);
        break;
    case SMP_CALL_VCPU_FLUSH:
        arch_vcpu_flush_here((struct vcpu *)pc->call_arg);
        break;
    default:
        break;
    }
    __atomic_store_n(&pc->call_ack, seq, __ATOMIC_RELEASE);
}

void smp_lock(void)
{
    uint32_t me = ticket_take(&klock.next);
    while (__atomic_load_n(&klock.owner, __ATOMIC_ACQUIRE) != me) {
        poll_while_waiting();
        CPU_RELAX();
    }
}

void smp_unlock(void)
{
    __atomic_store_n(&klock.owner, klock.owner + 1u, __ATOMIC_RELEASE);
}

void smp_kick(uint32_t mask)
{
    for (unsigned c = 0; mask != 0 && c < nonline; c++) {
        if ((mask & (1u << c)) != 0) {
            gic_send_sgi(by_index[c]->mpidr, SGI_KICK);
            mask &= ~(1u << c);
        }
    }
}

void smp_call(unsigned cpu, uint32_t op, void *arg)
{
    struct percpu *pc = smp_cpu(cpu);
    if (pc == NULL || pc == this_cpu()) {
        return;
    }
    pc->call_op = op;
    pc->call_arg = arg;
    uint32_t seq = pc->call_seq + 1u;
    __atomic_store_n(&pc->call_seq, seq, __ATOMIC_RELEASE);
    DSB(ish); /* the request is visible before the interrupt arrives */
    gic_send_sgi(pc->mpidr, SGI_KICK);
    while (__atomic_load_n(&pc->call_ack, __ATOMIC_ACQUIRE) != seq) {
        if (stopping) {
            smp_halt();
        }
        CPU_RELAX();
    }
}

void arch_stall(struct tcb *t)
{
    int c = sched_running_on(&t->sched);
    if (c >= 0 && (unsigned)c != sched_self()) {
        smp_call((unsigned)c, SMP_CALL_STALL, t);
    }
}

void arch_stall_others(void)
{
    for (unsigned c = 0; c < nonline; c++) {
        if (c != sched_self()) {
            smp_call(c, SMP_CALL_STALL, NULL);
        }
    }
}

/* ---- panic ---- */

void smp_halt(void)
{
    IRQ_MASK();
    for (;;) {
        WFI();
    }
}

bool smp_panic_begin(void)
{
    if (__atomic_exchange_n(&stopping, 1u, __ATOMIC_ACQ_REL) != 0) {
        return false;
    }
    for (unsigned c = 0; c < nonline; c++) {
        if (by_index[c] != NULL && by_index[c] != this_cpu()) {
            gic_send_sgi(by_index[c]->mpidr, SGI_STOP);
        }
    }
    return true;
}

void smp_report_stop(void)
{
    if (nonline > 1) {
        kprintf("  CPU %u panicked, the other %u CPU(s) were told to stop (SGI %u)\n",
                this_cpu()->cpu_index, nonline - 1, SGI_STOP);
    }
}

/* ---- secondary CPUs ---- */

static void clean_to_poc(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63u;
    for (; a < (uintptr_t)p + n; a += 64u) {
        __asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
    }
    DSB(ish);
}

/* Runs on the new CPU with its MMU on, its stack and TPIDR_EL2 set
 * (head.S secondary_entry). */
void secondary_main(struct percpu *pc)
{
    el2_cpu_config();
    const char *gerr = gic_cpu_init(pc->mpidr);
    timer_init();
    uint32_t want = 0;
    if (gerr != NULL || !__atomic_compare_exchange_n(&pc->online, &want, 1u, false,
                                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        /* No redistributor, or the boot CPU gave up on us: stay out. */
        if (gerr != NULL) {
            __atomic_store_n(&pc->online, 3u, __ATOMIC_RELEASE);
        }
        smp_halt();
    }
    arch_vcpu_cpu_init();
    gic_enable(kernel_timer_intid);
    smp_lock();
    sched_set_self(pc->cpu_index);
    arch_restore_regs(kentry_start());
}

unsigned smp_start_secondaries(const struct platform *p, unsigned timer_intid)
{
    kernel_timer_intid = timer_intid;
    uint64_t me = slots[0].mpidr;
    unsigned slot = 1;
    clean_to_poc(&mmu_boot_regs, sizeof(mmu_boot_regs));
    for (unsigned i = 0; i < p->ncpus && slot < SMP_MAX_CPUS; i++) {
        uint64_t mpidr = p->cpu_mpidr[i] & MPIDR_AFF_MASK;
        if (mpidr == me) {
            continue;
        }
        struct percpu *pc = &slots[slot];
        percpu_setup(pc, slot, mpidr);
        pc->cpu_index = nonline;
        clean_to_poc(pc, sizeof(*pc));
        int64_t r = psci_call(PSCI_CPU_ON, mpidr, (uint64_t)(uintptr_t)secondary_entry,
                              (uint64_t)(uintptr_t)pc);
        if (r != 0) {
            kprintf("smp: CPU with MPIDR 0x%lx not started: PSCI CPU_ON error %ld\n",
                    (unsigned long)mpidr, (long)r);
            continue; /* the slot was not used: take it for the next one */
        }
        slot++;
        uint64_t deadline = timer_now() + timer_us_to_ticks(START_WAIT_US);
        uint32_t state = 0;
        while ((state = __atomic_load_n(&pc->online, __ATOMIC_ACQUIRE)) == 0 &&
               timer_now() < deadline) {
            __asm__ volatile("yield");
        }
        uint32_t zero = 0;
        if (state == 0 && __atomic_compare_exchange_n(&pc->online, &zero, 2u, false,
                                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            kprintf("smp: CPU with MPIDR 0x%lx did not come up; left out\n", (unsigned long)mpidr);
            continue;
        }
        if (__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE) != 1u) {
            kprintf("smp: CPU with MPIDR 0x%lx has no GICv3 redistributor; left out\n",
                    (unsigned long)mpidr);
            continue;
        }
        by_index[nonline] = pc;
        kernel_cpu_start(nonline, timer_now());
        kprintf("smp: CPU %u online (MPIDR 0x%lx)\n", nonline, (unsigned long)mpidr);
        nonline++;
    }
    sched_set_ncpus(nonline);
    return nonline;
}
