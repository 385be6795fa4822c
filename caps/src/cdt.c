/* Capability derivation tree: a preorder list with a computed parent relation. */
#include <caps/cdt.h>
#include <kernel/assert.h>

/* An if chain, not a switch: Frama-C puts the locals of the inlined
 * accessors at the top of the switch block, which the case labels jump over,
 * and WP 25 then cannot discharge the assigns goals of the function. */
bool cdt_same_object(cap_t a, cap_t b)
{
    bh_objtype_t t = cap_type(a);
    bool same;
    if (t != cap_type(b) || t == BH_OBJ_NULL || t == BH_OBJ_UNTYPED) {
        same = false;
    } else if (t == BH_OBJ_IRQ_CONTROL) {
        same = true;
    } else if (t == BH_OBJ_IRQ_HANDLER) {
        same = cap_irq(a) == cap_irq(b);
    } else {
        same = pa_addr(cap_obj(a)) == pa_addr(cap_obj(b));
    }
    return same;
}

/* Is the object of b inside the region of untyped a? */
/*@ assigns \nothing;
    ensures \result ==> !cap_null_l(b);
    ensures \result ==> cap_type_l(b) != BH_OBJ_IRQ_CONTROL && cap_type_l(b) != BH_OBJ_IRQ_HANDLER; */
static bool ut_covers(cap_t a, cap_t b)
{
    bh_objtype_t tb = cap_type(b);
    if (tb == BH_OBJ_NULL || tb == BH_OBJ_IRQ_CONTROL || tb == BH_OBJ_IRQ_HANDLER) {
        return false;
    }
    uint64_t a_lo = pa_addr(cap_obj(a));
    uint64_t a_bits = cap_ut_size_bits(a);
    uint64_t b_lo = pa_addr(cap_obj(b));
    uint64_t b_bits = cap_object_size_bits(b);
    if (b_bits > a_bits || b_lo < a_lo) {
        return false;
    }
    /* Both are aligned to their sizes: b is inside iff the offset fits. */
    return b_lo - a_lo <= (1ull << a_bits) - (1ull << b_bits);
}

bool cdt_is_parent_of(const cte_t *a, const cte_t *b)
{
    cap_t ca = a->cap;
    cap_t cb = b->cap;
    if (cap_is_null(ca) || cap_is_null(cb) || !cap_is_original(ca)) {
        return false;
    }
    bh_objtype_t ta = cap_type(ca);
    if (ta == BH_OBJ_UNTYPED) {
        return ut_covers(ca, cb);
    }
    if (ta == BH_OBJ_IRQ_CONTROL) {
        return cap_type(cb) == BH_OBJ_IRQ_HANDLER || cap_type(cb) == BH_OBJ_IRQ_CONTROL;
    }
    if (!cdt_same_object(ca, cb)) {
        return false;
    }
    if (cap_has_badge_field(ta) && cap_badge(ca) != 0u) {
        return cap_badge(cb) == cap_badge(ca) && !cap_is_original(cb);
    }
    return true;
}

bool cdt_has_children(const cte_t *s)
{
    return s->next != NULL && cdt_is_parent_of(s, s->next);
}

bool cdt_is_last(const cte_t *s)
{
    if (s->prev != NULL && cdt_same_object(s->prev->cap, s->cap)) {
        return false;
    }
    if (s->next != NULL && cdt_same_object(s->next->cap, s->cap)) {
        return false;
    }
    return true;
}

bool cdt_links_distinct(cte_t *s)
{
    if (s->prev == s || s->next == s) {
        return false;
    }
    return s->prev == NULL || s->prev != s->next;
}

void cdt_insert_root(cte_t *dest, cap_t cap)
{
    BH_ASSERT(cap_is_null(dest->cap) && dest->prev == NULL && dest->next == NULL);
    dest->cap = cap;
    dest->prev = NULL;
    dest->next = NULL;
}

