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

/* The fields of a message info word. */
struct msginfo {
    uint64_t label;
    uint32_t len;   /* message registers present */
    uint32_t ncaps; /* extra capabilities present */
};

/*
 * The message info word: label, message registers and extra capabilities
 * present. BH_E_RANGE (and nothing else decided) unless both counts are within
 * BH_MSG_MAX and BH_MSG_MAX_CAPS.
 */
/*@ requires \valid(m);
    assigns *m;
    ensures m->label == mi >> 12 && m->len == (mi & 0x7f) && m->ncaps == ((mi >> 7) & 3);
    ensures \result == BH_OK || \result == BH_E_RANGE;
    ensures \result == BH_OK ==> m->len <= BH_MSG_MAX && m->ncaps <= BH_MSG_MAX_CAPS;
    ensures \result == BH_E_RANGE ==> m->len > BH_MSG_MAX || m->ncaps > BH_MSG_MAX_CAPS; */
static bh_error_t decode_msginfo(uint64_t mi, struct msginfo *m)
{
    m->label = bh_msginfo_label(mi);
    m->len = (uint32_t)bh_msginfo_length(mi);
    m->ncaps = (uint32_t)bh_msginfo_caps(mi);
    if (m->len > BH_MSG_MAX || m->ncaps > BH_MSG_MAX_CAPS) {
        return BH_E_RANGE;
    }
    return BH_OK;
}

/*
 * The message-register arguments: mr[i] for i < len from x2..x7 (MR0..MR5)
 * and the IPC buffer b, every later mr[] zero. Reads b only below len, so
 * never past the message nor BH_MSG_MAX.
 */
/*@ requires \valid_read(t) && \valid(inv) && \separated(t, inv);
    requires inv->len <= BH_MSG_MAX;
    requires inv->len > BH_MSG_REGS ==> b != \null;
    requires b == \null || (\valid_read(b) && \separated(b, inv));
    assigns inv->mr[0 .. BH_MSG_MAX - 1];
    ensures \forall integer j; 0 <= j < inv->len && j < BH_MSG_REGS ==>
              inv->mr[j] == t->regs.x[2 + j];
    ensures \forall integer j; BH_MSG_REGS <= j < inv->len ==> inv->mr[j] == b->mr[j];
    ensures \forall integer j; inv->len <= j < BH_MSG_MAX ==> inv->mr[j] == 0; */
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
}

/* s is what cptr resolves to from root (depth 64, not exact), as cspace_lookup says. */
/*@ predicate resolved_to{L}(cap_t root, integer cptr, cte_t *s) =
      \exists integer r; 0 <= r < 64 && resolves{L}(root, cptr, 64, 0, s, r); */

/* Where an extra capability's lookup failed: fault kind, level, which one. */
struct cap_fault {
    uint64_t kind;
    uint64_t level;
    uint64_t which;
};

/*
 * The extra capabilities: b->caps[i] for i < ncaps looked up in t's CSpace
 * (depth 64, not exact) into inv->cap_slot[i]; the first failure's fault in
 * *f. Writes only pointers (and *f on the way out), so every lookup sees the
 * entry state and each result is its decoding there (resolved_to{Pre}).
 */
/*@ requires \valid_read(t) && \valid(inv) && \valid(f);
    requires ncaps <= BH_MSG_MAX_CAPS;
    requires ncaps > 0 ==> b != \null;
    requires b == \null || \valid_read(b);
    requires valid_cnode(t->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(t->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires cspace_closed;
    assigns inv->cap_slot[0 .. BH_MSG_MAX_CAPS - 1], *f;
    ensures \result == BH_OK || \result == BH_E_LOOKUP_FAILED;
    ensures \result == BH_OK ==> \forall integer j; 0 <= j < ncaps ==>
              \valid(inv->cap_slot[j]) && in_valid_cnode(inv->cap_slot[j]) &&
              resolved_to{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre), \at(b->caps[j], Pre),
                               inv->cap_slot[j]);
    ensures \result == BH_E_LOOKUP_FAILED ==> ncaps > 0 && f->which < ncaps &&
            f->kind != BH_LOOKUP_NONE;
    ensures \result == BH_E_LOOKUP_FAILED ==> \forall integer j; 0 <= j < f->which ==>
              resolved_to{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre), \at(b->caps[j], Pre),
                               inv->cap_slot[j]);
    ensures \result == BH_E_LOOKUP_FAILED &&
            cap_type_l(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre)) != BH_OBJ_CNODE ==>
            f->kind == BH_LOOKUP_INVALID_ROOT; */
