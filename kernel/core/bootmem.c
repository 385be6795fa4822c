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

bh_error_t bootmem_reserve(struct bootmem *bm, uint64_t base, uint64_t size)
{
    if (size == 0 || base + size < base) {
        return BH_E_INVALID_ARGUMENT;
    }
    uint64_t b = align_down(base, BH_PAGE_SIZE);
    uint64_t e = align_up(base + size, BH_PAGE_SIZE);
    /* Every range loses its overlap with [b, e); a range strictly containing
     * [b, e) splits in two, which needs one free slot. */
    for (unsigned i = 0; i < bm->nfree; i++) {
        uint64_t rb = bm->free[i].base;
        uint64_t re = bm->free[i].end;
        if (e <= rb || re <= b) {
            continue;
        }
        if (b > rb && e < re) {
            if (bm->nfree >= BOOTMEM_MAX_RANGES) {
                return BH_E_NOT_ENOUGH_MEMORY;
            }
            bm->free[i].end = b;
            bm->free[bm->nfree].base = e;
            bm->free[bm->nfree].end = re;
            bm->nfree++;
        } else if (b <= rb && e >= re) {
            bm->free[i] = bm->free[bm->nfree - 1];
            bm->nfree--;
            i--; /* re-examine the range moved into slot i */
        } else if (b <= rb) {
            bm->free[i].base = e;
        } else {
            bm->free[i].end = b;
        }
    }
    return BH_OK;
}

bh_error_t bootmem_alloc(struct bootmem *bm, uint64_t size, uint64_t align, paddr_t *out)
{
    if (size == 0 || align < BH_PAGE_SIZE || (align & (align - 1u)) != 0) {
        return BH_E_INVALID_ARGUMENT;
    }
    size = align_up(size, BH_PAGE_SIZE);
    unsigned best = BOOTMEM_MAX_RANGES;
    for (unsigned i = 0; i < bm->nfree; i++) {
        uint64_t a = align_up(bm->free[i].base, align);
        if (a >= bm->free[i].base && a + size > a && a + size <= bm->free[i].end &&
            (best == BOOTMEM_MAX_RANGES || bm->free[i].base < bm->free[best].base)) {
            best = i;
        }
    }
    if (best == BOOTMEM_MAX_RANGES) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    uint64_t a = align_up(bm->free[best].base, align);
    bh_error_t err = bootmem_reserve(bm, a, size);
    if (err != BH_OK) {
        return err;
    }
    *out = pa_init(a);
    BH_ASSERT(is_aligned(a, align));
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
