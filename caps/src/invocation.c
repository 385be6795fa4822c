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

/* An exact lookup (all depth bits); the fault says which address failed. */
/*@ requires \valid(slot) && \valid(fault) && \separated(slot, fault);
    requires valid_cnode(root) || cap_type_l(root) != BH_OBJ_CNODE;
    requires cspace_closed;
    assigns *slot, *fault;
    ensures \result == BH_OK || \result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED;
    ensures \result == BH_E_RANGE <==> (depth == 0 || depth > 64);
    ensures \result == BH_OK ==> \valid(*slot) && resolves{Pre}(root, index, depth, 1, *slot, 0);
    ensures \result != BH_OK ==> *slot == \null;
    ensures fault->which == which; */
static bh_error_t lookup(cap_t root, uint64_t index, uint64_t depth, unsigned int which,
                         cte_t **slot, bh_lookup_fault_t *fault)
{
    bh_error_t e = cspace_lookup(root, index, depth_arg(depth), true, slot, fault);
    fault->which = which;
    return e;
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
        cte_t *slot;
        bh_error_t e = lookup(extra[0], mr[2], mr[3], 0u, &slot, fault);
        if (e != BH_OK) {
            return e;
        }
        node = slot->cap;
    }
    if (cap_type(node) != BH_OBJ_CNODE) {
        return BH_E_INVALID_CAPABILITY;
    }
    return caps_retype(invoked, (bh_objtype_t)mr[0], (uint32_t)mr[1], node, mr[4], mr[5]);
}

static bh_error_t decode_cnode(cte_t *invoked, uint64_t label, const uint64_t *mr,
                               uint32_t mr_count, const cap_t *extra, uint32_t extra_count,
                               uint32_t budget, bh_lookup_fault_t *fault)
{
    uint32_t need;
    switch (label) {
    case BH_INV_CNODE_REVOKE:
    case BH_INV_CNODE_DELETE:
        need = 2u;
        break;
    case BH_INV_CNODE_MOVE:
        need = 4u;
        break;
    case BH_INV_CNODE_COPY:
    case BH_INV_CNODE_MUTATE:
        need = 5u;
        break;
    case BH_INV_CNODE_MINT:
        need = 6u;
        break;
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
    if (mr_count < need) {
        return BH_E_TRUNCATED;
    }
    cte_t *dest;
    bh_error_t e = lookup(invoked->cap, mr[0], mr[1], 0u, &dest, fault);
    if (e != BH_OK) {
        return e;
    }
    if (label == BH_INV_CNODE_REVOKE) {
        return caps_revoke(dest, budget);
    }
    if (label == BH_INV_CNODE_DELETE) {
        return caps_delete(dest, budget);
    }
    if (extra_count < 1u) {
        return BH_E_TRUNCATED;
    }
    cte_t *src;
    e = lookup(extra[0], mr[2], mr[3], 1u, &src, fault);
    if (e != BH_OK) {
        return e;
    }
    switch (label) {
    case BH_INV_CNODE_COPY:
        return caps_copy(src, dest, (uint32_t)(mr[4] & BH_RIGHTS_ALL));
    case BH_INV_CNODE_MINT:
        return caps_mint(src, dest, (uint32_t)(mr[4] & BH_RIGHTS_ALL), mr[5]);
    case BH_INV_CNODE_MOVE:
        return caps_move(src, dest);
    default: /* BH_INV_CNODE_MUTATE */
        return caps_mutate(src, dest, mr[4]);
    }
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
