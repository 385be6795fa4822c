/* kernel/core/bootmem.c: free-range bookkeeping used to build the root task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kernel/bootmem.h>

#define MiB (1ull << 20)

static void test_add_reserve_alloc(void **state)
{
    (void)state;
    struct bootmem bm;
    bootmem_init(&bm);
    assert_int_equal(bootmem_add(&bm, 0x40000000, 128 * MiB), BH_OK);
    assert_int_equal(bootmem_free_bytes(&bm), 128 * MiB);
    /* Overlap with an existing range is refused and changes nothing. */
    assert_int_equal(bootmem_add(&bm, 0x40000000 + MiB, MiB), BH_E_MAPPING_EXISTS);
    /* A reservation in the middle splits the range; unaligned edges round outward. */
    assert_int_equal(bootmem_reserve(&bm, 0x40200000 + 1, 0x1000), BH_OK);
    assert_int_equal(bm.nfree, 2);
    assert_int_equal(bootmem_free_bytes(&bm), 128 * MiB - 0x2000);
    /* Allocation is aligned, from the lowest fitting range, and removes the memory. */
    paddr_t pa;
    assert_int_equal(bootmem_alloc(&bm, 0x3000, 0x2000, &pa), BH_OK);
    assert_int_equal(pa_addr(pa), 0x40000000);
    assert_int_equal(bootmem_free_bytes(&bm), 128 * MiB - 0x5000);
    assert_int_equal(bootmem_alloc(&bm, 2 * MiB, 2 * MiB, &pa), BH_OK);
    assert_int_equal(pa_addr(pa) % (2 * MiB), 0);
    assert_true(pa_addr(pa) >= 0x40000000);
}

static void test_errors(void **state)
{
    (void)state;
    struct bootmem bm;
    bootmem_init(&bm);
    paddr_t pa = pa_init(0x1234);
    assert_int_equal(bootmem_alloc(&bm, 0x1000, 0x1000, &pa), BH_E_NOT_ENOUGH_MEMORY);
    assert_int_equal(pa_addr(pa), 0x1234); /* untouched on failure */
    assert_int_equal(bootmem_add(&bm, 0x1000, 0), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bootmem_add(&bm, UINT64_MAX - 0xfff, 0x2000), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bootmem_add(&bm, 0x10000, 0x4000), BH_OK);
    assert_int_equal(bootmem_alloc(&bm, 0x1000, 0x1800, &pa), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bootmem_alloc(&bm, 0, 0x1000, &pa), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bootmem_alloc(&bm, 0x5000, 0x1000, &pa), BH_E_NOT_ENOUGH_MEMORY);
    /* Reserving the whole range removes it; reserving nothing that exists is fine. */
    assert_int_equal(bootmem_reserve(&bm, 0x10000, 0x4000), BH_OK);
    assert_int_equal(bm.nfree, 0);
    assert_int_equal(bootmem_reserve(&bm, 0x90000, 0x1000), BH_OK);
    /* Less than a page after alignment adds nothing. */
    assert_int_equal(bootmem_add(&bm, 0x20001, 0xfff), BH_OK);
    assert_int_equal(bm.nfree, 0);
    /* A base in the last page: rounding it up would wrap to 0; nothing is added
     * (this once added [0, end)). */
    assert_int_equal(bootmem_add(&bm, UINT64_MAX - 100, 50), BH_OK);
    assert_int_equal(bm.nfree, 0);
    /* The last whole page is still usable. */
    assert_int_equal(bootmem_add(&bm, UINT64_MAX - 0x1fff, 0x1fff), BH_OK);
    assert_int_equal(bm.nfree, 1);
    assert_true(bm.free[0].base == UINT64_MAX - 0x1fff && bm.free[0].end == UINT64_MAX - 0xfff);
}

