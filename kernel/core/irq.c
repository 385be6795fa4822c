/*
 * IRQControl and IRQHandler: user-level drivers get physical interrupts as
 * notification signals. The kernel drops the running priority at once but
 * leaves the interrupt active until the handler's ACK, so a level-triggered
 * device cannot storm before its driver has run.
 */
#include <caps/cdt.h>
#include <caps/cspace.h>
#include <kernel/console_input.h>
#include <kernel/ipc.h>
#include <kernel/kernel.h>
#include <kernel/object_invoke.h>
#include <kernel/vcpu.h>

#define IRQ_MAX 1020u

static struct {
    struct notification *ntfn;
    uint64_t badge;
    struct vcpu *vcpu; /* passthrough: injected with the HW bit, no VMM round trip */
    uint16_t vintid;
    uint8_t prio;
    bool claimed;
} irqs[IRQ_MAX];

bool kernel_irq(uint32_t intid)
{
    if (console_input_irq(intid)) {
        return true;
    }
    if (intid >= IRQ_MAX || !irqs[intid].claimed) {
        return false;
    }
    if (irqs[intid].vcpu != NULL) {
        /* Stays active until the guest's EOI; if the queue is full it is
         * deactivated so a level-triggered device asserts it again later. */
        if (vcpu_inject_hw(irqs[intid].vcpu, irqs[intid].vintid, irqs[intid].prio, intid) !=
            BH_OK) {
            arch_irq_ack(intid);
        }
        return true;
    }
    if (irqs[intid].ntfn != NULL) {
        ntfn_signal(irqs[intid].ntfn, irqs[intid].badge);
    }
    return true;
}

/*
 * The argument checks of IRQControl GET, in order: INTID, slot index and
 * depth and the destination CNode present; an INTID below IRQ_MAX (so
 * irqs[intid] is in bounds); a CNode.
 */
/*@ requires \valid_read(inv);
    assigns \nothing;
    ensures inv->len < 3 || inv->ncaps < 1 ==> \result == BH_E_TRUNCATED;
    ensures inv->len >= 3 && inv->ncaps >= 1 && inv->mr[0] >= IRQ_MAX ==> \result == BH_E_RANGE;
    ensures \result == BH_OK || \result == BH_E_TRUNCATED || \result == BH_E_RANGE ||
            \result == BH_E_INVALID_CAPABILITY;
    ensures \result == BH_OK <==> inv->len >= 3 && inv->ncaps >= 1 && inv->mr[0] < IRQ_MAX &&
                                  cap_type_l(inv->cap[0]) == BH_OBJ_CNODE; */
static bh_error_t irq_get_check(const struct invocation *inv)
{
    if (inv->len < 3 || inv->ncaps < 1) {
        return BH_E_TRUNCATED;
    }
    if (inv->mr[0] >= IRQ_MAX) {
        return BH_E_RANGE;
    }
    if (cap_type(inv->cap[0]) != BH_OBJ_CNODE) {
        return BH_E_INVALID_CAPABILITY;
    }
    return BH_OK;
}

static bh_error_t irq_get(struct tcb *caller, const struct invocation *inv)
{
    bh_error_t ce = irq_get_check(inv);
    if (ce != BH_OK) {
        return ce;
    }
    uint64_t intid = inv->mr[0];
    cte_t *dst = NULL;
    bh_lookup_fault_t lf;
    uint32_t depth = inv->mr[2] > 64 ? 64u : (uint32_t)inv->mr[2];
    bh_error_t e = cspace_lookup(inv->cap[0], inv->mr[1], depth, true, &dst, &lf);
    if (e != BH_OK) {
        caller->regs.x[2] = lf.kind;
        return e;
    }
    if (!cap_is_null(dst->cap)) {
        return BH_E_DELETE_FIRST;
    }
    if (irqs[intid].claimed) {
        return BH_E_IN_USE;
    }
    e = arch_irq_claim((uint32_t)intid); /* refuses kernel-owned and absent lines */
    if (e != BH_OK) {
        return e;
    }
    irqs[intid].claimed = true;
    irqs[intid].ntfn = NULL;
    irqs[intid].vcpu = NULL;
    cap_t h = cap_make(BH_OBJ_IRQ_HANDLER, pa_init(0), BH_RIGHTS_ALL, true);
    h.w1 = intid;
    cdt_insert_after(inv->target, dst, h); /* revoking IRQControl removes it */
    return BH_OK;
}

/* A passthrough interrupt is taken on the CPU its vCPU runs on, so it lands
 * straight in that CPU's list registers (CPU 0 while the vCPU is unbound). */
static void route_to_vcpu(uint32_t intid)
{
    const struct vcpu *v = irqs[intid].vcpu;
    arch_irq_route(intid, v != NULL && v->tcb != NULL ? v->tcb->sched.affinity : 0u);
}

void irq_vcpu_moved(const struct vcpu *v, unsigned cpu)
{
    for (unsigned i = 0; i < IRQ_MAX; i++) {
        if (irqs[i].claimed && irqs[i].vcpu == v) {
            arch_irq_route(i, cpu);
        }
    }
}

/* SET_NOTIFICATION: a Notification capability with the right to signal. */
/*@ requires \valid_read(inv);
    assigns \nothing;
    ensures \result == BH_OK || \result == BH_E_INVALID_CAPABILITY;
    ensures \result == BH_OK <==> inv->ncaps >= 1 &&
                                  cap_type_l(inv->cap[0]) == BH_OBJ_NOTIFICATION &&
                                  (cap_rights_l(inv->cap[0]) / BH_RIGHT_WRITE) % 2 == 1; */
