/*
 * vCPU objects (portable part): binding to a TCB, register access for the
 * VMM, the virtual interrupt queue, guest exits and the VMM's replies. The
 * hardware side (EL1 state switch, list registers, virtual timer) is
 * kernel/arch/aarch64/vcpu_switch.c.
 */
#include <kernel/vcpu.h>

#include <caps/cnode.h>
#include <kernel/ipc.h>
#include <kernel/kernel.h>
#include <kernel/object_invoke.h>

/* Architectural reset value of SCTLR_EL1: RES1 bits, MMU and caches off. */
#define SCTLR_EL1_RESET 0x30d00800ull
/* PSTATE for guest entry and for exceptions taken to EL1: EL1h, DAIF masked. */
#define PSTATE_EL1H_MASKED 0x3c5ull
#define PSTATE_KEEP        0xf00003cfull /* NZCV, DAIF, M[3:0] (M[4] = 0: AArch64) */
#define VMPIDR_RES1        (1ull << 31)
/* reg_write keeps exactly these fields with / and % (for the provers). */
_Static_assert(PSTATE_KEEP == (0xfull << 28) + (0xfull << 6) + 0xfull,
               "PSTATE_KEEP is NZCV [31:28], DAIF [9:6] and M[3:0]");

/* ESR fields used by the exit decoder (Arm ARM D17, ESR_EL2). */
#define EC_WFX        0x01u
#define EC_HVC64      0x16u
#define EC_SMC64      0x17u
#define EC_SYSREG     0x18u
#define EC_IABT_LOWER 0x20u
#define EC_IABT_CUR   0x21u
#define EC_DABT_LOWER 0x24u
#define EC_DABT_CUR   0x25u
#define ESR_EC_OF(e)  ((unsigned)((e) >> 26) & 0x3fu)
#define ESR_IL_BIT    (1ull << 25)
#define FSC_SYNC_EXT  0x10u

/*@ requires \valid_read(t);
    assigns \nothing;
    ensures \result == t->vcpu; */
struct vcpu *tcb_vcpu(const struct tcb *t)
{
    return t->vcpu;
}

/* ---- virtual interrupt queue ---- */

/*@ predicate virq_before(struct vcpu_virq a, struct vcpu_virq b) =
      a.prio < b.prio || (a.prio == b.prio && a.seq <= b.seq);
    predicate vq_ok(struct vcpu *v) = v->nqueued <= VCPU_VIRQ_QUEUE;
*/

/*
 * Index of the queued virtual interrupt to go to a list register next: the
 * highest priority (lowest value), the earliest arrival among equals; -1 if
 * the queue is empty.
 */
/*@ requires \valid_read(v) && vq_ok(v);
    assigns \nothing;
    ensures -1 <= \result < v->nqueued;
    ensures \result == -1 <==> v->nqueued == 0;
    ensures \result >= 0 ==>
              \forall integer k; 0 <= k < v->nqueued ==> virq_before(v->queue[\result], v->queue[k]); */
static int queue_best(const struct vcpu *v)
{
    int best = -1;
    /*@ loop invariant 0 <= i <= v->nqueued;
        loop invariant -1 <= best < i;
        loop invariant best == -1 <==> i == 0;
        loop invariant best >= 0 ==>
          \forall integer k; 0 <= k < i ==> virq_before(v->queue[best], v->queue[k]);
        loop assigns i, best;
        loop variant v->nqueued - i; */
    for (uint32_t i = 0; i < v->nqueued && i < VCPU_VIRQ_QUEUE; i++) {
        const struct vcpu_virq *q = &v->queue[i];
        if (best < 0 || q->prio < v->queue[best].prio ||
            (q->prio == v->queue[best].prio && q->seq < v->queue[best].seq)) {
            best = (int)i;
        }
    }
    return best;
}

/*
 * Removes entry i of the queue into *out; the last entry fills its place (the
 * order is by (prio, seq), not position). Every other entry stays.
 */
/*@ requires \valid(v) && \valid(out) && \separated(v, out) && vq_ok(v);
    requires 0 <= i < v->nqueued;
    assigns *out, v->nqueued, v->queue[i];
    ensures *out == \old(v->queue[i]);
    ensures v->nqueued == \old(v->nqueued) - 1;
    ensures v->queue[i] == \old(v->queue[v->nqueued - 1]); */
static void queue_take(struct vcpu *v, int i, struct vcpu_virq *out)
{
    uint32_t n = v->nqueued - 1u;
    /*@ assert n == \at(v->nqueued, Pre) - 1; */
    struct vcpu_virq last = v->queue[n]; /* read before any store */
    *out = v->queue[i];
    v->nqueued = n;
    v->queue[i] = last;
}

/*
 * Takes the next virtual interrupt (queue_best) off the queue into *out.
 * False, and nothing changes, if it is empty.
 */
/*@ requires \valid(v) && \valid(out) && \separated(v, out) && vq_ok(v);
    assigns *out, v->nqueued, v->queue[0 .. VCPU_VIRQ_QUEUE - 1];
    ensures vq_ok(v);
    behavior empty:
      assumes v->nqueued == 0;
      assigns \nothing;
      ensures !\result;
    behavior nonempty:
      assumes v->nqueued > 0;
      ensures \result && v->nqueued == \old(v->nqueued) - 1;
      ensures \forall integer k; 0 <= k < \old(v->nqueued) ==>
                virq_before(*out, \old(v->queue[k]));
    complete behaviors;
    disjoint behaviors; */
bool vcpu_queue_pop(struct vcpu *v, struct vcpu_virq *out)
{
    int i = queue_best(v);
    if (i < 0) {
        return false;
    }
    queue_take(v, i, out);
    return true;
}

/* ---- list registers (GICv3 ICH_LR<n>_EL2, IHI 0069 "ICH_LR<n>_EL2") ----
 * vINTID [31:0]; pINTID [44:32] when HW is 1 (HW 0: bit 41 is EOI, [44:42]
 * and [40:32] RES0); [47:45] RES0; Priority [55:48]; [59:56] RES0; Group [60];
 * HW [61]; State [63:62] (0 invalid, 1 pending, 2 active, 3 both). The
 * architecture layer (vcpu_switch.c) writes these values to the registers. */

