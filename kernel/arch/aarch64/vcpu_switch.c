/*
 * The hardware side of vCPUs: guest HCR_EL2, the EL1 register switch, the
 * GICv3 virtual CPU interface (list registers) and the virtual timer.
 *
 * Switch policy. At most one vCPU's EL1 state is in this CPU's registers
 * ("loaded"). EL0 threads cannot touch EL1 registers (TGE is set for them) nor
 * FP/SIMD (CPTR_EL2.TFP traps it for them), so running a VMM or any other EL0
 * thread leaves the loaded vCPU in place: the state, FP/SIMD registers
 * included, is only saved when a *different* vCPU is entered (or a VMM reads
 * or writes it). What does change per EL0/guest transition is the handful of
 * registers EL0 threads see or the kernel owns: HCR_EL2, CPTR_EL2, CNTHCTL_EL2,
 * CNTKCTL_EL1, TPIDRRO_EL0 and ICH_HCR_EL2 (the virtual CPU interface is off
 * while an EL0 thread runs, so its maintenance interrupt cannot fire then).
 *
 * The loaded vCPU's virtual timer keeps running while EL0 threads run; its
 * expiry (PPI 27, a physical interrupt to EL2) is injected into the vCPU's
 * list registers as virtual PPI 27 with CNTV_CTL.IMASK set, and IMASK is
 * cleared once the guest has completed that interrupt (or reprograms the
 * timer), as a level-sensitive line would behave.
 */
#include <arch/gic.h>
#include <arch/regs.h>
#include <arch/smp.h>
#include <arch/sysreg.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/vcpu.h>

/* Guest: stage 2 on, physical IRQ/FIQ/SError to EL2 (virtual ones to the
 * guest), WFI/WFE trapped (idle guests block), SMC trapped (it goes to the
 * VMM, never to firmware), set/way cache maintenance trapped (upgraded to
 * clean+invalidate by VA...: here simply sent to the VMM), AArch64 EL1,
 * TLB and barrier maintenance broadcast inner shareable (FB, BSU). TVM is
 * not set: nothing in the kernel needs to see the guest's stage-1 changes. */
#define HCR_FB     (1ull << 9)
#define HCR_BSU_IS (1ull << 10)
#define HCR_GUEST                                                                                  \
    (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI | HCR_TWE |   \
     HCR_TSC | HCR_TSW | HCR_RW)
#define HCR_EL0_THREAD (HCR_TGE | HCR_DC | HCR_VM | HCR_RW)

/* ICH_* registers by encoding (GICv3 architecture specification, 12.4). */
#define ICH_HCR_EN  (1ull << 0)
#define ICH_HCR_UIE (1ull << 1)

#define LR_STATE_SHIFT  62
#define LR_PENDING      (1ull << 62)
#define LR_ACTIVE       (1ull << 63)
#define LR_GROUP1       (1ull << 60)
#define LR_HW           (1ull << 61) /* guest EOI deactivates the physical pINTID */
#define LR_PINTID_SHIFT 32           /* pINTID, bits [44:32] when HW is set */
#define LR_PRIO_SHIFT   48
#define LR_VINTID_MASK  0xffffffffull

#define MDCR_TPMCR (1ull << 5)
#define MDCR_TPM   (1ull << 6)
#define MDCR_TDA   (1ull << 9)
#define MDCR_TDOSA (1ull << 10)
#define MDCR_TDRA  (1ull << 11)

#define CNTV_CTL_ENABLE (1ull << 0)
#define CNTV_CTL_IMASK  (1ull << 1)

#define MAINTENANCE_PPI 25u /* GICv3's recommended maintenance interrupt (QEMU virt uses it) */

/* Per CPU (struct percpu): vcpu_loaded, the vCPU whose EL1 state is in this
 * CPU's registers, and guest_mode, the EL0/guest switch registers are set for
 * a guest. */
#define LOADED          (this_cpu()->vcpu_loaded)
#define vcpu_guest_mode (this_cpu()->guest_mode)
static unsigned nlrs;
static unsigned napr;
static unsigned vtimer_intid = VCPU_PPI_VTIMER;

