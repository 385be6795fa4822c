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

/* Does [b_lo, b_lo + 2^b_bits) lie inside [a_lo, a_lo + 2^a_bits)? Both
 * regions are aligned to their sizes: b is inside iff the offset fits. */
/*@ requires a_bits <= 63 && b_bits <= 63;
    assigns \nothing;
    ensures \result <==> b_bits <= a_bits && a_lo <= b_lo &&
      b_lo - a_lo <= pow2(a_bits) - pow2(b_bits); */
static bool region_within(uint64_t a_lo, uint32_t a_bits, uint64_t b_lo, uint32_t b_bits)
{
    if (b_bits > a_bits || b_lo < a_lo) {
        return false;
    }
    uint64_t a_size = caps_pow2(a_bits);
    uint64_t b_size = caps_pow2(b_bits);
    /* Never true as b_bits <= a_bits; it spares the provers 2^k's monotony. */
    if (b_size > a_size) {
        return false;
    }
    return b_lo - a_lo <= a_size - b_size;
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
    return region_within(pa_addr(cap_obj(a)), cap_ut_size_bits(a), pa_addr(cap_obj(b)),
                         cap_object_size_bits(b));
}

/* The parent test of a capability that is neither Untyped nor IRQControl,
 * in its own function so that cdt_is_parent_of's goals stay small: same
 * object, and a badged original's children are its copies with its badge. */
/*@ assigns \nothing;
    ensures \result ==> cap_type_l(b) == cap_type_l(a);
    ensures \result <==> cdt_same_l(a, b) &&
      ((cap_type_l(a) == BH_OBJ_ENDPOINT || cap_type_l(a) == BH_OBJ_NOTIFICATION) && a.w1 != 0 ==>
         b.w1 == a.w1 && cap_original_l(b) == 0); */
static bool same_child(cap_t a, cap_t b)
{
    if (!cdt_same_object(a, b)) {
        return false;
    }
    if (cap_has_badge_field(cap_type(a)) && cap_badge(a) != 0u) {
        return cap_badge(b) == cap_badge(a) && !cap_is_original(b);
    }
    return true;
}

/* cdt_is_parent_of on the capabilities themselves: with the loads from the
 * slots in every path, Qed spent seconds on each ensures. */
/*@ assigns \nothing;
    ensures \result ==> cdt_parent_l(ca, cb);
    ensures \result <==> cdt_child_l(ca, cb); */
static bool child_of(cap_t ca, cap_t cb)
{
    if (cap_is_null(ca) || cap_is_null(cb) || !cap_is_original(ca)) {
        return false;
    }
    bh_objtype_t ta = cap_type(ca);
    if (ta == BH_OBJ_UNTYPED) {
        return ut_covers(ca, cb);
    }
    if (ta == BH_OBJ_IRQ_CONTROL) {
        bh_objtype_t tb = cap_type(cb);
        return tb == BH_OBJ_IRQ_HANDLER || tb == BH_OBJ_IRQ_CONTROL;
    }
    return same_child(ca, cb);
}

bool cdt_is_parent_of(const cte_t *a, const cte_t *b)
{
    return child_of(a->cap, b->cap);
}

bool cdt_has_children(const cte_t *s)
{
    return s->next != NULL && cdt_is_parent_of(s, s->next);
}

bool cdt_is_last(const cte_t *s)
{
    const cte_t *p = s->prev;
    const cte_t *n = s->next;
    cap_t c = s->cap;
    if (p != NULL && cdt_same_object(p->cap, c)) {
        return false;
    }
    if (n != NULL && cdt_same_object(n->cap, c)) {
        return false;
    }
    return true;
}

bool cdt_links_distinct(cte_t *s)
{
    cte_t *p = s->prev;
    cte_t *n = s->next;
    if (p == s || n == s) {
        return false;
    }
    return p == NULL || p != n;
}