static bh_error_t irq_ntfn_check(const struct invocation *inv)
{
    if (inv->ncaps < 1 || cap_type(inv->cap[0]) != BH_OBJ_NOTIFICATION ||
        (cap_rights(inv->cap[0]) / BH_RIGHT_WRITE) % 2u == 0) {
        return BH_E_INVALID_CAPABILITY;
    }
    return BH_OK;
}

/*
 * SET_VCPU, in order: a vCPU capability; the virtual INTID and priority
 * present; a shared peripheral INTID (32 .. IRQ_MAX-1) and a priority that
 * fits the list register's 8 bits.
 */
/*@ requires \valid_read(inv);
    assigns \nothing;
    ensures inv->ncaps < 1 || cap_type_l(inv->cap[0]) != BH_OBJ_VCPU ==>
            \result == BH_E_INVALID_CAPABILITY;
    ensures inv->ncaps >= 1 && cap_type_l(inv->cap[0]) == BH_OBJ_VCPU && inv->len < 2 ==>
            \result == BH_E_TRUNCATED;
    ensures \result == BH_OK || \result == BH_E_INVALID_CAPABILITY ||
            \result == BH_E_TRUNCATED || \result == BH_E_RANGE;
    ensures \result == BH_OK <==> inv->ncaps >= 1 && cap_type_l(inv->cap[0]) == BH_OBJ_VCPU &&
                                  inv->len >= 2 && 32 <= inv->mr[0] < IRQ_MAX &&
                                  inv->mr[1] <= 255; */
static bh_error_t irq_vcpu_check(const struct invocation *inv)
{
    if (inv->ncaps < 1 || cap_type(inv->cap[0]) != BH_OBJ_VCPU) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (inv->len < 2) {
        return BH_E_TRUNCATED;
    }
    /* A passthrough INTID is a shared peripheral interrupt as a guest sees it. */
    if (inv->mr[0] < 32u || inv->mr[0] >= IRQ_MAX || inv->mr[1] > 255u) {
        return BH_E_RANGE;
    }
    return BH_OK;
}

bh_error_t irq_invoke(struct tcb *caller, const struct invocation *inv)
{
    cap_t c = inv->target->cap;
    if (cap_type(c) == BH_OBJ_IRQ_CONTROL) {
        return inv->label == BH_INV_IRQ_CONTROL_GET ? irq_get(caller, inv) : BH_E_ILLEGAL_OPERATION;
    }
    uint32_t intid = cap_irq(c);
    if (intid >= IRQ_MAX || !irqs[intid].claimed) {
        return BH_E_INVALID_CAPABILITY;
    }
    bh_error_t ce;
    switch (inv->label) {
    case BH_INV_IRQ_SET_NOTIFICATION:
        ce = irq_ntfn_check(inv);
        if (ce != BH_OK) {
            return ce;
        }
        irqs[intid].ntfn = notification_of(inv->cap[0]);
        irqs[intid].badge = cap_badge(inv->cap[0]);
        irqs[intid].vcpu = NULL;
        /* Delivered on the CPU of its driver: the thread that binds it. */
        arch_irq_route(intid, caller->sched.affinity);
        return BH_OK;
    case BH_INV_IRQ_SET_VCPU:
        ce = irq_vcpu_check(inv);
        if (ce != BH_OK) {
            return ce;
        }
        irqs[intid].vcpu = vcpu_of(inv->cap[0]);
        irqs[intid].vintid = (uint16_t)inv->mr[0];
        irqs[intid].prio = (uint8_t)inv->mr[1];
        irqs[intid].ntfn = NULL;
        route_to_vcpu(intid);
        return BH_OK;
    case BH_INV_IRQ_ACK:
        if (irqs[intid].ntfn != NULL) {
            /* The driver may have moved: the next one goes where it is. */
            arch_irq_route(intid, caller->sched.affinity);
        }
        arch_irq_ack(intid);
        return BH_OK;
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}

void irq_handler_destroyed(uint32_t intid)
{
    if (intid < IRQ_MAX && irqs[intid].claimed) {
        irqs[intid].claimed = false;
        irqs[intid].ntfn = NULL;
        irqs[intid].vcpu = NULL;
        arch_irq_release(intid);
    }
}

void irq_vcpu_destroyed(const struct vcpu *v)
{
    for (unsigned i = 0; i < IRQ_MAX; i++) {
        if (irqs[i].claimed && irqs[i].vcpu == v) {
            irqs[i].vcpu = NULL;
            arch_irq_ack(i); /* it may be active in the dead vCPU's list registers */
        }
    }
}

/*@ assigns irqs[0 .. IRQ_MAX - 1].ntfn;
    ensures \forall integer j; 0 <= j < IRQ_MAX ==>
              (\old(irqs[j].ntfn) == n ==> irqs[j].ntfn == \null) &&
              (\old(irqs[j].ntfn) != n ==> irqs[j].ntfn == \old(irqs[j].ntfn)); */
void irq_notification_destroyed(const struct notification *n)
{
    /*@ loop invariant 0 <= i <= IRQ_MAX;
        loop invariant \forall integer j; 0 <= j < i ==>
          (\at(irqs[j].ntfn, Pre) == n ==> irqs[j].ntfn == \null) &&
          (\at(irqs[j].ntfn, Pre) != n ==> irqs[j].ntfn == \at(irqs[j].ntfn, Pre));
        loop invariant \forall integer j; i <= j < IRQ_MAX ==> irqs[j].ntfn == \at(irqs[j].ntfn, Pre);
        loop assigns i, irqs[0 .. IRQ_MAX - 1].ntfn;
        loop variant IRQ_MAX - i; */
    for (unsigned i = 0; i < IRQ_MAX; i++) {
        const struct notification *cur = irqs[i].ntfn; /* same type as n */
        if (cur == n) {
            irqs[i].ntfn = NULL;
        }
    }
}
