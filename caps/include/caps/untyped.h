/* Untyped memory: the boot-time root capability and retype. */
#ifndef CAPS_UNTYPED_H
#define CAPS_UNTYPED_H

#include <bulkhead/errors.h>
#include <caps/cap.h>
#include <caps/cdt.h>

/* Boot: put an untyped capability for [base, base + 2^size_bits) into the
 * empty slot as a derivation-tree root. base must be aligned to its size. */
void caps_untyped_root(cte_t *slot, paddr_t base, uint32_t size_bits, bool device);

/*
 * Retype in the proofs. kva_words(pa) is the memory at physical address pa
 * as 64-bit words (the identity phys mapping, as kva_slots; uninterpreted).
 * ut_words_apart(u, from): the words of the untyped u from byte offset from
 * to its end are apart from every capability slot. That is the untyped
 * invariant retype relies on (not proved: a property of the whole tree):
 * the live objects made from an untyped are its children and lie below its
 * free index, and without children nothing in it is live.
 * retyped_cap: the capability retype puts into a destination slot (the
 * object of the given type at obj, original, all rights, not mapped, device
 * iff the untyped is device memory; w1 the size bits (Untyped, free index 0)
 * or the radix (CNode, no guard), else 0). rt_size: the object size retype
 * uses for (type, user_bits).
 */
/*@ axiomatic KernelVirtualWords {
      logic uint64_t *kva_words(integer pa);
    }
    // (Quantified over the address pa, not an offset: a trigger kva_words(pa)
    // has no arithmetic, which the provers' instantiation needs.)
    predicate ut_words_apart(cap_t u, integer from) =
      \forall integer pa, integer j, cte_t *s;
        cap_obj_l(u) + from <= pa && 0 <= j &&
        pa + 8 * j + 8 <= cap_obj_l(u) + pow2(u.w1 % 64) && cdt_slot(s) ==>
          \separated(kva_words(pa) + j, s);
    predicate retyped_cap(cap_t c, integer type, integer obj, integer user_bits, integer device) =
      cap_type_l(c) == type && cap_rights_l(c) == BH_RIGHTS_ALL && cap_original_l(c) == 1 &&
      cap_device_l(c) == device && cap_obj_l(c) == obj && cap_mapped_l(c) == 0 &&
      c.w1 == (type == BH_OBJ_UNTYPED || type == BH_OBJ_CNODE ? user_bits : 0);
    logic integer rt_size(integer type, integer user_bits) =
      pow2(obj_size_bits_l(type, type == BH_OBJ_UNTYPED || type == BH_OBJ_CNODE ? user_bits : 0));
    // Slot d[k], k < count, holds the capability to the object at base + k * size.
    // (A predicate on d itself: with d = slots + offset, a quantified d[k]
    // becomes slots[k + offset], which the provers cannot instantiate.)
    predicate slots_made{L}(cte_t *d, integer count, integer type, integer base, integer size,
                            integer user_bits, integer device) =
      \forall integer k; 0 <= k < count ==>
        retyped_cap(\at(d[k].cap, L), type, base + k * size, user_bits, device);
    logic integer rt_start(integer from, integer size) = (from + size - 1) / size * size;
    // The objects of a successful retype: count objects of size bytes from
    // start (the watermark from rounded up to the size), each slot d[k]
    // holding the capability to the k-th; the untyped u1 (after) is u0
    // (before) with the free index moved to their end.
    predicate retype_made{L}(cap_t u0, cap_t u1, cte_t *d, integer count, integer type,
                             integer user_bits, integer from, integer size, integer start) =
      0 < size && size % 16 == 0 && start % size == 0 && from <= start &&
      start + count * size <= pow2(u0.w1 % 64) &&
      u1.w0 == u0.w0 && u1.w1 % 64 == u0.w1 % 64 && ut_free_l(u1) == start + count * size &&
      slots_made{L}(d, count, type, cap_obj_l(u0) + start, size, user_bits, cap_device_l(u0));
*/

