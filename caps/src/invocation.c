/* Decoding of Untyped and CNode invocations: check every argument, then call
 * the operation. */
#include <caps/cnode.h>
#include <caps/cspace.h>
#include <caps/invocation.h>
#include <caps/untyped.h>

/* Depth argument: out-of-range values stay out of range (lookup says BH_E_RANGE). */
/*@ assigns \nothing;
    ensures w <= 64 ==> \result == w;
    ensures w > 64 ==> \result == 65; */
static uint32_t depth_arg(uint64_t w)
{
    return w > 64u ? 65u : (uint32_t)w;
}

/* An exact lookup (all depth bits); the fault says which address failed.
 * Results by value: the caller's memory is the same before and after, so
 * what the slot resolves to holds in the caller's pre-state. */
typedef struct lookup_result {
    bh_error_t e;
    cte_t *slot;
    bh_lookup_fault_t fault;
} lookup_result_t;

/*@ requires valid_cnode(root) || cap_type_l(root) != BH_OBJ_CNODE;
    requires cspace_closed;
    assigns \nothing;
    ensures \result.e == BH_OK || \result.e == BH_E_RANGE || \result.e == BH_E_LOOKUP_FAILED;
    ensures \result.e == BH_E_RANGE <==> (depth == 0 || depth > 64);
    ensures \result.e == BH_OK ==>
      \valid(\result.slot) && resolves{Pre}(root, index, depth, 1, \result.slot, 0);
    ensures \result.e == BH_OK ==>
      in_valid_cnode(\result.slot) && \result.fault.kind == BH_LOOKUP_NONE;
    ensures \result.e != BH_OK ==> \result.slot == \null && \result.fault.kind != BH_LOOKUP_NONE;
    ensures \result.fault.which == which; */
static lookup_result_t lookup(cap_t root, uint64_t index, uint64_t depth, unsigned int which)
{
    lookup_result_t r;
    r.e = cspace_lookup(root, index, depth_arg(depth), true, &r.slot, &r.fault);
    r.fault.which = which;
    return r;
}

static bh_error_t decode_untyped(cte_t *invoked, uint64_t label, const uint64_t *mr,
                                 uint32_t mr_count, const cap_t *extra, uint32_t extra_count,
                                 bh_lookup_fault_t *fault)
{
    if (label != BH_INV_UNTYPED_RETYPE) {
        return BH_E_ILLEGAL_OPERATION;
    }
    if (mr_count < 6u || extra_count < 1u) {
        return BH_E_TRUNCATED;
    }
    if (mr[0] >= (uint64_t)BH_OBJ_COUNT) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (mr[1] > 64u) {
        return BH_E_RANGE;
    }
    cap_t node;
    if (mr[3] == 0u) {
        node = extra[0];
    } else {
        lookup_result_t r = lookup(extra[0], mr[2], mr[3], 0u);
        if (r.e != BH_OK) {
            *fault = r.fault;
            return r.e;
        }
        node = r.slot->cap;
    }
    if (cap_type(node) != BH_OBJ_CNODE) {
        return BH_E_INVALID_CAPABILITY;
    }
    return caps_retype(invoked, (bh_objtype_t)mr[0], (uint32_t)mr[1], node, mr[4], mr[5]);
}

/* The CNode labels, the message words each needs, and "no slot resolves"
 * (what makes an exact lookup fail: its result resolves when it succeeds). */
/*@ predicate inv_cnode(integer l) =
      l == BH_INV_CNODE_REVOKE || l == BH_INV_CNODE_DELETE || l == BH_INV_CNODE_MOVE ||
      l == BH_INV_CNODE_COPY || l == BH_INV_CNODE_MUTATE || l == BH_INV_CNODE_MINT;
    predicate inv_two_slots(integer l) =
      inv_cnode(l) && l != BH_INV_CNODE_REVOKE && l != BH_INV_CNODE_DELETE;
    logic integer inv_need(integer l) =
      l == BH_INV_CNODE_REVOKE || l == BH_INV_CNODE_DELETE ? 2 :
      l == BH_INV_CNODE_MOVE ? 4 : l == BH_INV_CNODE_MINT ? 6 : 5;
    predicate no_slot{L}(cap_t root, integer index, integer depth) =
      depth == 0 || depth > 64 || \forall cte_t *s; !resolves{L}(root, index, depth, 1, s, 0);
    predicate slots_kept{L1, L2} =
      \forall cte_t *s; cdt_slot(s) ==> \at(*s, L1) == \at(*s, L2);
*/