/* The list-register value for a queued virtual interrupt: pending, Group 1,
 * its priority and vINTID; with HW and the pINTID (13 bits) for a
 * passthrough interrupt. Written as a sum of disjoint fields (= the | of the
 * shifted fields). */
/*@ requires \valid_read(q);
    assigns \nothing;
    ensures vintid: \result % 0x100000000 == q->intid;
    ensures pintid: (\result / 0x100000000) % 0x2000 == (q->hw != 0 ? q->pintid % 0x2000 : 0);
    ensures res0_45_47: (\result / 0x200000000000) % 8 == 0;
    ensures priority: (\result / 0x1000000000000) % 256 == q->prio;
    ensures res0_56_59: (\result / 0x100000000000000) % 16 == 0;
    ensures group1: (\result / 0x1000000000000000) % 2 == 1;
    ensures hw: (\result / 0x2000000000000000) % 2 == (q->hw != 0 ? 1 : 0);
    ensures state_pending: \result / 0x4000000000000000 == 1; */
uint64_t vcpu_lr_value(const struct vcpu_virq *q)
{
    /* State 0b01 (pending) and Group 1: bits 62 and 60. */
    uint64_t lr = 0x5000000000000000u + (uint64_t)q->prio * 0x1000000000000u + q->intid;
    if (q->hw != 0u) {
        lr += 0x2000000000000000u + (uint64_t)(q->pintid % 0x2000u) * 0x100000000u;
    }
    return lr;
}

/*
 * Where a queued interrupt goes among the n list registers lrs: returns the
 * first free one (State 0), -1 if none; *same is a list register that
 * already holds intid (State not 0, same vINTID; the last such), -1 if none.
 */
/*@ requires n <= VCPU_MAX_LRS && \valid_read(lrs + (0 .. n - 1)) && \valid(same);
    requires \separated(same, lrs + (0 .. n - 1));
    assigns *same;
    ensures -1 <= \result < n && -1 <= *same < n;
    ensures \result >= 0 ==> lrs[\result] / 0x4000000000000000 == 0 &&
              \forall integer k; 0 <= k < \result ==> lrs[k] / 0x4000000000000000 != 0;
    ensures \result == -1 ==> \forall integer k; 0 <= k < n ==> lrs[k] / 0x4000000000000000 != 0;
    ensures *same >= 0 ==>
              lrs[*same] / 0x4000000000000000 != 0 && lrs[*same] % 0x100000000 == intid;
    ensures *same == -1 ==> \forall integer k; 0 <= k < n ==>
              lrs[k] / 0x4000000000000000 == 0 || lrs[k] % 0x100000000 != intid; */
int vcpu_lr_slot(const uint64_t *lrs, unsigned n, uint32_t intid, int *same)
{
    int free_lr = -1;
    int hit = -1;
    /*@ loop invariant 0 <= i <= n;
        loop invariant -1 <= free_lr < i && -1 <= hit < i;
        loop invariant free_lr >= 0 ==> lrs[free_lr] / 0x4000000000000000 == 0 &&
          \forall integer k; 0 <= k < free_lr ==> lrs[k] / 0x4000000000000000 != 0;
        loop invariant free_lr == -1 ==>
          \forall integer k; 0 <= k < i ==> lrs[k] / 0x4000000000000000 != 0;
        loop invariant hit >= 0 ==>
          lrs[hit] / 0x4000000000000000 != 0 && lrs[hit] % 0x100000000 == intid;
        loop invariant hit == -1 ==> \forall integer k; 0 <= k < i ==>
          lrs[k] / 0x4000000000000000 == 0 || lrs[k] % 0x100000000 != intid;
        loop assigns i, free_lr, hit;
        loop variant n - i; */
    for (unsigned i = 0; i < n; i++) {
        if (lrs[i] / 0x4000000000000000u == 0u) { /* State [63:62] invalid */
            if (free_lr < 0) {
                free_lr = (int)i;
            }
        } else if (lrs[i] % 0x100000000u == intid) { /* vINTID [31:0] */
            hit = (int)i;
        }
    }
    *same = hit;
    return free_lr;
}

static void wake_from_wfi(struct vcpu *v)
{
    struct tcb *t = v->tcb;
    if (v->wfi && t != NULL && t->state == TCB_BLOCKED_WFI) {
        v->wfi = 0;
        t->state = TCB_RUNNABLE;
        sched_make_runnable(&t->sched);
    } else if (t != NULL) {
        /* Running on another CPU: that CPU refills its list registers on the
         * way back into the guest. */
        sched_kick_running(&t->sched);
    }
}

bh_error_t vcpu_inject(struct vcpu *v, uint32_t intid, uint32_t prio)
{
    return vcpu_inject_hw(v, intid, prio, 0);
}

/*
 * Whether intid is among the queued entries: the search of queue_add, apart
 * so that queue_add's goals do not carry the loop's exits.
 */
/*@ requires \valid_read(v) && vq_ok(v);
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==>
            (\exists integer k; 0 <= k < v->nqueued && v->queue[k].intid == intid); */
static int queue_has(const struct vcpu *v, uint32_t intid)
{
    uint32_t n = v->nqueued;
    /*@ loop invariant 0 <= i <= n;
        loop invariant \forall integer k; 0 <= k < i ==> v->queue[k].intid != intid;
        loop assigns i;
        loop variant n - i; */
    for (uint32_t i = 0; i < n && i < VCPU_VIRQ_QUEUE; i++) {
        if (v->queue[i].intid == intid) {
            return 1;
        }
    }
    return 0;
}

/*
 * Queue the virtual interrupt intid (priority prio; pintid: the physical
 * INTID for a passthrough one, 0 for none) unless it is already queued (an
 * interrupt is a state, not a count). 1: already queued; 0: appended as the
 * last entry, with the next arrival number; -1: the queue is full. Nothing
 * changes unless it returns 0.
 */
