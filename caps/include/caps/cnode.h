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

/* Work units (deletions or cycle swaps) per delete/revoke call in the decoder. */
#define CAPS_WORK_BUDGET 64u
/* Longest chain of "last capability to a non-empty CNode/TCB" a deletion follows. */
#ifndef CAPS_DELETE_CHAIN_MAX /* tests build a variant with a tiny limit */
#define CAPS_DELETE_CHAIN_MAX 32u
#endif

/* Copy with rights = src rights & rights_mask. Untyped and IRQControl cannot be
 * copied (BH_E_ILLEGAL_OPERATION); a copied Frame/PageTable cap is unmapped. */
bh_error_t caps_copy(cte_t *src, cte_t *dest, uint32_t rights_mask);

/* Copy with rights = src rights & rights_mask and capability data applied:
 * Endpoint/Notification: badge (an unbadged source gets it, the new capability
 * is then an original with its own children; a badged source keeps its badge,
 * data must be 0 or equal to it, else BH_E_ILLEGAL_OPERATION); CNode: guard
 * (BH_CNODE_DATA; guard size + radix <= 64, guard size <= BH_GUARD_SIZE_MAX,
 * guard < 2^guard size, else BH_E_INVALID_ARGUMENT); other types: data must be 0. */
bh_error_t caps_mint(cte_t *src, cte_t *dest, uint32_t rights_mask, uint64_t data);

/* Move the capability (its derivation-tree position moves with it). */
bh_error_t caps_move(cte_t *src, cte_t *dest);

/* Move and apply data as caps_mint does (rights unchanged). */
bh_error_t caps_mutate(cte_t *src, cte_t *dest, uint64_t data);

/* Empty the slot. Deleting the last capability to an object finalises it
 * (finalise.h); the last capability to a CNode/TCB that still holds
 * capabilities first deletes those (iteratively). At most budget units of
 * work: BH_E_PREEMPTED means "call again"; every intermediate state is
 * consistent. An empty slot is BH_OK. BH_E_RANGE: chain of nested containers
 * deeper than CAPS_DELETE_CHAIN_MAX (delete the inner capabilities first);
 * nothing was changed by the step that found it. */
bh_error_t caps_delete(cte_t *slot, uint32_t budget);

/* Delete every descendant of the slot's capability, at most budget per call
 * (BH_E_PREEMPTED: call again). When done on an Untyped its free index is 0.
 * Always terminates (no BH_E_RANGE): a too-deep chain of containers under a
 * descendant is cut, leaving garbage containers for their untyped's revoke. */
bh_error_t caps_revoke(cte_t *slot, uint32_t budget);

#endif
