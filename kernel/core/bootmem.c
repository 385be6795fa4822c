#include <kernel/bootmem.h>

#include <kernel/assert.h>

/*
 * The free ranges: at most BOOTMEM_MAX_RANGES, each non-empty and page
 * aligned at both ends, no two overlapping.
 */
/*@ predicate bootmem_ok(struct bootmem *bm) =
      bm->nfree <= BOOTMEM_MAX_RANGES &&
      (\forall integer i; 0 <= i < bm->nfree ==>
         bm->free[i].base < bm->free[i].end && bm->free[i].base % BH_PAGE_SIZE == 0 &&
         bm->free[i].end % BH_PAGE_SIZE == 0) &&
      (\forall integer i, j; 0 <= i < j < bm->nfree ==>
         bm->free[i].end <= bm->free[j].base || bm->free[j].end <= bm->free[i].base); */

/*@ requires \valid(bm);
    assigns bm->nfree;
    ensures bm->nfree == 0 && bootmem_ok(bm); */
void bootmem_init(struct bootmem *bm)
{
    bm->nfree = 0;
}

/*
 * The ranges stay well formed; the ones there are never change; a new one is
 * the page-aligned inside of [base, base + size) and overlaps none of them.
 */
/*@ requires \valid(bm) && bootmem_ok(bm);
    assigns bm->free[0 .. BOOTMEM_MAX_RANGES - 1], bm->nfree;
    ensures bootmem_ok(bm);
    ensures \forall integer i; 0 <= i < \old(bm->nfree) ==>
              bm->free[i].base == \old(bm->free[i].base) && bm->free[i].end == \old(bm->free[i].end);
    ensures bm->nfree == \old(bm->nfree) || (\result == BH_OK && bm->nfree == \old(bm->nfree) + 1);
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT ||
            \result == BH_E_MAPPING_EXISTS || \result == BH_E_NOT_ENOUGH_MEMORY;
    ensures size == 0 || base + size > UINT64_MAX <==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_E_NOT_ENOUGH_MEMORY ==> \old(bm->nfree) == BOOTMEM_MAX_RANGES;
    ensures bm->nfree == \old(bm->nfree) + 1 ==>
            bm->free[\old(bm->nfree)].end <= base + size &&
            base <= bm->free[\old(bm->nfree)].base; */
bh_error_t bootmem_add(struct bootmem *bm, uint64_t base, uint64_t size)
{
    if (size == 0 || size > UINT64_MAX - base) {
        return BH_E_INVALID_ARGUMENT; /* base + size would wrap */
    }
    if (base > UINT64_MAX - (BH_PAGE_SIZE - 1u)) {
        return BH_OK; /* rounding base up would wrap: no whole page above it */
    }
    /* align_up and align_down as arithmetic. */
    uint64_t b = (base + (BH_PAGE_SIZE - 1u)) / BH_PAGE_SIZE * BH_PAGE_SIZE;
    uint64_t e = (base + size) / BH_PAGE_SIZE * BH_PAGE_SIZE;
    if (e <= b) {
        return BH_OK; /* less than a page: nothing usable */
    }
    /*@ loop invariant 0 <= i <= bm->nfree;
        loop invariant \forall integer j; 0 <= j < i ==> bm->free[j].end <= b || e <= bm->free[j].base;
        loop assigns i;
        loop variant bm->nfree - i; */
    for (unsigned i = 0; i < bm->nfree; i++) {
        if (b < bm->free[i].end && bm->free[i].base < e) {
            return BH_E_MAPPING_EXISTS; /* overlaps a range already added */
        }
    }
    if (bm->nfree >= BOOTMEM_MAX_RANGES) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    bm->free[bm->nfree].base = b;
    bm->free[bm->nfree].end = e;
    bm->nfree++;
    return BH_OK;
}

/* x is in a free range; no address is free at L2 that was not at L1. */
/*@ predicate bootmem_free{L}(struct bootmem *bm, integer x) =
      \exists integer k; 0 <= k < bm->nfree && bm->free[k].base <= x < bm->free[k].end;
    predicate bootmem_shrunk{L1, L2}(struct bootmem *bm) =
      \forall integer x; bootmem_free{L2}(bm, x) ==> bootmem_free{L1}(bm, x); */