/*@ requires \valid(v) && vq_ok(v);
    requires intid < 1020 && prio <= 255 && pintid < 1020;
    assigns v->queue[v->nqueued], v->nqueued, v->seq;
    ensures vq_ok(v);
    ensures -1 <= \result <= 1;
    ensures \result != 0 ==> v->nqueued == \old(v->nqueued) && v->seq == \old(v->seq) &&
      v->queue[\old(v->nqueued)] == \old(v->queue[\old(v->nqueued)]);
    ensures \result == 1 <==> (\exists integer k; 0 <= k < \old(v->nqueued) &&
                                 \old(v->queue[k]).intid == intid);
    ensures \result == -1 ==> \old(v->nqueued) == VCPU_VIRQ_QUEUE;
    ensures appended: \result == 0 ==>
      \old(v->nqueued) < VCPU_VIRQ_QUEUE && v->nqueued == \old(v->nqueued) + 1;
    ensures seq: \result == 0 ==>
      v->seq == (\old(v->seq) < 0xffffffff ? \old(v->seq) + 1 : 0);
    ensures entry: \result == 0 ==>
      \let e = v->queue[\old(v->nqueued)];
      e.intid == intid && e.pintid == pintid && e.prio == prio &&
      e.hw == (pintid != 0 ? 1 : 0) && e.pad == 0 && e.seq == \old(v->seq); */
static int queue_add(struct vcpu *v, uint32_t intid, uint32_t prio, uint32_t pintid)
{
    uint32_t n = v->nqueued;
    if (queue_has(v, intid)) {
        return 1;
    }
    if (n >= VCPU_VIRQ_QUEUE) {
        return -1;
    }
    uint32_t seq = v->seq;
    /* One store of the whole entry (the provers follow it more easily than
     * six field stores). */
    struct vcpu_virq e = {(uint16_t)intid,
                          (uint16_t)pintid,
                          (uint8_t)prio,
                          (uint8_t)(pintid != 0u ? 1u : 0u),
                          0u,
                          seq};
    v->queue[n] = e;
    v->seq = seq < 0xffffffffu ? seq + 1u : 0u; /* = seq + 1u (wraps) */
    v->nqueued = n + 1u;
    return 0;
}

bh_error_t vcpu_inject_hw(struct vcpu *v, uint32_t intid, uint32_t prio, uint32_t pintid)
{
    if (intid >= 1020u || prio > 255u || pintid >= 1020u) {
        return BH_E_RANGE;
    }
    int r = queue_add(v, intid, prio, pintid);
    if (r < 0) {
        return BH_E_WOULD_BLOCK;
    }
    wake_from_wfi(v); /* also when already pending */
    return BH_OK;
}

/* ---- exits ---- */

/*@ logic integer dabt_lower(integer esr) = ((esr / 0x4000000) % 64 == EC_DABT_LOWER ? 1 : 0);
    logic integer dabt_isv(integer esr) =
      (dabt_lower(esr) == 1 && (esr / 0x1000000) % 2 == 1 ? 1 : 0);
*/

/* acc with an n-bit field f appended below it (acc * 2^n + f): the steps of
 * vcpu_decode_abort, apart so that its goals see the fields, not the sums. */
/*@ requires acc < 0x100000000 && f < 2;
    assigns \nothing;
    ensures \result == acc * 2 + f && \result / 2 == acc && \result % 2 == f; */
static uint64_t push1(uint64_t acc, uint64_t f)
{
    return acc * 2u + f;
}

/*@ requires acc < 0x100000000 && f < 4;
    assigns \nothing;
    ensures \result == acc * 4 + f && \result / 4 == acc && \result % 4 == f; */
static uint64_t push2(uint64_t acc, uint64_t f)
{
    return acc * 4u + f;
}

/*@ requires acc < 0x100000000 && f < 32;
    assigns \nothing;
    ensures \result == acc * 32 + f && \result / 32 == acc && \result % 32 == f; */
static uint64_t push5(uint64_t acc, uint64_t f)
{
    return acc * 32u + f;
}

/*
 * The BH_VCPU_DABT_* word from ESR_EL2 (Arm ARM D17, ISS of a data/instruction
 * abort): DFSC/IFSC [5:0] and S1PTW [7] always; for a data abort from a lower
 * EL also WnR [6] and, when ISV [24] is set, SAS [23:22], SSE [21], SRT
 * [20:16] and SF [15]; every other bit 0. Fields are taken with / and % (=
 * (esr >> lo) & mask) and appended from FSC [17:12] down to ISV [0], each at
 * its BH_VCPU_DABT_* position (= the | of the shifted fields: they do not
 * overlap). The sums and their one-field-at-a-time steps keep the provers in
 * linear arithmetic.
 */
/*@ assigns \nothing;
    ensures fsc: (\result / 0x1000) % 64 == esr % 64;
    ensures s1ptw: (\result / 0x800) % 2 == (esr / 128) % 2;
    ensures wnr: (\result / 2) % 2 == (dabt_lower(esr) == 1 ? (esr / 64) % 2 : 0);
    ensures isv: \result % 2 == dabt_isv(esr);
    ensures sas: (\result / 4) % 4 == (dabt_isv(esr) == 1 ? (esr / 0x400000) % 4 : 0);
    ensures srt: (\result / 16) % 32 == (dabt_isv(esr) == 1 ? (esr / 0x10000) % 32 : 0);
    ensures sse: (\result / 0x200) % 2 == (dabt_isv(esr) == 1 ? (esr / 0x200000) % 2 : 0);
    ensures sf: (\result / 0x400) % 2 == (dabt_isv(esr) == 1 ? (esr / 0x8000) % 2 : 0);
    ensures no_other_bits: \result < 0x40000; */