static bh_error_t lookup_caps(const struct tcb *t, const struct bh_ipc_buffer *b, uint32_t ncaps,
                              struct invocation *inv, struct cap_fault *f)
{
    /*@ loop invariant 0 <= i <= ncaps;
        loop invariant \forall integer j; 0 <= j < i ==>
          \valid(inv->cap_slot[j]) && in_valid_cnode(inv->cap_slot[j]) &&
          resolved_to{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre), \at(b->caps[j], Pre),
                           inv->cap_slot[j]);
        loop assigns i, inv->cap_slot[0 .. BH_MSG_MAX_CAPS - 1];
        loop variant ncaps - i; */
    for (uint32_t i = 0; i < ncaps; i++) {
        bh_lookup_fault_t lf;
        bh_error_t e = cspace_lookup(t->slot[TCB_SLOT_CSPACE].cap, b->caps[i], 64, false,
                                     &inv->cap_slot[i], &lf);
        /*@ assert e == BH_OK ==>
              resolved_to{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre), b->caps[i],
                               inv->cap_slot[i]); */
        if (e != BH_OK) {
            f->kind = lf.kind;
            f->level = lf.level;
            f->which = i;
            return e;
        }
    }
    return BH_OK;
}

/* The copies of the looked-up capabilities: cap[i] = *cap_slot[i] for
 * i < ncaps; every later slot pointer and capability null. */
/*@ requires \valid(inv) && ncaps <= BH_MSG_MAX_CAPS;
    requires \forall integer j; 0 <= j < ncaps ==>
               \valid_read(inv->cap_slot[j]) && \separated(inv->cap_slot[j], inv);
    assigns inv->cap[0 .. BH_MSG_MAX_CAPS - 1], inv->cap_slot[ncaps .. BH_MSG_MAX_CAPS - 1];
    ensures \forall integer j; 0 <= j < ncaps ==>
              inv->cap_slot[j] == \old(inv->cap_slot[j]) && inv->cap[j] == inv->cap_slot[j]->cap;
    ensures \forall integer j; ncaps <= j < BH_MSG_MAX_CAPS ==>
              inv->cap_slot[j] == \null && cap_null_l(inv->cap[j]); */
static void fill_caps(struct invocation *inv, uint32_t ncaps)
{
    /*@ loop invariant 0 <= i <= BH_MSG_MAX_CAPS;
        loop invariant \forall integer j; 0 <= j < ncaps ==>
          inv->cap_slot[j] == \at(inv->cap_slot[j], Pre);
        loop invariant \forall integer j; 0 <= j < i && j < ncaps ==>
          inv->cap[j] == inv->cap_slot[j]->cap;
        loop invariant \forall integer j; ncaps <= j < i ==>
          inv->cap_slot[j] == \null && cap_null_l(inv->cap[j]);
        loop assigns i, inv->cap[0 .. BH_MSG_MAX_CAPS - 1],
                     inv->cap_slot[ncaps .. BH_MSG_MAX_CAPS - 1];
        loop variant BH_MSG_MAX_CAPS - i; */
    for (uint32_t i = 0; i < BH_MSG_MAX_CAPS; i++) {
        if (i < ncaps) {
            inv->cap[i] = inv->cap_slot[i]->cap;
        } else {
            inv->cap_slot[i] = NULL;
            inv->cap[i] = cap_null();
        }
    }
}

/*
 * The success path's stores: the header fields, the message registers, the
 * copies of the looked-up capabilities. A helper so that invocation_decode's
 * goals compose its contract instead of carrying every store.
 */
