/*
 * CSpace addressing: guarded multi-level lookup (seL4 style).
 *
 * An address (cptr) is resolved from its most significant "depth" bits
 * downwards. At each CNode level the next guard_size bits must equal the
 * CNode capability's guard, the next radix bits index the slot. If bits remain
 * and the slot holds a CNode capability, resolution continues in it.
 */
#ifndef CAPS_CSPACE_H
#define CAPS_CSPACE_H

#include <bulkhead/errors.h>
#include <caps/cap.h>

/*
 * The decoding, in logic. bits_l(w, top, n): the n bits of w just below bit
 * position top (all of w when n is 64: w < 2^64). One level at CNode capability node with `left` address bits
 * still to resolve: the next guard-size bits must equal the guard, the radix
 * bits after them index the slot (level_slot), level_rest bits remain.
 * resolves(node, cptr, left, exact, s, r): the lookup from node resolves to
 * slot s with r bits left over (r = 0 when all bits are consumed; r > 0 only
 * for a non-exact lookup stopping at a slot that holds no CNode).
 */
/*@ logic integer bits_l(integer w, integer top, integer n) =
      n == 0 ? 0 : n >= 64 ? w / pow2(top - n) : (w / pow2(top - n)) % pow2(n);
    predicate level_ok(cap_t node, integer cptr, integer left) =
      cnode_radix_l(node) != 0 && cnode_gsize_l(node) + cnode_radix_l(node) <= left &&
      bits_l(cptr, left, cnode_gsize_l(node)) == cnode_guard_l(node);
    logic integer level_index(cap_t node, integer cptr, integer left) =
      bits_l(cptr, left - cnode_gsize_l(node), cnode_radix_l(node));
    logic cte_t *level_slot(cap_t node, integer cptr, integer left) =
      cnode_slots_l(node) + level_index(node, cptr, left);
    logic integer level_rest(cap_t node, integer left) =
      left - cnode_gsize_l(node) - cnode_radix_l(node);

    inductive resolves{L}(cap_t node, integer cptr, integer left, integer exact, cte_t *s,
                          integer r) {
      case res_done{L}: \forall cap_t node, integer cptr, left, exact;
        level_ok(node, cptr, left) && level_rest(node, left) == 0 ==>
          resolves(node, cptr, left, exact, level_slot(node, cptr, left), 0);
      case res_stop{L}: \forall cap_t node, integer cptr, left, exact;
        level_ok(node, cptr, left) && level_rest(node, left) > 0 && exact == 0 &&
        cap_type_l(level_slot(node, cptr, left)->cap) != BH_OBJ_CNODE ==>
          resolves(node, cptr, left, exact, level_slot(node, cptr, left),
                   level_rest(node, left));
      case res_descend{L}: \forall cap_t node, integer cptr, left, exact, cte_t *s, integer r;
        level_ok(node, cptr, left) && level_rest(node, left) > 0 &&
        cap_type_l(level_slot(node, cptr, left)->cap) == BH_OBJ_CNODE &&
        resolves(level_slot(node, cptr, left)->cap, cptr, level_rest(node, left), exact, s, r) ==>
          resolves(node, cptr, left, exact, s, r);
    }
*/

/*
 * Resolve (root, cptr, depth) to a slot.
 *  exact: all depth bits must be consumed (CNode operations); otherwise
 *         resolution stops at the first slot that does not hold a CNode
 *         (invocation lookups, depth 64).
 * Returns BH_OK and *slot; BH_E_RANGE if depth is 0 or > 64; or
 * BH_E_LOOKUP_FAILED with *fault saying which level failed and why.
 * *fault is always written (kind BH_LOOKUP_NONE on success).
 */
/*@ requires \valid(slot) && \valid(fault) && \separated(slot, fault);
    requires valid_cnode(root) || cap_type_l(root) != BH_OBJ_CNODE;
    requires cspace_closed;
    assigns *slot, *fault;
    ensures \result == BH_OK || \result == BH_E_RANGE || \result == BH_E_LOOKUP_FAILED;
    ensures \result == BH_E_RANGE <==> (depth == 0 || depth > 64);
    ensures \result == BH_OK ==> \valid(*slot) && fault->kind == BH_LOOKUP_NONE;
    ensures \result == BH_OK ==> in_valid_cnode(*slot);
    ensures \result == BH_OK ==>
      resolves{Pre}(root, cptr, depth, exact, *slot, 0) ||
      (exact == 0 && 0 < fault->bits_left < depth &&
       resolves{Pre}(root, cptr, depth, exact, *slot, fault->bits_left));
    ensures \result != BH_OK ==> *slot == \null && fault->kind != BH_LOOKUP_NONE;
    ensures \result == BH_E_LOOKUP_FAILED && cap_type_l(root) != BH_OBJ_CNODE ==>
      fault->kind == BH_LOOKUP_INVALID_ROOT; */
bh_error_t cspace_lookup(cap_t root, uint64_t cptr, uint32_t depth, bool exact, cte_t **slot,
                         bh_lookup_fault_t *fault);

#endif
