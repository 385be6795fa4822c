/* Guarded CSpace lookup. Iterative: each level consumes at least one bit. */
#include <caps/cspace.h>
#include <kernel/phys.h>

/* The n bits of w just below bit position top (n <= top <= 64). */
/*@ requires n <= top <= 64;
    assigns \nothing;
    ensures n == 0 ==> \result == 0; */
static uint64_t bits_below(uint64_t w, uint32_t top, uint32_t n)
{
    if (n == 0u) {
        return 0u;
    }
    uint64_t v = w >> (top - n);
    if (n == 64u) {
        return v;
    }
    return v & ((1ull << n) - 1u);
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

bh_error_t cspace_lookup(cap_t root, uint64_t cptr, uint32_t depth, bool exact, cte_t **slot,
                         bh_lookup_fault_t *fault)
{
    fault_set(fault, BH_LOOKUP_NONE, 0u, depth);
    *slot = NULL;
    if (depth == 0u || depth > 64u) {
        fault->kind = BH_LOOKUP_INVALID_DEPTH;
        return BH_E_RANGE;
    }
    if (cap_type(root) != BH_OBJ_CNODE) {
        fault_set(fault, BH_LOOKUP_INVALID_ROOT, 0u, depth);
        return BH_E_LOOKUP_FAILED;
    }
    cap_t node = root;
    uint32_t bits_left = depth;
    /*@ loop invariant 1 <= bits_left <= 64 && level <= 64;
        loop assigns node, bits_left, level, *slot, *fault;
        loop variant bits_left; */
    for (uint32_t level = 0u; level < 64u; level++) {
        uint32_t radix = cap_cnode_radix(node);
        uint32_t gsize = cap_cnode_guard_size(node);
        if (radix == 0u || gsize + radix > bits_left) {
            fault_set(fault, BH_LOOKUP_DEPTH_MISMATCH, level, bits_left);
            fault->bits_needed = gsize + radix;
            return BH_E_LOOKUP_FAILED;
        }
        uint64_t found = bits_below(cptr, bits_left, gsize);
        if (found != cap_cnode_guard(node)) {
            fault_set(fault, BH_LOOKUP_GUARD_MISMATCH, level, bits_left);
            fault->guard_size = gsize;
            fault->guard_expected = cap_cnode_guard(node);
            fault->guard_found = found;
            return BH_E_LOOKUP_FAILED;
        }
        uint64_t index = bits_below(cptr, bits_left - gsize, radix);
        cte_t *s = (cte_t *)pa_to_kva(cap_obj(node)) + index;
        bits_left -= gsize + radix;
        if (bits_left == 0u) {
            *slot = s;
            return BH_OK;
        }
        if (cap_type(s->cap) != BH_OBJ_CNODE) {
            if (exact) {
                fault_set(fault, BH_LOOKUP_MISSING_CNODE, level + 1u, bits_left);
                return BH_E_LOOKUP_FAILED;
            }
            *slot = s;
            fault->bits_left = bits_left;
            return BH_OK;
        }
        node = s->cap;
    }
    /* Unreachable: every level consumes at least one of at most 64 bits. */
    fault_set(fault, BH_LOOKUP_DEPTH_MISMATCH, 64u, bits_left);
    return BH_E_LOOKUP_FAILED;
}