/*
 * Switched-out vCPUs whose virtual timer is armed, per CPU (the CPU that
 * saved them): that CPU's kernel timer fires at the earliest of their
 * deadlines (physical counter = CVAL + CNTVOFF) and the expiry is injected
 * into the vCPU's queue, so a guest waiting in WFI wakes even while another
 * vCPU owns the timer hardware (and on whatever CPU the vCPU now runs).
 */
#define MAX_SLEEPERS 64u
static struct vcpu *sleepers[SMP_MAX_CPUS][MAX_SLEEPERS];
static uint64_t sleepers_at[SMP_MAX_CPUS][MAX_SLEEPERS];
unsigned vcpu_nsleepers[SMP_MAX_CPUS]; /* every kernel exit looks: skip when none */
#define nsleepers  vcpu_nsleepers
#define sleeper    (sleepers[this_cpu()->cpu_index])
#define sleeper_at (sleepers_at[this_cpu()->cpu_index])

/* v may sleep on any CPU's list (it may have been saved elsewhere). */
static void sleeper_remove(const struct vcpu *v)
{
    for (unsigned c = 0; c < smp_online(); c++) {
        for (unsigned i = 0; nsleepers[c] > 0 && i < MAX_SLEEPERS; i++) {
            if (sleepers[c][i] == v) {
                sleepers[c][i] = NULL;
                nsleepers[c]--;
            }
        }
    }
}

static void sleeper_add(struct vcpu *v, uint64_t ctl, uint64_t cval, uint64_t off)
{
    sleeper_remove(v);
    if ((ctl & 3u) != 1u) {
        return; /* disabled or masked: nothing to deliver */
    }
    unsigned c = this_cpu()->cpu_index;
    for (unsigned i = 0; i < MAX_SLEEPERS; i++) {
        if (sleepers[c][i] == NULL) {
            sleepers[c][i] = v;
            sleepers_at[c][i] = cval + off;
            nsleepers[c]++;
            return;
        }
    }
    kprintf("vcpu: more than %u switched-out virtual timers; one is dropped\n", MAX_SLEEPERS);
}

static void vtimer_expired(struct vcpu *v, uint64_t *ctl)
{
    *ctl |= 2u; /* IMASK until the guest completes the interrupt */
    v->vtimer_masked = 1;
    (void)vcpu_inject(v, VCPU_PPI_VTIMER, VCPU_DEFAULT_PRI);
}

void arch_vcpu_poll_timers(uint64_t now)
{
    unsigned c = this_cpu()->cpu_index;
    for (unsigned i = 0; nsleepers[c] > 0 && i < MAX_SLEEPERS; i++) {
        struct vcpu *v = sleeper[i];
        if (v != NULL && sleeper_at[i] <= now) {
            sleeper[i] = NULL;
            nsleepers[c]--;
            vtimer_expired(v, &v->sys[VCPU_SYS(BH_VCPU_REG_CNTV_CTL)]);
        }
    }
}

uint64_t arch_vcpu_next_timer(void)
{
    unsigned c = this_cpu()->cpu_index;
    uint64_t at = UINT64_MAX;
    for (unsigned i = 0; nsleepers[c] > 0 && i < MAX_SLEEPERS; i++) {
        if (sleeper[i] != NULL && sleeper_at[i] < at) {
            at = sleeper_at[i];
        }
    }
    return at;
}

void vcpu_fp_save(struct vcpu_fp *fp);
void vcpu_fp_restore(const struct vcpu_fp *fp);