uint64_t vcpu_decode_abort(uint64_t esr)
{
    uint64_t wnr = 0;
    uint64_t isv = 0;
    uint64_t sas = 0;
    uint64_t srt = 0;
    uint64_t sse = 0;
    uint64_t sf = 0;
    if ((esr / 0x4000000u) % 64u == EC_DABT_LOWER) { /* = ESR_EC_OF(esr) */
        wnr = (esr / 64u) % 2u;
        if ((esr / 0x1000000u) % 2u != 0u) {
            isv = 1u;
            sas = (esr / 0x400000u) % 4u;
            srt = (esr / 0x10000u) % 32u;
            sse = (esr / 0x200000u) % 2u;
            sf = (esr / 0x8000u) % 2u;
        }
    }
    uint64_t fsc = esr % 64u;                     /* [17:12] */
    uint64_t q11 = push1(fsc, (esr / 128u) % 2u); /* S1PTW [11] */
    uint64_t q10 = push1(q11, sf);                /* SF [10] */
    uint64_t q9 = push1(q10, sse);                /* SSE [9] */
    uint64_t q4 = push5(q9, srt);                 /* SRT [8:4] */
    uint64_t q2 = push2(q4, sas);                 /* SAS [3:2] */
    uint64_t q1 = push1(q2, wnr);                 /* WnR [1] */
    uint64_t d = push1(q1, isv);                  /* ISV [0] */
    /*@ assert d / 4 == q2; */
    /*@ assert d / 16 == q4; */
    /*@ assert d / 0x200 == q9; */
    /*@ assert d / 0x400 == q10; */
    /*@ assert d / 0x800 == q11; */
    /*@ assert d / 0x1000 == fsc; */
    return d;
}

/*@ requires \valid_read(t);
    assigns \nothing;
    ensures r < 31 ==> \result == t->regs.x[r];
    ensures r >= 31 ==> \result == 0; */
static uint64_t reg_or_zero(const struct tcb *t, unsigned r)
{
    return r < 31u ? t->regs.x[r] : 0u; /* register 31 is XZR here */
}

void vcpu_exit(struct tcb *t, struct vcpu *v, uint64_t esr, uint64_t far, uint64_t ipa)
{
    unsigned ec = ESR_EC_OF(esr);
    if (ec == EC_WFX) {
        t->regs.elr += 4;
        if ((esr & 3u) != 0) {
            sched_yield(); /* WFE: give the CPU away, no event to wait for */
            return;
        }
        if (!arch_vcpu_irq_pending(v)) {
            v->wfi = 1;
            t->state = TCB_BLOCKED_WFI;
            sched_block(&t->sched);
        }
        return;
    }
    uint64_t msg[BH_VCPU_EXIT_MRS];
    for (unsigned i = 0; i < BH_VCPU_EXIT_MRS; i++) {
        msg[i] = 0;
    }
    msg[1] = t->regs.elr;
    msg[2] = esr;
    switch (ec) {
    case EC_DABT_LOWER:
    case EC_IABT_LOWER: {
        uint64_t d = vcpu_decode_abort(esr);
        msg[0] = ec == EC_DABT_LOWER ? BH_VCPU_EXIT_DATA_ABORT : BH_VCPU_EXIT_INST_ABORT;
        msg[3] = ipa;
        msg[4] = far;
        msg[5] = d;
        if ((d & BH_VCPU_DABT_ISV) != 0 && (d & BH_VCPU_DABT_WRITE) != 0) {
            msg[6] = reg_or_zero(t, (unsigned)((d >> BH_VCPU_DABT_SRT_SHIFT) & 0x1fu));
        }
        break;
    }
    case EC_HVC64:
    case EC_SMC64:
        msg[0] = ec == EC_HVC64 ? BH_VCPU_EXIT_HVC : BH_VCPU_EXIT_SMC;
        for (unsigned i = 0; i < 8; i++) {
            msg[3 + i] = t->regs.x[i];
        }
        break;
    case EC_SYSREG: {
        unsigned rt = (unsigned)(esr >> 5) & 0x1fu;
        msg[0] = BH_VCPU_EXIT_SYSREG;
        msg[3] = (esr >> 20) & 3u;   /* Op0 */
        msg[4] = (esr >> 14) & 7u;   /* Op1 */
        msg[5] = (esr >> 10) & 0xfu; /* CRn */
        msg[6] = (esr >> 1) & 0xfu;  /* CRm */
        msg[7] = (esr >> 17) & 7u;   /* Op2 */
        msg[8] = rt;
        msg[9] = esr & 1u; /* Direction: 1 = read (MRS) */
        msg[10] = (esr & 1u) == 0 ? reg_or_zero(t, rt) : 0u;
        break;
    }
    default:
        msg[0] = BH_VCPU_EXIT_UNKNOWN;
        msg[3] = far;
        msg[4] = ipa;
        break;
    }
    v->exit_reason = msg[0];
    v->exit_esr = esr;
    v->exit_far = far;
    kernel_fault_n(t, BH_FAULT_VCPU, msg, BH_VCPU_EXIT_MRS, "guest exit with no VMM to take it");
}

/* ESR_EL1 for an injected synchronous external abort (Arm ARM D17: EC
 * [31:26], IL [25], ISS [24:0] with DFSC/IFSC [5:0] = 0b010000 and, for a
 * data abort, WnR [6] from the exit). Fields written as sums of disjoint
 * slices (= the | of the shifted fields). */
/*@ // EC of the injected abort: data or instruction, from EL1 (M[3:2]) or EL0.
    logic integer abort_ec(integer exit_esr, integer guest_spsr) =
      dabt_lower(exit_esr) == 1 ?
        ((guest_spsr / 4) % 4 == 1 ? EC_DABT_CUR : EC_DABT_LOWER) :
        ((guest_spsr / 4) % 4 == 1 ? EC_IABT_CUR : EC_IABT_LOWER);
    logic integer abort_wnr(integer exit_esr) =
      dabt_lower(exit_esr) == 1 ? (exit_esr / 64) % 2 : 0;
    // vcpu_abort_esr's result, field by field (inject_abort's ESR_EL1).
    predicate abort_esr_ok(integer r, integer exit_esr, integer guest_spsr) =
      r / 0x4000000 == abort_ec(exit_esr, guest_spsr) && (r / 0x2000000) % 2 == 1 &&
      r % 64 == FSC_SYNC_EXT && (r / 64) % 2 == abort_wnr(exit_esr) &&
      (r / 128) % 0x40000 == 0;
*/
/*@ assigns \nothing;
    ensures ec: \result / 0x4000000 == abort_ec(exit_esr, guest_spsr);
    ensures il: (\result / 0x2000000) % 2 == 1;
    ensures fsc: \result % 64 == FSC_SYNC_EXT;
    ensures wnr: (\result / 64) % 2 == abort_wnr(exit_esr);
    ensures iss_rest: (\result / 128) % 0x40000 == 0; */
