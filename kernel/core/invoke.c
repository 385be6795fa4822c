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

/*
 * The message info word: label, message registers and extra capabilities
 * present. BH_E_RANGE (and nothing else decided) unless both counts are within
 * BH_MSG_MAX and BH_MSG_MAX_CAPS.
 */
/*@ requires \valid(inv);
    assigns inv->label, inv->len, inv->ncaps;
    ensures inv->label == mi >> 12 && inv->len == (mi & 0x7f) && inv->ncaps == ((mi >> 7) & 3);
    ensures \result == BH_OK || \result == BH_E_RANGE;
    ensures \result == BH_OK ==> inv->len <= BH_MSG_MAX && inv->ncaps <= BH_MSG_MAX_CAPS;
    ensures \result == BH_E_RANGE ==> inv->len > BH_MSG_MAX || inv->ncaps > BH_MSG_MAX_CAPS; */
static bh_error_t decode_msginfo(uint64_t mi, struct invocation *inv)
{
    inv->label = bh_msginfo_label(mi);
    inv->len = (uint32_t)bh_msginfo_length(mi);
    inv->ncaps = (uint32_t)bh_msginfo_caps(mi);
    if (inv->len > BH_MSG_MAX || inv->ncaps > BH_MSG_MAX_CAPS) {
        return BH_E_RANGE;
    }
    return BH_OK;
}

/*
 * The message-register arguments: mr[i] for i < len from x2..x7 (MR0..MR5)
 * and the IPC buffer b, every later mr[] zero; no extra capabilities yet.
 * Reads b only below len, so never past the message nor BH_MSG_MAX.
 */
/*@ requires \valid_read(t) && \valid(inv) && \separated(t, inv);
    requires inv->len <= BH_MSG_MAX;
    requires inv->len > BH_MSG_REGS ==> b != \null;
    requires b == \null || (\valid_read(b) && \separated(b, inv));
    assigns inv->mr[0 .. BH_MSG_MAX - 1], inv->cap_slot[0 .. BH_MSG_MAX_CAPS - 1],
            inv->cap[0 .. BH_MSG_MAX_CAPS - 1];
    ensures \forall integer j; 0 <= j < inv->len && j < BH_MSG_REGS ==>
              inv->mr[j] == t->regs.x[2 + j];
    ensures \forall integer j; BH_MSG_REGS <= j < inv->len ==> inv->mr[j] == b->mr[j];
    ensures \forall integer j; inv->len <= j < BH_MSG_MAX ==> inv->mr[j] == 0;
    ensures \forall integer j; 0 <= j < BH_MSG_MAX_CAPS ==>
              inv->cap_slot[j] == \null && cap_null_l(inv->cap[j]); */
static void decode_mrs(const struct tcb *t, const struct bh_ipc_buffer *b, struct invocation *inv)
{
    uint32_t len = inv->len;
    /*@ loop invariant 0 <= i <= len;
        loop invariant \forall integer j; 0 <= j < i && j < BH_MSG_REGS ==>
          inv->mr[j] == t->regs.x[2 + j];
        loop invariant \forall integer j; BH_MSG_REGS <= j < i ==> inv->mr[j] == b->mr[j];
        loop assigns i, inv->mr[0 .. BH_MSG_MAX - 1];
        loop variant len - i; */
    for (uint32_t i = 0; i < len; i++) {
        inv->mr[i] = i < BH_MSG_REGS ? t->regs.x[i + 2u] : b->mr[i];
    }
    /*@ loop invariant len <= i <= BH_MSG_MAX;
        loop invariant \forall integer j; 0 <= j < len && j < BH_MSG_REGS ==>
          inv->mr[j] == t->regs.x[2 + j];
        loop invariant \forall integer j; BH_MSG_REGS <= j < len ==> inv->mr[j] == b->mr[j];
        loop invariant \forall integer j; len <= j < i ==> inv->mr[j] == 0;
        loop assigns i, inv->mr[0 .. BH_MSG_MAX - 1];
        loop variant BH_MSG_MAX - i; */
    for (uint32_t i = len; i < BH_MSG_MAX; i++) {
        inv->mr[i] = 0;
    }
    /*@ loop invariant 0 <= i <= BH_MSG_MAX_CAPS;
        loop invariant \forall integer j; 0 <= j < i ==>
          inv->cap_slot[j] == \null && cap_null_l(inv->cap[j]);
        loop assigns i, inv->cap_slot[0 .. BH_MSG_MAX_CAPS - 1], inv->cap[0 .. BH_MSG_MAX_CAPS - 1];
        loop variant BH_MSG_MAX_CAPS - i; */
    for (uint32_t i = 0; i < BH_MSG_MAX_CAPS; i++) {
        inv->cap_slot[i] = NULL;
        inv->cap[i] = cap_null();
    }
}

