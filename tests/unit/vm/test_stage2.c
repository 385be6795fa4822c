/*
 * vm/ unit tests. Expected bit positions are written out here from the Arm ARM
 * (stage-2 block/page descriptor, FWB off; VTCR_EL2), not taken from the
 * macros in vm/stage2.h, so a wrong macro fails a test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/phys.h>
#include <vm/arch_hooks.h>
#include <vm/stage2.h>
#include <vm/vmid.h>

/* ---- hook doubles: record every call in order ---- */

enum hook_kind { HOOK_BARRIER, HOOK_INV_IPA, HOOK_INV_VMID };

struct hook_call {
    enum hook_kind kind;
    uint16_t vmid;
    uint64_t ipa;
    unsigned level;
    int vmid_was_used; /* for INV_VMID: pool state when the hook ran */
};

static struct hook_call calls[64];
static unsigned ncalls;
static s2_vmid_pool_t *watched_pool;

static void record(struct hook_call c)
{
    assert_true(ncalls < ARRAY_SIZE(calls));
    calls[ncalls++] = c;
}

void arch_s2_table_write_barrier(void)
{
    record((struct hook_call){HOOK_BARRIER, 0, 0, 0, 0});
}

void arch_s2_tlb_invalidate_ipa(uint16_t vmid, ipaddr_t ipa, unsigned level)
{
    record((struct hook_call){HOOK_INV_IPA, vmid, ipa_addr(ipa), level, 0});
}

void arch_s2_tlb_invalidate_vmid(uint16_t vmid)
{
    int used = watched_pool != NULL && vmid < S2_VMID_COUNT ? watched_pool->used[vmid] : -1;
    record((struct hook_call){HOOK_INV_VMID, vmid, 0, 0, used});
}

static unsigned count_kind(enum hook_kind k)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ncalls; i++) {
        if (calls[i].kind == k) {
            n++;
        }
    }
    return n;
}

/* ---- memory: one arena holding root, tables and guard areas ---- */

#define GUARD   0x5a5a5a5a5a5a5a5aull
#define NTABLES 8

static _Alignas(8192) uint8_t arena[8192 + 4096 * (NTABLES + 2)];
static s2_root_t *root;
static s2_table_t *tables[NTABLES];
static s2_space_t space;
static uint8_t snapshot[sizeof(arena)];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(arena) / 8; i++) {
        ((uint64_t *)arena)[i] = GUARD;
    }
    root = (s2_root_t *)arena;
    for (unsigned i = 0; i < NTABLES; i++) {
        tables[i] = (s2_table_t *)(arena + 8192 + 4096 * (i + 1)); /* guard page before */
    }
    ncalls = 0;
    watched_pool = NULL;
    assert_int_equal(s2_space_init(&space, root, 42), BH_OK);
    ncalls = 0;
    return 0;
}

static void take_snapshot(void)
{
    memcpy(snapshot, arena, sizeof(arena));
}

/* Returns how many 64-bit words changed; *where is the last one. */
static unsigned changed_words(uint64_t **where)
{
    unsigned n = 0;
    for (size_t i = 0; i < sizeof(arena) / 8; i++) {
        if (((uint64_t *)arena)[i] != ((uint64_t *)snapshot)[i]) {
            n++;
            *where = &((uint64_t *)arena)[i];
        }
    }
    return n;
}

static uint64_t field(uint64_t d, unsigned hi, unsigned lo)
{
    return (d >> lo) & ((2ull << (hi - lo)) - 1u);
}

static void install(uint64_t ipa, unsigned level, unsigned t)
{
    unsigned missing = 99;
    assert_int_equal(s2_install_table(&space, ipa_init(ipa), level, tables[t], &missing), BH_OK);
    assert_int_equal(missing, 99);
}

/* ---- tests ---- */