/* Copy a failed lookup's fault record out: the record lies apart from every
 * capability slot, so the slots and the tree invariant are untouched. */
/*@ requires \valid(fault) && \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf;
    assigns *fault;
    ensures fault->kind == f.kind && fault->which == f.which;
    ensures slots_kept{Pre, Post};
    ensures cdt_wf; */
static void fault_out(bh_lookup_fault_t *fault, bh_lookup_fault_t f)
{
    *fault = f;
    /*@ assert slots_kept{Pre, Here}; */
}

/* The two-slot operations, with the frame stated over all capability slots
 * (what delete and revoke assign), so that decode_cnode's goals stay small.
 * The rights mask keeps the five rights bits (BH_RIGHTS_ALL): m4 % 32. */
/*@ requires cdt_wf && cdt_at(src) && cdt_at(dest);
    assigns { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf;
    ensures label == BH_INV_CNODE_COPY && \result == BH_OK ==>
      cap_rights_l(dest->cap) == (cap_rights_l(\old(src->cap)) & (m4 % 32)) % 32;
    ensures label == BH_INV_CNODE_MINT && \result == BH_OK ==>
      cap_rights_l(dest->cap) == (cap_rights_l(\old(src->cap)) & (m4 % 32)) % 32;
    ensures label == BH_INV_CNODE_MOVE && \result == BH_OK ==>
      dest->cap == \old(src->cap) && cap_null_l(src->cap);
    ensures label != BH_INV_CNODE_COPY && label != BH_INV_CNODE_MINT &&
            label != BH_INV_CNODE_MOVE && \result == BH_OK ==>
      cap_rights_l(dest->cap) == cap_rights_l(\old(src->cap)) &&
      cap_type_l(dest->cap) == cap_type_l(\old(src->cap)) && cap_null_l(src->cap);
    ensures \result != BH_OK ==> dest->cap == \old(dest->cap); */
static bh_error_t pair_op(uint64_t label, cte_t *src, cte_t *dest, uint64_t m4, uint64_t m5)
{
    /*@ assert cdt_link_ok(src); */
    /*@ assert (src->prev == \null || cdt_slot(src->prev)) &&
          (src->next == \null || cdt_slot(src->next)); */
    uint32_t mask = (uint32_t)(m4 % 32u);
    /*@ assert mask == m4 % 32; */
    if (label == BH_INV_CNODE_COPY) {
        return caps_copy(src, dest, mask);
    }
    if (label == BH_INV_CNODE_MINT) {
        return caps_mint(src, dest, mask, m5);
    }
    if (label == BH_INV_CNODE_MOVE) {
        return caps_move(src, dest);
    }
    return caps_mutate(src, dest, m4); /* BH_INV_CNODE_MUTATE */
}

/* The operation of a one-slot label (REVOKE or DELETE) on the looked-up slot,
 * with what decode_cnode states of it. */
/*@ requires label == BH_INV_CNODE_REVOKE || label == BH_INV_CNODE_DELETE;
    requires cdt_wf && cdt_at(dest);
    assigns { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures cdt_wf;
    ensures label == BH_INV_CNODE_DELETE ==>
      (\result == BH_OK || \result == BH_E_PREEMPTED || \result == BH_E_RANGE ||
       \result == BH_E_ILLEGAL_OPERATION) && (\result == BH_OK ==> cap_null_l(dest->cap));
    ensures label == BH_INV_CNODE_REVOKE ==>
      \result == BH_OK || \result == BH_E_PREEMPTED || \result == BH_E_ILLEGAL_OPERATION; */
static bh_error_t decode_one(uint64_t label, cte_t *dest, uint32_t budget)
{
    if (label == BH_INV_CNODE_REVOKE) {
        return caps_revoke(dest, budget);
    }
    return caps_delete(dest, budget);
}

/* The source lookup and the operation of a two-slot label (dest: the
 * destination, already looked up). */