/*@ requires \valid_read(t) && \valid(inv) && \separated(t, inv);
    requires len <= BH_MSG_MAX && ncaps <= BH_MSG_MAX_CAPS;
    requires len > BH_MSG_REGS ==> b != \null;
    requires b == \null || (\valid_read(b) && \separated(b, inv));
    requires \forall integer j; 0 <= j < ncaps ==>
               \valid_read(inv->cap_slot[j]) && \separated(inv->cap_slot[j], inv);
    assigns inv->target, inv->label, inv->len, inv->ncaps, inv->mr[0 .. BH_MSG_MAX - 1],
            inv->cap_slot[ncaps .. BH_MSG_MAX_CAPS - 1], inv->cap[0 .. BH_MSG_MAX_CAPS - 1];
    ensures inv->target == target && inv->label == label && inv->len == len &&
            inv->ncaps == ncaps;
    ensures \forall integer j; 0 <= j < len && j < BH_MSG_REGS ==>
              inv->mr[j] == \old(t->regs.x[2 + j]);
    ensures \forall integer j; BH_MSG_REGS <= j < len ==> inv->mr[j] == \old(b->mr[j]);
    ensures \forall integer j; len <= j < BH_MSG_MAX ==> inv->mr[j] == 0;
    ensures \forall integer j; 0 <= j < ncaps ==>
              inv->cap_slot[j] == \old(inv->cap_slot[j]) && inv->cap[j] == inv->cap_slot[j]->cap &&
              inv->cap[j] == \old(inv->cap_slot[j]->cap);
    ensures \forall integer j; ncaps <= j < BH_MSG_MAX_CAPS ==>
              inv->cap_slot[j] == \null && cap_null_l(inv->cap[j]);
    ensures regs_kept: t->regs.x[2] == \old(t->regs.x[2]) && t->regs.x[3] == \old(t->regs.x[3]) &&
            t->regs.x[4] == \old(t->regs.x[4]); */
static void decode_fill(const struct tcb *t, cte_t *target, uint64_t label, uint32_t len,
                        uint32_t ncaps, const struct bh_ipc_buffer *b, struct invocation *inv)
{
    inv->target = target;
    inv->label = label;
    inv->len = len;
    inv->ncaps = ncaps;
    decode_mrs(t, b, inv);
    /*@ assert regs_kept: t->regs.x[2] == \at(t->regs.x[2], Pre) &&
          t->regs.x[3] == \at(t->regs.x[3], Pre) && t->regs.x[4] == \at(t->regs.x[4], Pre); */
    /*@ assert slots_kept: \forall integer j; 0 <= j < ncaps ==>
          \let s = inv->cap_slot[j]; s->cap == \at(s->cap, Pre); */
    fill_caps(inv, ncaps);
}

/*
 * Raw registers to a checked invocation: x1 is the message info, the message
 * registers come from x2..x7 and the IPC buffer, the extra capabilities are
 * the buffer's caps[] looked up in the caller's CSpace. The lookups come
 * first: nothing but pointers is written before the last of them, so the
 * contract can say what each resolves to in the entry state (WP cannot carry
 * the inductive resolves across a store into integer memory). ipcbuf_of(t)
 * is the buffer tcb_ipc_buffer returns; buf_ok: when there is one, it is in
 * a RAM frame and apart from *inv (which lives on the kernel stack).
 */
