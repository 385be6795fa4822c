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
    ensures inv->len >= 3 && inv->ncaps >= 1 && inv->mr[0] < IRQ_MAX &&
            cap_type_l(inv->cap[0]) != BH_OBJ_CNODE ==> \result == BH_E_INVALID_CAPABILITY;
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

/*@ logic integer irq_depth_l(integer d) = d > 64 ? 64 : d;
    // s is the destination slot the invocation names.
    predicate irq_dest{L}(struct invocation *inv, cte_t *s) =
      resolves{L}(\at(inv->cap[0], L), \at(inv->mr[1], L), irq_depth_l(\at(inv->mr[2], L)), 1,
                  s, 0);
    predicate irq_table_same{L1, L2} =
      \forall integer j; 0 <= j < IRQ_MAX ==>
        \at(irqs[j].claimed, L1) == \at(irqs[j].claimed, L2) &&
        \at(irqs[j].ntfn, L1) == \at(irqs[j].ntfn, L2) &&
        \at(irqs[j].vcpu, L1) == \at(irqs[j].vcpu, L2);
    predicate irq_slots_same{L1, L2} =
      \forall cte_t *s; cdt_slot(s) ==>
        \at(s->cap, L1) == \at(s->cap, L2) && \at(s->prev, L1) == \at(s->prev, L2) &&
        \at(s->next, L1) == \at(s->next, L2);
*/

/*
 * An IRQHandler capability for line intid in the empty slot dst, right after
 * the IRQControl slot src: its child, so revoking IRQControl removes it.
 */
/*@ requires cdt_wf && cdt_at(src) && cdt_at(dst);
    requires cap_type_l(src->cap) == BH_OBJ_IRQ_CONTROL && cap_null_l(dst->cap);
    requires src->next != src;
    assigns { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf;
    ensures cap_type_l(dst->cap) == BH_OBJ_IRQ_HANDLER && dst->cap.w1 == intid;
    ensures src->next == dst && dst->prev == src && dst->next == \old(src->next); */
static void irq_install(cte_t *src, cte_t *dst, uint64_t intid)
{
    /*@ assert h_src: src->next == \null ||
          (cdt_at(src->next) && !cap_null_l(src->next->cap) && src->next != dst); */
    /*@ assert h_dst: dst->prev == \null && dst->next == \null && src != dst; */
    cap_t h = cap_make(BH_OBJ_IRQ_HANDLER, pa_init(0), BH_RIGHTS_ALL, true);
    h.w1 = intid;
    cdt_insert_after(src, dst, h);
}

/*
 * IRQControl GET: the argument checks (irq_get_check), then the destination
 * slot, looked up exactly (a lookup fault's kind goes to x2), which must be
 * empty, and the line, which must be free and claimable. Nothing changes on
 * an error.
 */
