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

/* What decoding a CNode invocation is given: the invoked CNode, an extra
 * capability (when there is one) that is a valid CNode or no CNode, a clean
 * fault record apart from every capability slot, and the invariants. */
/*@ predicate cnode_inv_pre{L}(cte_t *invoked, cap_t *extra, integer extra_count,
                               bh_lookup_fault_t *fault) =
      \valid_read(invoked) && valid_cnode(invoked->cap) &&
      (extra_count >= 1 ==> \valid_read(extra) &&
        (valid_cnode(extra[0]) || cap_type_l(extra[0]) != BH_OBJ_CNODE)) &&
      \valid(fault) && fault->kind == BH_LOOKUP_NONE &&
      (\forall cte_t *s; cdt_slot(s) ==> \separated(s, fault)) &&
      cdt_wf && cspace_closed && cnode_slots_cdt;
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
    requires cnode_inv_pre(invoked, extra, extra_count, fault);
    requires \valid_read(mr + (0 .. inv_need(label) - 1));
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
/*@ requires cnode_inv_pre(invoked, extra, extra_count, fault);
    requires \valid_read(mr + (0 .. mr_count - 1));
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

/* Untyped invocations. What caps_retype needs of the invoked untyped (its
 * contract in untyped.h) is required as it is stated there. */
/*@ predicate slots_same{L1, L2} =
      \forall cte_t *s; cdt_slot(s) ==>
        \at(s->cap, L1) == \at(s->cap, L2) && \at(s->prev, L1) == \at(s->prev, L2) &&
        \at(s->next, L1) == \at(s->next, L2);
*/

/* The destination CNode (depth 0: the extra capability e0 itself, else the
 * slot index/depth resolves to in it), then the retype. The message words
 * come by value: the ensures name the caller's values. */
/*@ requires type < BH_OBJ_COUNT && bits <= 64;
    requires valid_cnode(e0) || cap_type_l(e0) != BH_OBJ_CNODE;
    requires \valid(fault) && \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf && cnode_slots_cdt && cspace_closed;
    requires cdt_at(invoked) && invoked->next != invoked;
    requires cap_type_l(invoked->cap) == BH_OBJ_UNTYPED ==>
      invoked->cap.w1 % 64 <= BH_UNTYPED_MAX_BITS &&
      ut_free_l(invoked->cap) <= pow2(invoked->cap.w1 % 64) &&
      cap_obj_l(invoked->cap) + pow2(invoked->cap.w1 % 64) <= 0x10000000000000;
    requires invoked->next != \null && cdt_child_l(invoked->cap, invoked->next->cap) ==>
      ut_words_apart(invoked->cap, ut_free_l(invoked->cap));
    requires !(invoked->next != \null && cdt_child_l(invoked->cap, invoked->next->cap)) ==>
      ut_words_apart(invoked->cap, 0);
    assigns *fault, { *s | cte_t *s; cdt_slot(s) },
            { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(invoked->cap) <= pa && 0 <= j &&
              pa + 8 * j + 8 <= cap_obj_l(invoked->cap) + pow2(invoked->cap.w1 % 64) };
    ensures cdt_wf;
    ensures r_kept: \result != BH_OK ==> slots_same{Pre, Post};
    ensures r_lookup: depth != 0 && no_slot{Pre}(e0, index, depth) ==>
      (\result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED) &&
      fault->kind != BH_LOOKUP_NONE && fault->which == 0;
    ensures r_direct: depth == 0 && cap_type_l(e0) != BH_OBJ_CNODE ==>
      \result == BH_E_INVALID_CAPABILITY;
    ensures r_node: depth != 0 &&
      (\forall cte_t *s; resolves{Pre}(e0, index, depth, 1, s, 0) ==>
        cap_type_l(\at(s->cap, Pre)) != BH_OBJ_CNODE) ==>
      \result == BH_E_INVALID_CAPABILITY || fault->kind != BH_LOOKUP_NONE;
    ensures r_dest: \result == BH_OK ==>
      (depth == 0 ==> cap_type_l(e0) == BH_OBJ_CNODE) &&
      (depth != 0 ==> \exists cte_t *s; resolves{Pre}(e0, index, depth, 1, s, 0) &&
        cap_type_l(\at(s->cap, Pre)) == BH_OBJ_CNODE);
    ensures r_closed: \result == BH_OK && type != BH_OBJ_CNODE ==> cspace_closed; */
static bh_error_t retype_into(cte_t *invoked, uint64_t type, uint64_t bits, cap_t e0,
                              uint64_t index, uint64_t depth, uint64_t offset, uint64_t count,
                              bh_lookup_fault_t *fault)
{
    cap_t node;
    if (depth == 0u) {
        node = e0;
    } else {
        lookup_result_t r = lookup(e0, index, depth, 0u);
        if (r.e != BH_OK) {
            fault_out(fault, r.fault);
            return r.e;
        }
        node = r.slot->cap;
    }
    if (cap_type(node) != BH_OBJ_CNODE) {
        return BH_E_INVALID_CAPABILITY;
    }
    return caps_retype(invoked, (bh_objtype_t)type, (uint32_t)bits, node, offset, count);
}

