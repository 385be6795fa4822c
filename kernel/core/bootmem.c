#include <kernel/bootmem.h>

#include <kernel/assert.h>

void bootmem_init(struct bootmem *bm)
{
    bm->nfree = 0;
}

bh_error_t bootmem_add(struct bootmem *bm, uint64_t base, uint64_t size)
{
    uint64_t b = align_up(base, BH_PAGE_SIZE);
    if (size == 0 || base + size < base) {
        return BH_E_INVALID_ARGUMENT;
    }
    uint64_t e = align_down(base + size, BH_PAGE_SIZE);
    if (e <= b) {
        return BH_OK; /* less than a page: nothing usable */
    }
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
