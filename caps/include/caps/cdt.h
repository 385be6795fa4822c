/*
 * Capability derivation tree (CDT).
 *
 * Representation: every non-empty slot is on one doubly linked list (per root)
 * in preorder of the tree: a capability's descendants follow it directly and
 * contiguously. The parent relation is not stored; it is computed from the two
 * capabilities (cdt_is_parent_of): an original capability (made by retype, or a
 * newly badged Endpoint/Notification, or an IRQHandler) is the parent of the
 * following capabilities to the same object (for a badged original: only the
 * non-original ones with its badge); an Untyped is the parent of the following
 * capabilities to objects inside its region. Copies are not originals, so they
 * have no children: copying a copy makes a sibling.
 *
 * Consequences: insert after the source and removal are O(1), removal needs no
 * re-parenting, and all capabilities to one object are adjacent on the list, so
 * "last capability to an object" is "neither list neighbour refers to it".
 */
#ifndef CAPS_CDT_H
#define CAPS_CDT_H

#include <caps/cap.h>

/* The global link invariant of the tree (cdt_wf), preserved by insert,
 * remove, move and swap below: capability slots never
 * overlap; an empty slot has null links; a non-empty slot's links are null or
 * point to valid, non-empty capability slots, and are mutual
 * (s->next->prev == s, s->prev->next == s).
 * It does not say that the list is acyclic (first-order provers cannot keep
 * that), so it does not give distinct neighbours: what unlinking a slot
 * needs (cdt_distinct) is checked at run time (cdt_links_distinct) by the
 * callers, and cannot fail on an acyclic list. */
/*@ predicate cdt_empty_ok{L}(cte_t *s) =
      cap_null_l(\at(s->cap, L)) ==> (\at(s->prev, L) == \null && \at(s->next, L) == \null);
    predicate cdt_prev_ok{L}(cte_t *s) =
      !cap_null_l(\at(s->cap, L)) ==>
        (\at(s->prev, L) == \null ||
          (cdt_slot(\at(s->prev, L)) && \valid{L}(\at(s->prev, L)) &&
           !cap_null_l(\at(s->prev->cap, L)) && \at(s->prev->next, L) == s));
    predicate cdt_next_ok{L}(cte_t *s) =
      !cap_null_l(\at(s->cap, L)) ==>
        (\at(s->next, L) == \null ||
          (cdt_slot(\at(s->next, L)) && \valid{L}(\at(s->next, L)) &&
           !cap_null_l(\at(s->next->cap, L)) && \at(s->next->prev, L) == s));
    predicate cdt_link_ok{L}(cte_t *s) =
      cdt_empty_ok{L}(s) && cdt_prev_ok{L}(s) && cdt_next_ok{L}(s);
    predicate cdt_sep =
      \forall cte_t *a, *b; cdt_slot(a) && cdt_slot(b) && a != b ==> \separated(a, b);
    predicate cdt_links{L} =
      \forall cte_t *s; cdt_slot(s) && \valid{L}(s) ==> cdt_link_ok{L}(s);
    predicate cdt_wf{L} = cdt_sep && cdt_links{L};
    // The slot is a valid capability slot (what every operation is given).
    predicate cdt_at{L}(cte_t *s) = cdt_slot(s) && \valid{L}(s);
    // Local shape needed to unlink s: its links are other slots than s and
    // than each other.
    predicate cdt_distinct{L}(cte_t *s) =
      \at(s->prev, L) != s && \at(s->next, L) != s &&
      (\at(s->prev, L) == \null || \at(s->prev, L) != \at(s->next, L));
    // Local shape needed to swap a and b (cdt_swap): both distinct, and for
    // neighbours x -> y, x's predecessor is not y's successor.
    predicate cdt_swap_ok{L}(cte_t *a, cte_t *b) =
      cdt_distinct{L}(a) && cdt_distinct{L}(b) &&
      (\at(a->next, L) == b ==> \at(a->prev, L) == \null || \at(a->prev, L) != \at(b->next, L)) &&
      (\at(b->next, L) == a ==> \at(b->prev, L) == \null || \at(b->prev, L) != \at(a->next, L));
*/

/* The parent relation exactly as cdt_is_parent_of computes it (the C
 * functions are proved equal to these predicates): cdt_same_l is
 * cdt_same_object, ut_covers_l "b's object lies inside untyped a's region"
 * (both aligned to their sizes), cdt_child_l "b, following a on the list, is
 * a's child". */