/* Zero the object at obj (words 64-bit words), for caps_retype. Defined in
 * cap_kva.c and not proved: WP's typed memory model cannot follow the
 * integer-to-pointer cast of pa_to_kva, so this contract is an assumption of
 * caps_retype's proof (the typed view kva_words, as cap_cnode_slots is for
 * CNodes): it writes the object's words and nothing else. */
/*@ assigns { kva_words(obj.pa)[j] | integer j; 0 <= j < words };
    ensures \forall integer j; 0 <= j < words ==> kva_words(obj.pa)[j] == 0; */
void caps_zero_object(paddr_t obj, uint64_t words);

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
 * Proved (caller obligations: the tree and CSpace invariants, an acyclic
 * list at ut, the untyped below 2^52 and its memory above the watermark apart
 * from every capability slot): on BH_OK the objects are retype_made, the
 * tree invariant holds and, unless CNodes were made, cspace_closed.
 */
/*@ requires cdt_wf && cnode_slots_cdt && cspace_closed;
    requires cdt_at(ut) && ut->next != ut;
    requires cap_type_l(ut->cap) == BH_OBJ_UNTYPED ==>
      ut->cap.w1 % 64 <= BH_UNTYPED_MAX_BITS && ut_free_l(ut->cap) <= pow2(ut->cap.w1 % 64) &&
      cap_obj_l(ut->cap) + pow2(ut->cap.w1 % 64) <= 0x10000000000000;
    requires cap_type_l(dest_cnode) == BH_OBJ_CNODE ==> valid_cnode(dest_cnode);
    requires apart: ut->next != \null && cdt_child_l(ut->cap, ut->next->cap) ==>
      ut_words_apart(ut->cap, ut_free_l(ut->cap));
    requires apart_all: !(ut->next != \null && cdt_child_l(ut->cap, ut->next->cap)) ==>
      ut_words_apart(ut->cap, 0);
    assigns { *s | cte_t *s; cdt_slot(s) },
            { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(ut->cap) <= pa && 0 <= j &&
              pa + 8 * j + 8 <= cap_obj_l(ut->cap) + pow2(ut->cap.w1 % 64) };
    ensures cdt_wf;
    ensures cap_type_l(\old(ut->cap)) != BH_OBJ_UNTYPED ==> \result == BH_E_INVALID_CAPABILITY;
    ensures cap_type_l(\old(ut->cap)) == BH_OBJ_UNTYPED &&
            !(BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU && type != BH_OBJ_IRQ_CONTROL &&
              type != BH_OBJ_IRQ_HANDLER) ==> \result == BH_E_INVALID_ARGUMENT;
    ensures unchanged: \result != BH_OK ==> \forall cte_t *s; cdt_slot(s) ==>
      s->cap == \old(s->cap) && s->prev == \old(s->prev) && s->next == \old(s->next);
    ensures closed: \result == BH_OK && type != BH_OBJ_CNODE ==> cspace_closed;
    ensures made_children: \result == BH_OK &&
      \old(ut->next != \null && cdt_child_l(ut->cap, ut->next->cap)) ==>
        retype_made(\old(ut->cap), ut->cap, cnode_slots_l(dest_cnode) + offset, count, type,
                    user_bits, ut_free_l(\old(ut->cap)), rt_size(type, user_bits),
                    rt_start(ut_free_l(\old(ut->cap)), rt_size(type, user_bits)));
    ensures made_fresh: \result == BH_OK &&
      !\old(ut->next != \null && cdt_child_l(ut->cap, ut->next->cap)) ==>
        retype_made(\old(ut->cap), ut->cap, cnode_slots_l(dest_cnode) + offset, count, type,
                    user_bits, 0, rt_size(type, user_bits), rt_start(0, rt_size(type, user_bits))); */
bh_error_t caps_retype(cte_t *ut, bh_objtype_t type, uint32_t user_bits, cap_t dest_cnode,
                       uint64_t offset, uint64_t count);

#endif