uint64_t vcpu_abort_esr(uint64_t exit_esr, uint64_t guest_spsr)
{
    bool from_el1 = (guest_spsr / 4u) % 4u == 1u;               /* M[3:2] = EL1 */
    bool data = (exit_esr / 0x4000000u) % 64u == EC_DABT_LOWER; /* = ESR_EC_OF(exit_esr) */
    uint64_t ec =
        data ? (from_el1 ? EC_DABT_CUR : EC_DABT_LOWER) : (from_el1 ? EC_IABT_CUR : EC_IABT_LOWER);
    uint64_t iss = FSC_SYNC_EXT;
    if (data) {
        iss += (exit_esr / 64u) % 2u * 64u; /* WnR */
    }
    return ec * 0x4000000u + ESR_IL_BIT + iss;
}

/*@ // M[3:0]: EL1t, EL1h, else a lower EL (AArch64).
    logic integer sync_vector_offset(integer guest_spsr) =
      guest_spsr % 16 == 4 ? 0 : (guest_spsr % 16 == 5 ? 0x200 : 0x400);
*/
/*@ assigns \nothing;
    ensures \result == sync_vector_offset(guest_spsr); */
uint64_t vcpu_sync_vector_offset(uint64_t guest_spsr)
{
    switch (guest_spsr % 16u) { /* M[3:0] */
    case 0x4u:
        return 0x000; /* EL1t: current EL with SP_EL0 */
    case 0x5u:
        return 0x200; /* EL1h: current EL with SP_ELx */
    default:
        return 0x400; /* EL0: lower EL, AArch64 */
    }
}

/*
 * Takes a synchronous external abort to the guest's EL1, as the hardware
 * would: ESR/FAR/ELR/SPSR_EL1 of the abort, PC at the vector, EL1h with DAIF
 * masked. The caller has flushed v's EL1 registers to memory.
 */
/*@ requires \valid(t) && \valid(v) && \separated(t, v);
    assigns v->sys[VCPU_SYS(BH_VCPU_REG_ESR_EL1)], v->sys[VCPU_SYS(BH_VCPU_REG_FAR_EL1)],
            v->sys[VCPU_SYS(BH_VCPU_REG_ELR_EL1)], v->sys[VCPU_SYS(BH_VCPU_REG_SPSR_EL1)],
            t->regs.elr, t->regs.spsr;
    ensures esr: abort_esr_ok(v->sys[VCPU_SYS(BH_VCPU_REG_ESR_EL1)], v->exit_esr,
                              \old(t->regs.spsr));
    ensures far: v->sys[VCPU_SYS(BH_VCPU_REG_FAR_EL1)] == v->exit_far;
    ensures elr_el1: v->sys[VCPU_SYS(BH_VCPU_REG_ELR_EL1)] == \old(t->regs.elr);
    ensures spsr_el1: v->sys[VCPU_SYS(BH_VCPU_REG_SPSR_EL1)] == \old(t->regs.spsr);
    ensures pc: t->regs.elr == (uint64_t)(v->sys[VCPU_SYS(BH_VCPU_REG_VBAR_EL1)] +
                                          sync_vector_offset(\old(t->regs.spsr)));
    ensures pstate: t->regs.spsr == PSTATE_EL1H_MASKED; */
static void inject_abort(struct tcb *t, struct vcpu *v)
{
    uint64_t spsr = t->regs.spsr;
    uint64_t elr = t->regs.elr;
    v->sys[VCPU_SYS(BH_VCPU_REG_ESR_EL1)] = vcpu_abort_esr(v->exit_esr, spsr);
    v->sys[VCPU_SYS(BH_VCPU_REG_FAR_EL1)] = v->exit_far;
    v->sys[VCPU_SYS(BH_VCPU_REG_ELR_EL1)] = elr;
    v->sys[VCPU_SYS(BH_VCPU_REG_SPSR_EL1)] = spsr;
    t->regs.elr = v->sys[VCPU_SYS(BH_VCPU_REG_VBAR_EL1)] + vcpu_sync_vector_offset(spsr);
    t->regs.spsr = PSTATE_EL1H_MASKED;
}

/*@ // Flag bit k (a power of 2) of a reply's flags word.
    predicate reply_flag(integer flags, integer k) = (flags / k) % 2 == 1;
    predicate reply_set_reg(uint64_t *mr, integer len) =
      len >= 3 && reply_flag(mr[0], BH_VCPU_REPLY_SET_REG) && mr[1] < 31;
    predicate reply_set_x(uint64_t *mr, integer len) =
      len != 0 && !reply_set_reg(mr, len) && reply_flag(mr[0], BH_VCPU_REPLY_SET_X0_X3);
*/

/* SET_X0_X3: x0..x3 from mr[2..5], as far as len goes. */
/*@ requires \valid(t) && \valid_read(mr + (0 .. 5)) && \separated(t, mr + (0 .. 5));
    assigns t->regs.x[0 .. 3];
    ensures t->regs.x[0] == (len > 2 ? mr[2] : \old(t->regs.x[0]));
    ensures t->regs.x[1] == (len > 3 ? mr[3] : \old(t->regs.x[1]));
    ensures t->regs.x[2] == (len > 4 ? mr[4] : \old(t->regs.x[2]));
    ensures t->regs.x[3] == (len > 5 ? mr[5] : \old(t->regs.x[3])); */
static void reply_x0_x3(struct tcb *t, const uint64_t mr[6], uint64_t len)
{
    if (len > 2) {
        t->regs.x[0] = mr[2];
    }
    if (len > 3) {
        t->regs.x[1] = mr[3];
    }
    if (len > 4) {
        t->regs.x[2] = mr[4];
    }
    if (len > 5) {
        t->regs.x[3] = mr[5];
    }
}

/* ADVANCE: the PC past the trapped instruction, except after HVC (ELR_EL2 is
 * already past it). */