static void test_vtcr(void **state)
{
    (void)state;
    for (unsigned pr = 0; pr < 8; pr++) {
        uint64_t v = s2_vtcr(pr);
        assert_int_equal(field(v, 5, 0), 24);                /* T0SZ: 64 - 40 */
        assert_int_equal(field(v, 7, 6), 1);                 /* SL0: start at level 1 (4K) */
        assert_int_equal(field(v, 9, 8), 1);                 /* IRGN0: WB RA WA */
        assert_int_equal(field(v, 11, 10), 1);               /* ORGN0 */
        assert_int_equal(field(v, 13, 12), 3);               /* SH0: inner shareable */
        assert_int_equal(field(v, 15, 14), 0);               /* TG0: 4 KiB */
        assert_int_equal(field(v, 18, 16), pr > 5 ? 5 : pr); /* PS */
        assert_int_equal(field(v, 19, 19), 0);               /* VS: 8-bit VMID */
        assert_int_equal(field(v, 30, 20), 0);
        assert_int_equal(field(v, 31, 31), 1); /* RES1 */
        assert_int_equal(field(v, 63, 32), 0);
    }
}

static void test_index(void **state)
{
    (void)state;
    uint64_t ipa = (0x2ABull << 30) | (0x1CDull << 21) | (0x0EFull << 12) | 0x123;
    assert_int_equal(s2_index(ipa_init(ipa), 1), 0x2AB);
    assert_int_equal(s2_index(ipa_init(ipa), 2), 0x1CD);
    assert_int_equal(s2_index(ipa_init(ipa), 3), 0x0EF);
    /* bit 39 selects the second concatenated level-1 table */
    assert_int_equal(s2_index(ipa_init(1ull << 39), 1), 512);
    assert_int_equal(s2_index(ipa_init(S2_IPA_LIMIT - 1), 1), 1023);
    assert_int_equal(s2_index(ipa_init(S2_IPA_LIMIT - 1), 2), 511);
    assert_int_equal(s2_index(ipa_init(S2_IPA_LIMIT - 1), 3), 511);
    assert_int_equal(s2_level_shift(1), 30);
    assert_int_equal(s2_level_shift(2), 21);
    assert_int_equal(s2_level_shift(3), 12);
}

static void check_leaf_bits(uint64_t d, uint64_t pa, unsigned level, unsigned rights,
                            s2_memtype_t type)
{
    assert_int_equal(field(d, 1, 0), level == 3 ? 3 : 1);                /* page / block */
    assert_int_equal(field(d, 5, 2), type == S2_MEM_NORMAL ? 0xF : 0x1); /* MemAttr */
    assert_int_equal(field(d, 6, 6), (rights & S2_RIGHT_READ) ? 1 : 0);  /* S2AP[0] */
    assert_int_equal(field(d, 7, 7), (rights & S2_RIGHT_WRITE) ? 1 : 0); /* S2AP[1] */
    assert_int_equal(field(d, 9, 8), type == S2_MEM_NORMAL ? 3 : 2);     /* SH */
    assert_int_equal(field(d, 10, 10), 1);                               /* AF */
    assert_int_equal(field(d, 11, 11), 0);                               /* RES0 */
    assert_int_equal(d & 0x0000fffffffff000ull, pa);                     /* OA */
    assert_int_equal(field(d, 51, 48), 0);
    assert_int_equal(field(d, 52, 52), 0);                                /* Contiguous */
    assert_int_equal(field(d, 54, 53), (rights & S2_RIGHT_EXEC) ? 0 : 2); /* XN */
    assert_int_equal(field(d, 63, 55), 0);
}

static void test_encode_every_combination(void **state)
{
    (void)state;
    for (unsigned level = 2; level <= 3; level++) {
        uint64_t pa = level == 3 ? 0xABCDE0123000ull : 0xABCDE0200000ull;
        for (unsigned r = 1; r <= 7; r++) {
            for (int t = 0; t < 2; t++) {
                s2_memtype_t type = t ? S2_MEM_DEVICE : S2_MEM_NORMAL;
                uint64_t d = s2_encode_leaf(pa_init(pa), level, r, type);
                check_leaf_bits(d, pa, level, r, type);
                assert_int_equal(s2_desc_rights(d), r);
                assert_int_equal(s2_desc_memtype(d), type);
                assert_int_equal(pa_addr(s2_desc_oa(d, level)), pa);
                assert_true(s2_desc_is_valid(d));
                assert_true(s2_desc_is_leaf(d, level));
                assert_false(s2_desc_is_table(d, level));
            }
        }
    }
    uint64_t t = s2_encode_table(pa_init(0x123456789000ull));
    assert_int_equal(t, 0x123456789003ull);
    assert_true(s2_desc_is_table(t, 1));
    assert_true(s2_desc_is_table(t, 2));
    assert_false(s2_desc_is_table(t, 3));
    assert_false(s2_desc_is_valid(0));
    assert_false(s2_desc_is_valid(GUARD));
}