/*@ requires \valid_read(inv) && \valid(caller);
    requires inv->ncaps >= 1 ==>
      valid_cnode(inv->cap[0]) || cap_type_l(inv->cap[0]) != BH_OBJ_CNODE;
    requires cdt_wf && cnode_slots_cdt && cspace_closed;
    requires cdt_at(inv->target) && cap_type_l(inv->target->cap) == BH_OBJ_IRQ_CONTROL;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, &caller->regs.x[2]);
    assigns caller->regs.x[2], irqs[inv->mr[0]].claimed, irqs[inv->mr[0]].ntfn,
            irqs[inv->mr[0]].vcpu, { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf;
    behavior short_message:
      assumes inv->len < 3 || inv->ncaps < 1;
      assigns \nothing;
      ensures \result == BH_E_TRUNCATED;
    behavior bad_intid:
      assumes inv->len >= 3 && inv->ncaps >= 1 && inv->mr[0] >= IRQ_MAX;
      assigns \nothing;
      ensures \result == BH_E_RANGE;
    behavior bad_root:
      assumes inv->len >= 3 && inv->ncaps >= 1 && inv->mr[0] < IRQ_MAX &&
              cap_type_l(inv->cap[0]) != BH_OBJ_CNODE;
      assigns \nothing;
      ensures \result == BH_E_INVALID_CAPABILITY;
    behavior get:
      assumes inv->len >= 3 && inv->ncaps >= 1 && inv->mr[0] < IRQ_MAX &&
              cap_type_l(inv->cap[0]) == BH_OBJ_CNODE;
      ensures g_lookup: (\forall cte_t *s; !irq_dest{Pre}(inv, s)) ==>
        (\result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED) &&
        caller->regs.x[2] != BH_LOOKUP_NONE;
      ensures g_x2: \result != BH_E_RANGE && \result != BH_E_LOOKUP_FAILED ==>
        caller->regs.x[2] == \old(caller->regs.x[2]);
      ensures g_kept: \result != BH_OK ==>
        irq_slots_same{Pre, Post} && irq_table_same{Pre, Post};
      ensures g_used: (\forall cte_t *s; irq_dest{Pre}(inv, s) ==> !cap_null_l(\at(s->cap, Pre))) ==>
        \result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED || \result == BH_E_DELETE_FIRST;
      ensures g_in_use: \at(irqs[\at(inv->mr[0], Pre)].claimed, Pre) ==>
        \result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED ||
        \result == BH_E_DELETE_FIRST || \result == BH_E_IN_USE;
      ensures g_line: \result == BH_OK ==>
        irqs[\at(inv->mr[0], Pre)].claimed && irqs[\at(inv->mr[0], Pre)].ntfn == \null &&
        irqs[\at(inv->mr[0], Pre)].vcpu == \null &&
        (\forall integer j; 0 <= j < IRQ_MAX && j != \at(inv->mr[0], Pre) ==>
           irqs[j].claimed == \at(irqs[j].claimed, Pre) &&
           irqs[j].ntfn == \at(irqs[j].ntfn, Pre) && irqs[j].vcpu == \at(irqs[j].vcpu, Pre));
      ensures g_cap: \result == BH_OK ==>
        \exists cte_t *s; irq_dest{Pre}(inv, s) && cap_null_l(\at(s->cap, Pre)) &&
          cap_type_l(s->cap) == BH_OBJ_IRQ_HANDLER && s->cap.w1 == \at(inv->mr[0], Pre) &&
          s->prev == \at(inv->target, Pre) && \at(inv->target, Pre)->next == s &&
          s->next == \at(\at(inv->target, Pre)->next, Pre);
    complete behaviors;
    disjoint behaviors; */
static bh_error_t irq_get(struct tcb *caller, const struct invocation *inv)
{
    bh_error_t ce = irq_get_check(inv);
    if (ce != BH_OK) {
        return ce;
    }
    uint64_t intid = inv->mr[0];
    cte_t *src = inv->target;
    cte_t *dst = NULL;
    bh_lookup_fault_t lf;
    uint32_t depth = inv->mr[2] > 64 ? 64u : (uint32_t)inv->mr[2];
    bh_error_t e = cspace_lookup(inv->cap[0], inv->mr[1], depth, true, &dst, &lf);
    if (e != BH_OK) {
        caller->regs.x[2] = lf.kind;
        return e;
    }
    /*@ assert g_dst: cdt_slot(dst) && \valid(dst) && irq_dest{Pre}(inv, dst); */
    if (!cap_is_null(dst->cap)) {
        return BH_E_DELETE_FIRST;
    }
    if (irqs[intid].claimed) {
        return BH_E_IN_USE;
    }
    if (src->next == src) {
        return BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    e = arch_irq_claim((uint32_t)intid); /* refuses kernel-owned and absent lines */
    if (e != BH_OK) {
        return e;
    }
    irq_install(src, dst, intid);
    irqs[intid].claimed = true;
    irqs[intid].ntfn = NULL;
    irqs[intid].vcpu = NULL;
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