static uint64_t lr_read(unsigned i)
{
    switch (i) {
    case 0:
        return READ_SYSREG(S3_4_C12_C12_0);
    case 1:
        return READ_SYSREG(S3_4_C12_C12_1);
    case 2:
        return READ_SYSREG(S3_4_C12_C12_2);
    case 3:
        return READ_SYSREG(S3_4_C12_C12_3);
    case 4:
        return READ_SYSREG(S3_4_C12_C12_4);
    case 5:
        return READ_SYSREG(S3_4_C12_C12_5);
    case 6:
        return READ_SYSREG(S3_4_C12_C12_6);
    case 7:
        return READ_SYSREG(S3_4_C12_C12_7);
    case 8:
        return READ_SYSREG(S3_4_C12_C13_0);
    case 9:
        return READ_SYSREG(S3_4_C12_C13_1);
    case 10:
        return READ_SYSREG(S3_4_C12_C13_2);
    case 11:
        return READ_SYSREG(S3_4_C12_C13_3);
    case 12:
        return READ_SYSREG(S3_4_C12_C13_4);
    case 13:
        return READ_SYSREG(S3_4_C12_C13_5);
    case 14:
        return READ_SYSREG(S3_4_C12_C13_6);
    default:
        return READ_SYSREG(S3_4_C12_C13_7);
    }
}

static void lr_write(unsigned i, uint64_t v)
{
    switch (i) {
    case 0:
        WRITE_SYSREG(S3_4_C12_C12_0, v);
        break;
    case 1:
        WRITE_SYSREG(S3_4_C12_C12_1, v);
        break;
    case 2:
        WRITE_SYSREG(S3_4_C12_C12_2, v);
        break;
    case 3:
        WRITE_SYSREG(S3_4_C12_C12_3, v);
        break;
    case 4:
        WRITE_SYSREG(S3_4_C12_C12_4, v);
        break;
    case 5:
        WRITE_SYSREG(S3_4_C12_C12_5, v);
        break;
    case 6:
        WRITE_SYSREG(S3_4_C12_C12_6, v);
        break;
    case 7:
        WRITE_SYSREG(S3_4_C12_C12_7, v);
        break;
    case 8:
        WRITE_SYSREG(S3_4_C12_C13_0, v);
        break;
    case 9:
        WRITE_SYSREG(S3_4_C12_C13_1, v);
        break;
    case 10:
        WRITE_SYSREG(S3_4_C12_C13_2, v);
        break;
    case 11:
        WRITE_SYSREG(S3_4_C12_C13_3, v);
        break;
    case 12:
        WRITE_SYSREG(S3_4_C12_C13_4, v);
        break;
    case 13:
        WRITE_SYSREG(S3_4_C12_C13_5, v);
        break;
    case 14:
        WRITE_SYSREG(S3_4_C12_C13_6, v);
        break;
    default:
        WRITE_SYSREG(S3_4_C12_C13_7, v);
        break;
    }
}

static void apr_save(struct vcpu *v)
{
    v->ich_ap0r[0] = READ_SYSREG(S3_4_C12_C8_0);
    v->ich_ap1r[0] = READ_SYSREG(S3_4_C12_C9_0);
    if (napr > 1) {
        v->ich_ap0r[1] = READ_SYSREG(S3_4_C12_C8_1);
        v->ich_ap1r[1] = READ_SYSREG(S3_4_C12_C9_1);
    }
    if (napr > 2) {
        v->ich_ap0r[2] = READ_SYSREG(S3_4_C12_C8_2);
        v->ich_ap1r[2] = READ_SYSREG(S3_4_C12_C9_2);
        v->ich_ap0r[3] = READ_SYSREG(S3_4_C12_C8_3);
        v->ich_ap1r[3] = READ_SYSREG(S3_4_C12_C9_3);
    }
}

static void apr_restore(const struct vcpu *v)
{
    WRITE_SYSREG(S3_4_C12_C8_0, v->ich_ap0r[0]);
    WRITE_SYSREG(S3_4_C12_C9_0, v->ich_ap1r[0]);
    if (napr > 1) {
        WRITE_SYSREG(S3_4_C12_C8_1, v->ich_ap0r[1]);
        WRITE_SYSREG(S3_4_C12_C9_1, v->ich_ap1r[1]);
    }
    if (napr > 2) {
        WRITE_SYSREG(S3_4_C12_C8_2, v->ich_ap0r[2]);
        WRITE_SYSREG(S3_4_C12_C9_2, v->ich_ap1r[2]);
        WRITE_SYSREG(S3_4_C12_C8_3, v->ich_ap0r[3]);
        WRITE_SYSREG(S3_4_C12_C9_3, v->ich_ap1r[3]);
    }
}