/* Untyped invocations: the label, the message length, the type and size
 * words (nothing changed on these errors), then retype_into. */
/*@ requires \valid_read(mr + (0 .. mr_count - 1)) &&
      (extra_count >= 1 ==> \valid_read(extra) &&
        (valid_cnode(extra[0]) || cap_type_l(extra[0]) != BH_OBJ_CNODE));
    requires \valid(fault) && \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf && cnode_slots_cdt && cspace_closed;
    requires cdt_at(invoked) && invoked->next != invoked &&
      (cap_type_l(invoked->cap) == BH_OBJ_UNTYPED ==>
        invoked->cap.w1 % 64 <= BH_UNTYPED_MAX_BITS &&
        ut_free_l(invoked->cap) <= pow2(invoked->cap.w1 % 64) &&
        cap_obj_l(invoked->cap) + pow2(invoked->cap.w1 % 64) <= 0x10000000000000) &&
      (invoked->next != \null && cdt_child_l(invoked->cap, invoked->next->cap) ==>
        ut_words_apart(invoked->cap, ut_free_l(invoked->cap))) &&
      (!(invoked->next != \null && cdt_child_l(invoked->cap, invoked->next->cap)) ==>
        ut_words_apart(invoked->cap, 0));
    assigns *fault, { *s | cte_t *s; cdt_slot(s) },
            { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(invoked->cap) <= pa && 0 <= j &&
              pa + 8 * j + 8 <= cap_obj_l(invoked->cap) + pow2(invoked->cap.w1 % 64) };
    ensures cdt_wf;
    ensures u_kept: \result != BH_OK ==> slots_same{Pre, Post};
    behavior bad_label:
      assumes label != BH_INV_UNTYPED_RETYPE;
      assigns \nothing;
      ensures \result == BH_E_ILLEGAL_OPERATION;
    behavior short_message:
      assumes label == BH_INV_UNTYPED_RETYPE && (mr_count < 6 || extra_count < 1);
      assigns \nothing;
      ensures \result == BH_E_TRUNCATED;
    behavior bad_type:
      assumes label == BH_INV_UNTYPED_RETYPE && mr_count >= 6 && extra_count >= 1 &&
              mr[0] >= BH_OBJ_COUNT;
      assigns \nothing;
      ensures \result == BH_E_INVALID_ARGUMENT;
    behavior bad_size:
      assumes label == BH_INV_UNTYPED_RETYPE && mr_count >= 6 && extra_count >= 1 &&
              mr[0] < BH_OBJ_COUNT && mr[1] > 64;
      assigns \nothing;
      ensures \result == BH_E_RANGE;
    behavior decode:
      assumes label == BH_INV_UNTYPED_RETYPE && mr_count >= 6 && extra_count >= 1 &&
              mr[0] < BH_OBJ_COUNT && mr[1] <= 64;
      ensures u_lookup: \old(mr[3]) != 0 &&
        no_slot{Pre}(\old(extra[0]), \old(mr[2]), \old(mr[3])) ==>
          (\result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED) &&
          fault->kind != BH_LOOKUP_NONE && fault->which == 0;
      ensures u_direct: \old(mr[3]) == 0 && cap_type_l(\old(extra[0])) != BH_OBJ_CNODE ==>
        \result == BH_E_INVALID_CAPABILITY;
      ensures u_node: \old(mr[3]) != 0 &&
        (\forall cte_t *s; resolves{Pre}(\old(extra[0]), \old(mr[2]), \old(mr[3]), 1, s, 0) ==>
          cap_type_l(\at(s->cap, Pre)) != BH_OBJ_CNODE) ==>
        \result == BH_E_INVALID_CAPABILITY || fault->kind != BH_LOOKUP_NONE;
      ensures u_dest: \result == BH_OK ==>
        (\old(mr[3]) == 0 ==> cap_type_l(\old(extra[0])) == BH_OBJ_CNODE) &&
        (\old(mr[3]) != 0 ==>
          \exists cte_t *s; resolves{Pre}(\old(extra[0]), \old(mr[2]), \old(mr[3]), 1, s, 0) &&
            cap_type_l(\at(s->cap, Pre)) == BH_OBJ_CNODE);
      ensures u_closed: \result == BH_OK && \old(mr[0]) != BH_OBJ_CNODE ==> cspace_closed;
    complete behaviors;
    disjoint behaviors; */
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
    return retype_into(invoked, mr[0], mr[1], extra[0], mr[2], mr[3], mr[4], mr[5], fault);
}

/* Zero the fault record (every field): it lies apart from every capability
 * slot, so the slots and the invariants are untouched. */