/*@ predicate cdt_same_l(cap_t a, cap_t b) =
      cap_type_l(a) == cap_type_l(b) && !cap_null_l(a) && cap_type_l(a) != BH_OBJ_UNTYPED &&
      (cap_type_l(a) == BH_OBJ_IRQ_CONTROL ||
       (cap_type_l(a) == BH_OBJ_IRQ_HANDLER ? a.w1 % 4294967296 == b.w1 % 4294967296 :
                                              cap_obj_l(a) == cap_obj_l(b)));
    predicate ut_covers_l(cap_t a, cap_t b) =
      !cap_null_l(b) && cap_type_l(b) != BH_OBJ_IRQ_CONTROL && cap_type_l(b) != BH_OBJ_IRQ_HANDLER &&
      cap_size_bits_l(b) <= a.w1 % 64 && cap_obj_l(a) <= cap_obj_l(b) &&
      cap_obj_l(b) - cap_obj_l(a) <= pow2(a.w1 % 64) - pow2(cap_size_bits_l(b));
    predicate cdt_child_l(cap_t a, cap_t b) =
      !cap_null_l(a) && !cap_null_l(b) && cap_original_l(a) == 1 &&
      (cap_type_l(a) == BH_OBJ_UNTYPED ? ut_covers_l(a, b) :
       cap_type_l(a) == BH_OBJ_IRQ_CONTROL ?
         (cap_type_l(b) == BH_OBJ_IRQ_HANDLER || cap_type_l(b) == BH_OBJ_IRQ_CONTROL) :
       cdt_same_l(a, b) &&
       ((cap_type_l(a) == BH_OBJ_ENDPOINT || cap_type_l(a) == BH_OBJ_NOTIFICATION) && a.w1 != 0 ==>
          b.w1 == a.w1 && cap_original_l(b) == 0));
*/

/* Same object: same type and address (IRQHandler: same interrupt). Untyped
 * capabilities cannot be copied, so each is its own object. */
/*@ assigns \nothing;
    ensures \result ==> cap_type_l(a) == cap_type_l(b);
    ensures \result ==> !cap_null_l(a) && cap_type_l(a) != BH_OBJ_UNTYPED;
    ensures \result <==> cdt_same_l(a, b); */
bool cdt_same_object(cap_t a, cap_t b);

/* The type part of the parent relation (cdt_child_l implies it): both
 * are non-empty; an Untyped's children are memory objects (no IRQ
 * capabilities), IRQControl's are IRQ capabilities, any other capability's
 * are of its own type. */
/*@ predicate cdt_parent_l(cap_t a, cap_t b) =
      !cap_null_l(a) && !cap_null_l(b) &&
      (cap_type_l(a) == BH_OBJ_UNTYPED ?
         (cap_type_l(b) != BH_OBJ_IRQ_CONTROL && cap_type_l(b) != BH_OBJ_IRQ_HANDLER) :
       cap_type_l(a) == BH_OBJ_IRQ_CONTROL ?
         (cap_type_l(b) == BH_OBJ_IRQ_HANDLER || cap_type_l(b) == BH_OBJ_IRQ_CONTROL) :
         cap_type_l(b) == cap_type_l(a));
*/

/* Would b, following a on the list, be a descendant of a? */
/*@ requires \valid_read(a) && \valid_read(b);
    assigns \nothing;
    ensures !cap_null_l(a->cap) || !\result;
    ensures \result ==> cdt_parent_l(a->cap, b->cap);
    ensures \result <==> cdt_child_l(a->cap, b->cap); */
bool cdt_is_parent_of(const cte_t *a, const cte_t *b);

/* Does the slot's capability have a descendant? Descendants follow a
 * capability directly and contiguously (preorder), so "the next capability is
 * not a child" is "no descendant". */
/*@ requires \valid_read(s);
    requires s->next == \null || \valid_read(s->next);
    assigns \nothing;
    ensures \result ==> s->next != \null;
    ensures \result ==> cdt_parent_l(s->cap, s->next->cap);
    ensures \result <==> s->next != \null && cdt_child_l(s->cap, s->next->cap); */
bool cdt_has_children(const cte_t *s);

/* cdt_last_l: s holds the last capability to its object (neither list
 * neighbour refers to it). cdt_dying: s is one of the slots inside a
 * container (CNode, TCB) whose capability in the tree is the last one to it,
 * i.e. a slot that deleting that capability empties (delete_step's chain). */
/*@ predicate cdt_last_l{L}(cte_t *s) =
      (\at(s->prev, L) == \null || !cdt_same_l(\at(s->prev->cap, L), \at(s->cap, L))) &&
      (\at(s->next, L) == \null || !cdt_same_l(\at(s->next->cap, L), \at(s->cap, L)));
    predicate cdt_dying{L}(cte_t *s) =
      \exists cte_t *t; cdt_at{L}(t) && !cap_null_l(\at(t->cap, L)) && cdt_last_l{L}(t) &&
        in_cont_l(s, \at(t->cap, L));
*/

/* Is the slot the last capability to its object? */
/*@ requires \valid_read(s);
    requires s->prev == \null || \valid_read(s->prev);
    requires s->next == \null || \valid_read(s->next);
    assigns \nothing;
    ensures \result <==> cdt_last_l(s); */
bool cdt_is_last(const cte_t *s);

