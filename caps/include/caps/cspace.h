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
 * Resolve (root, cptr, depth) to a slot.
 *  exact: all depth bits must be consumed (CNode operations); otherwise
 *         resolution stops at the first slot that does not hold a CNode
 *         (invocation lookups, depth 64).
 * Returns BH_OK and *slot; BH_E_RANGE if depth is 0 or > 64; or
 * BH_E_LOOKUP_FAILED with *fault saying which level failed and why.
 * *fault is always written (kind BH_LOOKUP_NONE on success).
 */
bh_error_t cspace_lookup(cap_t root, uint64_t cptr, uint32_t depth, bool exact, cte_t **slot,
                         bh_lookup_fault_t *fault);

#endif