bh_error_t invocation_decode(struct tcb *t, cte_t *target, struct invocation *inv)
{
    inv->target = target;
    bh_error_t e = decode_msginfo(t->regs.x[1], inv);
    if (e != BH_OK) {
        return e;
    }
    const struct bh_ipc_buffer *b = tcb_ipc_buffer(t);
    if (b == NULL && (inv->len > BH_MSG_REGS || inv->ncaps > 0)) {
        return BH_E_TRUNCATED; /* the arguments need an IPC buffer the thread lacks */
    }
    decode_mrs(t, b, inv);
    for (uint32_t i = 0; i < inv->ncaps; i++) {
        bh_lookup_fault_t lf;
        cte_t *s = NULL;
        bh_error_t le = cspace_lookup(t->slot[TCB_SLOT_CSPACE].cap, b->caps[i], 64, false, &s, &lf);
        if (le != BH_OK) {
            t->regs.x[2] = lf.kind;
            t->regs.x[3] = lf.level;
            t->regs.x[4] = i; /* which extra capability */
            return le;
        }
        inv->cap_slot[i] = s;
        inv->cap[i] = s->cap;
    }
    return BH_OK;
}

/*
 * The argument checks of an AddressSpace invocation, in order: the frame or
 * table capability and two words (va, rights or level) present, a known
 * method, a table level of 2 or 3.
 */
/*@ requires \valid_read(inv);
    assigns \nothing;
    ensures inv->ncaps < 1 || inv->len < 2 ==> \result == BH_E_TRUNCATED;
    ensures inv->ncaps >= 1 && inv->len >= 2 && inv->label != BH_INV_AS_MAP_FRAME &&
            inv->label != BH_INV_AS_MAP_TABLE ==> \result == BH_E_ILLEGAL_OPERATION;
    ensures inv->ncaps >= 1 && inv->len >= 2 && inv->label == BH_INV_AS_MAP_TABLE &&
            inv->mr[1] != 2 && inv->mr[1] != 3 ==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_OK <==>
            inv->ncaps >= 1 && inv->len >= 2 &&
            (inv->label == BH_INV_AS_MAP_FRAME ||
             (inv->label == BH_INV_AS_MAP_TABLE && (inv->mr[1] == 2 || inv->mr[1] == 3))); */
static bh_error_t as_check(const struct invocation *inv)
{
    if (inv->ncaps < 1 || inv->len < 2) {
        return BH_E_TRUNCATED;
    }
    if (inv->label == BH_INV_AS_MAP_FRAME) {
        return BH_OK;
    }
    if (inv->label != BH_INV_AS_MAP_TABLE) {
        return BH_E_ILLEGAL_OPERATION;
    }
    if (inv->mr[1] != 2 && inv->mr[1] != 3) {
        return BH_E_INVALID_ARGUMENT;
    }
    return BH_OK;
}

static bh_error_t as_invoke(struct tcb *t, const struct invocation *inv)
{
    struct address_space *as = as_of(inv->target->cap);
    bh_error_t e = as_check(inv);
    if (e != BH_OK) {
        return e; /* nothing called */
    }
    if (inv->label == BH_INV_AS_MAP_FRAME) {
        uint64_t missing = 0;
        e = vspace_map_frame(as, inv->cap_slot[0], inv->mr[0], (uint32_t)inv->mr[1], &missing);
        if (e == BH_E_LOOKUP_FAILED) {
            t->regs.x[2] = missing; /* the level whose table the caller must supply */
        }
        return e;
    }
    return vspace_map_table(as, inv->cap_slot[0], inv->mr[0], (unsigned)inv->mr[1]);
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
    case BH_OBJ_NOTIFICATION:
        return ntfn_invoke(t, inv);
    case BH_OBJ_CONSOLE_INPUT:
        return console_input_invoke(t, inv);
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}