#define SYS(r) v->sys[VCPU_SYS(BH_VCPU_REG_##r)]

/* FP/SIMD registers are reachable at EL2 only with CPTR_EL2.TFP clear. */
static void fp_access(bool on)
{
    WRITE_SYSREG(cptr_el2, CPTR_EL2_RES1 | CPTR_TZ | (on ? 0u : CPTR_TFP));
    ISB();
}

/* EL0 threads (TGE set) take their EL0 controls from SCTLR_EL1 and CNTKCTL_EL1:
 * cache maintenance by VA, CTR_EL0, DC ZVA and the virtual counter. */
#define SCTLR_EL1_FOR_EL0 (SCTLR_EL1_RES1 | SCTLR_EL1_UCI | SCTLR_EL1_UCT | SCTLR_EL1_DZE)

/* SCTLR_EL1 and CNTKCTL_EL1 hold the guest's values only in guest mode; in EL0
 * mode the loaded vCPU's copies are already in memory (arch_el0_enter). */
static void vcpu_save(struct vcpu *v)
{
    if (vcpu_guest_mode) {
        SYS(SCTLR_EL1) = READ_SYSREG(sctlr_el1);
        SYS(CNTKCTL_EL1) = READ_SYSREG(cntkctl_el1);
    }
    SYS(SP_EL1) = READ_SYSREG(sp_el1);
    SYS(ELR_EL1) = READ_SYSREG(elr_el1);
    SYS(SPSR_EL1) = READ_SYSREG(spsr_el1);
    SYS(TTBR0_EL1) = READ_SYSREG(ttbr0_el1);
    SYS(TTBR1_EL1) = READ_SYSREG(ttbr1_el1);
    SYS(TCR_EL1) = READ_SYSREG(tcr_el1);
    SYS(MAIR_EL1) = READ_SYSREG(mair_el1);
    SYS(AMAIR_EL1) = READ_SYSREG(amair_el1);
    SYS(VBAR_EL1) = READ_SYSREG(vbar_el1);
    SYS(CONTEXTIDR_EL1) = READ_SYSREG(contextidr_el1);
    SYS(TPIDR_EL1) = READ_SYSREG(tpidr_el1);
    SYS(CPACR_EL1) = READ_SYSREG(cpacr_el1);
    SYS(ESR_EL1) = READ_SYSREG(esr_el1);
    SYS(FAR_EL1) = READ_SYSREG(far_el1);
    SYS(AFSR0_EL1) = READ_SYSREG(afsr0_el1);
    SYS(AFSR1_EL1) = READ_SYSREG(afsr1_el1);
    SYS(PAR_EL1) = READ_SYSREG(par_el1);
    SYS(CSSELR_EL1) = READ_SYSREG(csselr_el1);
    SYS(CNTV_CTL) = READ_SYSREG(cntv_ctl_el0);
    SYS(CNTV_CVAL) = READ_SYSREG(cntv_cval_el0);
    SYS(CNTVOFF) = READ_SYSREG(cntvoff_el2);
    /* The hardware timer goes to the next vCPU; the kernel watches this one's. */
    WRITE_SYSREG(cntv_ctl_el0, 0);
    sleeper_add(v, SYS(CNTV_CTL), SYS(CNTV_CVAL), SYS(CNTVOFF));
    for (unsigned i = 0; i < nlrs; i++) {
        v->lr[i] = lr_read(i);
    }
    v->ich_vmcr = READ_SYSREG(S3_4_C12_C11_7);
    apr_save(v);
    bool trapped = (READ_SYSREG(cptr_el2) & CPTR_TFP) != 0;
    if (trapped) {
        fp_access(true);
    }
    vcpu_fp_save(&v->fp);
    if (trapped) {
        fp_access(false);
    }
    v->loaded = 0;
}