static void test_reserve_across_ranges(void **state)
{
    (void)state;
    struct bootmem bm;
    bootmem_init(&bm);
    assert_int_equal(bootmem_add(&bm, 0x100000, 0x10000), BH_OK);
    assert_int_equal(bootmem_add(&bm, 0x200000, 0x10000), BH_OK);
    assert_int_equal(bootmem_add(&bm, 0x300000, 0x10000), BH_OK);
    /* Covers the tail of the first, all of the second, the head of the third. */
    assert_int_equal(bootmem_reserve(&bm, 0x108000, 0x200000), BH_OK);
    assert_int_equal(bm.nfree, 2);
    assert_int_equal(bootmem_free_bytes(&bm), 0x8000 + 0x8000);
}

static void test_split_exhausts_slots(void **state)
{
    (void)state;
    struct bootmem bm;
    bootmem_init(&bm);
    assert_int_equal(bootmem_add(&bm, 0, 0x1000000), BH_OK);
    /* Each reservation in the middle of the last range splits it. */
    for (unsigned i = 1; i < BOOTMEM_MAX_RANGES; i++) {
        assert_int_equal(bootmem_reserve(&bm, 0x2000ull * i, 0x1000), BH_OK);
    }
    assert_int_equal(bm.nfree, BOOTMEM_MAX_RANGES);
    uint64_t before = bootmem_free_bytes(&bm);
    assert_int_equal(bootmem_reserve(&bm, 0x800000, 0x1000), BH_E_NOT_ENOUGH_MEMORY);
    assert_int_equal(bootmem_free_bytes(&bm), before);
}

static void test_reserve_last_page(void **state)
{
    (void)state;
    struct bootmem bm;
    bootmem_init(&bm);
    /* The last whole page of the address space: [2^64 - 8 KiB, 2^64 - 4 KiB). */
    assert_int_equal(bootmem_add(&bm, UINT64_MAX - 0x1fff, 0x1fff), BH_OK);
    assert_int_equal(bm.nfree, 1);
    /* Its end rounded up would wrap to 0: this once reserved nothing and left
     * the page free. It is removed. */
    assert_int_equal(bootmem_reserve(&bm, UINT64_MAX - 0x1fff, 0x1800), BH_OK);
    assert_int_equal(bm.nfree, 0);
    assert_int_equal(bootmem_reserve(&bm, UINT64_MAX - 0x1fff, 0x2000), BH_E_INVALID_ARGUMENT);
    paddr_t pa = pa_init(0x1234);
    assert_int_equal(bootmem_alloc(&bm, 0x1000, 0x1000, &pa), BH_E_NOT_ENOUGH_MEMORY);
    assert_int_equal(pa_addr(pa), 0x1234);
}

static void test_alloc_disjoint(void **state)
{
    (void)state;
    struct bootmem bm;
    bootmem_init(&bm);
    assert_int_equal(bootmem_add(&bm, 0x100000, 0x8000), BH_OK);
    assert_int_equal(bootmem_add(&bm, 0x10000, 0x3000), BH_OK);
    /* Lowest fitting range first; sizes round up to pages; every block is
     * aligned, inside a range that was added, and never handed out twice. */
    paddr_t a;
    paddr_t b;
    paddr_t c;
    assert_int_equal(bootmem_alloc(&bm, 0x1800, 0x1000, &a), BH_OK);
    assert_int_equal(pa_addr(a), 0x10000);
    assert_int_equal(bootmem_alloc(&bm, 0x1000, 0x4000, &b), BH_OK);
    assert_int_equal(pa_addr(b), 0x100000);
    assert_int_equal(bootmem_alloc(&bm, 0x1000, 0x1000, &c), BH_OK);
    assert_int_equal(pa_addr(c), 0x12000);
    assert_int_equal(bootmem_free_bytes(&bm), 0x7000);
    /* A size that rounds up past the end of the address space never fits. */
    assert_int_equal(bootmem_alloc(&bm, UINT64_MAX, 0x1000, &c), BH_E_NOT_ENOUGH_MEMORY);
    assert_int_equal(pa_addr(c), 0x12000);
    assert_int_equal(bootmem_free_bytes(&bm), 0x7000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_reserve_alloc),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_reserve_across_ranges), cmocka_unit_test(test_split_exhausts_slots),
        cmocka_unit_test(test_reserve_last_page),     cmocka_unit_test(test_alloc_disjoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