void cdt_insert_after(cte_t *src, cte_t *dest, cap_t cap)
{
    BH_ASSERT(src != dest && !cap_is_null(src->cap));
    BH_ASSERT(cap_is_null(dest->cap) && dest->prev == NULL && dest->next == NULL);
    /*@ for keeps_wf: assert h_src: cdt_link_ok(src); */
    /*@ for keeps_wf: assert h_p: src->prev != \null ==> cdt_at(src->prev) &&
          cdt_link_ok(src->prev) && \separated(src->prev, dest) && \separated(src->prev, src); */
    /*@ for keeps_wf: assert h_n: src->next != \null ==> cdt_at(src->next) &&
          cdt_link_ok(src->next) && \separated(src->next, dest) && \separated(src->next, src); */
    /*@ for keeps_wf: assert h_all: \forall cte_t *s; cdt_at(s) ==> cdt_link_ok(s) &&
          (s != src ==> \separated(s, src)) && (s != dest ==> \separated(s, dest)) &&
          (src->next != \null && s != src->next ==> \separated(s, src->next)); */
    /*@ for keeps_wf: assert h_pn: src->prev != \null && src->next != \null &&
          src->prev != src->next ==> \separated(src->prev, src->next); */
    /* Field by field: WP models a struct store as a havoc, which the
     * provers reason about poorly under the quantified tree invariant. */
    dest->cap.w0 = cap.w0;
    dest->cap.w1 = cap.w1;
    dest->prev = src;
    dest->next = src->next;
    if (src->next != NULL) {
        src->next->prev = dest;
    }
    src->next = dest;
    /*@ for keeps_wf: assert a_src_e: cdt_empty_ok(src); */
    /*@ for keeps_wf: assert a_src_p: cdt_prev_ok(src); */
    /*@ for keeps_wf: assert a_src_n: cdt_next_ok(src); */
    /*@ for keeps_wf: assert a_dest_e: cdt_empty_ok(dest); */
    /*@ for keeps_wf: assert a_dest_p: cdt_prev_ok(dest); */
    /*@ for keeps_wf: assert a_dest_n: cdt_next_ok(dest); */
    /*@ for keeps_wf: assert a_n_e: \at(src->next, Pre) != \null ==> cdt_empty_ok(\at(src->next, Pre)); */
    /*@ for keeps_wf: assert a_n_p: \at(src->next, Pre) != \null ==> cdt_prev_ok(\at(src->next, Pre)); */
    /*@ for keeps_wf: assert a_n_n: \at(src->next, Pre) != \null ==> cdt_next_ok(\at(src->next, Pre)); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != src && s != dest && s != \at(src->next, Pre) ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other_e: \forall cte_t *s; cdt_at(s) && s != src && s != dest && s != \at(src->next, Pre) ==> cdt_empty_ok(s); */
    /*@ for keeps_wf: assert a_other_p: \forall cte_t *s; cdt_at(s) && s != src && s != dest && s != \at(src->next, Pre) ==> cdt_prev_ok(s); */
    /*@ for keeps_wf: assert a_other_n: \forall cte_t *s; cdt_at(s) && s != src && s != dest && s != \at(src->next, Pre) ==> cdt_next_ok(s); */
}

/* The "for keeps_wf" assertions guide the provers through the invariant:
 * every capability slot's links before (h_all, with the separations the
 * stores need), then after the stores the slots touched and all others. */
void cdt_remove(cte_t *slot)
{
    /*@ for keeps_wf: assert h_all: \forall cte_t *s; cdt_at(s) ==> cdt_link_ok(s) &&
          (s != slot ==> \separated(s, slot)) &&
          (slot->prev != \null && s != slot->prev ==> \separated(s, slot->prev)) &&
          (slot->next != \null && s != slot->next ==> \separated(s, slot->next)); */
    /*@ for keeps_wf: assert h_slot: cdt_link_ok(slot); */
    if (slot->prev != NULL) {
        slot->prev->next = slot->next;
    }
    if (slot->next != NULL) {
        slot->next->prev = slot->prev;
    }
    slot->cap.w0 = 0u; /* field by field, as in cdt_insert_after */
    slot->cap.w1 = 0u;
    slot->prev = NULL;
    slot->next = NULL;
    /*@ for keeps_wf: assert a_slot_e: cdt_empty_ok(slot); */
    /*@ for keeps_wf: assert a_slot_p: cdt_prev_ok(slot); */
    /*@ for keeps_wf: assert a_slot_n: cdt_next_ok(slot); */
    /*@ for keeps_wf: assert a_p_e: \at(slot->prev, Pre) != \null ==>
          cdt_empty_ok(\at(slot->prev, Pre)); */
    /*@ for keeps_wf: assert a_p_p: \at(slot->prev, Pre) != \null ==>
          cdt_prev_ok(\at(slot->prev, Pre)); */
    /*@ for keeps_wf: assert a_p_n: \at(slot->prev, Pre) != \null ==>
          cdt_next_ok(\at(slot->prev, Pre)); */
    /*@ for keeps_wf: assert a_n_e: \at(slot->next, Pre) != \null ==>
          cdt_empty_ok(\at(slot->next, Pre)); */
    /*@ for keeps_wf: assert a_n_p: \at(slot->next, Pre) != \null ==>
          cdt_prev_ok(\at(slot->next, Pre)); */
    /*@ for keeps_wf: assert a_n_n: \at(slot->next, Pre) != \null ==>
          cdt_next_ok(\at(slot->next, Pre)); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != slot &&
          s != \at(slot->prev, Pre) && s != \at(slot->next, Pre) ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other_e: \forall cte_t *s; cdt_at(s) && s != slot &&
          s != \at(slot->prev, Pre) && s != \at(slot->next, Pre) ==> cdt_empty_ok(s); */
    /*@ for keeps_wf: assert a_other_p: \forall cte_t *s; cdt_at(s) && s != slot &&
          s != \at(slot->prev, Pre) && s != \at(slot->next, Pre) ==> cdt_prev_ok(s); */
    /*@ for keeps_wf: assert a_other_n: \forall cte_t *s; cdt_at(s) && s != slot &&
          s != \at(slot->prev, Pre) && s != \at(slot->next, Pre) ==> cdt_next_ok(s); */
}