/*@ requires \valid(t) && \valid_read(v) && \separated(t, v);
    assigns t->regs.elr;
    ensures advance: reply_flag(flags, BH_VCPU_REPLY_ADVANCE) &&
                     v->exit_reason != BH_VCPU_EXIT_HVC ==>
                       t->regs.elr == (uint64_t)(\old(t->regs.elr) + 4);
    ensures no_advance: !(reply_flag(flags, BH_VCPU_REPLY_ADVANCE) &&
                          v->exit_reason != BH_VCPU_EXIT_HVC) ==>
                          t->regs.elr == \old(t->regs.elr); */
static void reply_advance(struct tcb *t, const struct vcpu *v, uint64_t flags)
{
    if ((flags / BH_VCPU_REPLY_ADVANCE) % 2u != 0 && v->exit_reason != BH_VCPU_EXIT_HVC) {
        t->regs.elr += 4;
    }
}

/*
 * The register part of a VMM's reply (mr[0] flags, len words): SET_REG
 * writes x[mr[1]] (mr[1] < 31, len >= 3) with mr[2]; else SET_X0_X3 writes
 * x0.. with mr[2].. as far as len goes; ADVANCE steps the PC past the
 * trapped instruction, except after HVC (ELR_EL2 is already past it).
 * Nothing else of t changes. True if an abort is to be injected: ABORT after
 * a data or instruction abort exit.
 */
/*@ requires \valid(t) && \valid_read(v) && \valid_read(mr + (0 .. 5));
    requires \separated(t, v) && \separated(t, mr + (0 .. 5));
    assigns t->regs.x[0 .. 30], t->regs.elr;
    ensures set_reg: reply_set_reg(mr, len) ==>
      t->regs.x[mr[1]] == mr[2] &&
      \forall integer k; 0 <= k < 31 && k != mr[1] ==> t->regs.x[k] == \old(t->regs.x[k]);
    ensures set_x0_x3: reply_set_x(mr, len) ==>
      t->regs.x[0] == (len > 2 ? mr[2] : \old(t->regs.x[0])) &&
      t->regs.x[1] == (len > 3 ? mr[3] : \old(t->regs.x[1])) &&
      t->regs.x[2] == (len > 4 ? mr[4] : \old(t->regs.x[2])) &&
      t->regs.x[3] == (len > 5 ? mr[5] : \old(t->regs.x[3])) &&
      \forall integer k; 4 <= k < 31 ==> t->regs.x[k] == \old(t->regs.x[k]);
    ensures no_regs: !reply_set_reg(mr, len) && !reply_set_x(mr, len) ==>
      \forall integer k; 0 <= k < 31 ==> t->regs.x[k] == \old(t->regs.x[k]);
    ensures advance: len != 0 && reply_flag(mr[0], BH_VCPU_REPLY_ADVANCE) &&
                     v->exit_reason != BH_VCPU_EXIT_HVC ==>
                       t->regs.elr == (uint64_t)(\old(t->regs.elr) + 4);
    ensures no_advance: !(len != 0 && reply_flag(mr[0], BH_VCPU_REPLY_ADVANCE) &&
                          v->exit_reason != BH_VCPU_EXIT_HVC) ==>
                          t->regs.elr == \old(t->regs.elr);
    ensures abort: \result <==>
      (len != 0 && reply_flag(mr[0], BH_VCPU_REPLY_ABORT) &&
       (v->exit_reason == BH_VCPU_EXIT_DATA_ABORT || v->exit_reason == BH_VCPU_EXIT_INST_ABORT)); */
static bool reply_regs(struct tcb *t, const struct vcpu *v, const uint64_t mr[6], uint64_t len)
{
    if (len == 0) {
        return false;
    }
    /* Flag tests as (flags / bit) % 2 (= flags & bit, one-bit flags). */
    uint64_t flags = mr[0];
    uint64_t r = mr[1];
    if ((flags / BH_VCPU_REPLY_SET_REG) % 2u != 0 && len >= 3 && r < 31u) {
        t->regs.x[r] = mr[2];
    } else if ((flags / BH_VCPU_REPLY_SET_X0_X3) % 2u != 0) {
        reply_x0_x3(t, mr, len);
    }
    reply_advance(t, v, flags);
    return (flags / BH_VCPU_REPLY_ABORT) % 2u != 0 &&
           (v->exit_reason == BH_VCPU_EXIT_DATA_ABORT || v->exit_reason == BH_VCPU_EXIT_INST_ABORT);
}

void vcpu_apply_reply(struct tcb *t, struct vcpu *v, const uint64_t mr[6], uint64_t len)
{
    if (reply_regs(t, v, mr, len)) {
        arch_vcpu_flush(v); /* the EL1 registers are changed in memory */
        inject_abort(t, v);
    }
}

/* ---- invocations ---- */

/*
 * Registers kept in v->sys: the EL1 state (and TPIDRRO_EL0, VMPIDR) that
 * arch_vcpu_flush brings to memory; the caller flushes before reg_read or
 * reg_write touches one of them.
 */
/*@ assigns \nothing;
    ensures \result <==>
      (VCPU_SYS_FIRST <= r < BH_VCPU_REG_COUNT && r != BH_VCPU_REG_TPIDR_EL0); */
static bool reg_in_sys(uint64_t r)
{
    return r >= VCPU_SYS_FIRST && r < BH_VCPU_REG_COUNT && r != BH_VCPU_REG_TPIDR_EL0;
}

/* Guest register r (enum bh_vcpu_reg) of v's bound thread into *out; false,
 * and nothing written, if there is no such register. */
/*@ requires \valid(v) && \valid_read(v->tcb) && \valid(out);
    requires \separated(out, v, v->tcb);
    assigns *out;
    ensures \result <==> r < BH_VCPU_REG_COUNT;
    ensures r < 31 ==> *out == v->tcb->regs.x[r];
    ensures r == BH_VCPU_REG_SP_EL0 ==> *out == v->tcb->regs.sp_el0;
    ensures r == BH_VCPU_REG_PC ==> *out == v->tcb->regs.elr;
    ensures r == BH_VCPU_REG_PSTATE ==> *out == v->tcb->regs.spsr;
    ensures r == BH_VCPU_REG_TPIDR_EL0 ==> *out == v->tcb->tpidr_el0;
    ensures VCPU_SYS_FIRST <= r < BH_VCPU_REG_COUNT && r != BH_VCPU_REG_TPIDR_EL0 ==>
              *out == v->sys[r - VCPU_SYS_FIRST];
    ensures r >= BH_VCPU_REG_COUNT ==> *out == \old(*out); */