/*@ requires \valid(fault);
    requires \valid(&fault->kind) && \valid(&fault->level) && \valid(&fault->bits_left) &&
      \valid(&fault->bits_needed) && \valid(&fault->guard_size) && \valid(&fault->which) &&
      \valid(&fault->guard_expected) && \valid(&fault->guard_found);
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires cdt_wf && cnode_slots_cdt && cspace_closed;
    assigns *fault;
    ensures fault->kind == BH_LOOKUP_NONE && fault->level == 0 && fault->bits_left == 0 &&
      fault->bits_needed == 0 && fault->guard_size == 0 && fault->which == 0 &&
      fault->guard_expected == 0 && fault->guard_found == 0;
    ensures slots_same{Pre, Post};
    ensures cdt_wf;
    ensures cspace_closed; */
static void fault_clear(bh_lookup_fault_t *fault)
{
    /* Field by field: a struct store is a havoc of the whole record for WP. */
    fault->kind = BH_LOOKUP_NONE;
    fault->level = 0u;
    fault->bits_left = 0u;
    fault->bits_needed = 0u;
    fault->guard_size = 0u;
    fault->which = 0u;
    fault->guard_expected = 0u;
    fault->guard_found = 0u;
    /*@ assert slots_kept{Pre, Here}; */
}

/* The entry: the fault record zeroed first, then the decoder of the invoked
 * capability's type. The untyped requires are caps_retype's (untyped.h);
 * the fault record (the kernel's, on its stack) lies apart from the
 * message and the extra capabilities. What a decoded invocation does
 * is the decoders' contracts (decode_untyped, decode_cnode). */
/*@ requires \valid(invoked) && cdt_at(invoked);
    requires cap_type_l(invoked->cap) == BH_OBJ_CNODE ==> valid_cnode(invoked->cap);
    requires cap_type_l(invoked->cap) == BH_OBJ_UNTYPED ==>
      invoked->next != invoked &&
      invoked->cap.w1 % 64 <= BH_UNTYPED_MAX_BITS &&
      ut_free_l(invoked->cap) <= pow2(invoked->cap.w1 % 64) &&
      cap_obj_l(invoked->cap) + pow2(invoked->cap.w1 % 64) <= 0x10000000000000 &&
      (invoked->next != \null && cdt_child_l(invoked->cap, invoked->next->cap) ==>
        ut_words_apart(invoked->cap, ut_free_l(invoked->cap))) &&
      (!(invoked->next != \null && cdt_child_l(invoked->cap, invoked->next->cap)) ==>
        ut_words_apart(invoked->cap, 0));
    requires \valid_read(mr + (0 .. mr_count - 1));
    requires extra_count >= 1 ==> \valid_read(extra) &&
      (valid_cnode(extra[0]) || cap_type_l(extra[0]) != BH_OBJ_CNODE);
    requires \valid(fault) && \forall cte_t *s; cdt_slot(s) ==> \separated(s, fault);
    requires \separated(fault, mr + (0 .. mr_count - 1));
    requires extra_count >= 1 ==> \separated(fault, extra);
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    assigns *fault, { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state,
            { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(invoked->cap) <= pa && 0 <= j &&
              pa + 8 * j + 8 <= cap_obj_l(invoked->cap) + pow2(invoked->cap.w1 % 64) };
    ensures cdt_wf;
    behavior null_cap:
      assumes cap_type_l(invoked->cap) == BH_OBJ_NULL;
      ensures \result == BH_E_INVALID_CAPABILITY && fault->kind == BH_LOOKUP_NONE;
    behavior no_decoder:
      assumes cap_type_l(invoked->cap) != BH_OBJ_NULL &&
              cap_type_l(invoked->cap) != BH_OBJ_UNTYPED && cap_type_l(invoked->cap) != BH_OBJ_CNODE;
      ensures \result == BH_E_ILLEGAL_OPERATION && fault->kind == BH_LOOKUP_NONE; */
bh_error_t caps_decode_invocation(cte_t *invoked, uint64_t label, const uint64_t *mr,
                                  uint32_t mr_count, const cap_t *extra, uint32_t extra_count,
                                  uint32_t budget, bh_lookup_fault_t *fault)
{
    /*@ assert cdt_link_ok(invoked); */
    fault_clear(fault);
    /*@ assert invoked->cap == \at(invoked->cap, Pre) && invoked->next == \at(invoked->next, Pre); */
    /* If-chains, not a switch (PROOFS.md). */
    bh_objtype_t type = cap_type(invoked->cap);
    if (type == BH_OBJ_NULL) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (type == BH_OBJ_UNTYPED) {
        /*@ assert invoked->next != \null ==> invoked->next->cap == \at(invoked->next->cap, Pre); */
        return decode_untyped(invoked, label, mr, mr_count, extra, extra_count, fault);
    }
    if (type == BH_OBJ_CNODE) {
        return decode_cnode(invoked, label, mr, mr_count, extra, extra_count, budget, fault);
    }
    /* The other types are decoded by the kernel core (object_invoke). */
    return BH_E_ILLEGAL_OPERATION;
}