static void test_map_lookup_unmap_page(void **state)
{
    (void)state;
    uint64_t ipa = 0x40201000ull, pa = 0x80345000ull;
    install(ipa, 2, 0);
    install(ipa, 3, 1);
    ncalls = 0;
    unsigned missing = 99;
    assert_int_equal(s2_map(&space, ipa_init(ipa), pa_init(pa), S2_PAGE_SIZE,
                            S2_RIGHT_READ | S2_RIGHT_WRITE, S2_MEM_NORMAL, &missing),
                     BH_OK);
    /* invalid -> valid: a barrier, no invalidation */
    assert_int_equal(ncalls, 1);
    assert_int_equal(calls[0].kind, HOOK_BARRIER);

    s2_mapping_t m;
    assert_int_equal(s2_lookup(&space, ipa_init(ipa + 0x234), &m), BH_OK);
    assert_int_equal(pa_addr(m.pa), pa + 0x234);
    assert_int_equal(pa_addr(m.base_pa), pa);
    assert_int_equal(ipa_addr(m.base), ipa);
    assert_int_equal(m.size, 4096);
    assert_int_equal(m.level, 3);
    assert_int_equal(m.rights, S2_RIGHT_READ | S2_RIGHT_WRITE);
    assert_int_equal(m.type, S2_MEM_NORMAL);
    assert_int_equal(tables[1]->entry[1], m.desc);
    check_leaf_bits(m.desc, pa, 3, S2_RIGHT_READ | S2_RIGHT_WRITE, S2_MEM_NORMAL);

    assert_int_equal(s2_lookup(&space, ipa_init(ipa + 4096), &m), BH_E_NOT_MAPPED);

    ncalls = 0;
    take_snapshot();
    s2_mapping_t old;
    assert_int_equal(s2_unmap(&space, ipa_init(ipa), &old), BH_OK);
    uint64_t *w = NULL;
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[1]->entry[1]);
    assert_int_equal(*w, 0);
    assert_int_equal(pa_addr(old.base_pa), pa);
    assert_int_equal(old.size, 4096);
    /* clear, barrier, then invalidate exactly that IPA at level 3 in VMID 42 */
    assert_int_equal(ncalls, 2);
    assert_int_equal(calls[0].kind, HOOK_BARRIER);
    assert_int_equal(calls[1].kind, HOOK_INV_IPA);
    assert_int_equal(calls[1].vmid, 42);
    assert_int_equal(calls[1].ipa, ipa);
    assert_int_equal(calls[1].level, 3);
    assert_int_equal(s2_lookup(&space, ipa_init(ipa), &m), BH_E_NOT_MAPPED);
    assert_int_equal(s2_unmap(&space, ipa_init(ipa), &old), BH_E_NOT_MAPPED);
    assert_int_equal(count_kind(HOOK_INV_IPA), 1);
}