/*@ requires inv_two_slots(label);
    requires \valid_read(mr + (0 .. inv_need(label) - 1));
    requires \valid_read(extra) && (valid_cnode(extra[0]) || cap_type_l(extra[0]) != BH_OBJ_CNODE);
    requires \valid(fault) && fault->kind == BH_LOOKUP_NONE;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf && cspace_closed && cnode_slots_cdt && cdt_at(dest);
    assigns *fault, { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf;
    ensures p_fail: fault->kind != BH_LOOKUP_NONE ==>
      (\result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED) && fault->which == 1 &&
      slots_kept{Pre, Post};
    ensures p_found: fault->kind == BH_LOOKUP_NONE ==> 0 < \old(mr[3]) <= 64 &&
      \exists cte_t *s; resolves{Pre}(\old(extra[0]), \old(mr[2]), \old(mr[3]), 1, s, 0);
    ensures p_ok: \result == BH_OK ==>
      \exists cte_t *s; resolves{Pre}(\old(extra[0]), \old(mr[2]), \old(mr[3]), 1, s, 0) &&
        ((label == BH_INV_CNODE_COPY || label == BH_INV_CNODE_MINT) ==>
          cap_rights_l(dest->cap) == (cap_rights_l(\old(s->cap)) & (\old(mr[4]) % 32)) % 32) &&
        (label == BH_INV_CNODE_MOVE ==> dest->cap == \old(s->cap) && cap_null_l(s->cap)) &&
        (label == BH_INV_CNODE_MUTATE ==>
          cap_rights_l(dest->cap) == cap_rights_l(\old(s->cap)) &&
          cap_type_l(dest->cap) == cap_type_l(\old(s->cap)) && cap_null_l(s->cap)); */
static bh_error_t decode_pair(uint64_t label, cte_t *dest, const uint64_t *mr, const cap_t *extra,
                              bh_lookup_fault_t *fault)
{
    lookup_result_t r = lookup(extra[0], mr[2], mr[3], 1u);
    if (r.e != BH_OK) {
        fault_out(fault, r.fault);
        return r.e;
    }
    cte_t *src = r.slot;
    /*@ assert cdt_at(src); */
    /* Only the words the label needs are read (MOVE: mr0..mr3). */
    uint64_t m4 = label == BH_INV_CNODE_MOVE ? 0u : mr[4];
    uint64_t m5 = label == BH_INV_CNODE_MINT ? mr[5] : 0u;
    return pair_op(label, src, dest, m4, m5);
}

/* The lookups and the operation, for a known label with its message words.
 * The fault record is written only when a lookup fails: the capability slots
 * are untouched until the operation runs. */
/*@ requires inv_cnode(label);
    requires \valid_read(invoked) && valid_cnode(invoked->cap);
    requires \valid_read(mr + (0 .. inv_need(label) - 1));
    requires extra_count >= 1 ==> \valid_read(extra) &&
      (valid_cnode(extra[0]) || cap_type_l(extra[0]) != BH_OBJ_CNODE);
    requires \valid(fault) && fault->kind == BH_LOOKUP_NONE;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    assigns *fault, { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures cdt_wf;
    ensures d_fail: fault->kind != BH_LOOKUP_NONE ==>
      (\result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED) && slots_kept{Pre, Post};
    ensures d_dest: no_slot{Pre}(\old(invoked->cap), \old(mr[0]), \old(mr[1])) ==>
      fault->kind != BH_LOOKUP_NONE && fault->which == 0;
    ensures d_src: inv_two_slots(label) && extra_count >= 1 &&
                   fault->kind == BH_LOOKUP_NONE ==> 0 < \old(mr[3]) <= 64 &&
      \exists cte_t *s; resolves{Pre}(\old(extra[0]), \old(mr[2]), \old(mr[3]), 1, s, 0);
    ensures d_which: fault->kind != BH_LOOKUP_NONE && fault->which != 0 ==>
      fault->which == 1 && inv_two_slots(label) && extra_count >= 1;
    ensures d_extra: inv_two_slots(label) && extra_count < 1 ==> slots_kept{Pre, Post} &&
      (\result == BH_E_TRUNCATED || (fault->kind != BH_LOOKUP_NONE && fault->which == 0));
    ensures d_one: !inv_two_slots(label) && fault->kind == BH_LOOKUP_NONE ==>
      \exists cte_t *d; resolves{Pre}(\old(invoked->cap), \old(mr[0]), \old(mr[1]), 1, d, 0) &&
        (label == BH_INV_CNODE_DELETE ==>
          (\result == BH_OK || \result == BH_E_PREEMPTED || \result == BH_E_RANGE ||
           \result == BH_E_ILLEGAL_OPERATION) && (\result == BH_OK ==> cap_null_l(d->cap))) &&
        (label == BH_INV_CNODE_REVOKE ==>
          \result == BH_OK || \result == BH_E_PREEMPTED || \result == BH_E_ILLEGAL_OPERATION);
    ensures d_two: inv_two_slots(label) && \result == BH_OK ==>
      \exists cte_t *d; resolves{Pre}(\old(invoked->cap), \old(mr[0]), \old(mr[1]), 1, d, 0); */
