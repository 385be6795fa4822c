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
    ensures \result ==> cap_type_l(b) != BH_OBJ_IRQ_CONTROL && cap_type_l(b) != BH_OBJ_IRQ_HANDLER;
    ensures \result <==> ut_covers_l(a, b); */
static bool ut_covers(cap_t a, cap_t b)
{
    bh_objtype_t tb = cap_type(b);
    if (tb == BH_OBJ_NULL || tb == BH_OBJ_IRQ_CONTROL || tb == BH_OBJ_IRQ_HANDLER) {
        return false;
    }
    uint64_t a_lo = pa_addr(cap_obj(a));
    uint32_t a_bits = cap_ut_size_bits(a);
    uint64_t b_lo = pa_addr(cap_obj(b));
    uint32_t b_bits = cap_object_size_bits(b);
    if (b_bits > a_bits || b_lo < a_lo) {
        return false;
    }
    uint64_t a_size = caps_pow2(a_bits);
    uint64_t b_size = caps_pow2(b_bits);
    /* Never true as b_bits <= a_bits; it spares the provers 2^k's monotony. */
    if (b_size > a_size) {
        return false;
    }
    /* Both are aligned to their sizes: b is inside iff the offset fits. */
    return b_lo - a_lo <= a_size - b_size;
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

bool cdt_can_swap(cte_t *a, cte_t *b)
{
    if (!cdt_links_distinct(a) || !cdt_links_distinct(b)) {
        return false;
    }
    /* Neighbours x -> y whose outer neighbours are one slot: a 3-cycle. */
    if (a->next == b && a->prev != NULL && a->prev == b->next) {
        return false;
    }
    if (b->next == a && b->prev != NULL && b->prev == a->next) {
        return false;
    }
    return true;
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

/* Built from the two proved steps instead of stores under the quantified
 * invariant (whose direct proof took over a minute of prover time, with
 * goals past the timeout): dest goes in after src, then src comes out; the
 * end state is that of storing the links directly. */
void cdt_move(cte_t *src, cte_t *dest, cap_t cap)
{
    BH_ASSERT(src != dest && !cap_is_null(src->cap));
    BH_ASSERT(cap_is_null(dest->cap) && dest->prev == NULL && dest->next == NULL);
    cdt_insert_after(src, dest, cap);
    cdt_remove(src);
}

/* Put cap into the empty slot dest as the first element of the list that
 * next starts (next == NULL: a list of its own). */
/*@ requires \valid(dest);
    requires next == \null || (\valid(next) && \separated(next, dest) && next->prev == \null);
    requires cap_null_l(dest->cap) && dest->prev == \null && dest->next == \null;
    assigns *dest, next->prev;
    ensures dest->cap == cap && dest->prev == \null && dest->next == next;
    ensures next != \null ==> next->prev == dest;
    behavior keeps_wf:
      assumes cdt_wf && cdt_at(dest) && !cap_null_l(cap);
      assumes next == \null || (cdt_at(next) && !cap_null_l(next->cap));
      ensures cdt_wf; */
static void cdt_insert_head(cte_t *next, cte_t *dest, cap_t cap)
{
    /*@ for keeps_wf: assert h_all: \forall cte_t *s; cdt_at(s) ==> cdt_link_ok(s) &&
          (s != dest ==> \separated(s, dest)) &&
          (next != \null && s != next ==> \separated(s, next)); */
    /*@ for keeps_wf: assert h_next: next != \null ==> cdt_link_ok(next); */
    dest->cap.w0 = cap.w0; /* field by field, as in cdt_insert_after */
    dest->cap.w1 = cap.w1;
    dest->prev = NULL;
    dest->next = next;
    if (next != NULL) {
        next->prev = dest;
    }
    /*@ for keeps_wf: assert a_dest_e: cdt_empty_ok(dest); */
    /*@ for keeps_wf: assert a_dest_p: cdt_prev_ok(dest); */
    /*@ for keeps_wf: assert a_dest_n: cdt_next_ok(dest); */
    /*@ for keeps_wf: assert a_n_e: next != \null ==> cdt_empty_ok(next); */
    /*@ for keeps_wf: assert a_n_p: next != \null ==> cdt_prev_ok(next); */
    /*@ for keeps_wf: assert a_n_n: next != \null ==> cdt_next_ok(next); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != dest && s != next ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other_e: \forall cte_t *s; cdt_at(s) && s != dest && s != next ==>
          cdt_empty_ok(s); */
    /*@ for keeps_wf: assert a_other_p: \forall cte_t *s; cdt_at(s) && s != dest && s != next ==>
          cdt_prev_ok(s); */
    /*@ for keeps_wf: assert a_other_n: \forall cte_t *s; cdt_at(s) && s != dest && s != next ==>
          cdt_next_ok(s); */
}

/* Swap of neighbours a -> b: the list p, a(A), b(B), n becomes
 * p, b(A), a(B), n, built from proved steps: remove b, move A from a to b,
 * insert B into a after b. */
/*@ requires cdt_wf;
    requires cdt_at(a) && cdt_at(b) && a != b && a->next == b;
    requires !cap_null_l(a->cap) && !cap_null_l(b->cap);
    requires cdt_distinct(a) && cdt_distinct(b);
    requires a->prev == \null || a->prev != b->next;
    assigns *a, *b, a->prev->next, b->next->prev;
    ensures a->cap == \old(b->cap) && b->cap == \old(a->cap);
    ensures cdt_wf; */
static void cdt_swap_next(cte_t *a, cte_t *b)
{
    cap_t ca = a->cap;
    cap_t cb = b->cap;
    /*@ assert h_b: b->prev == a && (b->next == \null || cdt_at(b->next)); */
    /*@ assert h_a: a->prev == \null || (cdt_at(a->prev) && a->prev != b); */
    cdt_remove(b);
    /*@ assert s1: a->next == \at(b->next, Pre) && a->prev == \at(a->prev, Pre); */
    cdt_move(a, b, ca);
    /*@ assert s2: b->next == \at(b->next, Pre) && b->cap == ca; */
    cdt_insert_after(b, a, cb);
}

/* Swap of slots that are not neighbours: remove a, move B from b to a, then
 * put A into b where a was. */
/*@ requires cdt_wf;
    requires cdt_at(a) && cdt_at(b) && a != b && a->next != b && b->next != a;
    requires !cap_null_l(a->cap) && !cap_null_l(b->cap);
    requires cdt_distinct(a) && cdt_distinct(b);
    assigns *a, *b, a->prev->next, a->next->prev, b->prev->next, b->next->prev;
    ensures a->cap == \old(b->cap) && b->cap == \old(a->cap);
    ensures cdt_wf; */
static void cdt_swap_far(cte_t *a, cte_t *b)
{
    cte_t *pa = a->prev;
    cte_t *na = a->next;
    /*@ ghost cte_t *pb = b->prev; */
    /*@ ghost cte_t *nb = b->next; */
    cap_t ca = a->cap;
    cap_t cb = b->cap;
    /*@ assert h_a: (pa == \null || (cdt_at(pa) && pa->next == a && pa != b)) &&
          (na == \null || (cdt_at(na) && na->prev == a && na != b)); */
    /*@ assert h_b: (pb == \null || (cdt_at(pb) && pb->next == b && pb != a)) &&
          (nb == \null || (cdt_at(nb) && nb->prev == b && nb != a)); */
    /*@ assert h_pp: pa != \null && pb != \null ==> pa != pb; */
    /*@ assert h_nn: na != \null && nb != \null ==> na != nb; */
    /*@ assert h_sep: \separated(a, b) &&
          (pa != \null ==> \separated(pa, a) && \separated(pa, b)) &&
          (na != \null ==> \separated(na, a) && \separated(na, b)) &&
          (pa != \null && pb != \null ==> \separated(pa, pb)) &&
          (na != \null && nb != \null ==> \separated(na, nb)); */
    cdt_remove(a);
    /*@ assert s1_b: b->prev == pb && b->next == nb; */
    /*@ assert s1_c: b->cap == cb; */
    /*@ assert s1p: pa != \null ==> pa->next == na; */
    /*@ assert s1n: na != \null ==> na->prev == pa; */
    /*@ assert s1_pa: pa != \null ==> !cap_null_l(pa->cap); */
    /*@ assert s1_na: na != \null ==> !cap_null_l(na->cap); */
    /*@ assert m_pa: pa != \null ==> \separated(&pa->next, a, b) &&
          (pb == \null || \separated(&pa->next, &pb->next)) &&
          (nb == \null || \separated(&pa->next, &nb->prev)); */
    /*@ assert m_na: na != \null ==> \separated(&na->prev, a, b) &&
          (pb == \null || \separated(&na->prev, &pb->next)) &&
          (nb == \null || \separated(&na->prev, &nb->prev)); */
    cdt_move(b, a, cb);
    /*@ assert s2: a->cap == cb; */
    if (pa != NULL) {
        /*@ assert s2p_n: nb == pa ==> pa->next == na; */
        /*@ assert s2p_p: pb == \null ==> pa->next == na; */
        /*@ assert s2p: pa->next == na; */
        /*@ assert s2pc: !cap_null_l(pa->cap); */
        cdt_insert_after(pa, b, ca);
        /*@ assert e_p: a->cap == cb && b->cap == ca; */
    } else {
        /*@ assert s2n_p: na != \null && pb == na ==> na->prev == \null; */
        /*@ assert s2n: na != \null ==> na->prev == \null; */
        /*@ assert s2nc: na != \null ==> !cap_null_l(na->cap); */
        cdt_insert_head(na, b, ca);
        /*@ assert e_n: a->cap == cb && b->cap == ca; */
    }
}

void cdt_swap(cte_t *a, cte_t *b)
{
    BH_ASSERT(a != b && !cap_is_null(a->cap) && !cap_is_null(b->cap));
    /* Each capability keeps its list position: done as moves between the
     * two slots (proved steps), by the shape of the list around them. */
    if (a->next == b) {
        cdt_swap_next(a, b);
    } else if (b->next == a) {
        cdt_swap_next(b, a);
    } else {
        cdt_swap_far(a, b);
    }
}