static void test_map_block(void **state)
{
    (void)state;
    uint64_t ipa = 0x8000000000ull + 0x40000000ull + 0x600000ull; /* second root table */
    uint64_t pa = 0x1234600000ull;
    install(ipa, 2, 0);
    assert_int_equal(ipa_addr(ipa_init(0)), 0);
    assert_true(s2_desc_is_table(root->entry[513], 1));
    assert_int_equal(s2_map(&space, ipa_init(ipa), pa_init(pa), S2_BLOCK_SIZE,
                            S2_RIGHT_READ | S2_RIGHT_EXEC, S2_MEM_NORMAL, NULL),
                     BH_OK);
    s2_mapping_t m;
    assert_int_equal(s2_lookup(&space, ipa_init(ipa + 0x1ff123), &m), BH_OK);
    assert_int_equal(pa_addr(m.pa), pa + 0x1ff123);
    assert_int_equal(m.size, S2_BLOCK_SIZE);
    assert_int_equal(m.level, 2);
    assert_int_equal(m.rights, S2_RIGHT_READ | S2_RIGHT_EXEC);
    check_leaf_bits(tables[0]->entry[3], pa, 2, S2_RIGHT_READ | S2_RIGHT_EXEC, S2_MEM_NORMAL);

    /* a page inside the block: refused, blocks are never split */
    unsigned missing = 99;
    assert_int_equal(s2_map(&space, ipa_init(ipa + 0x5000), pa_init(0x5000), S2_PAGE_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, &missing),
                     BH_E_MAPPING_EXISTS);
    assert_int_equal(missing, 99);
    /* nor can a level-3 table go under it */
    assert_int_equal(s2_install_table(&space, ipa_init(ipa), 3, tables[1], &missing),
                     BH_E_MAPPING_EXISTS);
    /* unmap from inside the block: not its base */
    assert_int_equal(s2_unmap(&space, ipa_init(ipa + 0x1000), NULL), BH_E_ALIGNMENT);
    ncalls = 0;
    assert_int_equal(s2_unmap(&space, ipa_init(ipa), NULL), BH_OK);
    assert_int_equal(tables[0]->entry[3], 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(calls[1].kind, HOOK_INV_IPA);
    assert_int_equal(calls[1].level, 2);
    assert_int_equal(calls[1].ipa, ipa);
}

static void test_device(void **state)
{
    (void)state;
    install(0x09000000, 2, 0);
    install(0x09000000, 3, 1);
    assert_int_equal(s2_map(&space, ipa_init(0x09000000), pa_init(0x09000000), S2_PAGE_SIZE,
                            S2_RIGHT_READ | S2_RIGHT_WRITE | S2_RIGHT_EXEC, S2_MEM_DEVICE, NULL),
                     BH_E_INVALID_ARGUMENT);
    assert_int_equal(s2_map(&space, ipa_init(0x09000000), pa_init(0x09000000), S2_PAGE_SIZE,
                            S2_RIGHT_READ | S2_RIGHT_WRITE, S2_MEM_DEVICE, NULL),
                     BH_OK);
    s2_mapping_t m;
    assert_int_equal(s2_lookup(&space, ipa_init(0x09000010), &m), BH_OK);
    assert_int_equal(m.type, S2_MEM_DEVICE);
    check_leaf_bits(m.desc, 0x09000000, 3, S2_RIGHT_READ | S2_RIGHT_WRITE, S2_MEM_DEVICE);
    assert_int_equal(field(m.desc, 5, 2), 0x1); /* Device-nGnRE */
}

static void test_missing_tables(void **state)
{
    (void)state;
    unsigned missing = 0;
    assert_int_equal(s2_map(&space, ipa_init(0x1000), pa_init(0x1000), S2_PAGE_SIZE, S2_RIGHT_READ,
                            S2_MEM_NORMAL, &missing),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(missing, 2);
    missing = 0;
    assert_int_equal(s2_map(&space, ipa_init(0x200000), pa_init(0x200000), S2_BLOCK_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, &missing),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(missing, 2);
    missing = 0;
    assert_int_equal(s2_install_table(&space, ipa_init(0x1000), 3, tables[1], &missing),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(missing, 2);
    install(0x1000, 2, 0);
    missing = 0;
    assert_int_equal(s2_map(&space, ipa_init(0x1000), pa_init(0x1000), S2_PAGE_SIZE, S2_RIGHT_READ,
                            S2_MEM_NORMAL, &missing),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(missing, 3);
    /* a 2 MiB block only needs the level-2 table */
    assert_int_equal(s2_map(&space, ipa_init(0x200000), pa_init(0x200000), S2_BLOCK_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, &missing),
                     BH_OK);
    /* second install at the same place: refused */
    assert_int_equal(s2_install_table(&space, ipa_init(0x1000), 2, tables[2], &missing),
                     BH_E_MAPPING_EXISTS);
    install(0x1000, 3, 1);
    assert_int_equal(s2_install_table(&space, ipa_init(0x1000), 3, tables[2], &missing),
                     BH_E_MAPPING_EXISTS);
    /* a block where a table is installed: refused */
    assert_int_equal(s2_map(&space, ipa_init(0), pa_init(0), S2_BLOCK_SIZE, S2_RIGHT_READ,
                            S2_MEM_NORMAL, &missing),
                     BH_E_MAPPING_EXISTS);
    /* level argument */
    assert_int_equal(s2_install_table(&space, ipa_init(0), 1, tables[2], &missing),
                     BH_E_INVALID_ARGUMENT);
    assert_int_equal(s2_install_table(&space, ipa_init(0), 4, tables[2], &missing),
                     BH_E_INVALID_ARGUMENT);
}

static void test_overlap(void **state)
{
    (void)state;
    install(0, 2, 0);
    install(0, 3, 1);
    assert_int_equal(s2_map(&space, ipa_init(0x3000), pa_init(0x7000), S2_PAGE_SIZE, S2_RIGHT_READ,
                            S2_MEM_NORMAL, NULL),
                     BH_OK);
    take_snapshot();
    assert_int_equal(s2_map(&space, ipa_init(0x3000), pa_init(0x8000), S2_PAGE_SIZE, S2_RIGHT_WRITE,
                            S2_MEM_NORMAL, NULL),
                     BH_E_MAPPING_EXISTS);
    uint64_t *w = NULL;
    assert_int_equal(changed_words(&w), 0);
    s2_mapping_t m;
    assert_int_equal(s2_lookup(&space, ipa_init(0x3000), &m), BH_OK);
    assert_int_equal(pa_addr(m.pa), 0x7000);
}

static void test_alignment_and_range(void **state)
{
    (void)state;
    install(0, 2, 0);
    install(0, 3, 1);
    take_snapshot();
    unsigned R = S2_RIGHT_READ;
    assert_int_equal(
        s2_map(&space, ipa_init(0x1800), pa_init(0x2000), S2_PAGE_SIZE, R, S2_MEM_NORMAL, NULL),
        BH_E_ALIGNMENT);
    assert_int_equal(
        s2_map(&space, ipa_init(0x1000), pa_init(0x2100), S2_PAGE_SIZE, R, S2_MEM_NORMAL, NULL),
        BH_E_ALIGNMENT);
    assert_int_equal(s2_map(&space, ipa_init(0x201000), pa_init(0x200000), S2_BLOCK_SIZE, R,
                            S2_MEM_NORMAL, NULL),
                     BH_E_ALIGNMENT);
    assert_int_equal(s2_map(&space, ipa_init(0x200000), pa_init(0x201000), S2_BLOCK_SIZE, R,
                            S2_MEM_NORMAL, NULL),
                     BH_E_ALIGNMENT);
    assert_int_equal(s2_map(&space, ipa_init(S2_IPA_LIMIT), pa_init(0x2000), S2_PAGE_SIZE, R,
                            S2_MEM_NORMAL, NULL),
                     BH_E_RANGE);
    assert_int_equal(s2_map(&space, ipa_init(~0ull << 12), pa_init(0x2000), S2_PAGE_SIZE, R,
                            S2_MEM_NORMAL, NULL),
                     BH_E_RANGE);
    assert_int_equal(s2_map(&space, ipa_init(0x1000), pa_init(S2_PA_LIMIT), S2_PAGE_SIZE, R,
                            S2_MEM_NORMAL, NULL),
                     BH_E_RANGE);
    assert_int_equal(
        s2_map(&space, ipa_init(0x1000), pa_init(0x1000), 8192, R, S2_MEM_NORMAL, NULL),
        BH_E_INVALID_ARGUMENT);
    assert_int_equal(
        s2_map(&space, ipa_init(0x1000), pa_init(0x1000), S2_PAGE_SIZE, 0, S2_MEM_NORMAL, NULL),
        BH_E_INVALID_ARGUMENT);
    assert_int_equal(
        s2_map(&space, ipa_init(0x1000), pa_init(0x1000), S2_PAGE_SIZE, 8, S2_MEM_NORMAL, NULL),
        BH_E_INVALID_ARGUMENT);
    assert_int_equal(
        s2_map(&space, ipa_init(0x1000), pa_init(0x1000), S2_PAGE_SIZE, R, (s2_memtype_t)2, NULL),
        BH_E_INVALID_ARGUMENT);
    assert_int_equal(s2_unmap(&space, ipa_init(0x1001), NULL), BH_E_ALIGNMENT);
    assert_int_equal(s2_unmap(&space, ipa_init(S2_IPA_LIMIT), NULL), BH_E_RANGE);
    s2_mapping_t m;
    assert_int_equal(s2_lookup(&space, ipa_init(S2_IPA_LIMIT), &m), BH_E_RANGE);
    assert_int_equal(s2_install_table(&space, ipa_init(S2_IPA_LIMIT), 2, tables[2], NULL),
                     BH_E_RANGE);
    assert_int_equal(s2_install_table(&space, ipa_init(0x40000000), 2,
                                      (s2_table_t *)((uint8_t *)tables[2] + 8), NULL),
                     BH_E_ALIGNMENT);
    uint64_t *w = NULL;
    assert_int_equal(changed_words(&w), 0);
    assert_int_equal(count_kind(HOOK_INV_IPA) + count_kind(HOOK_INV_VMID), 0);
    s2_space_t other;
    assert_int_equal(s2_space_init(&other, (s2_root_t *)(arena + 4096), 1), BH_E_ALIGNMENT);
    /* the last page below 2^40 is fine */
    uint64_t top = S2_IPA_LIMIT - S2_PAGE_SIZE;
    install(top, 2, 2);
    install(top, 3, 3);
    assert_int_equal(s2_map(&space, ipa_init(top), pa_init(S2_PA_LIMIT - S2_PAGE_SIZE),
                            S2_PAGE_SIZE, R, S2_MEM_NORMAL, NULL),
                     BH_OK);
    assert_int_equal(tables[3]->entry[511] & 0x0000fffffffff000ull, S2_PA_LIMIT - S2_PAGE_SIZE);
    assert_true(s2_desc_is_table(root->entry[1023], 1));
}

/* Fill every invalid entry of the live tables with an invalid (bit 0 clear)
 * sentinel: map must still write exactly one descriptor, and nothing else. */
static void test_map_writes_one_descriptor(void **state)
{
    (void)state;
    uint64_t ipa = 0x7fc0345000ull;
    install(ipa, 2, 4);
    install(ipa, 3, 5);
    const uint64_t sentinel = 0xa5a5a5a5a5a5a5a4ull;
    for (unsigned i = 0; i < S2_ROOT_ENTRIES; i++) {
        if (!s2_desc_is_valid(root->entry[i])) {
            root->entry[i] = sentinel;
        }
    }
    for (unsigned t = 4; t <= 5; t++) {
        for (unsigned i = 0; i < S2_TABLE_ENTRIES; i++) {
            if (!s2_desc_is_valid(tables[t]->entry[i])) {
                tables[t]->entry[i] = sentinel ^ ((uint64_t)i << 12);
            }
        }
    }
    take_snapshot();
    assert_int_equal(s2_map(&space, ipa_init(ipa), pa_init(0x1000), S2_PAGE_SIZE, S2_RIGHTS_ALL,
                            S2_MEM_NORMAL, NULL),
                     BH_OK);
    uint64_t *w = NULL;
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[5]->entry[s2_index(ipa_init(ipa), 3)]);
    check_leaf_bits(*w, 0x1000, 3, S2_RIGHTS_ALL, S2_MEM_NORMAL);

    /* a block next to it, in the level-2 table */
    take_snapshot();
    uint64_t bipa = (ipa & ~0x3fffffffull) + 0x400000ull;
    assert_int_equal(s2_map(&space, ipa_init(bipa), pa_init(0x40000000), S2_BLOCK_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, NULL),
                     BH_OK);
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[4]->entry[2]);

    take_snapshot();
    assert_int_equal(s2_unmap(&space, ipa_init(ipa), NULL), BH_OK);
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[5]->entry[s2_index(ipa_init(ipa), 3)]);
    assert_int_equal(*w, 0);

    /* guard areas around the tables were never touched */
    for (size_t i = 0; i < 4096 / 8; i++) {
        assert_int_equal(((uint64_t *)(arena + 8192))[i], GUARD);
    }
}

static void test_remove_table(void **state)
{
    (void)state;
    install(0x40000000, 2, 0);
    install(0x40000000, 3, 1);
    assert_int_equal(s2_map(&space, ipa_init(0x40000000), pa_init(0x1000), S2_PAGE_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, NULL),
                     BH_OK);
    ncalls = 0;
    paddr_t tpa;
    assert_int_equal(s2_remove_table(&space, ipa_init(0x40000000), 3, &tpa), BH_OK);
    assert_int_equal(pa_addr(tpa), pa_addr(kva_to_pa(tables[1])));
    assert_int_equal(tables[0]->entry[0], 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(calls[0].kind, HOOK_BARRIER);
    assert_int_equal(calls[1].kind, HOOK_INV_VMID);
    assert_int_equal(calls[1].vmid, 42);
    s2_mapping_t m;
    assert_int_equal(s2_lookup(&space, ipa_init(0x40000000), &m), BH_E_NOT_MAPPED);
    assert_int_equal(s2_remove_table(&space, ipa_init(0x40000000), 3, &tpa), BH_E_NOT_MAPPED);
    assert_int_equal(s2_remove_table(&space, ipa_init(0x40000000), 2, &tpa), BH_OK);
    assert_int_equal(pa_addr(tpa), pa_addr(kva_to_pa(tables[0])));
    assert_int_equal(root->entry[1], 0);
    unsigned missing = 0;
    assert_int_equal(s2_map(&space, ipa_init(0x40000000), pa_init(0x1000), S2_PAGE_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, &missing),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(missing, 2);
}

/* Unmapping a capability's recorded mapping: only if the tree still holds
 * the capability's object there (the record may be stale). */
static void test_unmap_recorded(void **state)
{
    (void)state;
    install(0x40000000, 2, 0);
    install(0x40000000, 3, 1);
    assert_int_equal(s2_map(&space, ipa_init(0x40003000), pa_init(0x7000), S2_PAGE_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, NULL),
                     BH_OK);
    assert_int_equal(s2_map(&space, ipa_init(0x40200000), pa_init(0x200000), S2_BLOCK_SIZE,
                            S2_RIGHT_READ, S2_MEM_NORMAL, NULL),
                     BH_OK);
    uint64_t *w = NULL;

    /* a leaf that maps other memory, no leaf, out of range: nothing changes */
    take_snapshot();
    ncalls = 0;
    assert_int_equal(s2_unmap_pa(&space, ipa_init(0x40003000), pa_init(0x8000)), BH_E_NOT_MAPPED);
    assert_int_equal(s2_unmap_pa(&space, ipa_init(0x40004000), pa_init(0x7000)), BH_E_NOT_MAPPED);
    assert_int_equal(s2_unmap_pa(&space, ipa_init(S2_IPA_LIMIT), pa_init(0x7000)), BH_E_RANGE);
    assert_int_equal(changed_words(&w), 0);
    assert_int_equal(ncalls, 0);

    /* the page: cleared, then the TLB entry for its base invalidated */
    assert_int_equal(s2_unmap_pa(&space, ipa_init(0x40003000), pa_init(0x7000)), BH_OK);
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[1]->entry[3]);
    assert_int_equal(*w, 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(calls[0].kind, HOOK_BARRIER);
    assert_int_equal(calls[1].kind, HOOK_INV_IPA);
    assert_int_equal(calls[1].vmid, 42);
    assert_int_equal(calls[1].ipa, 0x40003000);
    assert_int_equal(calls[1].level, 3);

    /* the block, through an address inside it: invalidated at its base */
    take_snapshot();
    ncalls = 0;
    assert_int_equal(s2_unmap_pa(&space, ipa_init(0x40345000), pa_init(0x200000)), BH_OK);
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[0]->entry[1]);
    assert_int_equal(*w, 0);
    assert_int_equal(calls[1].ipa, 0x40200000);
    assert_int_equal(calls[1].level, 2);

    /* a table other than the one named, a level without a table, a bad
     * level: nothing changes */
    take_snapshot();
    ncalls = 0;
    paddr_t t1 = kva_to_pa(tables[1]);
    paddr_t t0 = kva_to_pa(tables[0]);
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(0x40000000), 3, t0), BH_E_NOT_MAPPED);
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(0x40200000), 3, t1), BH_E_NOT_MAPPED);
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(0x80000000), 3, t1), BH_E_NOT_MAPPED);
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(0x40000000), 1, t1),
                     BH_E_INVALID_ARGUMENT);
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(S2_IPA_LIMIT), 3, t1), BH_E_RANGE);
    assert_int_equal(changed_words(&w), 0);
    assert_int_equal(ncalls, 0);

    /* the table named: unlinked, the VMID invalidated */
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(0x40000000), 3, t1), BH_OK);
    assert_int_equal(changed_words(&w), 1);
    assert_ptr_equal(w, &tables[0]->entry[0]);
    assert_int_equal(*w, 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(calls[0].kind, HOOK_BARRIER);
    assert_int_equal(calls[1].kind, HOOK_INV_VMID);
    assert_int_equal(calls[1].vmid, 42);
    assert_int_equal(s2_remove_table_pa(&space, ipa_init(0x40000000), 2, t0), BH_OK);
    assert_int_equal(root->entry[1], 0);
}