void cdt_move(cte_t *src, cte_t *dest, cap_t cap)
{
    BH_ASSERT(src != dest && !cap_is_null(src->cap));
    BH_ASSERT(cap_is_null(dest->cap) && dest->prev == NULL && dest->next == NULL);
    /*@ for keeps_wf: assert h_all: \forall cte_t *s; cdt_at(s) ==> cdt_link_ok(s) &&
          (s != src ==> \separated(s, src)) && (s != dest ==> \separated(s, dest)) &&
          (src->prev != \null && s != src->prev ==> \separated(s, src->prev)) &&
          (src->next != \null && s != src->next ==> \separated(s, src->next)); */
    /*@ for keeps_wf: assert h_src: cdt_link_ok(src); */
    dest->cap.w0 = cap.w0; /* field by field, as in cdt_insert_after */
    dest->cap.w1 = cap.w1;
    dest->prev = src->prev;
    dest->next = src->next;
    if (dest->prev != NULL) {
        dest->prev->next = dest;
    }
    if (dest->next != NULL) {
        dest->next->prev = dest;
    }
    src->cap.w0 = 0u;
    src->cap.w1 = 0u;
    src->prev = NULL;
    src->next = NULL;
    /*@ for keeps_wf: assert a_src_e: cdt_empty_ok(src); */
    /*@ for keeps_wf: assert a_src_p: cdt_prev_ok(src); */
    /*@ for keeps_wf: assert a_src_n: cdt_next_ok(src); */
    /*@ for keeps_wf: assert a_dest_e: cdt_empty_ok(dest); */
    /*@ for keeps_wf: assert a_dest_p: cdt_prev_ok(dest); */
    /*@ for keeps_wf: assert a_dest_n: cdt_next_ok(dest); */
    /*@ for keeps_wf: assert a_p_e: \at(src->prev, Pre) != \null ==>
          cdt_empty_ok(\at(src->prev, Pre)); */
    /*@ for keeps_wf: assert a_p_p: \at(src->prev, Pre) != \null ==>
          cdt_prev_ok(\at(src->prev, Pre)); */
    /*@ for keeps_wf: assert a_p_n: \at(src->prev, Pre) != \null ==>
          cdt_next_ok(\at(src->prev, Pre)); */
    /*@ for keeps_wf: assert a_n_e: \at(src->next, Pre) != \null ==>
          cdt_empty_ok(\at(src->next, Pre)); */
    /*@ for keeps_wf: assert a_n_p: \at(src->next, Pre) != \null ==>
          cdt_prev_ok(\at(src->next, Pre)); */
    /*@ for keeps_wf: assert a_n_n: \at(src->next, Pre) != \null ==>
          cdt_next_ok(\at(src->next, Pre)); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != src && s != dest &&
          s != \at(src->prev, Pre) && s != \at(src->next, Pre) ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other_e: \forall cte_t *s; cdt_at(s) && s != src && s != dest &&
          s != \at(src->prev, Pre) && s != \at(src->next, Pre) ==> cdt_empty_ok(s); */
    /*@ for keeps_wf: assert a_other_p: \forall cte_t *s; cdt_at(s) && s != src && s != dest &&
          s != \at(src->prev, Pre) && s != \at(src->next, Pre) ==> cdt_prev_ok(s); */
    /*@ for keeps_wf: assert a_other_n: \forall cte_t *s; cdt_at(s) && s != src && s != dest &&
          s != \at(src->prev, Pre) && s != \at(src->next, Pre) ==> cdt_next_ok(s); */
}

void cdt_swap(cte_t *a, cte_t *b)
{
    BH_ASSERT(a != b && !cap_is_null(a->cap) && !cap_is_null(b->cap));
    cte_t ta = *a;
    cte_t tb = *b;
    /* A link that pointed at the other slot now points at this one. */
    a->cap = tb.cap;
    a->prev = tb.prev == a ? b : tb.prev;
    a->next = tb.next == a ? b : tb.next;
    b->cap = ta.cap;
    b->prev = ta.prev == b ? a : ta.prev;
    b->next = ta.next == b ? a : ta.next;
    if (a->prev != NULL) {
        a->prev->next = a;
    }
    if (a->next != NULL) {
        a->next->prev = a;
    }
    if (b->prev != NULL) {
        b->prev->next = b;
    }
    if (b->next != NULL) {
        b->next->prev = b;
    }
}