static bh_error_t decode_args(cte_t *invoked, uint64_t label, const uint64_t *mr,
                              const cap_t *extra, uint32_t extra_count, uint32_t budget,
                              bh_lookup_fault_t *fault)
{
    lookup_result_t d = lookup(invoked->cap, mr[0], mr[1], 0u);
    if (d.e != BH_OK) {
        fault_out(fault, d.fault);
        return d.e;
    }
    cte_t *dest = d.slot;
    /*@ assert cdt_at(dest); */
    if (label == BH_INV_CNODE_REVOKE || label == BH_INV_CNODE_DELETE) {
        return decode_one(label, dest, budget);
    }
    if (extra_count < 1u) {
        return BH_E_TRUNCATED;
    }
    return decode_pair(label, dest, mr, extra, fault);
}

/* CNode invocations: the label and the message length, then decode_args.
 * What a decoded invocation does is decode_args' contract; its callers are not
 * proved, so it is not restated here. */
/*@ requires \valid_read(invoked) && valid_cnode(invoked->cap);
    requires \valid_read(mr + (0 .. mr_count - 1));
    requires extra_count >= 1 ==> \valid_read(extra) &&
      (valid_cnode(extra[0]) || cap_type_l(extra[0]) != BH_OBJ_CNODE);
    requires \valid(fault) && fault->kind == BH_LOOKUP_NONE;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    assigns *fault, { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures cdt_wf;
    behavior bad_label:
      assumes !inv_cnode(label);
      assigns \nothing;
      ensures \result == BH_E_ILLEGAL_OPERATION;
    behavior short_message:
      assumes inv_cnode(label) && mr_count < inv_need(label);
      assigns \nothing;
      ensures \result == BH_E_TRUNCATED;
    behavior decode:
      assumes inv_cnode(label) && mr_count >= inv_need(label);
    complete behaviors;
    disjoint behaviors; */
static bh_error_t decode_cnode(cte_t *invoked, uint64_t label, const uint64_t *mr,
                               uint32_t mr_count, const cap_t *extra, uint32_t extra_count,
                               uint32_t budget, bh_lookup_fault_t *fault)
{
    /* If-chains, not a switch (PROOFS.md). */
    uint32_t need;
    if (label == BH_INV_CNODE_REVOKE || label == BH_INV_CNODE_DELETE) {
        need = 2u;
    } else if (label == BH_INV_CNODE_MOVE) {
        need = 4u;
    } else if (label == BH_INV_CNODE_COPY || label == BH_INV_CNODE_MUTATE) {
        need = 5u;
    } else if (label == BH_INV_CNODE_MINT) {
        need = 6u;
    } else {
        return BH_E_ILLEGAL_OPERATION;
    }
    if (mr_count < need) {
        return BH_E_TRUNCATED;
    }
    return decode_args(invoked, label, mr, extra, extra_count, budget, fault);
}

bh_error_t caps_decode_invocation(cte_t *invoked, uint64_t label, const uint64_t *mr,
                                  uint32_t mr_count, const cap_t *extra, uint32_t extra_count,
                                  uint32_t budget, bh_lookup_fault_t *fault)
{
    fault->kind = BH_LOOKUP_NONE;
    fault->level = 0u;
    fault->bits_left = 0u;
    fault->bits_needed = 0u;
    fault->guard_size = 0u;
    fault->which = 0u;
    fault->guard_expected = 0u;
    fault->guard_found = 0u;
    switch (cap_type(invoked->cap)) {
    case BH_OBJ_NULL:
        return BH_E_INVALID_CAPABILITY;
    case BH_OBJ_UNTYPED:
        return decode_untyped(invoked, label, mr, mr_count, extra, extra_count, fault);
    case BH_OBJ_CNODE:
        return decode_cnode(invoked, label, mr, mr_count, extra, extra_count, budget, fault);
    /* Decoded by the kernel core (later issues). */
    case BH_OBJ_TCB:
    case BH_OBJ_ENDPOINT:
    case BH_OBJ_NOTIFICATION:
    case BH_OBJ_REPLY:
    case BH_OBJ_SCHED_CONTEXT:
    case BH_OBJ_ADDRESS_SPACE:
    case BH_OBJ_PAGE_TABLE:
    case BH_OBJ_FRAME_4K:
    case BH_OBJ_FRAME_2M:
    case BH_OBJ_IRQ_CONTROL:
    case BH_OBJ_IRQ_HANDLER:
    case BH_OBJ_VM:
    case BH_OBJ_VCPU:
    case BH_OBJ_CONSOLE_INPUT:
    case BH_OBJ_COUNT:
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}
