/* Untyped memory: the boot-time root capability and retype. */
#ifndef CAPS_UNTYPED_H
#define CAPS_UNTYPED_H

#include <bulkhead/errors.h>
#include <caps/cap.h>

/* Boot: put an untyped capability for [base, base + 2^size_bits) into the
 * empty slot as a derivation-tree root. base must be aligned to its size. */
void caps_untyped_root(cte_t *slot, paddr_t base, uint32_t size_bits, bool device);

/*
 * Make count objects of type (user_bits: CNode radix or Untyped size) in the
 * slots offset .. offset+count-1 of the CNode dest_cnode.
 * Objects are aligned to their size, placed from the untyped's free index
 * (from 0 when the untyped has no children), zeroed through pa_to_kva unless
 * the untyped is device memory (which may only become Frames or Untyped).
 * Errors, checked in this order, nothing changed on error:
 *  BH_E_INVALID_CAPABILITY ut is not an untyped cap / dest_cnode not a CNode
 *  BH_E_INVALID_ARGUMENT   type cannot be retyped (Null, IRQ*), or device
 *                          memory for a type other than Frame/Untyped
 *  BH_E_RANGE              user_bits out of range for CNode/Untyped, count
 *                          0 or > BH_RETYPE_MAX_COUNT, slots outside the CNode
 *  BH_E_DELETE_FIRST       a destination slot is not empty
 *  BH_E_REVOKE_FIRST       does not fit above the free index, but would fit
 *                          in the whole untyped once its children are revoked
 *  BH_E_NOT_ENOUGH_MEMORY  does not fit at all
 */
bh_error_t caps_retype(cte_t *ut, bh_objtype_t type, uint32_t user_bits, cap_t dest_cnode,
                       uint64_t offset, uint64_t count);

#endif