/*@ logic struct bh_ipc_buffer *ipcbuf_of{L}(struct tcb *t) =
      cap_type_l(t->slot[TCB_SLOT_IPCBUF].cap) == BH_OBJ_NULL ? (struct bh_ipc_buffer *)\null
                                                              : ipcbuf_l(t);
    predicate buf_ok{L}(struct tcb *t, struct invocation *inv) =
      ipcbuf_of(t) != \null ==> ipcbuf_ram_l(t) && \separated(ipcbuf_of(t), inv);
    logic integer mi_len(integer mi) = mi & 0x7f;
    logic integer mi_ncaps(integer mi) = (mi >> 7) & 3;
*/
/*@ requires \valid(t) && \valid(inv) && \separated(t, inv);
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, inv);
    requires cnode_slots_cdt;
    requires buf_ok(t, inv);
    requires valid_cnode(t->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(t->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires cspace_closed;
    assigns inv->target, inv->label, inv->len, inv->ncaps, inv->mr[0 .. BH_MSG_MAX - 1],
            inv->cap_slot[0 .. BH_MSG_MAX_CAPS - 1], inv->cap[0 .. BH_MSG_MAX_CAPS - 1],
            t->regs.x[2 .. 4];
    ensures (\result == BH_OK || \result == BH_E_RANGE || \result == BH_E_TRUNCATED ||
             \result == BH_E_LOOKUP_FAILED) &&
            (\result == BH_E_RANGE <==>
            mi_len(\old(t->regs.x[1])) > BH_MSG_MAX || mi_ncaps(\old(t->regs.x[1])) > BH_MSG_MAX_CAPS) &&
            (\result == BH_E_TRUNCATED <==>
            mi_len(\old(t->regs.x[1])) <= BH_MSG_MAX &&
            mi_ncaps(\old(t->regs.x[1])) <= BH_MSG_MAX_CAPS &&
            \at(ipcbuf_of(t), Pre) == \null &&
            (mi_len(\old(t->regs.x[1])) > BH_MSG_REGS || mi_ncaps(\old(t->regs.x[1])) > 0)) &&
            (regs_kept: \result != BH_E_LOOKUP_FAILED ==> t->regs.x[2] == \old(t->regs.x[2]) &&
            t->regs.x[3] == \old(t->regs.x[3]) && t->regs.x[4] == \old(t->regs.x[4]));
    ensures \result == BH_E_LOOKUP_FAILED ==>
            0 < mi_ncaps(\old(t->regs.x[1])) <= BH_MSG_MAX_CAPS &&
            t->regs.x[4] < mi_ncaps(\old(t->regs.x[1])) && t->regs.x[2] != BH_LOOKUP_NONE;
    ensures \result == BH_E_LOOKUP_FAILED &&
            cap_type_l(\old(t->slot[TCB_SLOT_CSPACE].cap)) != BH_OBJ_CNODE ==>
            t->regs.x[2] == BH_LOOKUP_INVALID_ROOT;
    ensures first_failed: \result == BH_E_LOOKUP_FAILED ==>
            \forall integer j; 0 <= j < t->regs.x[4] ==>
              resolved_to{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre),
                               \at(ipcbuf_of(t)->caps[j], Pre), inv->cap_slot[j]);
    ensures \result == BH_OK ==> inv->target == target &&
            inv->label == \old(t->regs.x[1]) >> 12 && inv->len == mi_len(\old(t->regs.x[1])) &&
            inv->ncaps == mi_ncaps(\old(t->regs.x[1])) &&
            inv->len <= BH_MSG_MAX && inv->ncaps <= BH_MSG_MAX_CAPS;
    ensures mr_regs: \result == BH_OK ==> \forall integer j; 0 <= j < inv->len && j < BH_MSG_REGS ==>
              inv->mr[j] == \old(t->regs.x[2 + j]);
    ensures \result == BH_OK ==> \forall integer j; BH_MSG_REGS <= j < inv->len ==>
              inv->mr[j] == \at(ipcbuf_of(t)->mr[j], Pre);
    ensures \result == BH_OK ==> \forall integer j; inv->len <= j < BH_MSG_MAX ==> inv->mr[j] == 0;
    ensures caps_slot: \result == BH_OK ==> \forall integer j; 0 <= j < inv->ncaps ==>
              \valid(inv->cap_slot[j]) && in_valid_cnode(inv->cap_slot[j]);
    ensures caps_resolved: \result == BH_OK ==> \forall integer j; 0 <= j < inv->ncaps ==>
              resolved_to{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre),
                               \at(ipcbuf_of(t)->caps[j], Pre), inv->cap_slot[j]);
    ensures caps_copied: \result == BH_OK ==> \forall integer j; 0 <= j < inv->ncaps ==>
              \let s = inv->cap_slot[j]; inv->cap[j] == s->cap && inv->cap[j] == \at(s->cap, Pre);
    ensures \result == BH_OK ==> \forall integer j; inv->ncaps <= j < BH_MSG_MAX_CAPS ==>
              inv->cap_slot[j] == \null && cap_null_l(inv->cap[j]); */
bh_error_t invocation_decode(struct tcb *t, cte_t *target, struct invocation *inv)
{
    struct msginfo m;
    bh_error_t e = decode_msginfo(t->regs.x[1], &m);
    if (e != BH_OK) {
        return e;
    }
    const struct bh_ipc_buffer *b = tcb_ipc_buffer(t);
    if (b == NULL && (m.len > BH_MSG_REGS || m.ncaps > 0)) {
        return BH_E_TRUNCATED; /* the arguments need an IPC buffer the thread lacks */
    }
    struct cap_fault f;
    e = lookup_caps(t, b, m.ncaps, inv, &f);
    if (e != BH_OK) {
        t->regs.x[2] = f.kind;
        t->regs.x[3] = f.level;
        t->regs.x[4] = f.which;
        return e;
    }
    /*@ assert \forall integer j; 0 <= j < m.ncaps ==>
          cdt_slot(inv->cap_slot[j]) && \separated(inv->cap_slot[j], inv); */
    /*@ assert slots_kept: \forall integer j; 0 <= j < m.ncaps ==>
          \let s = inv->cap_slot[j]; s->cap == \at(s->cap, Pre); */
    decode_fill(t, target, m.label, m.len, m.ncaps, b, inv);
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