static void vcpu_restore(struct vcpu *v)
{
    sleeper_remove(v);
    WRITE_SYSREG(sp_el1, SYS(SP_EL1));
    WRITE_SYSREG(elr_el1, SYS(ELR_EL1));
    WRITE_SYSREG(spsr_el1, SYS(SPSR_EL1));
    WRITE_SYSREG(ttbr0_el1, SYS(TTBR0_EL1));
    WRITE_SYSREG(ttbr1_el1, SYS(TTBR1_EL1));
    WRITE_SYSREG(tcr_el1, SYS(TCR_EL1));
    WRITE_SYSREG(mair_el1, SYS(MAIR_EL1));
    WRITE_SYSREG(amair_el1, SYS(AMAIR_EL1));
    WRITE_SYSREG(vbar_el1, SYS(VBAR_EL1));
    WRITE_SYSREG(contextidr_el1, SYS(CONTEXTIDR_EL1));
    WRITE_SYSREG(tpidr_el1, SYS(TPIDR_EL1));
    WRITE_SYSREG(cpacr_el1, SYS(CPACR_EL1));
    WRITE_SYSREG(esr_el1, SYS(ESR_EL1));
    WRITE_SYSREG(far_el1, SYS(FAR_EL1));
    WRITE_SYSREG(afsr0_el1, SYS(AFSR0_EL1));
    WRITE_SYSREG(afsr1_el1, SYS(AFSR1_EL1));
    WRITE_SYSREG(par_el1, SYS(PAR_EL1));
    WRITE_SYSREG(csselr_el1, SYS(CSSELR_EL1));
    WRITE_SYSREG(vmpidr_el2, SYS(VMPIDR));
    WRITE_SYSREG(vpidr_el2, READ_SYSREG(midr_el1));
    WRITE_SYSREG(cntvoff_el2, SYS(CNTVOFF));
    WRITE_SYSREG(cntv_cval_el0, SYS(CNTV_CVAL));
    WRITE_SYSREG(cntv_ctl_el0, SYS(CNTV_CTL));
    for (unsigned i = 0; i < nlrs; i++) {
        lr_write(i, v->lr[i]);
    }
    WRITE_SYSREG(S3_4_C12_C11_7, v->ich_vmcr);
    apr_restore(v);
    vcpu_fp_restore(&v->fp); /* called in guest mode: FP access is on */
    v->loaded = 1;
}

/* The online CPU whose registers hold v, or -1. */
static int loaded_on(const struct vcpu *v)
{
    if (!v->loaded) {
        return -1;
    }
    for (unsigned c = 0; c < smp_online(); c++) {
        if (smp_cpu(c)->vcpu_loaded == v) {
            return (int)c;
        }
    }
    return -1;
}

/* Remote call (smp.c): runs on the CPU holding v, while the caller waits. */
void arch_vcpu_flush_here(struct vcpu *v)
{
    if (LOADED == v && v->loaded) {
        vcpu_save(v);
        LOADED = NULL;
    }
}

/* v's state is saved on the CPU that holds it: its own registers, FP and
 * list registers can only be read there. */
void arch_vcpu_flush(struct vcpu *v)
{
    int c = loaded_on(v);
    if (c < 0) {
        return;
    }
    if (smp_cpu((unsigned)c) == this_cpu()) {
        arch_vcpu_flush_here(v);
    } else {
        smp_call((unsigned)c, SMP_CALL_VCPU_FLUSH, v);
    }
}

/* Is v in this CPU's registers? If another CPU holds it, it is saved there
 * first, so its memory copy is current. */
static bool here(struct vcpu *v)
{
    if (LOADED == v && v->loaded) {
        return true;
    }
    arch_vcpu_flush(v);
    return false;
}

void arch_vcpu_forget(struct vcpu *v)
{
    sleeper_remove(v);
    int c = loaded_on(v);
    if (c >= 0) {
        smp_cpu((unsigned)c)->vcpu_loaded = NULL;
    }
    v->loaded = 0;
}

static bool lr_is_pending(uint64_t lr)
{
    return (lr & LR_PENDING) != 0;
}

bool arch_vcpu_irq_pending(struct vcpu *v)
{
    if (v->nqueued > 0) {
        return true;
    }
    bool hw = here(v);
    for (unsigned i = 0; i < nlrs; i++) {
        uint64_t lr = hw ? lr_read(i) : v->lr[i];
        if (lr_is_pending(lr)) {
            return true;
        }
    }
    return false;
}

