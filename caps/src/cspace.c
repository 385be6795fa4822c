/* Guarded CSpace lookup. Iterative: each level consumes at least one bit. */
#include <caps/cspace.h>
#include <kernel/phys.h>

/* The n bits of w just below bit position top (n <= top <= 64). Written with
 * / and % by powers of two, which WP's integer model handles; for unsigned
 * operands GCC emits the same shift and mask as >> and &. */
/*@ requires n <= top <= 64;
    assigns \nothing;
    ensures \result == bits_l(w, top, n);
    ensures n < 64 ==> \result < pow2(n); */
static uint64_t bits_below(uint64_t w, uint32_t top, uint32_t n)
{
    if (n == 0u) {
        return 0u;
    }
    uint64_t v = w / caps_pow2(top - n); /* = w >> (top - n) */
    if (n == 64u) {
        return v;
    }
    return v % caps_pow2(n); /* = v & (2^n - 1) */
}

/*@ requires \valid(f);
    assigns *f;
    ensures f->kind == kind && f->level == level && f->bits_left == bits_left;
    ensures f->bits_needed == 0 && f->guard_size == 0 && f->which == 0;
    ensures f->guard_expected == 0 && f->guard_found == 0; */
static void fault_set(bh_lookup_fault_t *f, bh_lookup_failure_t kind, uint32_t level,
                      uint32_t bits_left)
{
    f->kind = (unsigned int)kind;
    f->level = level;
    f->bits_left = bits_left;
    f->bits_needed = 0u;
    f->guard_size = 0u;
    f->which = 0u;
    f->guard_expected = 0u;
    f->guard_found = 0u;
}

/* The slot one level indexes once its guard matched (its own function: the
 * index's arithmetic stays out of every goal of the lookup's loop). */
/*@ requires valid_cnode(node);
    requires gsize == cnode_gsize_l(node) && radix == cnode_radix_l(node);
    requires radix != 0 && gsize + radix <= bits_left <= 64;
    requires bits_l(cptr, bits_left, gsize) == cnode_guard_l(node);
    assigns \nothing;
    ensures level_ok(node, cptr, bits_left);
    ensures \result == level_slot(node, cptr, bits_left);
    ensures in_valid_cnode(\result); */
static cte_t *level_slot_at(cap_t node, uint64_t cptr, uint32_t bits_left, uint32_t gsize,
                            uint32_t radix)
{
    /* No wrap (gsize + radix <= bits_left): said here, so the index's
     * proof needs no unsigned arithmetic. */
    uint32_t top = bits_left - gsize;
    /*@ assert top == bits_left - gsize; */
    uint64_t index = bits_below(cptr, top, radix);
    cte_t *s = cap_cnode_slots(node) + index;
    /*@ assert index == level_index(node, cptr, bits_left); */
    /*@ assert 0 <= index < cnode_nslots_l(node); */
    return s;
}

/* *slot and *fault are written only on the way out: the walk itself reads
 * the capability space and changes nothing (its contract: cspace.h). */
bh_error_t cspace_lookup(cap_t root, uint64_t cptr, uint32_t depth, bool exact, cte_t **slot,
                         bh_lookup_fault_t *fault)
{
    if (depth == 0u || depth > 64u) {
        *slot = NULL;
        fault_set(fault, BH_LOOKUP_INVALID_DEPTH, 0u, depth);
        return BH_E_RANGE;
    }
    if (cap_type(root) != BH_OBJ_CNODE) {
        *slot = NULL;
        fault_set(fault, BH_LOOKUP_INVALID_ROOT, 0u, depth);
        return BH_E_LOOKUP_FAILED;
    }
    cap_t node = root;
    uint32_t bits_left = depth;
    /*@ loop invariant 1 <= bits_left <= depth && level + bits_left <= depth;
        loop invariant valid_cnode(node);
        loop invariant \forall cte_t *s, integer r;
          resolves(node, cptr, bits_left, exact, s, r) ==> resolves(root, cptr, depth, exact, s, r);
        loop assigns node, bits_left, level;
        loop variant bits_left; */
    for (uint32_t level = 0u; level < 64u; level++) {
        uint32_t radix = cap_cnode_radix(node);
        uint32_t gsize = cap_cnode_guard_size(node);
        if (radix == 0u || gsize + radix > bits_left) {
            *slot = NULL;
            fault_set(fault, BH_LOOKUP_DEPTH_MISMATCH, level, bits_left);
            fault->bits_needed = gsize + radix;
            return BH_E_LOOKUP_FAILED;
        }
        uint64_t found = bits_below(cptr, bits_left, gsize);
        if (found != cap_cnode_guard(node)) {
            *slot = NULL;
            fault_set(fault, BH_LOOKUP_GUARD_MISMATCH, level, bits_left);
            fault->guard_size = gsize;
            fault->guard_expected = cap_cnode_guard(node);
            fault->guard_found = found;
            return BH_E_LOOKUP_FAILED;
        }
        cte_t *s = level_slot_at(node, cptr, bits_left, gsize, radix);
        uint32_t rest = bits_left - (gsize + radix);
        /*@ assert rest == level_rest(node, bits_left); */
        if (rest == 0u) {
            /*@ assert resolves(node, cptr, bits_left, exact, s, 0); */
            /*@ assert resolves(root, cptr, depth, exact, s, 0); */
            *slot = s;
            fault_set(fault, BH_LOOKUP_NONE, 0u, depth);
            return BH_OK;
        }
        if (cap_type(s->cap) != BH_OBJ_CNODE) {
            if (exact) {
                *slot = NULL;
                fault_set(fault, BH_LOOKUP_MISSING_CNODE, level + 1u, rest);
                return BH_E_LOOKUP_FAILED;
            }
            /*@ assert resolves(node, cptr, bits_left, exact, s, rest); */
            /*@ assert resolves(root, cptr, depth, exact, s, rest); */
            *slot = s;
            fault_set(fault, BH_LOOKUP_NONE, 0u, rest);
            return BH_OK;
        }
        /*@ assert \forall cte_t *t, integer r;
              resolves(s->cap, cptr, rest, exact, t, r) ==> resolves(node, cptr, bits_left, exact, t, r); */
        node = s->cap;
        bits_left = rest;
    }
    /* Unreachable: every level consumes at least one of at most 64 bits. */
    *slot = NULL;
    fault_set(fault, BH_LOOKUP_DEPTH_MISMATCH, 64u, bits_left);
    return BH_E_LOOKUP_FAILED;
}