/* No free range meets [lo, hi). */
/*@ predicate bootmem_clear{L}(struct bootmem *bm, integer lo, integer hi) =
      \forall integer k; 0 <= k < bm->nfree ==> bm->free[k].end <= lo || hi <= bm->free[k].base; */

/* [base, base + size) lies inside free range k of bm (at the current state). */
/*@ predicate bootmem_in{L}(struct bootmem *bm, integer k, integer base, integer end) =
      bm->free[k].base <= base && end <= bm->free[k].end; */

/*
 * Range i strictly contains [b, e): it becomes [base, b) and [e, end) goes in
 * a new slot. No other range meets [b, e) (the ranges are disjoint).
 */
/*@ requires \valid(bm) && bootmem_ok(bm);
    requires i < bm->nfree < BOOTMEM_MAX_RANGES;
    requires bm->free[i].base < b < e < bm->free[i].end;
    requires b % BH_PAGE_SIZE == 0 && e % BH_PAGE_SIZE == 0;
    assigns bm->free[i].end, bm->free[bm->nfree].base, bm->free[bm->nfree].end, bm->nfree;
    ensures bootmem_ok(bm);
    ensures bm->nfree == \old(bm->nfree) + 1;
    ensures bootmem_clear(bm, b, e);
    ensures bootmem_shrunk{Pre, Post}(bm); */
static void split(struct bootmem *bm, unsigned i, uint64_t b, uint64_t e)
{
    unsigned n = bm->nfree;
    uint64_t re = bm->free[i].end;
    /*@ assert \forall integer k; 0 <= k < n && k != i ==>
          bm->free[k].end <= bm->free[i].base || re <= bm->free[k].base; */
    bm->free[i].end = b;
    bm->free[n].base = e;
    bm->free[n].end = re;
    bm->nfree = n + 1u;
    /*@ assert \forall integer k; 0 <= k < n && k != i ==>
          bm->free[k].base == \at(bm->free[k].base, Pre) && bm->free[k].end == \at(bm->free[k].end, Pre); */
}

/* Range i shrinks to [nb, ne): the ranges stay well formed. */
/*@ requires \valid(bm) && bootmem_ok(bm) && i < bm->nfree;
    requires bm->free[i].base <= nb < ne <= bm->free[i].end;
    requires nb % BH_PAGE_SIZE == 0 && ne % BH_PAGE_SIZE == 0;
    assigns bm->free[i].base, bm->free[i].end;
    ensures bootmem_ok(bm);
    ensures bm->free[i].base == nb && bm->free[i].end == ne;
    ensures bootmem_shrunk{Pre, Post}(bm); */
static void shrink(struct bootmem *bm, unsigned i, uint64_t nb, uint64_t ne)
{
    bm->free[i].base = nb;
    bm->free[i].end = ne;
}

/* Range i goes; the last range takes its slot. */
/*@ requires \valid(bm) && bootmem_ok(bm) && i < bm->nfree;
    assigns bm->free[i].base, bm->free[i].end, bm->nfree;
    ensures bootmem_ok(bm);
    ensures bm->nfree == \old(bm->nfree) - 1;
    ensures \forall integer k; 0 <= k < bm->nfree && k != i ==>
              bm->free[k].base == \old(bm->free[k].base) && bm->free[k].end == \old(bm->free[k].end);
    ensures i < bm->nfree ==>
            bm->free[i].base == \old(bm->free[bm->nfree - 1].base) &&
            bm->free[i].end == \old(bm->free[bm->nfree - 1].end);
    ensures bootmem_shrunk{Pre, Post}(bm); */
static void drop(struct bootmem *bm, unsigned i)
{
    unsigned last = bm->nfree - 1u;
    bm->free[i].base = bm->free[last].base;
    bm->free[i].end = bm->free[last].end;
    bm->nfree = last;
}