static bool reg_read(const struct vcpu *v, uint64_t r, uint64_t *out)
{
    const struct tcb *t = v->tcb;
    if (r < 31u) {
        *out = t->regs.x[r];
    } else if (r == BH_VCPU_REG_SP_EL0) {
        *out = t->regs.sp_el0;
    } else if (r == BH_VCPU_REG_PC) {
        *out = t->regs.elr;
    } else if (r == BH_VCPU_REG_PSTATE) {
        *out = t->regs.spsr;
    } else if (r == BH_VCPU_REG_TPIDR_EL0) {
        *out = t->tpidr_el0;
    } else if (r < BH_VCPU_REG_COUNT) {
        *out = v->sys[VCPU_SYS(r)];
    } else {
        return false;
    }
    return true;
}

/*@ predicate pstate_ok(integer val) = val % 32 == 0 || val % 32 == 4 || val % 32 == 5;
    // val & PSTATE_KEEP when pstate_ok(val) (M[4] = 0): NZCV [31:28],
    // DAIF [9:6], M[4:0]
    logic integer pstate_kept(integer val) =
      (val / 0x10000000) % 16 * 0x10000000 + (val / 64) % 16 * 64 + val % 32;
    // val | VMPIDR_RES1
    logic integer vmpidr_set(integer val) =
      ((val / 0x80000000) % 2 == 1 ? val : val + 0x80000000);
*/

/* hi with m in its (zero) low five bits: M[4:0] of a PSTATE value. */
/*@ requires hi % 32 == 0 && hi <= 0xffffffff && m < 32;
    assigns \nothing;
    ensures \result == hi + m && \result % 32 == m; */
static uint64_t with_low5(uint64_t hi, uint64_t m)
{
    return hi + m;
}

/*
 * Writes guest register r (enum bh_vcpu_reg) of v's bound thread. PSTATE only
 * takes AArch64 EL0t, EL1t or EL1h (M[4:0] = 0, 4, 5): never EL2, never
 * AArch32; it keeps NZCV, DAIF and M[3:0] (= val & PSTATE_KEEP, written as
 * the sum of those fields). VMPIDR gets its RES1 bit 31 (= val | VMPIDR_RES1).
 * Exactly the named register changes; nothing on an error.
 */
/*@ requires \valid(v) && \valid(v->tcb) && \separated(v, v->tcb);
    assigns v->tcb->regs.x[0 .. 30], v->tcb->regs.sp_el0, v->tcb->regs.elr,
            v->tcb->regs.spsr, v->tcb->tpidr_el0, v->sys[0 .. VCPU_SYS_COUNT - 1];
    behavior range:
      assumes r >= BH_VCPU_REG_COUNT;
      assigns \nothing;
      ensures \result == BH_E_RANGE;
    behavior x:
      assumes r < 31;
      assigns v->tcb->regs.x[r];
      ensures \result == BH_OK && v->tcb->regs.x[r] == val;
    behavior sp_el0:
      assumes r == BH_VCPU_REG_SP_EL0;
      assigns v->tcb->regs.sp_el0;
      ensures \result == BH_OK && v->tcb->regs.sp_el0 == val;
    behavior pc:
      assumes r == BH_VCPU_REG_PC;
      assigns v->tcb->regs.elr;
      ensures \result == BH_OK && v->tcb->regs.elr == val;
    behavior pstate_refused:
      assumes r == BH_VCPU_REG_PSTATE && !pstate_ok(val);
      assigns \nothing;
      ensures \result == BH_E_INVALID_ARGUMENT;
    behavior pstate:
      assumes r == BH_VCPU_REG_PSTATE && pstate_ok(val);
      assigns v->tcb->regs.spsr;
      ensures \result == BH_OK && v->tcb->regs.spsr == pstate_kept(val);
      ensures mode: pstate_ok(v->tcb->regs.spsr);
    behavior tpidr_el0:
      assumes r == BH_VCPU_REG_TPIDR_EL0;
      assigns v->tcb->tpidr_el0;
      ensures \result == BH_OK && v->tcb->tpidr_el0 == val;
    behavior vmpidr:
      assumes r == BH_VCPU_REG_VMPIDR;
      assigns v->sys[VCPU_SYS(BH_VCPU_REG_VMPIDR)];
      ensures \result == BH_OK && v->sys[VCPU_SYS(BH_VCPU_REG_VMPIDR)] == vmpidr_set(val);
    behavior sys:
      assumes VCPU_SYS_FIRST <= r < BH_VCPU_REG_COUNT && r != BH_VCPU_REG_TPIDR_EL0 &&
              r != BH_VCPU_REG_VMPIDR;
      assigns v->sys[r - VCPU_SYS_FIRST];
      ensures \result == BH_OK && v->sys[r - VCPU_SYS_FIRST] == val;
    complete behaviors;
    disjoint behaviors; */
static bh_error_t reg_write(struct vcpu *v, uint64_t r, uint64_t val)
{
    struct tcb *t = v->tcb;
    if (r < 31u) {
        t->regs.x[r] = val;
    } else if (r == BH_VCPU_REG_SP_EL0) {
        t->regs.sp_el0 = val;
    } else if (r == BH_VCPU_REG_PC) {
        t->regs.elr = val;
    } else if (r == BH_VCPU_REG_PSTATE) {
        /* Only AArch64 EL0t, EL1t or EL1h: never EL2, never AArch32. */
        uint64_t m = val % 32u; /* M[4:0] */
        if (m != 0x0u && m != 0x4u && m != 0x5u) {
            return BH_E_INVALID_ARGUMENT;
        }
        uint64_t hi = (val / 0x10000000u) % 16u * 0x10000000u + (val / 64u) % 16u * 64u;
        /* m = M[3:0] here (M[4] = 0): spsr = val & PSTATE_KEEP */
        t->regs.spsr = with_low5(hi, m);
    } else if (r == BH_VCPU_REG_TPIDR_EL0) {
        t->tpidr_el0 = val;
    } else if (r == BH_VCPU_REG_VMPIDR) {
        /* = val | VMPIDR_RES1 */
        v->sys[VCPU_SYS(r)] = (val / VMPIDR_RES1) % 2u == 1u ? val : val + VMPIDR_RES1;
    } else if (r < BH_VCPU_REG_COUNT) {
        v->sys[VCPU_SYS(r)] = val;
    } else {
        return BH_E_RANGE;
    }
    return BH_OK;
}