/* Put cap into the empty slot dest as the root of a new list (boot). */
/*@ requires \valid(dest);
    requires cap_null_l(dest->cap) && dest->prev == \null && dest->next == \null;
    assigns *dest;
    ensures dest->cap == cap && dest->prev == \null && dest->next == \null; */
void cdt_insert_root(cte_t *dest, cap_t cap);

/* Are the slot's links other slots than itself and than each other? */
/*@ requires \valid_read(s);
    assigns \nothing;
    ensures \result <==> cdt_distinct(s); */
bool cdt_links_distinct(cte_t *s);

/* May a and b be swapped (cdt_swap_ok)? */
/*@ requires \valid_read(a) && \valid_read(b);
    assigns \nothing;
    ensures \result <==> cdt_swap_ok(a, b); */
bool cdt_can_swap(cte_t *a, cte_t *b);

/* Insert, remove and move keep cdt_wf (behavior keeps_wf) when the slots they
 * are given are capability slots (cdt_at) and the capability they store is
 * not null. */

/* Put cap into the empty slot dest directly after src on the list. */
/*@ requires \valid(src) && \valid(dest) && \separated(src, dest);
    requires src->next == \null || (\valid(src->next) && \separated(src->next, src, dest));
    requires !cap_null_l(src->cap);
    requires cap_null_l(dest->cap) && dest->prev == \null && dest->next == \null;
    assigns *dest, src->next, src->next->prev;
    ensures src->next == dest && dest->prev == src && dest->next == \old(src->next);
    ensures \old(src->next) != \null ==> \old(src->next)->prev == dest;
    ensures dest->cap == cap && src->cap == \old(src->cap);
    ensures src->prev == \old(src->prev);
    behavior keeps_wf:
      assumes cdt_wf && cdt_at(src) && cdt_at(dest) && !cap_null_l(cap);
      ensures cdt_wf; */
void cdt_insert_after(cte_t *src, cte_t *dest, cap_t cap);

/* Unlink the slot from the list and empty it. */
/*@ requires \valid(slot);
    requires slot->prev == \null || (\valid(slot->prev) && \separated(slot->prev, slot));
    requires slot->next == \null || (\valid(slot->next) && \separated(slot->next, slot));
    requires slot->prev == \null || slot->next == \null || \separated(slot->prev, slot->next);
    assigns *slot, slot->prev->next, slot->next->prev;
    ensures \old(slot->prev) != \null ==> \old(slot->prev)->next == \old(slot->next);
    ensures \old(slot->next) != \null ==> \old(slot->next)->prev == \old(slot->prev);
    ensures slot->prev == \null && slot->next == \null;
    ensures slot->cap.w0 == 0 && slot->cap.w1 == 0;
    behavior keeps_wf:
      assumes cdt_wf && cdt_at(slot) && !cap_null_l(slot->cap);
      ensures cdt_wf; */
void cdt_remove(cte_t *slot);

/* Move the capability of src into the empty slot dest (same list position),
 * replacing it by cap; src becomes empty. */
/*@ requires \valid(src) && \valid(dest) && \separated(src, dest);
    requires src->prev == \null || (\valid(src->prev) && \separated(src->prev, src, dest));
    requires src->next == \null || (\valid(src->next) && \separated(src->next, src, dest));
    requires src->prev == \null || src->next == \null || \separated(src->prev, src->next);
    requires !cap_null_l(src->cap);
    requires cap_null_l(dest->cap) && dest->prev == \null && dest->next == \null;
    assigns *src, *dest, src->prev->next, src->next->prev;
    ensures dest->cap == cap && dest->prev == \old(src->prev) && dest->next == \old(src->next);
    ensures \old(src->prev) != \null ==> \old(src->prev)->next == dest;
    ensures \old(src->next) != \null ==> \old(src->next)->prev == dest;
    ensures src->prev == \null && src->next == \null;
    ensures src->cap.w0 == 0 && src->cap.w1 == 0;
    behavior keeps_wf:
      assumes cdt_wf && cdt_at(src) && cdt_at(dest) && !cap_null_l(cap);
      ensures cdt_wf; */
void cdt_move(cte_t *src, cte_t *dest, cap_t cap);

/* Exchange the contents of two non-empty slots; each capability keeps its
 * list position. Keeps cdt_wf; needs the local shape cdt_swap_ok (checked at
 * run time by the caller; cannot fail on an acyclic list). */
/*@ requires cdt_wf;
    requires cdt_at(a) && cdt_at(b) && a != b;
    requires !cap_null_l(a->cap) && !cap_null_l(b->cap);
    requires cdt_swap_ok(a, b);
    assigns *a, *b, a->prev->next, a->next->prev, b->prev->next, b->next->prev;
    ensures a->cap == \old(b->cap) && b->cap == \old(a->cap);
    ensures cdt_wf; */
void cdt_swap(cte_t *a, cte_t *b);

#endif