/*
 * Every range meeting [b, e) is trimmed at one end or dropped (the last range
 * moves into its slot, which is then looked at again). No range strictly
 * contains [b, e) (split handles that), but a trimmed one stays well formed
 * either way.
 */
/*@ requires \valid(bm) && bootmem_ok(bm);
    requires b < e && b % BH_PAGE_SIZE == 0 && (e % BH_PAGE_SIZE == 0 || e == UINT64_MAX);
    assigns bm->free[0 .. BOOTMEM_MAX_RANGES - 1], bm->nfree;
    ensures bootmem_ok(bm);
    ensures bootmem_clear(bm, b, e);
    ensures bootmem_shrunk{Pre, Post}(bm); */
static void trim(struct bootmem *bm, uint64_t b, uint64_t e)
{
    unsigned i = 0;
    /*@ loop invariant bootmem_ok(bm) && 0 <= i <= bm->nfree <= \at(bm->nfree, Pre);
        loop invariant \forall integer k; 0 <= k < i ==> bm->free[k].end <= b || e <= bm->free[k].base;
        loop invariant bootmem_shrunk{Pre, Here}(bm);
        loop assigns i, bm->free[0 .. BOOTMEM_MAX_RANGES - 1], bm->nfree;
        loop variant bm->nfree - i; */
    while (i < bm->nfree) {
        uint64_t rb = bm->free[i].base;
        uint64_t re = bm->free[i].end;
        if (e <= rb || re <= b) {
            i++;
        } else if (b <= rb && re <= e) {
            drop(bm, i);
        } else if (b <= rb) {
            shrink(bm, i, e, re);
            i++;
        } else {
            shrink(bm, i, rb, b);
            i++;
        }
    }
}

/*
 * Reserved memory is never free afterwards, and nothing becomes free
 * (bootmem_shrunk). On error nothing changed.
 */
/*@ requires \valid(bm) && bootmem_ok(bm);
    assigns bm->free[0 .. BOOTMEM_MAX_RANGES - 1], bm->nfree;
    ensures bootmem_ok(bm);
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT || \result == BH_E_NOT_ENOUGH_MEMORY;
    ensures size == 0 || base + size > UINT64_MAX <==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_OK ==> bootmem_clear(bm, base, base + size);
    ensures bootmem_shrunk{Pre, Post}(bm);
    ensures \result != BH_OK ==>
            bm->nfree == \old(bm->nfree) &&
            \forall integer k; 0 <= k < bm->nfree ==>
              bm->free[k].base == \old(bm->free[k].base) && bm->free[k].end == \old(bm->free[k].end); */
bh_error_t bootmem_reserve(struct bootmem *bm, uint64_t base, uint64_t size)
{
    if (size == 0 || size > UINT64_MAX - base) {
        return BH_E_INVALID_ARGUMENT; /* base + size would wrap */
    }
    /* [b, e): [base, base + size) widened to pages (align_down, align_up as
     * arithmetic). Rounding up past the last page would wrap to 0 and reserve
     * nothing: e saturates at UINT64_MAX instead, above every range's end. */
    uint64_t top = base + size;
    /*@ assert top == base + size; */
    uint64_t b = base / BH_PAGE_SIZE * BH_PAGE_SIZE;
    uint64_t e = top > UINT64_MAX - (BH_PAGE_SIZE - 1u)
                     ? UINT64_MAX
                     : (top + (BH_PAGE_SIZE - 1u)) / BH_PAGE_SIZE * BH_PAGE_SIZE;
    /*@ assert b <= base && top <= e && b < e; */
    /* A range strictly containing [b, e) splits in two: one more slot. */
    unsigned i = 0;
    /*@ loop invariant 0 <= i <= bm->nfree;
        loop assigns i;
        loop variant bm->nfree - i; */
    while (i < bm->nfree && !(bm->free[i].base < b && e < bm->free[i].end)) {
        i++;
    }
    if (i < bm->nfree) {
        if (bm->nfree >= BOOTMEM_MAX_RANGES) {
            return BH_E_NOT_ENOUGH_MEMORY;
        }
        split(bm, i, b, e);
    } else {
        trim(bm, b, e);
    }
    /*@ assert bootmem_clear(bm, b, e); */
    /*@ assert bootmem_clear(bm, base, base + size); */
    return BH_OK;
}

