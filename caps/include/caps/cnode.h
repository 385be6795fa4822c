/*
 * CNode operations on slots the caller has already looked up (the decoder in
 * invocation.h does the lookups). Each returns BH_OK or a precise error and
 * changes nothing on error. Checks run in this order: destination empty
 * (BH_E_DELETE_FIRST), source non-empty (BH_E_INVALID_CAPABILITY), type allows
 * the operation (BH_E_ILLEGAL_OPERATION), data valid (BH_E_INVALID_ARGUMENT).
 */
#ifndef CAPS_CNODE_H
#define CAPS_CNODE_H

#include <bulkhead/errors.h>
#include <caps/cap.h>
#include <caps/cdt.h>
#include <caps/finalise.h>

/* Work units (deletions or cycle swaps) per delete/revoke call in the decoder. */
#define CAPS_WORK_BUDGET 64u
/* Longest chain of "last capability to a non-empty CNode/TCB" a deletion follows. */
#ifndef CAPS_DELETE_CHAIN_MAX /* tests build a variant with a tiny limit */
#define CAPS_DELETE_CHAIN_MAX 32u
#endif

/* Copy with rights = src rights & rights_mask. Untyped and IRQControl cannot be
 * copied (BH_E_ILLEGAL_OPERATION); a copied Frame/PageTable cap is unmapped.
 * Copy, mint, move and mutate also refuse with BH_E_ILLEGAL_OPERATION a
 * derivation-tree link shape that only a cycle in the list has (cannot arise
 * on a well-formed tree; checked so that the proofs need no acyclicity). */
/*@ requires cdt_wf;
    requires cdt_at(src) && cdt_at(dest);
    assigns *dest, src->next, src->next->prev;
    ensures cdt_wf;
    ensures \result == BH_OK ==>
        cap_rights_l(dest->cap) == (cap_rights_l(\old(src->cap)) & rights_mask) % 32;
    ensures \result == BH_OK ==> cap_type_l(dest->cap) == cap_type_l(\old(src->cap)) &&
        dest->cap.w0 / 65536 == \old(src->cap).w0 / 65536;
    ensures \result == BH_OK && cap_type_l(dest->cap) == BH_OBJ_CNODE ==>
        dest->cap.w1 == \old(src->cap).w1;
    ensures \result != BH_OK ==> dest->cap == \old(dest->cap) && src->next == \old(src->next); */
bh_error_t caps_copy(cte_t *src, cte_t *dest, uint32_t rights_mask);

/* Copy with rights = src rights & rights_mask and capability data applied:
 * Endpoint/Notification: badge (an unbadged source gets it, the new capability
 * is then an original with its own children; a badged source keeps its badge,
 * data must be 0 or equal to it, else BH_E_ILLEGAL_OPERATION); CNode: guard
 * (BH_CNODE_DATA; guard size + radix <= 64, guard size <= BH_GUARD_SIZE_MAX,
 * guard < 2^guard size, else BH_E_INVALID_ARGUMENT); other types: data must be 0. */
/*@ requires cdt_wf;
    requires cdt_at(src) && cdt_at(dest);
    assigns *dest, src->next, src->next->prev;
    ensures cdt_wf;
    ensures \result == BH_OK ==>
        cap_rights_l(dest->cap) == (cap_rights_l(\old(src->cap)) & rights_mask) % 32;
    ensures \result != BH_OK ==> dest->cap == \old(dest->cap) && src->next == \old(src->next); */
bh_error_t caps_mint(cte_t *src, cte_t *dest, uint32_t rights_mask, uint64_t data);

/* Move the capability (its derivation-tree position moves with it). */
/*@ requires cdt_wf;
    requires cdt_at(src) && cdt_at(dest);
    assigns *src, *dest, src->prev->next, src->next->prev;
    ensures cdt_wf;
    ensures \result == BH_OK ==> dest->cap == \old(src->cap) && cap_null_l(src->cap);
    ensures \result != BH_OK ==> dest->cap == \old(dest->cap) && src->cap == \old(src->cap); */
bh_error_t caps_move(cte_t *src, cte_t *dest);

/* Move and apply data as caps_mint does (rights unchanged). */
/*@ requires cdt_wf;
    requires cdt_at(src) && cdt_at(dest);
    assigns *src, *dest, src->prev->next, src->next->prev;
    ensures cdt_wf;
    ensures \result == BH_OK ==>
      cap_rights_l(dest->cap) == cap_rights_l(\old(src->cap)) &&
      cap_type_l(dest->cap) == cap_type_l(\old(src->cap)) && cap_null_l(src->cap);
    ensures \result != BH_OK ==> dest->cap == \old(dest->cap) && src->cap == \old(src->cap); */
bh_error_t caps_mutate(cte_t *src, cte_t *dest, uint64_t data);

/* Empty the slot. Deleting the last capability to an object finalises it
 * (finalise.h); the last capability to a CNode/TCB that still holds
 * capabilities first deletes those (iteratively). At most budget units of
 * work: BH_E_PREEMPTED means "call again"; every intermediate state is
 * consistent. An empty slot is BH_OK. BH_E_RANGE: chain of nested containers
 * deeper than CAPS_DELETE_CHAIN_MAX (delete the inner capabilities first);
 * nothing was changed by the step that found it. BH_E_ILLEGAL_OPERATION: a
 * derivation-tree link shape that only a cycle in the list has (cannot arise
 * on a well-formed tree; checked so that the proofs need no acyclicity). */
/*@ requires cdt_wf;
    requires cdt_at(slot);
    assigns { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures cdt_wf;
    ensures \result == BH_OK || \result == BH_E_PREEMPTED || \result == BH_E_RANGE ||
            \result == BH_E_ILLEGAL_OPERATION;
    ensures \result == BH_OK ==> cap_null_l(slot->cap); */
bh_error_t caps_delete(cte_t *slot, uint32_t budget);

/* Delete every descendant of the slot's capability, at most budget per call
 * (BH_E_PREEMPTED: call again). When done on an Untyped its free index is 0.
 * Always terminates (no BH_E_RANGE): a too-deep chain of containers under a
 * descendant is cut, leaving garbage containers for their untyped's revoke.
 * BH_E_ILLEGAL_OPERATION: the capability is held inside one of its own
 * descendants (e.g. an Untyped's capability moved into a CNode retyped from
 * it, directly or through further CNodes); move it out first. The steps
 * before the refusal are done (valid deletions, as after BH_E_PREEMPTED); the
 * capability itself is unchanged. Also for a list shape only a cycle has. */
/*@ requires cdt_wf;
    requires cdt_at(slot);
    assigns { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures r_wf: cdt_wf;
    ensures r_codes: \result == BH_OK || \result == BH_E_PREEMPTED ||
                     \result == BH_E_ILLEGAL_OPERATION;
    ensures r_same: cap_type_l(\old(slot->cap)) != BH_OBJ_UNTYPED ==> slot->cap == \old(slot->cap);
    ensures r_ut: cap_type_l(\old(slot->cap)) == BH_OBJ_UNTYPED ==>
      slot->cap.w0 == \old(slot->cap.w0) && slot->cap.w1 % 64 == \old(slot->cap.w1) % 64;
    ensures r_none: \result == BH_OK ==> cap_null_l(\old(slot->cap)) || slot->next == \null ||
                                         !cdt_child_l(\old(slot->cap), slot->next->cap); */
bh_error_t caps_revoke(cte_t *slot, uint32_t budget);

#endif