static bh_error_t set_tcb(struct tcb *caller, struct vcpu *v, const struct invocation *inv)
{
    if (inv->ncaps < 1 || inv->len < 1) {
        return BH_E_TRUNCATED;
    }
    if (cap_type(inv->cap[0]) != BH_OBJ_TCB) {
        return BH_E_INVALID_CAPABILITY;
    }
    struct tcb *t = tcb_of(inv->cap[0]);
    if (t == caller) {
        return BH_E_ILLEGAL_OPERATION; /* a VMM cannot turn itself into its guest */
    }
    if (v->tcb != NULL || t->vcpu != NULL) {
        return BH_E_IN_USE;
    }
    if (cap_type(t->slot[TCB_SLOT_VSPACE].cap) != BH_OBJ_VM) {
        return BH_E_INVALID_ARGUMENT; /* configure the TCB with the VM first */
    }
    if (t->state != TCB_INACTIVE && t->state != TCB_STOPPED) {
        return BH_E_IN_USE; /* an EL0 thread in flight cannot become a guest */
    }
    bh_error_t e = caps_delete(&t->slot[TCB_SLOT_VCPU], CAPS_WORK_BUDGET);
    if (e == BH_OK) {
        e = caps_copy(inv->target, &t->slot[TCB_SLOT_VCPU], BH_RIGHTS_ALL);
    }
    if (e != BH_OK) {
        return e;
    }
    v->tcb = t;
    t->vcpu = v;
    if (!v->initialised) {
        v->initialised = 1;
        v->sys[VCPU_SYS(BH_VCPU_REG_SCTLR_EL1)] = SCTLR_EL1_RESET;
        v->ich_vmcr = 0;
    }
    v->sys[VCPU_SYS(BH_VCPU_REG_VMPIDR)] = inv->mr[0] | VMPIDR_RES1;
    t->regs.spsr = PSTATE_EL1H_MASKED;
    irq_vcpu_moved(v, t->sched.affinity); /* passthrough lines follow the thread */
    return BH_OK;
}

bh_error_t vcpu_invoke(struct tcb *caller, const struct invocation *inv)
{
    struct vcpu *v = vcpu_of(inv->target->cap);
    if (inv->label == BH_INV_VCPU_SET_TCB) {
        return set_tcb(caller, v, inv);
    }
    if (inv->label == BH_INV_VCPU_INJECT_IRQ) {
        if (inv->len < 2) {
            return BH_E_TRUNCATED;
        }
        if (inv->mr[0] >= 1020u || inv->mr[1] > 255u) {
            return BH_E_RANGE;
        }
        return vcpu_inject(v, (uint32_t)inv->mr[0], (uint32_t)inv->mr[1]);
    }
    if (inv->label == BH_INV_VCPU_ACK_MAINTENANCE) {
        caller->regs.x[2] = arch_vcpu_free_lrs(v);
        caller->regs.x[3] = v->nqueued;
        caller->regs.x[1] = bh_msginfo(0, 0, 2);
        return BH_OK;
    }
    if (v->tcb == NULL) {
        return BH_E_INVALID_ARGUMENT; /* registers belong to a bound vCPU */
    }
    /* Running on another CPU: its general registers go to memory first. */
    arch_stall(v->tcb);
    switch (inv->label) {
    case BH_INV_VCPU_READ_REGS: {
        if (inv->len < 2) {
            return BH_E_TRUNCATED;
        }
        uint64_t first = inv->mr[0];
        uint64_t n = inv->mr[1];
        if (n == 0 || n > BH_MSG_REGS || first >= BH_VCPU_REG_COUNT ||
            n > BH_VCPU_REG_COUNT - first) {
            return BH_E_RANGE;
        }
        uint64_t val[BH_MSG_REGS];
        for (uint64_t i = 0; i < n; i++) {
            if (reg_in_sys(first + i)) {
                arch_vcpu_flush(v); /* its EL1 registers to memory */
            }
            if (!reg_read(v, first + i, &val[i])) {
                return BH_E_RANGE;
            }
        }
        for (uint64_t i = 0; i < n; i++) {
            caller->regs.x[2 + i] = val[i];
        }
        caller->regs.x[1] = bh_msginfo(0, 0, n);
        return BH_OK;
    }
    case BH_INV_VCPU_WRITE_REGS: {
        if (inv->len < 3) {
            return BH_E_TRUNCATED;
        }
        uint64_t first = inv->mr[0];
        uint64_t n = inv->mr[1];
        if (n == 0 || n > 4 || n > inv->len - 2 || first >= BH_VCPU_REG_COUNT ||
            n > BH_VCPU_REG_COUNT - first) {
            return BH_E_RANGE;
        }
        for (uint64_t i = 0; i < n; i++) {
            if (reg_in_sys(first + i)) {
                arch_vcpu_flush(v); /* its EL1 registers to memory */
            }
            bh_error_t e = reg_write(v, first + i, inv->mr[2 + i]);
            if (e != BH_OK) {
                return e;
            }
        }
        return BH_OK;
    }
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}

/* ---- destruction ---- */

void vcpu_destroy(struct vcpu *v)
{
    irq_vcpu_destroyed(v);
    arch_vcpu_flush(v);
    arch_vcpu_forget(v);
    struct tcb *t = v->tcb;
    if (t != NULL) {
        t->vcpu = NULL;
        v->tcb = NULL;
        /* Its registers hold guest state: it must never run as an EL0 thread. */
        tcb_stop(t, BH_FAULT_VCPU);
    }
    v->dead = 1;
}

void vcpu_tcb_destroyed(struct tcb *t)
{
    struct vcpu *v = t->vcpu;
    if (v != NULL) {
        v->tcb = NULL;
        v->wfi = 0;
        t->vcpu = NULL;
    }
}