/* align_up(v, align) as arithmetic (kernel/types.h's align_up masks, which
 * the provers cannot follow), for a v that does not wrap. */
/*@ requires align >= BH_PAGE_SIZE && v <= UINT64_MAX - (align - 1);
    assigns \nothing;
    ensures \result % align == 0 && v <= \result && \result - v < align; */
static uint64_t round_up(uint64_t v, uint64_t align)
{
    return (v + (align - 1u)) / align * align;
}

/*
 * The block handed out is aligned, lies inside one of the free ranges there
 * were, and is no longer free; nothing becomes free (bootmem_shrunk), so no
 * later allocation returns it again. On error nothing changed.
 */
/*@ requires \valid(bm) && bootmem_ok(bm) && \valid(out) && \separated(bm, out);
    assigns bm->free[0 .. BOOTMEM_MAX_RANGES - 1], bm->nfree, *out;
    ensures bootmem_ok(bm);
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT || \result == BH_E_NOT_ENOUGH_MEMORY;
    ensures \result == BH_OK ==>
            out->pa % align == 0 && out->pa + size <= UINT64_MAX &&
            (\exists integer j; 0 <= j < \old(bm->nfree) &&
               \old(bm->free[j].base) <= out->pa && out->pa + size <= \old(bm->free[j].end)) &&
            bootmem_clear(bm, out->pa, out->pa + size);
    ensures bootmem_shrunk{Pre, Post}(bm);
    ensures \result != BH_OK ==>
            out->pa == \old(out->pa) && bm->nfree == \old(bm->nfree) &&
            \forall integer k; 0 <= k < bm->nfree ==>
              bm->free[k].base == \old(bm->free[k].base) && bm->free[k].end == \old(bm->free[k].end); */
bh_error_t bootmem_alloc(struct bootmem *bm, uint64_t size, uint64_t align, paddr_t *out)
{
    if (size == 0 || align < BH_PAGE_SIZE || (align & (align - 1u)) != 0) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (size > UINT64_MAX - (BH_PAGE_SIZE - 1u)) {
        return BH_E_NOT_ENOUGH_MEMORY; /* no range ends above the last page */
    }
    uint64_t sz = round_up(size, BH_PAGE_SIZE);
    /*@ assert size <= sz; */
    unsigned best = BOOTMEM_MAX_RANGES;
    uint64_t best_a = 0;
    /*@ loop invariant 0 <= i <= bm->nfree;
        loop invariant best == BOOTMEM_MAX_RANGES ||
          (best < i && best_a % align == 0 && best_a + sz <= UINT64_MAX &&
           bootmem_in(bm, best, best_a, best_a + sz));
        loop assigns i, best, best_a;
        loop variant bm->nfree - i; */
    for (unsigned i = 0; i < bm->nfree; i++) {
        uint64_t rb = bm->free[i].base;
        uint64_t re = bm->free[i].end;
        if (rb > UINT64_MAX - (align - 1u)) {
            continue; /* rounding up would wrap */
        }
        uint64_t a = round_up(rb, align);
        if (a < re && sz <= re - a && (best == BOOTMEM_MAX_RANGES || rb < bm->free[best].base)) {
            best = i;
            best_a = a;
        }
    }
    if (best == BOOTMEM_MAX_RANGES) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    /*@ assert best < bm->nfree && bootmem_in(bm, best, best_a, best_a + sz); */
    bh_error_t err = bootmem_reserve(bm, best_a, sz);
    if (err != BH_OK) {
        return err;
    }
    BH_ASSERT(best_a % align == 0);
    /*@ assert bootmem_clear(bm, best_a, best_a + size); */
    out->pa = best_a;
    return BH_OK;
}

uint64_t bootmem_free_bytes(const struct bootmem *bm)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < bm->nfree; i++) {
        total += bm->free[i].end - bm->free[i].base;
    }
    return total;
}