unsigned arch_vcpu_free_lrs(struct vcpu *v)
{
    unsigned n = 0;
    bool hw = here(v);
    for (unsigned i = 0; i < nlrs; i++) {
        uint64_t lr = hw ? lr_read(i) : v->lr[i];
        if ((lr >> LR_STATE_SHIFT) == 0) {
            n++;
        }
    }
    return n;
}

/* Moves queued virtual interrupts into free list registers, most urgent
 * first; the rest wait for the underflow maintenance interrupt. */
static void fill_lrs(struct vcpu *v, uint64_t *lrs)
{
    while (v->nqueued > 0) {
        struct vcpu_virq q;
        if (!vcpu_queue_pop(v, &q)) {
            break;
        }
        int same = -1;
        int free_lr = vcpu_lr_slot(lrs, nlrs, q.intid, &same); /* proved: kernel/core/vcpu.c */
        if (same >= 0) {
            /* Never two list registers for one INTID: pending is a state. */
            if ((lrs[same] & LR_PENDING) == 0) {
                lrs[same] |= LR_PENDING;
                lr_write((unsigned)same, lrs[same]);
            }
            continue;
        }
        if (free_lr < 0) {
            /* back in the queue, its arrival order kept */
            (void)vcpu_inject_hw(v, q.intid, q.prio, q.hw ? q.pintid : 0u);
            v->queue[v->nqueued - 1].seq = q.seq;
            break;
        }
        lrs[free_lr] = vcpu_lr_value(&q); /* proved: kernel/core/vcpu.c */
        lr_write((unsigned)free_lr, lrs[free_lr]);
    }
}

/* The guest completed the timer interrupt we injected: let the timer fire again. */
static void vtimer_unmask(struct vcpu *v, const uint64_t *lrs)
{
    if (!v->vtimer_masked) {
        return;
    }
    for (unsigned i = 0; i < nlrs; i++) {
        if ((lrs[i] >> LR_STATE_SHIFT) != 0 && (lrs[i] & LR_VINTID_MASK) == vtimer_intid) {
            return;
        }
    }
    for (uint32_t i = 0; i < v->nqueued; i++) {
        if (v->queue[i].intid == vtimer_intid) {
            return;
        }
    }
    v->vtimer_masked = 0;
    uint64_t ctl = READ_SYSREG(cntv_ctl_el0);
    if ((ctl & CNTV_CTL_IMASK) != 0) {
        WRITE_SYSREG(cntv_ctl_el0, ctl & ~CNTV_CTL_IMASK);
    }
}

void arch_vcpu_enter(struct tcb *t, struct vcpu *v, uint64_t vttbr)
{
    bool from_el0 = !vcpu_guest_mode;
    bool restored = false;
    if (from_el0) {
        fp_access(true);
        WRITE_SYSREG(cnthctl_el2, CNTHCTL_EL1PCTEN); /* EL1 physical timer: trapped */
    }
    if (LOADED != v || !v->loaded) {
        if (LOADED != NULL) {
            vcpu_save(LOADED);
        }
        arch_vcpu_flush(v); /* never in two CPUs' registers at once */
        vcpu_restore(v);
        LOADED = v;
        restored = true;
    }
    vcpu_guest_mode = true;
    /* EL0 mode replaced these two; straight from guest mode the registers
     * hold the guest's live values and the saved copies may be stale (a
     * guest that just turned its MMU on must not have it turned off). */
    if (from_el0 || restored) {
        WRITE_SYSREG(sctlr_el1, SYS(SCTLR_EL1));
        WRITE_SYSREG(cntkctl_el1, SYS(CNTKCTL_EL1));
    }
    WRITE_SYSREG(vttbr_el2, vttbr);
    WRITE_SYSREG(hcr_el2, HCR_GUEST);
    uint64_t lrs[VCPU_MAX_LRS];
    for (unsigned i = 0; i < nlrs; i++) {
        lrs[i] = lr_read(i);
    }
    vtimer_unmask(v, lrs);
    fill_lrs(v, lrs);
    WRITE_SYSREG(S3_4_C12_C11_0, ICH_HCR_EN | (v->nqueued > 0 ? ICH_HCR_UIE : 0u));
    ISB();
    (void)t;
}