bool cdt_can_swap(cte_t *a, cte_t *b)
{
    if (!cdt_links_distinct(a) || !cdt_links_distinct(b)) {
        return false;
    }
    cte_t *ap = a->prev;
    cte_t *an = a->next;
    cte_t *bp = b->prev;
    cte_t *bn = b->next;
    /* Neighbours x -> y whose outer neighbours are one slot: a 3-cycle. */
    if (an == b && ap != NULL && ap == bn) {
        return false;
    }
    if (bn == a && bp != NULL && bp == an) {
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
    cte_t *n = src->next;
    /*@ for keeps_wf: assert h_all: \forall cte_t *s; cdt_at(s) ==> cdt_link_ok(s) &&
          (s != src ==> \separated(s, src)) && (s != dest ==> \separated(s, dest)) &&
          (n != \null && s != n ==> \separated(s, n)); */
    /* Field by field: WP models a struct store as a havoc, which the
     * provers reason about poorly under the quantified tree invariant. */
    dest->cap.w0 = cap.w0;
    dest->cap.w1 = cap.w1;
    dest->prev = src;
    dest->next = n;
    if (n != NULL) {
        n->prev = dest;
    }
    src->next = dest;
    /*@ for keeps_wf: assert a_src: cdt_link_ok(src); */
    /*@ for keeps_wf: assert a_dest: cdt_link_ok(dest); */
    /*@ for keeps_wf: assert a_n: n != \null ==> cdt_link_ok(n); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != src && s != dest && s != n ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other: \forall cte_t *s; cdt_at(s) && s != src && s != dest && s != n ==>
          cdt_link_ok(s); */
}

/* The "for keeps_wf" assertions guide the provers through the invariant:
 * every capability slot's links before (h_all, with the separations the
 * stores need), then after the stores the slots touched and all others,
 * one cdt_link_ok each (fewer, not harder, goals than its three parts). */
void cdt_remove(cte_t *slot)
{
    cte_t *p = slot->prev;
    cte_t *n = slot->next;
    /*@ for keeps_wf: assert h_all: \forall cte_t *s; cdt_at(s) ==> cdt_link_ok(s) &&
          (s != slot ==> \separated(s, slot)) &&
          (p != \null && s != p ==> \separated(s, p)) &&
          (n != \null && s != n ==> \separated(s, n)); */
    if (p != NULL) {
        p->next = n;
    }
    if (n != NULL) {
        n->prev = p;
    }
    slot->cap.w0 = 0u; /* field by field, as in cdt_insert_after */
    slot->cap.w1 = 0u;
    slot->prev = NULL;
    slot->next = NULL;
    /*@ for keeps_wf: assert a_slot: cdt_link_ok(slot); */
    /*@ for keeps_wf: assert a_p: p != \null ==> cdt_link_ok(p); */
    /*@ for keeps_wf: assert a_n: n != \null ==> cdt_link_ok(n); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != slot && s != p && s != n ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other: \forall cte_t *s; cdt_at(s) && s != slot && s != p && s != n ==>
          cdt_link_ok(s); */
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
    dest->cap.w0 = cap.w0; /* field by field, as in cdt_insert_after */
    dest->cap.w1 = cap.w1;
    dest->prev = NULL;
    dest->next = next;
    if (next != NULL) {
        next->prev = dest;
    }
    /*@ for keeps_wf: assert a_dest: cdt_link_ok(dest); */
    /*@ for keeps_wf: assert a_n: next != \null ==> cdt_link_ok(next); */
    /*@ for keeps_wf: assert a_frame: \forall cte_t *s; cdt_at(s) && s != dest && s != next ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    /*@ for keeps_wf: assert a_other: \forall cte_t *s; cdt_at(s) && s != dest && s != next ==>
          cdt_link_ok(s); */
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

/* Put cap into the empty slot dest where a slot was unlinked: after p, or
 * at the head of the list that n starts when there is no p. A function of
 * its own so that cdt_swap_far has no branch and its goals stay small. */
/*@ requires cdt_wf && cdt_at(dest) && !cap_null_l(cap);
    requires cap_null_l(dest->cap) && dest->prev == \null && dest->next == \null;
    requires p == \null || (cdt_at(p) && p->next == n && p != n && !cap_null_l(p->cap));
    requires p != \null || n == \null || (cdt_at(n) && n->prev == \null && !cap_null_l(n->cap));
    assigns *dest, p->next, n->prev;
    ensures dest->cap == cap;
    ensures cdt_wf; */
static void put_back(cte_t *p, cte_t *n, cte_t *dest, cap_t cap)
{
    if (p != NULL) {
        cdt_insert_after(p, dest, cap);
    } else {
        cdt_insert_head(n, dest, cap);
    }
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
    /*@ assert s2p: pa != \null ==> pa->next == na; */
    /*@ assert s2pc: pa != \null ==> !cap_null_l(pa->cap); */
    /*@ assert s2n: pa == \null && na != \null ==> na->prev == \null; */
    /*@ assert s2nc: pa == \null && na != \null ==> !cap_null_l(na->cap); */
    put_back(pa, na, b, ca);
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