static void test_vttbr(void **state)
{
    (void)state;
    uint64_t v = s2_vttbr(&space);
    assert_int_equal(v & 0x0000ffffffffffffull, pa_addr(kva_to_pa(root)));
    assert_int_equal(field(v, 55, 48), 42);
    assert_int_equal(v & 0x1fff, 0); /* 8 KiB aligned root: BADDR[12:1] zero */
}

static void test_vmid(void **state)
{
    (void)state;
    static s2_vmid_pool_t pool;
    s2_vmid_pool_init(&pool);
    watched_pool = &pool;
    uint8_t seen[256] = {0};
    uint16_t v;
    for (unsigned i = 1; i <= 255; i++) {
        assert_int_equal(s2_vmid_alloc(&pool, &v), BH_OK);
        assert_int_not_equal(v, 0);
        assert_int_equal(seen[v], 0);
        seen[v] = 1;
    }
    assert_int_equal(s2_vmid_alloc(&pool, &v), BH_E_IN_USE);
    assert_int_equal(s2_vmid_free(&pool, 0), BH_E_RANGE);
    assert_int_equal(s2_vmid_free(&pool, 256), BH_E_RANGE);
    ncalls = 0;
    assert_int_equal(s2_vmid_free(&pool, 77), BH_OK);
    /* invalidated once, while still marked used (before it can be reused) */
    assert_int_equal(ncalls, 1);
    assert_int_equal(calls[0].kind, HOOK_INV_VMID);
    assert_int_equal(calls[0].vmid, 77);
    assert_int_equal(calls[0].vmid_was_used, 1);
    assert_int_equal(s2_vmid_free(&pool, 77), BH_E_INVALID_ARGUMENT);
    assert_int_equal(ncalls, 1);
    assert_int_equal(s2_vmid_alloc(&pool, &v), BH_OK);
    assert_int_equal(v, 77);
    assert_int_equal(s2_vmid_alloc(&pool, &v), BH_E_IN_USE);
    /* round robin: after freeing 3 and 9, the search continues after 77 */
    assert_int_equal(s2_vmid_free(&pool, 3), BH_OK);
    assert_int_equal(s2_vmid_free(&pool, 9), BH_OK);
    assert_int_equal(s2_vmid_free(&pool, 200), BH_OK);
    assert_int_equal(s2_vmid_alloc(&pool, &v), BH_OK);
    assert_int_equal(v, 200);
    assert_int_equal(s2_vmid_alloc(&pool, &v), BH_OK);
    assert_int_equal(v, 3);
    assert_int_equal(s2_vmid_alloc(&pool, &v), BH_OK);
    assert_int_equal(v, 9);
    watched_pool = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_vtcr, setup),
        cmocka_unit_test_setup(test_index, setup),
        cmocka_unit_test_setup(test_encode_every_combination, setup),
        cmocka_unit_test_setup(test_map_lookup_unmap_page, setup),
        cmocka_unit_test_setup(test_map_block, setup),
        cmocka_unit_test_setup(test_device, setup),
        cmocka_unit_test_setup(test_missing_tables, setup),
        cmocka_unit_test_setup(test_overlap, setup),
        cmocka_unit_test_setup(test_alignment_and_range, setup),
        cmocka_unit_test_setup(test_map_writes_one_descriptor, setup),
        cmocka_unit_test_setup(test_remove_table, setup),
        cmocka_unit_test_setup(test_unmap_recorded, setup),
        cmocka_unit_test_setup(test_vttbr, setup),
        cmocka_unit_test_setup(test_vmid, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
