/*
 * Invocation decoding: every path from the raw registers to an object method
 * checks its arguments here or in the method. The invoked capability and the
 * extra capabilities are looked up in the caller's CSpace.
 */
#include <kernel/object_invoke.h>

#include <caps/cnode.h>
#include <caps/cspace.h>
#include <caps/invocation.h>
#include <kernel/ipc.h>
#include <kernel/vspace.h>

bh_error_t invocation_decode(struct tcb *t, cte_t *target, struct invocation *inv)
{
    uint64_t mi = t->regs.x[1];
    inv->target = target;
    inv->label = bh_msginfo_label(mi);
    inv->len = (uint32_t)bh_msginfo_length(mi);
    inv->ncaps = (uint32_t)bh_msginfo_caps(mi);
    if (inv->len > BH_MSG_MAX || inv->ncaps > BH_MSG_MAX_CAPS) {
        return BH_E_RANGE;
    }
    const struct bh_ipc_buffer *b = tcb_ipc_buffer(t);
    if (b == NULL && (inv->len > BH_MSG_REGS || inv->ncaps > 0)) {
        return BH_E_TRUNCATED; /* the arguments need an IPC buffer the thread lacks */
    }
    for (uint32_t i = 0; i < inv->len; i++) {
        inv->mr[i] = i < BH_MSG_REGS ? t->regs.x[2 + i] : b->mr[i];
    }
    for (uint32_t i = inv->len; i < BH_MSG_MAX; i++) {
        inv->mr[i] = 0;
    }
    for (uint32_t i = 0; i < BH_MSG_MAX_CAPS; i++) {
        inv->cap_slot[i] = NULL;
        inv->cap[i] = cap_null();
    }
    for (uint32_t i = 0; i < inv->ncaps; i++) {
        bh_lookup_fault_t lf;
        cte_t *s = NULL;
        bh_error_t e = cspace_lookup(t->slot[TCB_SLOT_CSPACE].cap, b->caps[i], 64, false, &s, &lf);
        if (e != BH_OK) {
            t->regs.x[2] = lf.kind;
            t->regs.x[3] = lf.level;
            t->regs.x[4] = i; /* which extra capability */
            return e;
        }
        inv->cap_slot[i] = s;
        inv->cap[i] = s->cap;
    }
    return BH_OK;
}

static bh_error_t as_invoke(struct tcb *t, const struct invocation *inv)
{
    struct address_space *as = as_of(inv->target->cap);
    if (inv->ncaps < 1 || inv->len < 2) {
        return BH_E_TRUNCATED;
    }
    switch (inv->label) {
    case BH_INV_AS_MAP_FRAME: {
        uint64_t missing = 0;
        bh_error_t e =
            vspace_map_frame(as, inv->cap_slot[0], inv->mr[0], (uint32_t)inv->mr[1], &missing);
        if (e == BH_E_LOOKUP_FAILED) {
            t->regs.x[2] = missing; /* the level whose table the caller must supply */
        }
        return e;
    }
    case BH_INV_AS_MAP_TABLE:
        if (inv->mr[1] != 2 && inv->mr[1] != 3) {
            return BH_E_INVALID_ARGUMENT;
        }
        return vspace_map_table(as, inv->cap_slot[0], inv->mr[0], (unsigned)inv->mr[1]);
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}

bh_error_t object_invoke(struct tcb *t, const struct invocation *inv)
{
    switch (cap_type(inv->target->cap)) {
    case BH_OBJ_UNTYPED:
    case BH_OBJ_CNODE: {
        bh_lookup_fault_t lf;
        bh_error_t e = caps_decode_invocation(inv->target, inv->label, inv->mr, inv->len, inv->cap,
                                              inv->ncaps, CAPS_WORK_BUDGET, &lf);
        if (e == BH_E_LOOKUP_FAILED) {
            t->regs.x[2] = lf.kind;
            t->regs.x[3] = lf.level;
            t->regs.x[4] = lf.which;
        }
        return e;
    }
    case BH_OBJ_TCB:
        return tcb_invoke(t, inv);
    case BH_OBJ_SCHED_CONTEXT:
        return sc_invoke(t, inv);
    case BH_OBJ_ADDRESS_SPACE:
        return as_invoke(t, inv);
    case BH_OBJ_FRAME_4K:
    case BH_OBJ_FRAME_2M:
        if (inv->label == BH_INV_FRAME_UNMAP) {
            return vspace_unmap_frame(inv->target);
        }
        if (inv->label == BH_INV_FRAME_GET_ADDRESS) {
            t->regs.x[2] = pa_addr(cap_obj(inv->target->cap));
            t->regs.x[1] = bh_msginfo(0, 0, 1);
            return BH_OK;
        }
        return BH_E_ILLEGAL_OPERATION;
    case BH_OBJ_IRQ_CONTROL:
    case BH_OBJ_IRQ_HANDLER:
        return irq_invoke(t, inv);
    case BH_OBJ_VM:
        return vm_invoke(t, inv);
    case BH_OBJ_VCPU:
        return vcpu_invoke(t, inv);
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}