void arch_el0_enter(uint64_t vttbr)
{
    if (vcpu_guest_mode) {
        if (LOADED != NULL) {
            LOADED->sys[VCPU_SYS(BH_VCPU_REG_CNTKCTL_EL1)] = READ_SYSREG(cntkctl_el1);
            LOADED->sys[VCPU_SYS(BH_VCPU_REG_SCTLR_EL1)] = READ_SYSREG(sctlr_el1);
        }
        WRITE_SYSREG(S3_4_C12_C11_0, 0); /* virtual CPU interface off: no maintenance IRQs */
        WRITE_SYSREG(cntkctl_el1, CNTKCTL_EL0VCTEN);
        WRITE_SYSREG(sctlr_el1, SCTLR_EL1_FOR_EL0);
        WRITE_SYSREG(cnthctl_el2, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
        fp_access(false);
        vcpu_guest_mode = false;
    }
    WRITE_SYSREG(vttbr_el2, vttbr);
    WRITE_SYSREG(hcr_el2, HCR_EL0_THREAD);
    ISB();
}

/* Physical interrupts that belong to vCPUs. Returns true if intid was one. */
bool arch_vcpu_irq(unsigned intid)
{
    if (intid == MAINTENANCE_PPI) {
        /* Underflow: the next guest entry refills the list registers. Turning
         * the interface's UIE off here stops the level from re-asserting. */
        WRITE_SYSREG(S3_4_C12_C11_0, READ_SYSREG(S3_4_C12_C11_0) & ~ICH_HCR_UIE);
        gic_deactivate(intid);
        return true;
    }
    if (intid == vtimer_intid) {
        struct vcpu *v = LOADED;
        uint64_t ctl = READ_SYSREG(cntv_ctl_el0);
        if (v != NULL) {
            vtimer_expired(v, &ctl);
        }
        WRITE_SYSREG(cntv_ctl_el0, ctl | CNTV_CTL_IMASK);
        gic_deactivate(intid);
        return true;
    }
    return false;
}

/* Every CPU: empty list registers, interface off, PMU/debug traps, the
 * maintenance and virtual timer PPIs enabled on its redistributor. */
void arch_vcpu_cpu_init(void)
{
    for (unsigned i = 0; i < nlrs; i++) {
        lr_write(i, 0);
    }
    WRITE_SYSREG(S3_4_C12_C11_0, 0);
    WRITE_SYSREG(cntv_ctl_el0, 0);
    /* The PMU and the debug registers are shared by everything on this CPU
     * and are not switched: accesses from lower ELs trap (a guest's become
     * sysreg exits for its VMM). HPMN (the counters EL1 may see) is kept. */
    WRITE_SYSREG(mdcr_el2, (READ_SYSREG(mdcr_el2) & 0x1fu) | MDCR_TPMCR | MDCR_TPM | MDCR_TDA |
                               MDCR_TDOSA | MDCR_TDRA);
    gic_enable(MAINTENANCE_PPI);
    gic_enable(vtimer_intid);
}

void arch_vcpu_init(unsigned vtimer)
{
    uint64_t vtr = READ_SYSREG(S3_4_C12_C11_1); /* ICH_VTR_EL2 */
    nlrs = (unsigned)(vtr & 0x1fu) + 1u;
    if (nlrs > VCPU_MAX_LRS) {
        nlrs = VCPU_MAX_LRS;
    }
    unsigned prebits = (unsigned)((vtr >> 26) & 7u) + 1u;
    napr = prebits >= 7 ? 4u : prebits == 6 ? 2u : 1u;
    vtimer_intid = vtimer;
    arch_vcpu_cpu_init();
    kprintf("vgic: %u list registers, %u preemption bits; virtual timer PPI %u\n", nlrs, prebits,
            vtimer);
}
